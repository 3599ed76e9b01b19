import { expect, test } from '@playwright/test';
import { createRedactor } from '../../src/evidence/redact.ts';
import { scanForSecrets } from '../../src/evidence/scan.ts';
import { NeedleIndex, needlesFor } from '../../src/evidence/encodings.ts';
import {
  CLIENT_SECRET,
  PRIVATE_KEY_PEM,
  REFRESH_TOKEN,
  containsBase64Of,
  encodings,
  pemLines,
} from './secrets.ts';

const secrets = [
  { value: CLIENT_SECRET, kind: 'client-secret' },
  { value: REFRESH_TOKEN, kind: 'refresh-token' },
  { value: PRIVATE_KEY_PEM, kind: 'private-key' },
];

test.describe('redactor', () => {
  for (const [name, encoded] of Object.entries(encodings(CLIENT_SECRET))) {
    test(`removes the client secret encoded as ${name}`, () => {
      const r = createRedactor(secrets);
      const text = `before ${encoded} after`;
      const out = r.redact(text);
      expect(out).not.toContain(encoded);
      expect(out).toContain('before ');
      expect(out).toContain(' after');
      expect(containsBase64Of(out, CLIENT_SECRET)).toBe(false);
      expect(out).toMatch(/\[REDACTED:client-secret\]/);
    });
  }

  test('PEM private keys: the block, each body line, and the JSON-escaped block', () => {
    const r = createRedactor(secrets);
    expect(r.redact(`key: ${PRIVATE_KEY_PEM}`)).not.toContain('PRIVATE KEY');
    const lines = pemLines(PRIVATE_KEY_PEM);
    for (const line of lines) expect(r.redact(`x ${line} y`)).not.toContain(line);
    const escaped = r.redact(JSON.stringify({ key: PRIVATE_KEY_PEM }));
    for (const line of lines) expect(escaped).not.toContain(line);
    // A different key (unknown to the redactor) is still caught by the generic pattern.
    const other =
      '-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n-----END RSA PRIVATE KEY-----';
    expect(createRedactor([]).redact(other)).toBe('[REDACTED:private-key]');
  });

  test('generic patterns: Bearer, SOTicket, SO-AppToken, client_secret=, refresh_token=, JWTs, tickets', () => {
    const r = createRedactor([]);
    const jwt = 'eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJ1c2VyIn0.dGhpc2lzYXNpZ25hdHVyZQ';
    const cases: Array<[string, string]> = [
      ['Authorization: Bearer 8A:Cust1.abcdefghijkl', 'abcdefghijkl'],
      ['Authorization: SOTicket 7T:dGhpc2lzYXRpY2tldA==', 'dGhpc2lzYXRpY2tldA'],
      ['SO-AppToken: 1a2b3c4d5e6f7a8b9c0d', '1a2b3c4d5e6f7a8b9c0d'],
      ['{"SO-AppToken":"1a2b3c4d5e6f7a8b9c0d"}', '1a2b3c4d5e6f7a8b9c0d'],
      ['grant_type=refresh_token&refresh_token=abcDEF123456&client_secret=zyx987654321', 'abcDEF123456'],
      ['grant_type=refresh_token&refresh_token=abcDEF123456&client_secret=zyx987654321', 'zyx987654321'],
      ['{"access_token":"opaque-access-1234","token_type":"Bearer"}', 'opaque-access-1234'],
      [`id_token=${jwt}&state=1`, jwt],
      [`token ${jwt.split('.').slice(0, 2).join('.')}.`, 'eyJzdWIiOiJ1c2VyIn0'],
      ['ticket 7T:AbCdEfGhIjKl ok', 'AbCdEfGhIjKl'],
      ['ticket 7A:AbCdEfGhIjKl ok', 'AbCdEfGhIjKl'],
      ['url ?usec=8A%3AAbCdEfGhIjKl', 'AbCdEfGhIjKl'],
      ['<RSAKeyValue><D>c2VjcmV0ZXhwb25lbnQ=</D></RSAKeyValue>', 'c2VjcmV0ZXhwb25lbnQ'],
    ];
    for (const [text, secret] of cases) expect(r.redact(text), text).not.toContain(secret);
    expect(r.redact('grant_type=authorization_code&code=abc')).toBe('grant_type=authorization_code&code=abc');
  });

  test('short secrets are ignored; ordinary text is left alone; redaction is idempotent', () => {
    const r = createRedactor(['abc', 'tokens', '']);
    expect(r.redact('abc tokens')).toBe('abc [REDACTED:' + r.redact('tokens').slice(10));
    const r2 = createRedactor(['abc', '']);
    expect(r2.redact('the abc of tokens')).toBe('the abc of tokens');
    const r3 = createRedactor(secrets);
    const once = r3.redact(`Bearer x.y.z client_secret=${CLIENT_SECRET} SOTicket 7T:abcdefgh`);
    expect(r3.redact(once)).toBe(once);
  });

  test('redactDeep and redactExchange keep the shape, and decoded forged tokens stay readable', () => {
    const r = createRedactor(secrets);
    const exchange = {
      kind: 'exchange' as const,
      label: 'token request',
      method: 'POST',
      url: `https://sod.example/login/common/oauth/tokens?client_secret=${encodeURIComponent(CLIENT_SECRET)}`,
      requestHeaders: {
        Authorization: `Basic ${Buffer.from(`id:${CLIENT_SECRET}`).toString('base64')}`,
        Cookie: 'sid=abc123456; theme=dark',
        'Content-Type': 'application/x-www-form-urlencoded',
      },
      requestBody: `grant_type=refresh_token&refresh_token=${REFRESH_TOKEN}`,
      responseHeaders: { 'Set-Cookie': 'sid=abc123456; Path=/; HttpOnly; Secure' },
      responseBody: JSON.stringify({ access_token: 'opaque-access-1234', refresh_token: REFRESH_TOKEN }),
    };
    const out = r.redactExchange(exchange);
    expect(JSON.stringify(out)).not.toContain(REFRESH_TOKEN);
    expect(out.url).not.toContain(encodeURIComponent(CLIENT_SECRET));
    expect(out.requestHeaders?.['Authorization']).toBe('Basic [REDACTED:authorization]');
    expect(out.requestHeaders?.['Cookie']).toBe('sid=[REDACTED:cookie]; theme=[REDACTED:cookie]');
    expect(out.responseHeaders?.['Set-Cookie']).toBe('sid=[REDACTED:cookie]; Path=/; HttpOnly; Secure');
    expect(out.requestHeaders?.['Content-Type']).toBe('application/x-www-form-urlencoded');
    expect(JSON.parse(out.responseBody ?? '')).toEqual({
      access_token: '[REDACTED:access-token]',
      refresh_token: '[REDACTED:refresh-token]',
    });
    const token = r.redactEvidence({
      kind: 'token',
      label: 'forged',
      header: { alg: 'none' },
      payload: { sub: 'u1', nonce: 'n-123', note: CLIENT_SECRET },
      tampered: ['alg'],
    });
    expect(token).toEqual({
      kind: 'token',
      label: 'forged',
      header: { alg: 'none' },
      payload: { sub: 'u1', nonce: 'n-123', note: '[REDACTED:client-secret]' },
      tampered: ['alg'],
    });
    const deep = r.redactDeep({ a: [CLIENT_SECRET, 1, null, { b: `x${REFRESH_TOKEN}` }] });
    expect(deep).toEqual({ a: ['[REDACTED:client-secret]', 1, null, { b: 'x[REDACTED:refresh-token]' }] });
  });

  test('markers name the kind, or a hash prefix when no kind is given', () => {
    expect(createRedactor([CLIENT_SECRET]).redact(CLIENT_SECRET)).toMatch(/^\[REDACTED:[0-9a-f]{8}\]$/);
  });

  test('finds what one alternation of every needle, longest first, finds, among thousands of secrets', () => {
    // Secrets as a run has them: id_token-like values sharing one header, secrets that are parts
    // of other secrets, overlapping and repeated values, and short ones; texts hold them in many
    // encodings, back to back and overlapping.
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pick = (alphabet: string, n: number) =>
      Array.from({ length: n }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
    const b64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const header = 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiSldUIn0';
    const values: string[] = [];
    for (let i = 0; i < 1500; i++) {
      const kind = i % 5;
      if (kind === 0) values.push(`${header}.${pick(b64, 60)}.${pick(b64, 40)}`);
      else if (kind === 1) values.push(`8A:Cust12345.${pick(b64, 30)}`);
      else if (kind === 2) values.push(pick('abc/+ &"<:=', 6 + Math.floor(random() * 12)));
      else if (kind === 3 && values.length) values.push(values[values.length - 1]!.slice(2, -3));
      else values.push(pick(b64, 6 + Math.floor(random() * 30)));
    }
    // Secrets that overlap where one ends and the next begins, by one character or more.
    values.push('overlap-aaaa1', '1bbbb-overlap', 'pair-cccc-22', '22-dddd-pair');
    const needles = needlesFor(values);
    const markers = new Map(needles.map((n) => [n.text, n.marker]));
    const alternation = new RegExp(
      needles.map((n) => n.text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'),
      'g',
    );
    const oracle = (text: string) => text.replace(alternation, (m) => markers.get(m) ?? '[REDACTED]');
    const index = new NeedleIndex();
    index.add(needles);
    for (let t = 0; t < 200; t++) {
      let text = '';
      for (let part = 0; part < 20; part++) {
        const r = random();
        if (r < 0.4) text += pick(`${b64} .&=:"`, Math.floor(random() * 40));
        else {
          const needle = needles[Math.floor(random() * needles.length)]!.text;
          // A whole needle, or a piece of one (which must not be redacted on its own).
          text += r < 0.8 ? needle : needle.slice(Math.floor(random() * needle.length));
        }
      }
      expect(index.replace(text, (n) => n.marker)).toBe(oracle(text));
    }
    for (const text of ['overlap-aaaa1bbbb-overlap', 'pair-cccc-22-dddd-pair', 'xpair-cccc-2pair-cccc-22'])
      expect(index.replace(text, (n) => n.marker)).toBe(oracle(text));
    const r = createRedactor(values.slice(0, 700));
    r.addSecrets(values.slice(700));
    const sample = values.filter((_, i) => i % 97 === 0).join(' | ');
    expect(r.redact(sample)).toBe(createRedactor(values).redact(sample));
  });

  test('a redactor redacts the secrets added after it was built, in every encoding', () => {
    const r = createRedactor([{ value: REFRESH_TOKEN, kind: 'refresh-token' }]);
    expect(r.redact(`s=${encodeURIComponent(CLIENT_SECRET)}`)).toContain(encodeURIComponent(CLIENT_SECRET));
    r.addSecrets([{ value: CLIENT_SECRET, kind: 'client-secret' }]);
    for (const encoded of Object.values(encodings(CLIENT_SECRET))) {
      const out = r.redact(`a ${encoded} b`);
      expect(out, encoded).not.toContain(encoded);
      expect(containsBase64Of(out, CLIENT_SECRET), encoded).toBe(false);
      expect(out, encoded).toMatch(/^a .*\[REDACTED:client-secret\].* b$/);
    }
    expect(r.redact(REFRESH_TOKEN)).toBe('[REDACTED:refresh-token]');
  });
});

test.describe('scanForSecrets', () => {
  test('finds every encoding, with kind, encoding and index', () => {
    const enc = encodings(CLIENT_SECRET);
    for (const [name, encoded] of Object.entries(enc)) {
      const text = `xx ${encoded} yy`;
      const hits = scanForSecrets(text, [{ value: CLIENT_SECRET, kind: 'client-secret' }]);
      expect(hits.length, name).toBeGreaterThan(0);
      expect(hits[0]?.secretKind).toBe('client-secret');
      expect(hits[0]?.index).toBeGreaterThanOrEqual(3);
    }
    const hits = scanForSecrets(`a=${encodeURIComponent(CLIENT_SECRET)}&b=${CLIENT_SECRET}`, [CLIENT_SECRET]);
    expect(hits.map((h) => h.encoding)).toEqual(['url', 'raw']);
    expect(hits[0]?.index).toBe(2);
    expect(hits[0]?.secretKind).toBeUndefined();
  });

  test('PEM lines and nothing for clean text or short secrets', () => {
    const line = pemLines(PRIVATE_KEY_PEM)[3] ?? '';
    expect(scanForSecrets(`leak ${line}`, [{ value: PRIVATE_KEY_PEM, kind: 'private-key' }])).toEqual([
      { secretKind: 'private-key', encoding: 'pem-line', index: 5, length: line.length },
    ]);
    expect(scanForSecrets('nothing to see', [CLIENT_SECRET, REFRESH_TOKEN])).toEqual([]);
    expect(scanForSecrets('abc abc', ['abc'])).toEqual([]);
  });
});
