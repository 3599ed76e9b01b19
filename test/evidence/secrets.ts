/** Seeded secrets and independent helpers to look for them, for the redaction tests. */
import { generateKeyPairSync } from 'node:crypto';

export const CLIENT_SECRET = 'cs_9f8e+7d/6c:5b a&4"Z';
export const REFRESH_TOKEN = 'rt-8c1e0f0a9b7d4c3e';
export const PRIVATE_KEY_PEM = generateKeyPairSync('rsa', { modulusLength: 1024 })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();

/** The secret in the encodings the brief lists, computed here without the code under test. */
export function encodings(secret: string): Record<string, string> {
  const b64 = Buffer.from(secret).toString('base64');
  return {
    raw: secret,
    url: encodeURIComponent(secret),
    urlLower: encodeURIComponent(secret).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
    form: encodeURIComponent(secret).replace(/%20/g, '+'),
    searchParams: new URLSearchParams({ x: secret }).toString().slice(2),
    json: JSON.stringify(secret).slice(1, -1),
    jsonInJson: JSON.stringify(JSON.stringify(secret)).slice(1, -1),
    html: secret.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;'),
    htmlNumericColon: secret
      .replace(/&/g, '&amp;')
      .replace(/"/g, '&quot;')
      .replace(/:/g, '&#58;')
      .replace(/\+/g, '&#43;')
      .replace(/\//g, '&#47;'),
    htmlHexColon: secret
      .replace(/&/g, '&amp;')
      .replace(/"/g, '&quot;')
      .replace(/:/g, '&#x3a;')
      .replace(/\+/g, '&#x2b;')
      .replace(/\//g, '&#x2f;'),
    htmlNamedColon: secret
      .replace(/&/g, '&amp;')
      .replace(/"/g, '&quot;')
      .replace(/:/g, '&colon;')
      .replace(/\+/g, '&plus;')
      .replace(/\//g, '&sol;'),
    base64: b64,
    base64url: Buffer.from(secret).toString('base64url'),
    basicAuth: Buffer.from(`my-client-id:${secret}`).toString('base64'),
    basicAuthShifted: Buffer.from(`id1:${secret}`).toString('base64'),
  };
}

/** Does any base64/base64url run in `text`, decoded at any alignment, contain `secret`? */
export function containsBase64Of(text: string, secret: string): boolean {
  const needle = Buffer.from(secret);
  for (const m of text.matchAll(/[A-Za-z0-9+/_-]{8,}/g)) {
    const run = m[0].replace(/-/g, '+').replace(/_/g, '/');
    for (let shift = 0; shift < 4; shift++) {
      const part = run.slice(shift);
      const usable = part.slice(0, part.length - (part.length % 4));
      if (Buffer.from(usable, 'base64').includes(needle)) return true;
    }
  }
  return false;
}

/** PEM body lines of 16+ characters. */
export function pemLines(pem: string): string[] {
  return pem.split('\n').filter((l) => l.length >= 16 && !l.startsWith('-----'));
}
