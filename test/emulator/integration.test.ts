/**
 * A real OIDC client (openid-client 6) against the emulator through Chromium: code flow + PKCE
 * S256, signature-checked id_token, currentPrincipal, refresh, and the system-user exchange with a
 * real RSA signature; plus NODE_EXTRA_CA_CERTS trust in a child Node process.
 */
import { test, expect } from '@playwright/test';
import { execFile } from 'node:child_process';
import { createSign, createPrivateKey } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as client from 'openid-client';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { Agent, fetch as undiciFetch } from 'undici';
import { startEmulator, type Emulator } from '../../src/emulator/index.ts';

const SO = 'http://schemes.superoffice.net/identity/';

let emulator: Emulator;
let dataDir: string;
let callbackServer: http.Server;
let redirectUri: string;
let agent: Agent;
const callbacks: string[] = [];

test.use({ ignoreHTTPSErrors: true });

test.beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'so-emu-int-'));
  callbackServer = http.createServer((req, res) => {
    callbacks.push(`http://127.0.0.1:${(callbackServer.address() as AddressInfo).port}${req.url}`);
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!DOCTYPE html><title>callback</title><p>signed in</p>');
  });
  await new Promise<void>((r) => callbackServer.listen(0, '127.0.0.1', r));
  redirectUri = `http://127.0.0.1:${(callbackServer.address() as AddressInfo).port}/callback`;
  emulator = await startEmulator({
    environment: 'sod',
    tenant: 'Cust12345',
    dataDir,
    app: { name: 'Acme Sync', vendor: 'Acme AS', type: 'server-to-server', redirectUris: [redirectUri] },
  });
  agent = new Agent({ connect: { ca: emulator.caPem } });
});

test.afterAll(async () => {
  await emulator?.stop();
  await agent?.close();
  await new Promise<void>((r) => callbackServer.close(() => r()));
  await rm(dataDir, { recursive: true, force: true });
});

function trustedFetch(url: string, init?: Parameters<typeof undiciFetch>[1]): ReturnType<typeof undiciFetch> {
  return undiciFetch(url, { ...init, dispatcher: agent });
}

