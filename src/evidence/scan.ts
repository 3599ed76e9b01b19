/**
 * Secret-leak scanning: where do the harness's seeded secrets appear in a browser-observable
 * artifact (page HTML, JS bundle, storage dump, request URL)? Uses exactly the encodings the
 * redactor removes (see `encodings.ts`).
 *
 * @example
 * ```ts
 * scanForSecrets(html, [{ value: clientSecret, kind: 'client-secret' }]);
 * // [{ secretKind: 'client-secret', encoding: 'url', index: 812 }]
 * ```
 */
import { needlesFor, type SecretInput } from './encodings.ts';

export interface SecretHit {
  secretKind?: string;
  /** `raw`, `url`, `form`, `json`, `html`, `base64`, `base64url` or `pem-line`. */
  encoding: string;
  /** Offset of the occurrence in the scanned text. */
  index: number;
  /** Length of the occurrence. */
  length: number;
}

/** Every occurrence of every secret, in every known encoding, ordered by position. */
export function scanForSecrets(text: string, secrets: readonly SecretInput[]): SecretHit[] {
  const hits: SecretHit[] = [];
  if (typeof text !== 'string' || text.length === 0) return hits;
  // Needles are longest first, so an occurrence inside a longer one already found is skipped.
  const covered: Array<[number, number]> = [];
  for (const needle of needlesFor(secrets)) {
    let from = 0;
    for (;;) {
      const index = text.indexOf(needle.text, from);
      if (index < 0) break;
      from = index + 1;
      const end = index + needle.text.length;
      if (covered.some(([s, e]) => index >= s && end <= e)) continue;
      covered.push([index, end]);
      hits.push({
        ...(needle.secretKind ? { secretKind: needle.secretKind } : {}),
        encoding: needle.encoding,
        index,
        length: needle.text.length,
      });
    }
  }
  return hits.sort((a, b) => a.index - b.index);
}
