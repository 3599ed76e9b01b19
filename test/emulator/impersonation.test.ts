/**
 * Impersonation of SuperOffice's host names: the emulator answers as `https://sod.superoffice.com`
 * (SuperID) and `https://sod2.superoffice.com` (the tenant) through its proxy, to an unchanged
 * Node client that only has HTTPS_PROXY, NODE_USE_ENV_PROXY and the CA; requests to any other
 * host are recorded as outbound traffic, bound to the flow whose token they carry.
 */
import { test, expect } from '@playwright/test';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { startEmulator, type Emulator } from '../../src/emulator/index.ts';
import { headlessAuthorize, redeemCode } from '../../src/emulator/testing.ts';
import { authorityOf } from '../../src/emulator/proxy.ts';
import { proxyEnv } from '../../src/target/env.ts';
import { missedSuperOffice, nodeHonoursEnvProxy, runtimeHint } from '../../src/target/proxy-hint.ts';

let emulator: Emulator;
let dataDir: string;

test.beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'so-emu-impersonate-'));
  emulator = await startEmulator({
    environment: 'sod',
    tenant: 'Cust12345',
    dataDir,
    impersonate: true,
    app: { name: 'Acme Web', type: 'web', redirectUris: ['http://127.0.0.1:5058/callback'] },
  });
});

