/**
 * Malformed input to every endpoint of both origins: garbage parameters, wrong methods, huge
 * bodies, invalid JSON, bad credentials. No 5xx, no stack traces, no hang; afterwards a normal
 * flow still succeeds.
 */
import { test, expect } from '@playwright/test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { startEmulator, type Emulator } from '../../src/emulator/index.ts';
import { emulatorAgent, headlessAuthorize, redeemCode } from '../../src/emulator/testing.ts';

const REDIRECT = 'https://app.example.test/callback';
let emulator: Emulator;
let dataDir: string;

test.beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'so-emu-fuzz-'));
  emulator = await startEmulator({
    environment: 'qaonline',
    tenant: 'Cust45678',
    dataDir,
    app: {
      name: 'Fuzz',
      type: 'server-to-server',
      redirectUris: [REDIRECT],
      corsOrigins: ['https://app.example.test'],
    },
  });
});
test.afterAll(async () => {
  await emulator?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

/** Small deterministic PRNG (mulberry32) so failures reproduce. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('a few hundred malformed requests: no 5xx, no stack traces, still serving', async () => {
  test.setTimeout(120_000);
  const rand = rng(20260527);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const garbage = (n: number): string =>
    Array.from({ length: n }, () => String.fromCharCode(32 + Math.floor(rand() * 95))).join('');
  const S = emulator.superidUrl;
  const T = emulator.tenantOrigin;
  const ctx = emulator.tenant;
  const paths = [
    `${S}/login/.well-known/openid-configuration`,
    `${S}/login/.well-known/jwks`,
    `${S}/login/common/oauth/authorize`,
    `${S}/login/${ctx}/oauth/authorize`,
    `${S}/login/common/oauth/authorize/notauid`,
    `${S}/login/interaction/abc`,
    `${S}/login/interaction/abc/login`,
    `${S}/login/interaction/abc/consent`,
    `${S}/login/common/oauth/tokens`,
    `${S}/login/common/oauth/Revoke`,
    `${S}/login/logout`,
    `${S}/login/`,
    `${S}/Login/api/PartnerSystemUser/Authenticate`,
    `${S}/api/state/${ctx}`,
    `${S}/api/state/%ZZ`,
    `${S}/harness/jku/nope`,
    `${S}/${ctx}/api/v1/User/currentPrincipal`,
    `${S}/nothing/here`,
    `${T}/${ctx}/api/v1/User/currentPrincipal`,
    `${T}/${ctx}/api/v1/Contact`,
    `${T}/${ctx}/api/v1/Contact/abc`,
    `${T}/${ctx}/api/v1/Archive/FindContact`,
    `${T}/${ctx}/api/v1/Agents/Diagnostics/SendSystemMessage`,
    `${T}/${ctx}/api/v1/List/x/Items`,
    `${T}/${ctx}/api`,
    `${T}/%E0%A4%A/api/v1/x`,
    `${T}/`,
  ];
  const methods = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'] as const;
  const auths = [
    '',
    'Bearer',
    'Bearer ',
    `Bearer 8A:${ctx}.${garbage(20)}`,
    'Basic !!!',
    'Basic dXNlcjpwYXNz',
    'SOTicket',
    'SOTicket 7T:xyz',
    garbage(30),
    'Bearer ' + 'x'.repeat(5000),
  ];
  const queries = () =>
    pick([
      '',
      `?${garbage(10)}`,
      '?client_id=&redirect_uri=&response_type=',
      `?client_id=${emulator.client.id}&redirect_uri=${encodeURIComponent(REDIRECT)}&response_type=${pick(['code', 'token', 'bogus', 'code id_token', ''])}&scope=${pick(['openid', '', 'x'])}&code_challenge=${pick(['', 'short', 'a'.repeat(43)])}&code_challenge_method=${pick(['plain', 'S256', 'S512', ''])}`,
      '?%zz=%zz&a=%',
      `?$filter=${encodeURIComponent(pick(["name eq 'x", 'bad bad bad', "startswith(name,'a')", ''.padEnd(3000, 'a')]))}&$top=${pick(['1', '-1', 'x', '99999999'])}`,
      '?grant_type=authorization_code&code=nope&client_secret=x',
    ]);
  const bodies = () =>
    pick([
      { ct: 'application/json', body: '{bad json' },
      { ct: 'application/json', body: '[]' },
      {
        ct: 'application/json',
        body: JSON.stringify({
          SignedSystemToken: garbage(40),
          ApplicationToken: 1,
          ContextIdentifier: null,
        }),
      },
      {
        ct: 'application/x-www-form-urlencoded',
        body: `grant_type=${pick(['authorization_code', 'refresh_token', 'password', 'client_credentials', ''])}&code=${garbage(5)}&refresh_token=${garbage(5)}&redirect_uri=x`,
      },
      { ct: 'application/x-www-form-urlencoded', body: '%%%&&&===' },
      { ct: 'text/plain', body: garbage(200) },
      {
        ct: 'application/octet-stream',
        body: Buffer.from(Array.from({ length: 300 }, () => Math.floor(rand() * 256))),
      },
    ]);
  const big = Buffer.alloc(1024 * 1024 + 4096, 0x61);

  const cases: {
    url: string;
    method: (typeof methods)[number];
    headers: Record<string, string>;
    body?: string | Buffer;
  }[] = [];
  for (let i = 0; i < 320; i++) {
    const method = pick(methods);
    const headers: Record<string, string> = {};
    const auth = pick(auths);
    if (auth) headers['authorization'] = auth;
    if (rand() < 0.2) headers['origin'] = pick(['https://app.example.test', 'https://evil.example', 'null']);
    if (rand() < 0.2)
      headers['cookie'] = pick([
        'so_preflight_flow=nope',
        'so_superid_session=garbage; so_superid_interaction=abc',
        garbage(50).replace(/[;\r\n]/g, ''),
      ]);
    let body: string | Buffer | undefined;
    if (method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS') {
      if (i % 40 === 7) {
        body = big;
        headers['content-type'] = 'application/json';
      } else if (rand() < 0.8) {
        const b = bodies();
        body = b.body;
        headers['content-type'] = b.ct;
      }
    }
    cases.push({ url: pick(paths) + queries(), method, headers, ...(body !== undefined ? { body } : {}) });
  }

  const failures: string[] = [];
  const statuses = new Map<number, number>();
  const dispatcher = emulatorAgent(emulator);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < cases.length) {
      const c = cases[next++]!;
      try {
        const res = await request(c.url, {
          method: c.method,
          headers: c.headers,
          dispatcher,
          headersTimeout: 10_000,
          bodyTimeout: 10_000,
          ...(c.body !== undefined ? { body: c.body } : {}),
        });
        const text = await res.body.text();
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        if (res.statusCode >= 500)
          failures.push(`${c.method} ${c.url.slice(0, 120)} -> ${res.statusCode} ${text.slice(0, 200)}`);
        if (/\n\s+at .+:\d+:\d+/.test(text) || /Error: .*\n\s+at /.test(text))
          failures.push(`stack trace: ${c.method} ${c.url.slice(0, 120)}`);
        if (c.body === big && res.statusCode !== 413)
          failures.push(`huge body not 413: ${c.method} ${c.url.slice(0, 120)} -> ${res.statusCode}`);
      } catch (e) {
        // A refused huge upload may reset the socket; everything else is a failure.
        if (c.body !== big) failures.push(`${c.method} ${c.url.slice(0, 120)} threw ${(e as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: 6 }, worker));
  expect(failures).toEqual([]);
  expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(280);
  test
    .info()
    .annotations.push({ type: 'statuses', description: JSON.stringify(Object.fromEntries(statuses)) });

  // Every request was recorded, and the emulator still works.
  expect(emulator.recorder.all().length).toBeGreaterThan(280);
  const flow = emulator.createFlow();
  const auth = await headlessAuthorize(emulator, { flow, authorize: { redirect_uri: REDIRECT, nonce: 'n' } });
  const tok = await redeemCode(emulator, { code: auth.params['code']!, redirectUri: REDIRECT });
  expect(tok.status).toBe(200);
  const me = await request(`${emulator.webapiUrl}v1/User/currentPrincipal`, {
    headers: { authorization: `Bearer ${tok.json['access_token'] as string}` },
    dispatcher,
  });
  expect(me.statusCode).toBe(200);
  await me.body.text();
});
