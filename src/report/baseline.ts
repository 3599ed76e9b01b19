/**
 * Baselines: known, accepted failures. A baselined rule that fails does not fail the run (its
 * status stays `fail`, marked `baselined`); a baselined rule that no longer fails makes the run
 * `not-ready` as a stale baseline, so the file is kept honest; a new failure still fails.
 *
 * @example
 * ```json
 * { "version": 1, "rules": [{ "id": "TOKEN-JWKS-REFRESH", "reason": "pinned key until Q3; ticket ABC-12" }] }
 * ```
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Rule } from '../rules/types.ts';

export interface BaselineEntry {
  id: string;
  reason: string;
}

export interface Baseline {
  version: 1;
  rules: BaselineEntry[];
}

export class BaselineError extends Error {
  readonly code = 'BASELINE_INVALID';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BaselineError';
  }
}

const entrySchema = z.strictObject({
  id: z.string().regex(/^[A-Z][A-Z0-9]*(-[A-Z0-9][A-Z0-9.]*)*$/, 'a rule ID such as TOKEN-SIGNATURE'),
  reason: z.string().trim().min(1, 'a reason (why the failure is accepted, and until when)'),
});

const baselineSchema = z.strictObject({
  version: z.literal(1),
  rules: z.array(entrySchema),
});

function describeEntry(raw: unknown, index: number): string {
  const id = raw && typeof raw === 'object' && 'id' in raw ? (raw as { id: unknown }).id : undefined;
  return typeof id === 'string' ? `rules[${index}] (${id})` : `rules[${index}]`;
}

/**
 * Validates a parsed baseline object against the schema and the catalog. Throws
 * {@link BaselineError} with one line naming the first bad entry.
 */
export function parseBaseline(
  raw: unknown,
  rules: readonly Pick<Rule, 'id'>[],
  source = 'baseline',
): Baseline {
  const parsed = baselineSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path ?? [];
    let where = path.length ? path.join('.') : 'top level';
    if (path[0] === 'rules' && typeof path[1] === 'number') {
      const entries = (raw as { rules?: unknown[] }).rules ?? [];
      where =
        describeEntry(entries[path[1]], path[1]) + (path.length > 2 ? `.${path.slice(2).join('.')}` : '');
    }
    const expected =
      issue?.code === 'invalid_type' && path.at(-1) === 'reason'
        ? 'a reason (why the failure is accepted, and until when)'
        : (issue?.message ?? 'a valid baseline');
    throw new BaselineError(
      `${source}: ${where}: ${expected}; expected { "version": 1, "rules": [{ "id": "RULE-ID", "reason": "..." }] }`,
    );
  }
  const known = new Set(rules.map((r) => r.id));
  const seen = new Set<string>();
  parsed.data.rules.forEach((entry, index) => {
    if (!known.has(entry.id)) {
      throw new BaselineError(
        `${source}: rules[${index}] (${entry.id}): unknown rule ID; run \`so-preflight rules\` for the catalog`,
      );
    }
    if (seen.has(entry.id)) {
      throw new BaselineError(
        `${source}: rules[${index}] (${entry.id}): listed twice; keep one entry per rule`,
      );
    }
    seen.add(entry.id);
  });
  return { version: 1, rules: parsed.data.rules.map((e) => ({ id: e.id, reason: e.reason })) };
}

/** Reads and validates a baseline file. Throws {@link BaselineError} with a one-line message. */
export function loadBaseline(file: string, rules: readonly Pick<Rule, 'id'>[]): Baseline {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new BaselineError(`baseline ${file} cannot be read: ${(e as Error).message}`, { cause: e });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new BaselineError(`baseline ${file} is not JSON: ${(e as Error).message}`, { cause: e });
  }
  return parseBaseline(raw, rules, `baseline ${file}`);
}
