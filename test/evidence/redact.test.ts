import { expect, test } from '@playwright/test';
import { createRedactor } from '../../src/evidence/redact.ts';
import { scanForSecrets } from '../../src/evidence/scan.ts';
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
