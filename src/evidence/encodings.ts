/**
 * The encodings under which a secret can appear in a recorded artifact. Shared by the redactor
 * (which replaces them) and the leak scanner (which reports them), so both always agree on what
 * "the secret appears here" means.
 */
import { createHash } from 'node:crypto';

/** Secrets shorter than this are ignored: they would match ordinary words. */
export const MIN_SECRET_LENGTH = 6;

/** A secret value, optionally with a kind used in redaction markers and leak reports. */
export type SecretInput = string | { value: string; kind?: string };

export interface Needle {
  /** The exact text to look for. */
  text: string;
  encoding: string;
  secretKind?: string;
  /** The marker that replaces it: `[REDACTED:<kind or hash prefix>]`. */
  marker: string;
}

export function normalizeSecret(input: SecretInput): { value: string; kind?: string } {
  return typeof input === 'string' ? { value: input } : input;
}

export function hashPrefix(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex').slice(0, 8);
}

/**
 * The part of base64(prefix + secret + suffix) that depends only on the secret, for a secret
 * starting at byte offset `shift` (0, 1 or 2) within a 3-byte group. This finds a secret inside
 * a longer base64 string, e.g. `client_id:secret` in a Basic authorization header.
 */
function base64Core(bytes: Buffer, shift: number): string {
  const padded = Buffer.concat([Buffer.alloc(shift), bytes]);
  const encoded = padded.toString('base64').replace(/=+$/, '');
  const first = Math.ceil((8 * shift) / 6);
  const end = Math.floor((8 * (shift + bytes.length)) / 6);
  return encoded.slice(first, end);
}

const HTML_NAMED: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const HTML_NUMERIC: Record<string, string> = {
  '&': '&#38;',
  '<': '&#60;',
  '>': '&#62;',
  '"': '&#34;',
  "'": '&#39;',
  '`': '&#96;',
};
const HTML_EXTRA: Array<Record<string, string>> = [
  {},
  { ':': '&#58;', '+': '&#43;', '/': '&#47;', '=': '&#61;' },
  { ':': '&#x3a;', '+': '&#x2b;', '/': '&#x2f;', '=': '&#x3d;' },
  { ':': '&#x3A;', '+': '&#x2B;', '/': '&#x2F;', '=': '&#x3D;' },
  { ':': '&colon;', '+': '&plus;', '/': '&sol;', '=': '&equals;' },
];

function htmlEscapeWith(value: string, basic: Record<string, string>, extra: Record<string, string>): string {
  return value.replace(/[&<>"'`:+/=]/g, (c) => basic[c] ?? extra[c] ?? c);
}

function lowerPercent(value: string): string {
  return value.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase());
}

/** Every encoding of one secret, longest first. */
export function encodingsOf(value: string): Array<{ text: string; encoding: string }> {
  const out: Array<{ text: string; encoding: string }> = [];
  const add = (text: string, encoding: string): void => {
    if (text.length >= MIN_SECRET_LENGTH && !out.some((o) => o.text === text)) out.push({ text, encoding });
  };
  add(value, 'raw');
  const uri = encodeURIComponent(value);
  add(uri, 'url');
  add(lowerPercent(uri), 'url');
  add(uri.replace(/%20/g, '+'), 'form');
  const form = new URLSearchParams({ v: value }).toString().slice(2);
  add(form, 'form');
  add(lowerPercent(form), 'form');
  const json = JSON.stringify(value).slice(1, -1);
  add(json, 'json');
  add(json.replace(/\//g, '\\/'), 'json');
  add(JSON.stringify(json).slice(1, -1), 'json');
  for (const basic of [HTML_NAMED, HTML_NUMERIC]) {
    for (const extra of HTML_EXTRA) add(htmlEscapeWith(value, basic, extra), 'html');
  }
  const bytes = Buffer.from(value, 'utf8');
  add(bytes.toString('base64'), 'base64');
  add(bytes.toString('base64url'), 'base64url');
  for (const shift of [0, 1, 2]) {
    const core = base64Core(bytes, shift);
    add(core, 'base64');
    add(core.replace(/\+/g, '-').replace(/\//g, '_'), 'base64url');
  }
  const pem = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----([\s\S]*?)-----END [A-Z0-9 ]*PRIVATE KEY-----/.exec(
    value,
  );
  if (pem) {
    for (const line of (pem[1] ?? '').split(/\r?\n/)) {
      const trimmed = line.trim();
      if (trimmed.length >= 16) add(trimmed, 'pem-line');
    }
  }
  return out.sort((a, b) => b.text.length - a.text.length);
}

/** Needles for a list of secrets, longest first; short and empty secrets are dropped. */
export function needlesFor(secrets: readonly SecretInput[]): Needle[] {
  const needles: Needle[] = [];
  const seen = new Set<string>();
  for (const input of secrets) {
    const { value, kind } = normalizeSecret(input);
    if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH) continue;
    const marker = `[REDACTED:${kind ?? hashPrefix(value)}]`;
    for (const { text, encoding } of encodingsOf(value)) {
      if (seen.has(text)) continue;
      seen.add(text);
      needles.push({ text, encoding, ...(kind ? { secretKind: kind } : {}), marker });
    }
  }
  return needles.sort((a, b) => b.text.length - a.text.length);
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** One alternation of all needles, longest first, so the longest match wins at a position. */
export function needleRegExp(needles: readonly Needle[]): RegExp | undefined {
  if (needles.length === 0) return undefined;
  return new RegExp(needles.map((n) => escapeRegExp(n.text)).join('|'), 'g');
}