test.afterAll(async () => {
  await emulator?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

/** Runs `code` in a child Node with the environment an app gets under impersonation. */
function runClient(code: string, extraEnv: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
      env: {
        ...process.env,
        ...proxyEnv(emulator.proxy!.appUrl, process.env),
        NODE_EXTRA_CA_CERTS: emulator.caFile,
        ...extraEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('exit', () => {
      clearTimeout(timer);
      resolve(out.trim());
    });
  });
}

test('the emulator answers as sod.superoffice.com and sod2.superoffice.com', async () => {
  expect(emulator.superidUrl).toBe('https://sod.superoffice.com');
  expect(emulator.tenantOrigin).toBe('https://sod2.superoffice.com');
  expect(emulator.webapiUrl).toBe('https://sod2.superoffice.com/Cust12345/api/');
  expect(emulator.controlUrl).toMatch(/^https:\/\/127\.0\.0\.\d:\d+$/);
  const before = emulator.proxy!.tunnels('app');
  const out = await runClient(`
    const d = await (await fetch('https://sod.superoffice.com/login/.well-known/openid-configuration')).json();
    const api = await fetch('https://sod2.superoffice.com/Cust12345/api/v1/Contact');
    const wrong = await fetch('https://sod.superoffice.com/Cust12345/api/v1/Contact');
    console.log(JSON.stringify({ issuer: d.issuer, token: d.token_endpoint, api: api.status, wrong: wrong.status }));
  `);
  const seen = JSON.parse(out.split('\n').pop()!) as Record<string, unknown>;
  expect(seen).toEqual({
    issuer: 'https://sod.superoffice.com',
    token: expect.stringMatching(/^https:\/\/sod\.superoffice\.com\/login\//),
    api: 401,
    wrong: 421,
  });
  expect(emulator.proxy!.tunnels('app')).toBeGreaterThan(before);
  const paths = emulator.recorder.all().map((e) => `${e.origin} ${e.endpoint} ${e.path}`);
  expect(paths).toContain('tenant api /Cust12345/api/v1/Contact');
  expect(paths).toContain('superid api-wrong-host /Cust12345/api/v1/Contact');
});

test('requests to other hosts are recorded as outbound traffic, bound to the flow whose token they carry', async () => {
  // Sign in through the proxy as an app would, for an access token the emulator issued to a flow.
  const flow = emulator.createFlow();
  const redirectUri = 'http://127.0.0.1:5058/callback';
  const verifier = 'v'.repeat(43);
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const auth = await headlessAuthorize(emulator, {
    flow,
    authorize: {
      redirect_uri: redirectUri,
      state: 'st',
      nonce: 'nn',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    },
  });
  expect(auth.params['code'], JSON.stringify(auth.steps)).toBeTruthy();
  const tokens = await redeemCode(emulator, {
    code: auth.params['code']!,
    redirectUri,
    codeVerifier: verifier,
  });
  const token = String(tokens.json['access_token']);
  expect(token.length).toBeGreaterThan(10);
  const out = await runClient(`
    const r = await fetch('https://telemetry.acme-analytics.example/collect?u=1', {
      method: 'POST', headers: { authorization: 'Bearer ${token}', 'content-type': 'application/json' },
      body: JSON.stringify({ event: 'view' }),
    }).catch((e) => ({ status: 'failed ' + (e.cause?.code ?? e.message) }));
    console.log(String(r.status));
  `);
  // The real host cannot be reached here: the proxy answers 502 and still records the request.
  expect(out.split('\n').pop()).toBe('502');
  const outbound = emulator.recorder.all().filter((e) => e.origin === 'outbound');
  expect(outbound).toHaveLength(1);
  expect(outbound[0]).toMatchObject({
    endpoint: 'outbound',
    method: 'POST',
    url: 'https://telemetry.acme-analytics.example/collect?u=1',
    status: 502,
    from: 'server',
    flowId: flow.id,
  });
  expect(outbound[0]!.requestHeaders['authorization']).toBe(`Bearer ${token}`);
  expect(outbound[0]!.requestBody).toBe('{"event":"view"}');
  expect(outbound[0]!.notes[0]).toMatch(/^outbound to telemetry\.acme-analytics\.example \(not reached: /);
  expect(emulator.proxy!.otherHosts('app')).toContain('telemetry.acme-analytics.example');
});

test('an app without the proxy variables never reaches the emulator, and the tunnels say so', async () => {
  const before = emulator.proxy!.tunnels('app');
  const out = await runClient(
    `await fetch('https://sod.superoffice.com/login/.well-known/openid-configuration').then(
      (r) => console.log('reached', r.status), (e) => console.log('failed', e.cause?.code ?? e.message));`,
    { HTTPS_PROXY: '', https_proxy: '', HTTP_PROXY: '', http_proxy: '' },
  );
  expect(out).toMatch(/^failed /);
  expect(emulator.proxy!.tunnels('app')).toBe(before);
});

test('proxy helpers: authorities, Node versions that honour the proxy, runtime hints', () => {
  expect(authorityOf('sod.superoffice.com:443', 443)).toEqual({ host: 'sod.superoffice.com', port: 443 });
  expect(authorityOf('Example.TEST', 80)).toEqual({ host: 'example.test', port: 80 });
  expect(authorityOf('[::1]:8443', 443)).toEqual({ host: '::1', port: 8443 });
  expect(authorityOf('host:99999', 443)).toBeUndefined();
  expect(nodeHonoursEnvProxy('v20.20.2')).toBe(false);
  expect(nodeHonoursEnvProxy('v22.20.0')).toBe(false);
  expect(nodeHonoursEnvProxy('v22.21.0')).toBe(true);
  expect(nodeHonoursEnvProxy('v24.4.1')).toBe(false);
  expect(nodeHonoursEnvProxy('v24.5.0')).toBe(true);
  expect(nodeHonoursEnvProxy('v25.0.0')).toBe(true);
  expect(runtimeHint('/usr/bin/python3 app.py', process.env, '.')).toMatch(/^Python requests/);
  expect(runtimeHint('dotnet run', process.env, '.')).toMatch(/^\.NET HttpClient/);
  expect(runtimeHint('php -S 127.0.0.1:8000', process.env, '.')).toMatch(/https_proxy/);
  // Node from the harness's PATH here is new enough: the hint is about the client, not the version.
  expect(runtimeHint('node server.mjs', process.env, '.')).toMatch(/^Node honours HTTPS_PROXY only/);
});

test('a start failure is blamed on the proxy only when it reads like SuperOffice was not reached', () => {
  expect(missedSuperOffice('getaddrinfo ENOTFOUND sod.superoffice.com')).toBe(true);
  expect(missedSuperOffice('TypeError: fetch failed')).toBe(true);
  expect(
    missedSuperOffice(
      "the app's sign-in answered HTTP 500 without contacting this run's SuperID https://sod.superoffice.com",
    ),
  ).toBe(true);
  expect(missedSuperOffice('SyntaxError: Unexpected token in server.ts')).toBe(false);
  expect(missedSuperOffice('Error: listen EADDRINUSE 127.0.0.1:5058')).toBe(false);
});