test('code flow + PKCE S256 in Chromium, signature-checked id_token, API, refresh, system user', async ({
  page,
  context,
}) => {
  // Discovery the way a SuperOffice app must do it: issuer != discovery base.
  const metadata = (await (
    await trustedFetch(`${emulator.superidUrl}/login/.well-known/openid-configuration`)
  ).json()) as client.ServerMetadata;
  expect(metadata.issuer).toBe(emulator.superidUrl);
  expect(metadata).not.toHaveProperty('userinfo_endpoint');
  const config = new client.Configuration(metadata, emulator.client.id, emulator.client.secret);
  config[client.customFetch] = (url, options) =>
    trustedFetch(url, options as Parameters<typeof undiciFetch>[1]) as unknown as Promise<Response>;
  client.enableNonRepudiationChecks(config);

  const flow = emulator.createFlow();
  await context.addCookies([flow.cookie]);
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const authUrl = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });

  await page.goto(authUrl.href);
  const loginPage = flow.exchanges().find((e) => e.endpoint === 'interaction' && e.method === 'GET');
  expect(loginPage?.from).toBe('browser');
  expect(loginPage?.responseHeaders['x-frame-options']).toBe('DENY');
  expect(loginPage?.responseHeaders['content-security-policy']).toContain("frame-ancestors 'none'");
  await page.getByLabel('Username').fill(flow.user.username);
  await page.getByLabel('Password').fill(flow.user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByText('Acme Sync').first()).toBeVisible();
  await expect(page.getByText('Acme AS').first()).toBeVisible();
  await page.getByRole('button', { name: 'I approve' }).click();
  await page.waitForURL(/\/callback\?/);
  const callback = callbacks.filter((u) => new URL(u).pathname === '/callback').at(-1)!;
  expect(new URL(callback).searchParams.get('state')).toBe(state);

  const tokens = await client.authorizationCodeGrant(config, new URL(callback), {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
  expect(tokens.access_token).toMatch(/^8A:Cust12345\./);
  const claims = tokens.claims()!;
  expect(claims.sub).toBe(emulator.users.admin.username);
  expect(claims[`${SO}ctx`]).toBe('Cust12345');
  expect(claims[`${SO}is_administrator`]).toBe('True');
  expect(claims[`${SO}webapi_url`]).toBe(emulator.webapiUrl);
  expect(typeof claims[`${SO}system_token`]).toBe('string');
  expect((claims.exp as number) - (claims.iat as number)).toBe(300);
  expect(claims.nbf).toBe((claims.iat as number) - 60);
  const [headerB64] = tokens.id_token!.split('.');
  const header = JSON.parse(Buffer.from(headerB64!, 'base64url').toString()) as Record<string, string>;
  expect(header).toMatchObject({ alg: 'RS256', typ: 'JWT' });
  expect(header['kid']).toMatch(/^[0-9A-F]{40}$/);
  expect(Buffer.from(header['x5t']!, 'base64url').toString('hex').toUpperCase()).toBe(header['kid']);

  const principal = await trustedFetch(`${claims[`${SO}webapi_url`] as string}v1/User/currentPrincipal`, {
    headers: { authorization: `Bearer ${tokens.access_token}`, accept: 'application/json' },
  });
  expect(principal.status).toBe(200);
  const p = (await principal.json()) as Record<string, unknown>;
  expect(p['UserName']).toBe(emulator.users.admin.username);
  expect(p['AssociateId']).toBe(5);

  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
  expect(refreshed.access_token).not.toBe(tokens.access_token);
  expect(refreshed.claims()?.sub).toBe(emulator.users.admin.username);

  // Everything of this flow is tagged with it.
  const ex = flow.exchanges();
  const endpoints = ex.map((e) => e.endpoint);
  expect(endpoints).toEqual(expect.arrayContaining(['authorize', 'interaction', 'token', 'api']));
  expect(ex.filter((e) => e.endpoint === 'token')).toHaveLength(2);
  expect(ex.find((e) => e.endpoint === 'authorize')?.notes).toContain('pkce=S256');
  expect(ex.find((e) => e.endpoint === 'api')?.from).toBe('server');
  expect(flow.tokens().accessTokens).toEqual([tokens.access_token, refreshed.access_token]);

  // System user: sign "{system_token}.{yyyyMMddHHmm}" with the app's private key (PKCS#1 v1.5, SHA-256).
  const keyFile = emulator.privateKeyFile!;
  expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
  const systemToken = claims[`${SO}system_token`] as string;
  const now = new Date();
  const ts = now.toISOString().replace(/[-:T]/g, '').slice(0, 12);
  const data = `${systemToken}.${ts}`;
  const signature = createSign('SHA256')
    .update(data)
    .sign(createPrivateKey(await readFile(keyFile, 'utf8')), 'base64');
  const su = await trustedFetch(`${emulator.superidUrl}/Login/api/PartnerSystemUser/Authenticate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({
      SignedSystemToken: `${data}.${signature}`,
      ApplicationToken: emulator.client.secret,
      ContextIdentifier: 'Cust12345',
      ReturnTokenType: 'JWT',
    }),
  });
  const suBody = (await su.json()) as { IsSuccessful: boolean; Token: string; ErrorMessage: string };
  expect(suBody.ErrorMessage).toBe('');
  expect(suBody.IsSuccessful).toBe(true);
  const jwks = (await (await trustedFetch(metadata.jwks_uri!)).json()) as Parameters<
    typeof createLocalJWKSet
  >[0];
  const serial = claims[`${SO}serial`] as string;
  const { payload } = await jwtVerify(suBody.Token, createLocalJWKSet(jwks), {
    issuer: 'SuperOffice AS',
    audience: `spn:${serial}`,
    algorithms: ['RS256'],
  });
  const ticket = payload[`${SO}ticket`] as string;
  expect(ticket).toMatch(/^7T:/);
  const sysPrincipal = await trustedFetch(`${emulator.webapiUrl}v1/User/currentPrincipal`, {
    headers: {
      authorization: `SOTicket ${ticket}`,
      'so-apptoken': emulator.client.secret!,
      accept: 'application/json',
    },
  });
  expect(sysPrincipal.status).toBe(200);

  // Secrets known to the redactor.
  const secrets = emulator.secrets();
  for (const s of [
    emulator.client.secret!,
    tokens.access_token,
    tokens.refresh_token!,
    tokens.id_token!,
    ticket,
    suBody.Token,
    systemToken,
    emulator.users.admin.password,
  ]) {
    expect(secrets).toContain(s);
  }
});

test('a Node process trusts the emulator with NODE_EXTRA_CA_CERTS=caFile', async () => {
  const script = `fetch(process.argv[1]).then(async (r) => { console.log(r.status + ' ' + (await r.json()).issuer) }, (e) => { console.log('ERR', e.cause?.code ?? e.message); process.exit(1) })`;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['-e', script, `${emulator.superidUrl}/login/.well-known/openid-configuration`],
    {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: emulator.caFile, NODE_TLS_REJECT_UNAUTHORIZED: '1' },
    },
  );
  expect(stdout.trim()).toBe(`200 ${emulator.superidUrl}`);
  const tenant = await promisify(execFile)(
    process.execPath,
    [
      '-e',
      `fetch(process.argv[1]).then((r) => console.log(String(r.status)), (e) => { console.log('ERR', e.cause?.code); process.exit(1) })`,
      `${emulator.webapiUrl}v1/User/currentPrincipal`,
    ],
    {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: emulator.caFile },
    },
  );
  expect(tenant.stdout.trim()).toBe('401');
});
