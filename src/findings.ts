/**
 * Findings: what a check concluded about one rule. Checks run inside Playwright workers and
 * send findings to the readiness reporter as typed test attachments with the content type
 * {@link FINDING_CONTENT_TYPE}; the reporter decodes them with {@link decodeFinding}, which
 * validates the shape, so a malformed attachment is an `error`, never a silent pass.
 */
import { z } from 'zod';

export const FINDING_CONTENT_TYPE = 'application/vnd.so-preflight.finding+json';

/** `not-run`: the check could not run for a reason the user can fix (e.g. a config key to add). */
export const CHECK_STATUSES = ['pass', 'fail', 'warn', 'error', 'not-run'] as const;
export type CheckStatus = (typeof CHECK_STATUSES)[number];

/** One piece of evidence: a redacted HTTP exchange excerpt, a decoded token, a note, or a file. */
export const evidenceSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('exchange'),
    label: z.string(),
    method: z.string(),
    url: z.string(),
    status: z.number().optional(),
    requestHeaders: z.record(z.string(), z.string()).optional(),
    requestBody: z.string().optional(),
    responseHeaders: z.record(z.string(), z.string()).optional(),
    responseBody: z.string().optional(),
    from: z.enum(['browser', 'server', 'unknown']).optional(),
  }),
  z.object({
    kind: z.literal('token'),
    label: z.string(),
    header: z.record(z.string(), z.unknown()),
    payload: z.record(z.string(), z.unknown()),
    /** Names of header/payload members the scenario tampered with, for highlighting. */
    tampered: z.array(z.string()).default([]),
  }),
  z.object({ kind: z.literal('text'), label: z.string(), text: z.string() }),
  z.object({
    kind: z.literal('file'),
    label: z.string(),
    /** Path relative to the report folder once copied, absolute while in flight. */
    path: z.string(),
    contentType: z.string(),
  }),
]);
export type Evidence = z.infer<typeof evidenceSchema>;

export const findingSchema = z.object({
  rule: z.string().regex(/^[A-Z0-9]+(-[A-Z0-9.]+)*$/, 'a rule ID such as TOKEN-SIGNATURE'),
  /** Short stable name of the check within the rule, e.g. `payload-edited-after-signing`. */
  check: z.string().min(1),
  /** What the check did, in one sentence a reviewer understands. */
  title: z.string().min(1),
  status: z.enum(CHECK_STATUSES),
  /** Why this status: for a failure, what the app did wrong. */
  message: z.string(),
  evidence: z.array(evidenceSchema).default([]),
});
export type Finding = z.infer<typeof findingSchema>;
export type FindingInput = z.input<typeof findingSchema>;

export function encodeFinding(finding: FindingInput): Buffer {
  return Buffer.from(JSON.stringify(findingSchema.parse(finding)), 'utf8');
}

export type DecodeResult = { ok: true; finding: Finding } | { ok: false; error: string };

export function decodeFinding(body: Buffer | string): DecodeResult {
  let raw: unknown;
  try {
    raw = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  } catch (e) {
    return { ok: false, error: `finding attachment is not JSON: ${(e as Error).message}` };
  }
  const parsed = findingSchema.safeParse(raw);
  if (!parsed.success) {
    return { ok: false, error: `finding attachment is malformed: ${z.prettifyError(parsed.error)}` };
  }
  return { ok: true, finding: parsed.data };
}
