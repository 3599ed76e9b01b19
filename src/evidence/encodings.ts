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

/** Needles of at least this length are indexed by their last {@link LONG_KEY} characters. */
const LONG_KEY = 16;
const HASH_BASE = 131;

/** A polynomial hash of `text.slice(from, from + length)` (UTF-16 units), mod 2^32. */
function windowHash(text: string, from: number, length: number): number {
  let h = 0;
  for (let i = from; i < from + length; i++) h = (Math.imul(h, HASH_BASE) + text.charCodeAt(i)) >>> 0;
  return h;
}

/** HASH_BASE^(length - 1) mod 2^32: the weight of the character leaving a rolling window. */
function leadWeight(length: number): number {
  let w = 1;
  for (let i = 1; i < length; i++) w = Math.imul(w, HASH_BASE) >>> 0;
  return w;
}

/** A window of `length` characters rolled over a text, hashed as {@link windowHash}. */
class RollingWindow {
  readonly #lead: number;
  readonly length: number;
  hash = 0;
  constructor(length: number) {
    this.length = length;
    this.#lead = leadWeight(length);
  }
  /** The hash of the window ending at `end` (exclusive), rolled from the one ending at end - 1. */
  roll(text: string, end: number): number {
    if (end === this.length) this.hash = windowHash(text, 0, this.length);
    else {
      const out = Math.imul(text.charCodeAt(end - 1 - this.length), this.#lead);
      this.hash = (Math.imul((this.hash - out) >>> 0, HASH_BASE) + text.charCodeAt(end - 1)) >>> 0;
    }
    return this.hash;
  }
}

/** Needles by window hash, with a bit per hash value (mod 2^20) that spares most look-ups. */
class HashedNeedles {
  readonly #map = new Map<number, Needle[]>();
  readonly #bits = new Uint8Array(1 << 17);
  get size(): number {
    return this.#map.size;
  }
  add(hash: number, needle: Needle): void {
    this.#bits[(hash >>> 3) & 0x1ffff]! |= 1 << (hash & 7);
    const bucket = this.#map.get(hash);
    if (bucket) bucket.push(needle);
    else this.#map.set(hash, [needle]);
  }
  get(hash: number): Needle[] | undefined {
    return this.#bits[(hash >>> 3) & 0x1ffff]! & (1 << (hash & 7)) ? this.#map.get(hash) : undefined;
  }
}

/**
 * Every needle added, found in a text in one pass: the leftmost occurrence first and, at one
 * position, the longest needle, as one regular expression alternating the needles longest first
 * would find them; then on after that occurrence. A run's redactor holds thousands of needles
 * (every token the emulator issued, in every encoding), where such an alternation costs time per
 * needle at every position of the text that holds none. Here each position costs two rolling
 * hashes and two map look-ups: a needle is filed under the hash of its last {@link LONG_KEY}
 * characters (its last {@link MIN_SECRET_LENGTH} when shorter), which tell tokens apart even where
 * they share a prefix (every id_token signed with one key starts with the same header); a hit is
 * then compared in full. Needles grow in place ({@link add}), so a redactor keeps up with a run's
 * new tokens without rebuilding what it already has.
 */
export class NeedleIndex {
  readonly #long = new HashedNeedles();
  readonly #short = new HashedNeedles();
  readonly #texts = new Set<string>();

  /** Adds needles; a text already held keeps its first needle (and marker). */
  add(needles: readonly Needle[]): void {
    for (const needle of needles) {
      const { text } = needle;
      if (text.length < MIN_SECRET_LENGTH || this.#texts.has(text)) continue;
      this.#texts.add(text);
      const long = text.length >= LONG_KEY;
      const key = long ? LONG_KEY : MIN_SECRET_LENGTH;
      (long ? this.#long : this.#short).add(windowHash(text, text.length - key, key), needle);
    }
  }

  /** The occurrences in `text` as described above, ordered by position, none overlapping. */
  find(text: string): Array<{ index: number; needle: Needle }> {
    if (this.#texts.size === 0 || text.length < MIN_SECRET_LENGTH) return [];
    const all: Array<{ index: number; needle: Needle }> = [];
    const collect = (bucket: Needle[] | undefined, end: number): void => {
      if (!bucket) return;
      for (const needle of bucket) {
        const index = end - needle.text.length;
        if (index >= 0 && text.startsWith(needle.text, index)) all.push({ index, needle });
      }
    };
    const short = new RollingWindow(MIN_SECRET_LENGTH);
    const long = new RollingWindow(LONG_KEY);
    const shortMap = this.#short.size ? this.#short : undefined;
    const longMap = this.#long.size ? this.#long : undefined;
    for (let end = MIN_SECRET_LENGTH; end <= text.length; end++) {
      if (shortMap) collect(shortMap.get(short.roll(text, end)), end);
      if (longMap && end >= LONG_KEY) collect(longMap.get(long.roll(text, end)), end);
    }
    all.sort((a, b) => a.index - b.index || b.needle.text.length - a.needle.text.length);
    const chosen: Array<{ index: number; needle: Needle }> = [];
    let from = 0;
    for (const hit of all) {
      if (hit.index < from) continue;
      chosen.push(hit);
      from = hit.index + hit.needle.text.length;
    }
    return chosen;
  }

  /** `text` with each occurrence replaced by `replacement(needle)`. */
  replace(text: string, replacement: (needle: Needle) => string): string {
    const hits = this.find(text);
    if (hits.length === 0) return text;
    let out = '';
    let from = 0;
    for (const { index, needle } of hits) {
      out += text.slice(from, index) + replacement(needle);
      from = index + needle.text.length;
    }
    return out + text.slice(from);
  }
}
