/**
 * SuperID and NetServer behaviour without a browser: pages and errors, token endpoint notes,
 * NetServer resources and OData, credentials, CORS, flow faults, global faults, state API,
 * PartnerSystemUser.
 */
import { test, expect } from '@playwright/test';
import { createHmac, createPrivateKey, createSign } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { request } from 'undici';
import {
  startEmulator,
  TENANT_STATES,
  type Emulator,
  type FlowOptions,
  type TenantState,
} from '../../src/emulator/index.ts';
import { emulatorAgent, headlessAuthorize, redeemCode } from '../../src/emulator/testing.ts';
import { withEmulator } from './own-emulator.ts';

const SO = 'http://schemes.superoffice.net/identity/';
const REDIRECT = 'https://app.example.test/callback';
const CORS_ORIGIN = 'https://app.example.test';

let emulator: Emulator;
let dataDir: string;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'so-emu-beh-'));
  emulator = await startEmulator({
    environment: 'sod',
    tenant: 'Cust34567',
    dataDir,
    app: {
      name: 'Behaviour <App>',
      vendor: 'QA & Co',
      type: 'server-to-server',
      redirectUris: [REDIRECT, '^https://tenant-[a-z]+\\.example\\.test/cb$'],
      postLogoutRedirectUris: ['https://app.example.test/bye'],
      corsOrigins: [CORS_ORIGIN],
    },
  });
});
test.beforeEach(() => emulator.reset({ keepConsent: true }));
test.afterAll(async () => {
  await emulator?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function http(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
) {
  const res = await request(url, {
    method: (init.method ?? 'GET') as 'GET',
    headers: init.headers ?? {},
    dispatcher: emulatorAgent(emulator),
    ...(init.body !== undefined ? { body: init.body } : {}),
  });
  const text = await res.body.text();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test assertions read arbitrary JSON
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers: res.headers, text, json };
}

async function signIn(options: FlowOptions = {}, authorize: Record<string, string> = {}) {
  const flow = emulator.createFlow(options);
  const auth = await headlessAuthorize(emulator, {
    flow,
    authorize: { redirect_uri: REDIRECT, nonce: 'n', state: 's', ...authorize },
  });
  const tok = await redeemCode(emulator, {
    code: auth.params['code']!,
    redirectUri: authorize['redirect_uri'] ?? REDIRECT,
  });
  expect(tok.status).toBe(200);
  return {
    flow,
    auth,
    tokens: tok.json as { access_token: string; refresh_token: string; id_token: string },
  };
}
/** The app's signed system token (`{token}.{yyyyMMddHHmm}.{RS256 signature}`) for PartnerSystemUser. */
function signSystemToken(systemToken: string, ts = new Date()): string {
  const key = createPrivateKey(readFileSync(emulator.privateKeyFile!, 'utf8'));
  const data = `${systemToken}.${ts.toISOString().replace(/[-:T]/g, '').slice(0, 12)}`;
  return `${data}.${createSign('SHA256').update(data).sign(key, 'base64')}`;
}

/** A system-user ticket for the tenant, through PartnerSystemUser with the id_token's system token. */
async function systemTicket(idToken: string): Promise<string> {
  const systemToken = decodeJwt(idToken)[`${SO}system_token`] as string;
  const r = await http(`${emulator.superidUrl}/Login/api/PartnerSystemUser/Authenticate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      SignedSystemToken: signSystemToken(systemToken),
      ApplicationToken: emulator.client.secret,
      ContextIdentifier: 'Cust34567',
      ReturnTokenType: 'JWT',
    }),
  });
  return decodeJwt(r.json.Token)[`${SO}ticket`] as string;
}

/** A JSON request body for {@link api} (POST unless `method` says otherwise). */
const json = (body: unknown, method = 'POST') => ({
  method,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

const api = (
  path: string,
  token: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
) =>
  http(`${emulator.webapiUrl}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(init.headers ?? {}) },
  });

test('SuperID pages: unknown redirect, pattern redirect, decline, normal user without consent, tenant choice, tenant path', async () => {
  const bad = await headlessAuthorize(emulator, { authorize: { redirect_uri: 'https://evil.example/cb' } });
  expect(bad.status).toBe(400);
  expect(bad.page).toContain('Authorization error: InvalidRedirectUrl (2)');
  expect(bad.location).toBeUndefined();

  const noOpenid = await headlessAuthorize(emulator, {
    authorize: { redirect_uri: REDIRECT, scope: 'profile', state: 'q' },
  });
  expect(noOpenid.params).toMatchObject({ error: 'invalid_scope', state: 'q' });

  // Normal user before any admin consent: "Account does not have access", no redirect.
  const userFirst = await headlessAuthorize(emulator, {
    flow: emulator.createFlow({ user: 'user' }),
    authorize: { redirect_uri: REDIRECT },
  });
  expect(userFirst.page).toContain('Account does not have access');
  expect(userFirst.location).toBeUndefined();

  const declined = await headlessAuthorize(emulator, {
    authorize: { redirect_uri: REDIRECT, state: 'st' },
    decision: 'cancel',
  });
  expect(declined.params).toMatchObject({ error: 'access_denied', state: 'st' });

  const pattern = await headlessAuthorize(emulator, {
    authorize: { redirect_uri: 'https://tenant-abc.example.test/cb' },
  });
  expect(pattern.steps).toEqual(['signin', 'consent']);
  expect(pattern.params['code']).toBeTruthy();

  // Consent remembered for the tenant: the normal user now gets through, and no consent page.
  const user = await headlessAuthorize(emulator, {
    flow: emulator.createFlow({ user: 'user' }),
    authorize: { redirect_uri: REDIRECT },
  });
  expect(user.steps).toEqual(['signin']);
  const userTokens = await redeemCode(emulator, { code: user.params['code']!, redirectUri: REDIRECT });
  const claims = decodeJwt(userTokens.json['id_token'] as string);
  expect(claims[`${SO}is_administrator`]).toBe('False');
  expect(claims[`${SO}system_token`]).toBeUndefined();

  const multi = await headlessAuthorize(emulator, {
    flow: emulator.createFlow({ user: 'multiTenant' }),
    authorize: { redirect_uri: REDIRECT },
    tenant: 'Cust34568',
  });
  expect(multi.steps).toEqual(['signin', 'tenant', 'consent']);
  const multiTok = await redeemCode(emulator, { code: multi.params['code']!, redirectUri: REDIRECT });
  expect(decodeJwt(multiTok.json['id_token'] as string)[`${SO}ctx`]).toBe('Cust34568');

  const direct = await headlessAuthorize(emulator, {
    flow: emulator.createFlow({ user: 'multiTenant' }),
    authorizePath: 'Cust34567',
    authorize: { redirect_uri: REDIRECT },
  });
  expect(direct.steps).toEqual(['signin']);

  // A browser with a SuperID session (single sign-on): no sign-in page, the flow's own user, and
  // the tenant choice still shown when the user has several; a fresh sign-in asked for still
  // gets the page.
  const ssoFlow = emulator.createFlow({ user: 'user', superIdSession: true });
  const ssoJar = new Map<string, string>();
  const sso = await headlessAuthorize(emulator, {
    flow: ssoFlow,
    jar: ssoJar,
    authorize: { redirect_uri: REDIRECT },
  });
  expect(sso.steps).toEqual([]);
  // From then on SuperID's own cookie is the session: kept, no page; dropped, signed out.
  const again = await headlessAuthorize(emulator, {
    flow: ssoFlow,
    jar: ssoJar,
    authorize: { redirect_uri: REDIRECT },
  });
  expect(again.steps).toEqual([]);
  expect(again.params['code']).toBeTruthy();
  const dropped = await headlessAuthorize(emulator, { flow: ssoFlow, authorize: { redirect_uri: REDIRECT } });
  expect(dropped.steps).toEqual(['signin']);
  const ssoTokens = await redeemCode(emulator, { code: sso.params['code']!, redirectUri: REDIRECT });
  expect(decodeJwt(ssoTokens.json['id_token'] as string)[`${SO}is_administrator`]).toBe('False');
  expect(
    emulator.recorder.all().some((e) => e.notes.some((n) => /signed in by the SuperID session/.test(n))),
  ).toBe(true);
  const ssoMulti = await headlessAuthorize(emulator, {
    flow: emulator.createFlow({ user: 'multiTenant', superIdSession: true }),
    authorize: { redirect_uri: REDIRECT },
    tenant: 'Cust34568',
  });
  expect(ssoMulti.steps).toEqual(['tenant']);
  for (const fresh of [{ prompt: 'login' }, { max_age: '0' }] as Record<string, string>[]) {
    const asked = await headlessAuthorize(emulator, {
      flow: emulator.createFlow({ superIdSession: true }),
      authorize: { redirect_uri: REDIRECT, ...fresh },
    });
    expect(asked.steps, JSON.stringify(fresh)).toEqual(['signin']);
    expect(asked.params['code']).toBeTruthy();
  }
  // A hint is no reason to sign in again: the session answers.
  const hinted = await headlessAuthorize(emulator, {
    flow: emulator.createFlow({ superIdSession: true }),
    authorize: { redirect_uri: REDIRECT, login_hint: 'someone@example.test' },
  });
  expect(hinted.steps).toEqual([]);
  expect(hinted.params['code']).toBeTruthy();

  const legacy = await http(`${emulator.superidUrl}/login/?app_id=${emulator.client.id}`);
  expect(legacy.status).toBe(400);
  expect(legacy.text).toContain('deprecated');
  expect(emulator.recorder.all().at(-1)?.endpoint).toBe('legacy-login');

  const logoutOk = await http(
    `${emulator.superidUrl}/login/logout?scope=openid&redirect_uri=${encodeURIComponent('https://app.example.test/bye')}`,
  );
  expect(logoutOk.status).toBe(302);
  const logoutBad = await http(
    `${emulator.superidUrl}/login/logout?post_logout_redirect_uri=${encodeURIComponent('https://evil.example/')}`,
  );
  expect(logoutBad.status).toBe(400);
});

test('token endpoint: query-string secret, basic auth, plain PKCE, redirect_uri mismatch, code replay, refresh does not rotate, revoke', async () => {
  const flow = emulator.createFlow();
  const verifier = 'v'.repeat(50);
  const auth = await headlessAuthorize(emulator, {
    flow,
    authorize: { redirect_uri: REDIRECT, code_challenge: verifier },
  });
  expect(flow.exchanges().find((e) => e.endpoint === 'authorize')?.notes).toContain('pkce=plain');
  const q = new URLSearchParams({
    grant_type: 'authorization_code',
    code: auth.params['code']!,
    redirect_uri: REDIRECT,
    client_id: emulator.client.id,
    client_secret: emulator.client.secret!,
    code_verifier: verifier,
  });
  const ok = await http(`${emulator.superidUrl}/login/common/oauth/tokens?${q}`, { method: 'POST' });
  expect(ok.status).toBe(200);
  const ex = flow.exchanges().find((e) => e.endpoint === 'token')!;
  expect(ex.notes).toEqual(expect.arrayContaining(['client_secret in query string', 'pkce=plain']));
  const replay = await http(`${emulator.superidUrl}/login/common/oauth/tokens?${q}`, { method: 'POST' });
  expect(replay.status).toBe(400);
  expect(replay.json.error).toBe('invalid_grant');
  expect(
    flow
      .exchanges()
      .filter((e) => e.endpoint === 'token')
      .at(-1)?.notes,
  ).toContain('code replay');

  const wrong = await headlessAuthorize(emulator, { authorize: { redirect_uri: REDIRECT } });
  const mismatch = await redeemCode(emulator, {
    code: wrong.params['code']!,
    redirectUri: 'https://tenant-abc.example.test/cb',
  });
  expect(mismatch.json['error']).toBe('invalid_grant');
  expect(emulator.recorder.all().at(-1)?.notes).toContain('redirect_uri mismatch');

  const { tokens } = await signIn();
  const basic = Buffer.from(`${emulator.client.id}:${emulator.client.secret}`).toString('base64');
  const refreshed = await http(`${emulator.superidUrl}/login/common/oauth/tokens`, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
    }).toString(),
  });
  expect(refreshed.status).toBe(200);
  expect(refreshed.json.access_token).toMatch(/^8A:/);
  expect([undefined, tokens.refresh_token]).toContain(refreshed.json.refresh_token);

  const rv = await http(`${emulator.superidUrl}/login/common/oauth/Revoke`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      token: tokens.access_token,
      client_id: emulator.client.id,
      client_secret: emulator.client.secret!,
    }).toString(),
  });
  expect(rv.status).toBe(200);
  expect((await api('v1/User/currentPrincipal', tokens.access_token)).status).toBe(401);
});

test('NetServer: resources, OData, lists, agents, credentials, CORS, 421 on SuperID', async () => {
  const { tokens, flow } = await signIn();
  const t = tokens.access_token;
  expect((await api('v1/Contact/2', t)).json.Name).toBeTruthy();
  expect((await api('v1/Contact/999', t)).status).toBe(404);
  expect((await api('v1/Person/4', t)).json.Contact.ContactId).toBe(2);
  const search = await api(
    `v1/Contact?$select=name,category&$filter=${encodeURIComponent("name begins 'Berg' and category eq 'Prospect'")}&$top=5`,
    t,
  );
  expect(search.status).toBe(200);
  expect(search.json.value.length).toBeGreaterThan(0);
  expect(Object.keys(search.json.value[0])).toEqual(['PrimaryKey', 'EntityName', 'name', 'category']);
  const paged = await api('v1/Archive/FindContact?$top=3&$skip=3&$orderby=name desc', t);
  expect(paged.json.value).toHaveLength(3);
  expect(paged.json['odata.nextLink']).toBeTruthy();
  const users = await api(
    `v1/Archive/InternalUsers?$select=contactId,personId&$filter=${encodeURIComponent('associateDbId eq 5')}`,
    t,
  );
  expect(users.json.value).toEqual([{ PrimaryKey: '5', EntityName: 'associate', contactId: 1, personId: 1 }]);
  expect((await api(`v1/Contact?$filter=${encodeURIComponent('name ~~ 3')}`, t)).status).toBe(400);
  expect((await api('v1/Contact?$top=-1', t)).status).toBe(400);
  expect((await api('v1/List/Category/Items', t)).json.length).toBeGreaterThan(2);
  expect((await api('v1/MDOList/category?flat=True', t)).status).toBe(200);
  expect((await api('v1/Person/default', t)).json.PersonId).toBe(0);
  const msg = await api('v1/Agents/Diagnostics/SendSystemMessage', t, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ MarkdownMessage: 'hi' }),
  });
  expect(msg.status).toBe(400);
  expect(
    (await api('v1/Agent/List/CreateDefaultWebPanelEntity', t, { method: 'POST' })).json.WebPanelId,
  ).toBe(0);
  expect((await api('v1/Nope', t)).status).toBe(404);

  expect((await http(`${emulator.webapiUrl}v1/User/currentPrincipal`)).status).toBe(401);
  const basic = await http(`${emulator.webapiUrl}v1/User/currentPrincipal`, {
    headers: { authorization: 'Basic dTpw' },
  });
  expect(basic.status).toBe(401);
  expect(emulator.recorder.all().at(-1)?.credential).toBe('basic');
  expect((await api('v1/User/currentPrincipal', '8A:Cust34567.forged')).status).toBe(401);

  const pre = await http(`${emulator.webapiUrl}v1/User/currentPrincipal`, {
    method: 'OPTIONS',
    headers: {
      origin: CORS_ORIGIN,
      'access-control-request-method': 'GET',
      'access-control-request-headers': 'authorization',
    },
  });
  expect(pre.status).toBe(204);
  expect(pre.headers['access-control-allow-origin']).toBe(CORS_ORIGIN);
  expect(emulator.recorder.all().at(-1)?.endpoint).toBe('cors-preflight');
  const preBad = await http(`${emulator.webapiUrl}v1/User/currentPrincipal`, {
    method: 'OPTIONS',
    headers: { origin: 'https://evil.example' },
  });
  expect(preBad.headers['access-control-allow-origin']).toBeUndefined();

  const wrongHost = await http(`${emulator.superidUrl}/Cust34567/api/v1/User/currentPrincipal`, {
    headers: { authorization: `Bearer ${t}` },
  });
  expect(wrongHost.status).toBe(421);
  expect(wrongHost.text).toContain('Wrong subdomain used to access tenant');
  expect(emulator.recorder.all().at(-1)?.endpoint).toBe('api-wrong-host');
  expect(flow.exchanges().filter((e) => e.endpoint === 'api').length).toBeGreaterThan(10);

  const xss = await signIn({ xssPayloads: true });
  expect(decodeJwt(xss.tokens.id_token)[`${SO}company_name`]).toContain('<img src=x onerror=');
  expect((await api('v1/Contact/2', xss.tokens.access_token)).json.Name).toContain('onerror=');
});

test('flow faults: throttle, unavailable, server error, expiry after N calls, refresh revoked', async () => {
  const a = await signIn({
    api: { throttle: { calls: 2, retryAfterSeconds: 7 }, unavailable: { calls: 1 } },
  });
  expect((await api('v1/User/currentPrincipal', a.tokens.access_token)).status).toBe(503);
  const th = await api('v1/User/currentPrincipal', a.tokens.access_token);
  expect(th.status).toBe(429);
  expect(th.headers['retry-after']).toBe('7');
  expect((await api('v1/User/currentPrincipal', a.tokens.access_token)).status).toBe(429);
  expect((await api('v1/User/currentPrincipal', a.tokens.access_token)).status).toBe(200);

  const b = await signIn({
    api: { accessTokenExpiresAfterCalls: 1, refreshRevoked: true, serverError: false },
  });
  expect((await api('v1/User/currentPrincipal', b.tokens.access_token)).status).toBe(200);
  expect((await api('v1/User/currentPrincipal', b.tokens.access_token)).status).toBe(401);
  const r = await http(`${emulator.superidUrl}/login/common/oauth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: b.tokens.refresh_token,
      client_id: emulator.client.id,
      client_secret: emulator.client.secret!,
    }).toString(),
  });
  expect(r.json.error).toBe('invalid_grant');
  expect(b.flow.exchanges().at(-1)?.endpoint).toBe('token');

  const c = await signIn({ api: { serverError: true } });
  const e = await api('v1/Contact/1', c.tokens.access_token);
  expect(e.status).toBe(500);
  expect(e.text).not.toMatch(/at .*\.ts:\d+/);
});

test('global faults: tenant state, JWKS 503, tenant moved, consent revoked; state API', async () => {
  const { tokens } = await signIn();
  for (const state of Object.keys(TENANT_STATES) as TenantState[]) {
    emulator.setFaults({ tenantState: state });
    const s = await http(`${emulator.superidUrl}/api/state/Cust34567`);
    expect(s.json).toMatchObject({
      ContextIdentifier: 'Cust34567',
      State: state,
      IsRunning: state === 'Running' || state === 'OnlineMaintenance',
    });
    expect(Object.keys(s.json).sort()).toEqual([
      'Api',
      'ContextIdentifier',
      'Endpoint',
      'IsRunning',
      'State',
      'ValidUntil',
      'Version',
    ]);
    const call = await api('v1/User/currentPrincipal', tokens.access_token);
    expect(call.status).toBe(s.json.IsRunning ? 200 : 503);
  }
  emulator.reset({ keepConsent: true });
  expect((await http(`${emulator.superidUrl}/api/state/Cust99999`)).json.State).toBe('Unknown');

  emulator.setFaults({ jwksUnavailable: true });
  expect((await http(`${emulator.superidUrl}/login/.well-known/jwks`)).status).toBe(503);

  emulator.setFaults({ tenantMoved: true });
  const moved = await api('v1/User/currentPrincipal', tokens.access_token);
  expect(moved.status).toBe(421);
  const st = await http(`${emulator.superidUrl}/api/state/Cust34567`);
  expect(st.json.Endpoint).not.toContain(new URL(emulator.tenantOrigin).host);
  const newApi = await http(`${st.json.Endpoint}/api/v1/User/currentPrincipal`, {
    headers: { authorization: `Bearer ${tokens.access_token}` },
  });
  expect(newApi.status).toBe(200);
  const info = await http(st.json.Api);
  expect(info.json.v1).toBe(`${st.json.Endpoint}/api/v1/`);

  emulator.setFaults({ consentRevoked: true });
  expect((await api('v1/User/currentPrincipal', tokens.access_token)).status).toBe(401);
  const r = await http(`${emulator.superidUrl}/login/common/oauth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
      client_id: emulator.client.id,
      client_secret: emulator.client.secret!,
    }).toString(),
  });
  expect(r.json.error).toBe('invalid_grant');
});

test('a tenant made for one check: its administrator consents there, its claims name it, and its changes stay there', async () => {
  emulator.reset({ keepConsent: true });
  const run = await signIn();
  const own = emulator.createTenant();
  // Not consented yet: its administrator sees SuperID's consent page, and is signed in on it.
  const { flow, auth, tokens } = await signIn({ tenant: own.ctx });
  expect(flow.user.username).toBe(own.users.admin.username);
  expect(auth.steps.join(' ')).toMatch(/consent/i);
  const claims = decodeJwt(tokens.id_token);
  expect(claims[`${SO}ctx`]).toBe(own.ctx);
  expect(claims[`${SO}company_name`]).toBe(own.companyName);
  expect(claims[`${SO}webapi_url`]).toBe(`${emulator.tenantOrigin}/${own.ctx}/api/`);
  const ownApi = (token: string) =>
    http(`${emulator.tenantOrigin}/${own.ctx}/api/v1/User/currentPrincipal`, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
    });
  expect((await ownApi(tokens.access_token)).status).toBe(200);
  // The run's token is not valid there, nor the tenant's on the run's tenant.
  expect((await ownApi(run.tokens.access_token)).status).toBe(401);
  expect((await api('v1/User/currentPrincipal', tokens.access_token)).status).toBe(401);

  // Revoked there: its tokens stop working, the run's go on.
  emulator.setTenantFaults(own.ctx, { consentRevoked: true });
  expect((await ownApi(tokens.access_token)).status).toBe(401);
  expect((await api('v1/User/currentPrincipal', run.tokens.access_token)).status).toBe(200);
  const refresh = (t: string) =>
    http(`${emulator.superidUrl}/login/common/oauth/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: t,
        client_id: emulator.client.id,
        client_secret: emulator.client.secret!,
      }).toString(),
    });
  expect((await refresh(tokens.refresh_token)).json.error).toBe('invalid_grant');
  expect((await refresh(run.tokens.refresh_token)).status).toBe(200);
  // Moved and offline there alone.
  emulator.setTenantFaults(own.ctx, { tenantMoved: true, tenantState: 'OfflineMaintenance' });
  expect((await http(`${emulator.superidUrl}/api/state/${own.ctx}`)).json.State).toBe('OfflineMaintenance');
  expect((await http(`${emulator.superidUrl}/api/state/Cust34567`)).json.State).toBe('Running');
  expect((await api('v1/User/currentPrincipal', run.tokens.access_token)).status).toBe(200);
});

test('PartnerSystemUser: signature, timestamp, app token, faults, ReturnTokenType note, ticket expiry', async () => {
  const { tokens } = await signIn();
  const systemToken = decodeJwt(tokens.id_token)[`${SO}system_token`] as string;
  expect(systemToken.startsWith('Behaviour <App>-')).toBe(true);
  const signed = (ts: Date) => signSystemToken(systemToken, ts);
  const call = (body: Record<string, unknown>) =>
    http(`${emulator.superidUrl}/Login/api/PartnerSystemUser/Authenticate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const base = {
    SignedSystemToken: signed(new Date()),
    ApplicationToken: emulator.client.secret,
    ContextIdentifier: 'Cust34567',
    ReturnTokenType: 'JWT',
  };
  const ok = await call(base);
  expect(ok.json.IsSuccessful).toBe(true);
  const old = await call({ ...base, SignedSystemToken: signed(new Date(Date.now() - 3600_000)) });
  expect(old.json).toMatchObject({ IsSuccessful: false });
  expect(old.json.ErrorMessage).toContain('InvalidTimestamp');
  const tampered = base.SignedSystemToken.replace(
    /.{4}=*$/,
    (m) => (m.startsWith('A') ? 'B' : 'A') + m.slice(1),
  );
  expect((await call({ ...base, SignedSystemToken: tampered })).json.ErrorMessage).toContain(
    'InvalidSignature',
  );
  expect((await call({ ...base, ApplicationToken: 'nope' })).json.IsSuccessful).toBe(false);
  // The partner replaced the secret: the one the app holds is refused, until the fault ends.
  emulator.setFaults({ secretReplaced: true });
  const replaced = await call(base);
  expect(replaced.json).toMatchObject({ IsSuccessful: false });
  expect(replaced.json.ErrorMessage).toContain('Denied');
  emulator.setFaults({});
  expect((await call(base)).json.IsSuccessful).toBe(true);
  await call({ ...base, ReturnTokenType: 'Saml' });
  expect(emulator.recorder.all().at(-1)?.notes).toContain('ReturnTokenType=Saml');
  expect(
    (
      await http(`${emulator.superidUrl}/login/api/PartnerSystemUser/Authenticate`, {
        method: 'POST',
        body: '{bad',
      })
    ).status,
  ).toBe(400);

  emulator.setFaults({ systemUserJwt: 'alg-none' });
  const forged = await call(base);
  expect(forged.json.Token.endsWith('.')).toBe(true);
  emulator.setFaults({ systemUserJwt: 'wrong-audience' });
  expect(decodeJwt((await call(base)).json.Token).aud).toBe('spn:0000000000');

  emulator.setFaults({ ticketExpiresAfterCalls: 1 });
  const ticket = decodeJwt(ok.json.Token)[`${SO}ticket`] as string;
  const ticketCall = () =>
    http(`${emulator.webapiUrl}v1/User/currentPrincipal`, {
      headers: { authorization: `SOTicket ${ticket}`, 'so-apptoken': emulator.client.secret! },
    });
  expect((await ticketCall()).status).toBe(200);
  expect((await ticketCall()).status).toBe(401);
  emulator.setFaults({});
  expect(
    (
      await http(`${emulator.webapiUrl}v1/User/currentPrincipal`, {
        headers: { authorization: `SOTicket ${ticket}` },
      })
    ).status,
  ).toBe(401);

  emulator.setFaults({ consentRevoked: true });
  expect((await call(base)).json.ErrorMessage).toContain('Revoked');
});

test('state-change notification token is signed with the environment key; forgeries differ', async () => {
  const n = await emulator.stateChangeNotification({ changeType: 5 });
  expect(n).toMatchObject({ ChangeType: 5, ContextIdentifier: 'Cust34567' });
  expect(typeof n['PublicEndpoint']).toBe('string');
  expect(decodeJwt(n['Token'] as string).iss).toBe(emulator.superidUrl);
  const f = await emulator.stateChangeNotification({ changeType: 0, forge: 'expired' });
  expect(decodeJwt(f['Token'] as string).exp!).toBeLessThan(Date.now() / 1000);
});

test('native app: public client, PKCE recorded (not enforced), loopback redirect with any port', async () => {
  await withEmulator(
    {
      environment: 'sod',
      tenant: 'Cust56789',
      app: { name: 'Desk', type: 'native', redirectUris: ['http://127.0.0.1/cb'] },
    },
    async (native) => {
      expect(native.client.secret).toBeUndefined();
      const noPkce = await headlessAuthorize(native, {
        authorize: { redirect_uri: 'http://127.0.0.1:49152/cb', state: 'a' },
      });
      expect(noPkce.params['code']).toBeTruthy();
      expect(
        native.recorder
          .all()
          .some(
            (e) => e.endpoint === 'authorize' && e.notes.includes('pkce=none (native apps must use PKCE)'),
          ),
      ).toBe(true);
      const verifier = 'x'.repeat(64);
      const { createHash } = await import('node:crypto');
      const ok = await headlessAuthorize(native, {
        authorize: {
          redirect_uri: 'http://127.0.0.1:49153/cb',
          code_challenge: createHash('sha256').update(verifier).digest('base64url'),
          code_challenge_method: 'S256',
        },
      });
      const tok = await redeemCode(native, {
        code: ok.params['code']!,
        redirectUri: 'http://127.0.0.1:49153/cb',
        codeVerifier: verifier,
      });
      expect(tok.status).toBe(200);
      expect(tok.json['access_token']).toMatch(/^8A:Cust56789\./);
      const other = await headlessAuthorize(native, {
        authorize: { redirect_uri: 'http://127.0.0.1:49153/other' },
      });
      expect(other.page).toContain('InvalidRedirectUrl (2)');
    },
  );
});

test('NetServer writes: answered and recorded, not applied; the owner company and associates are noted', async () => {
  const { tokens } = await signIn();
  const t = tokens.access_token;
  const created = await api('v1/Contact', t, json({ Name: 'Fjordlys AS' }));
  expect(created.status).toBe(201);
  expect(created.json).toMatchObject({ Name: 'Fjordlys AS', ContactId: expect.any(Number) });
  expect((await api(`v1/Contact/${created.json.ContactId}`, t)).status).toBe(404); // not applied
  expect((await api('v1/Contact', t, { ...json([]) })).status).toBe(400);

  const patch = (path: string, body: unknown, method = 'PATCH') => api(path, t, { ...json(body), method });
  const notesOf = async (path: string) => {
    const e = emulator.recorder
      .all()
      .filter((x) => x.path.endsWith(path))
      .at(-1)!;
    return e.notes;
  };
  expect((await patch('v1/Contact/1', [{ op: 'replace', path: '/Name', value: 'RENAMED' }])).status).toBe(
    200,
  );
  expect(await notesOf('/v1/Contact/1')).toContain('owner company renamed');
  // The same name again, or another field, is not a rename.
  const owner = (await api('v1/Contact/1', t)).json.Name as string;
  await patch('v1/Contact/1', { Name: owner, Department: 'HQ' }, 'PUT');
  expect(await notesOf('/v1/Contact/1')).not.toContain('owner company renamed');
  await patch('v1/Contact/2', [{ op: 'replace', path: '/Name', value: 'X' }]);
  expect(await notesOf('/v1/Contact/2')).toEqual([]);
  // Person 1 is an associate's person: moving it or deleting it is noted.
  await patch('v1/Person/1', { Contact: { ContactId: 4 } }, 'PUT');
  expect(await notesOf('/v1/Person/1')).toContain('associate person moved to another company');
  expect((await api('v1/Person/1', t, { method: 'DELETE' })).status).toBe(204);
  expect(await notesOf('/v1/Person/1')).toContain('associate person deleted');
  expect((await patch('v1/Contact/999', { Name: 'x' })).status).toBe(404);
});

test("Sentry: hidden companies and denied reads for a user's token; the system user sees all", async () => {
  const names = (r: { json: { value?: Array<{ name?: string; Name?: string }> } }) =>
    (r.json.value ?? []).map((v) => v.name ?? v.Name);
  const hidden = await signIn({ api: { sentry: { hideContacts: [2] } } });
  const h = hidden.tokens.access_token;
  const list = await api('v1/Contact?$select=contactId,name&$orderby=contactId&$top=20', h);
  expect(list.status).toBe(200);
  expect(names(list)).not.toContain('Bergen Skipsfart AS');
  expect(names(list)).toContain('Stavanger Energi ASA');
  expect((await api('v1/Contact/2', h)).status).toBe(404);
  const persons = await api('v1/Person?$select=personId,contactId&$orderby=personId&$top=50', h);
  expect((persons.json.value as Array<{ contactId: number }>).some((p) => p.contactId === 2)).toBe(false);
  expect(emulator.recorder.all().at(-1)?.notes).toContain('sentry: restricted view');

  const denied = await signIn();
  await denied.flow.arm({ sentry: { deny: true } });
  const d = denied.tokens.access_token;
  for (const path of ['v1/Contact?$top=5', 'v1/Contact/2', 'v1/Person/4', 'v1/archive/FindContact']) {
    const r = await api(path, d);
    expect(r.status, path).toBe(403);
    expect(r.json.ErrorType).toBe('SoAccessDeniedException');
    expect(emulator.recorder.all().at(-1)?.notes).toContain('sentry: access denied');
  }
  // The principal and lists stay readable; writes are denied like reads.
  expect((await api('v1/User/currentPrincipal', d)).status).toBe(200);
  expect((await api('v1/List/category/Items', d)).status).toBe(200);
  const write = await api('v1/Contact', d, json({ Name: 'x' }));
  expect(write.status).toBe(403);

  // The system user is not restricted, whichever flow its system token came from.
  const ticket = await systemTicket(denied.tokens.id_token);
  const sys = await http(
    `${emulator.webapiUrl}v1/Contact?$select=contactId,name&$orderby=contactId&$top=20`,
    {
      headers: { authorization: `SOTicket ${ticket}`, 'so-apptoken': emulator.client.secret! },
    },
  );
  expect(sys.status).toBe(200);
  expect(names(sys)).toContain('Bergen Skipsfart AS');
});

test('consent API: PUT Person/{id}/Consent/{purpose} takes a listed source and a legal base', async () => {
  const t = (await signIn()).tokens.access_token;
  const sources = await api('v1/List/ConsentSource/Items', t);
  expect(sources.json.map((s: { Name: string }) => s.Name)).toContain('Other integration');
  const created = await api(
    'v1/Person',
    t,
    json({ Firstname: 'Kari', Lastname: 'Nordmann', Contact: { ContactId: 2 } }),
  );
  const id = created.json.PersonId as number;
  const consent = (path: string, method = 'PUT') => api(path, t, { method });
  expect((await consent(`v1/Person/${id}/Consent/STORE?source=API&legalBase=61F`)).status).toBe(204);
  expect((await consent('v1/Person/4/Consent/emarketing?source=user&legalBase=61a')).status).toBe(204);
  expect((await consent(`v1/Person/${id}/Consent/STORE?source=CRM&legalBase=61F`)).status).toBe(400);
  expect((await consent(`v1/Person/${id}/Consent/STORE?source=API`)).status).toBe(400);
  expect((await consent(`v1/Person/${id}/Consent/SPAM?source=API&legalBase=61F`)).status).toBe(400);
  expect((await consent('v1/Person/99999/Consent/STORE?source=API&legalBase=61F')).status).toBe(404);
  expect((await consent(`v1/Person/${id}/Consent/STORE`, 'GET')).status).toBe(405);
});

test("documents: a company's documents with who may see them, by id and created", async () => {
  const t = (await signIn()).tokens.access_token;
  const list = await api(
    'v1/Document?$select=documentId,name,visibleFor&$filter=contactId eq 2&$orderby=documentId&$top=20',
    t,
  );
  expect(list.status).toBe(200);
  const rows = list.json.value as Array<{ documentId: number; name: string; visibleFor: string }>;
  expect(rows.map((r) => r.name)).toEqual([
    'Product overview 2026',
    'Price agreement 2026',
    'Account plan 2026',
  ]);
  expect(rows[2]!.visibleFor).toBe('Sales');
  const privateDoc = await api(`v1/Document/${rows[1]!.documentId}`, t);
  expect(privateDoc.json.Contact.ContactId).toBe(2);
  expect(privateDoc.json.VisibleFor).toEqual([
    expect.objectContaining({ Visibility: 'Associate', VisibleId: Number(emulator.users.user.associateId) }),
  ]);
  expect((await api('v1/Document/99999', t)).status).toBe(404);
  const created = await api(
    'v1/Document',
    t,
    json({
      Header: privateDoc.json.Header,
      Contact: { ContactId: 3 },
      VisibleFor: privateDoc.json.VisibleFor,
    }),
  );
  expect(created.status).toBe(201);
  expect(created.json.DocumentId).toBeGreaterThan(99_999);
  const update = [{ op: 'replace', path: '/Header', value: 'x' }];
  expect((await api(`v1/Document/${rows[1]!.documentId}`, t, json(update, 'PATCH'))).status).toBe(200);
  // Sentry hides a company's documents with the company.
  const hidden = (await signIn({ api: { sentry: { hideContacts: [2] } } })).tokens.access_token;
  expect((await api('v1/Document?$select=documentId&$filter=contactId eq 2', hidden)).json.value).toEqual([]);
});

test('consents and the mail sink: who gave e-marketing consent, and a recorded, unsent message', async () => {
  const t = (await signIn()).tokens.access_token;
  const persons = (
    await api('v1/Person?$select=personId,email,title&$filter=contactId eq 3&$orderby=personId', t)
  ).json.value as Array<{ personId: number; title: string }>;
  const consents = async (id: number) =>
    (
      (await api(`v1/Person/${id}`, t)).json.Consents as Array<{
        ConsentPurposeKey: string;
        LegalBaseKey: string;
      }>
    )
      .filter((c) => c.ConsentPurposeKey === 'EMARKETING')
      .map((c) => c.LegalBaseKey);
  expect(await consents(persons.find((p) => p.title === 'CEO')!.personId)).toEqual(['61A']);
  // Company 3 (odd id): its buyer withdrew; company 2's buyer never gave it.
  expect(await consents(persons.find((p) => p.title === 'Buyer')!.personId)).toEqual(['WITHDRAWN']);
  const buyer2 = (await api('v1/Person?$select=personId,title&$filter=contactId eq 2', t)).json.value.find(
    (p: { title: string }) => p.title === 'Buyer',
  );
  expect(await consents(buyer2.personId)).toEqual([]);
  const before = emulator.recorder.lastSeq();
  const sent = await http(`${emulator.mailUrl}/v3/mail/send`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ to: ['kari@example.invalid'], subject: 'News' }),
  });
  expect(sent.status).toBe(202);
  const mail = emulator.recorder.since(before).filter((e) => e.endpoint === 'mail');
  expect(mail).toHaveLength(1);
  expect(mail[0]!.requestBody).toContain('kari@example.invalid');
  expect((await http(`${emulator.mailUrl}/x`)).status).toBe(405);
});

test('maintenance window: opened by the write after N, refuses writes (not reads) for its length', async () => {
  const { tokens } = await signIn({
    api: { maintenance: { afterWrites: 1, windowMs: 400, retryAfterSeconds: 2 } },
  });
  const t = tokens.access_token;
  const patch = (id: number) =>
    api(`v1/Contact/${id}`, t, json([{ op: 'replace', path: '/Department', value: 'x' }], 'PATCH'));
  expect((await patch(2)).status).toBe(200);
  const refused = await patch(3);
  expect(refused.status).toBe(503);
  expect(refused.headers['retry-after']).toBe('2');
  expect(emulator.recorder.all().at(-1)?.notes).toContain('fault: maintenance window');
  expect((await api('v1/Contact/3', t)).status).toBe(200);
  expect((await patch(4)).status).toBe(503);
  await new Promise((r) => setTimeout(r, 450));
  expect((await patch(3)).status).toBe(200);
});

test('web panels: SaveWebPanel numbers and keeps them, GetAppWebPanels lists them, deletes remove them', async () => {
  const t = (await signIn()).tokens.access_token;
  const call = (fn: string, body: unknown = {}, query = '') =>
    api(`v1/Agents/List/${fn}${query}`, t, json(body));
  const a = (await call('SaveWebPanel', { WebPanelId: 0, Name: 'A', Url: 'https://x/?c=<uctx>' })).json;
  const b = (await call('SaveWebPanel', { WebPanelId: 0, Name: 'B' })).json;
  expect(b.WebPanelId).toBeGreaterThan(a.WebPanelId);
  expect((await call('SaveWebPanel', { ...a, Name: 'A2' })).json.WebPanelId).toBe(a.WebPanelId);
  expect((await call('GetAppWebPanels')).json.map((p: { Name: string }) => p.Name)).toEqual(['A2', 'B']);
  expect((await call('DeleteWebPanel', {}, `?webPanelId=${a.WebPanelId}`)).status).toBe(204);
  expect((await call('DeleteWebPanel', { WebPanelId: a.WebPanelId })).status).toBe(404);
  expect((await call('DeleteAppWebPanels')).status).toBe(204);
  expect((await call('GetAppWebPanels')).json).toEqual([]);
  expect((await call('SaveWebPanel', [])).status).toBe(400);
});

test('list items: POST List/{list}/Items and SaveListItemEntity answer with an id; not applied', async () => {
  const t = (await signIn()).tokens.access_token;
  const created = await api('v1/List/category/Items', t, json({ Name: 'NO:"Kunde";US:"Customer"' }));
  expect(created.status).toBe(201);
  expect(created.json).toMatchObject({ Name: 'NO:"Kunde";US:"Customer"', Id: expect.any(Number) });
  expect((await api('v1/List/category/Items', t)).json.map((i: { Name: string }) => i.Name)).not.toContain(
    'NO:"Kunde";US:"Customer"',
  );
  expect((await api('v1/List/nosuchlist/Items', t, json({ Name: 'x' }))).status).toBe(404);
  expect((await api('v1/List/category/Items', t, json({ Tooltip: 'x' }))).status).toBe(400);
  const saved = await api(
    'v1/Agents/List/SaveListItemEntity',
    t,
    json({ ListItemEntity: { Id: 0, Name: 'x' } }),
  );
  expect(saved.json.Id).toBeGreaterThan(0);
});

test('webhooks: registration tests the target, deliveries are signed, the travel transaction log lists changes', async () => {
  const t = (await signIn()).tokens.access_token;
  // The app's receiver: answers 200 to a correctly signed delivery, 401 otherwise.
  const received: Array<{
    headers: Record<string, string | string[] | undefined>;
    body: string;
    verified: boolean;
  }> = [];
  const secret = 'a webhook secret for the test';
  let answer = 200;
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const expected = createHmac('sha256', secret).update(body).digest('base64');
      const verified = req.headers['x-superoffice-signature'] === expected;
      received.push({ headers: req.headers, body: body.toString('utf8'), verified });
      res.writeHead(verified ? answer : 401).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const target = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/superoffice/events`;
  try {
    const register = (body: Record<string, unknown>) =>
      api(
        'v1/Webhook',
        t,
        json({
          Name: 'Test hook',
          Events: ['contact.changed'],
          TargetUrl: target,
          Secret: secret,
          State: 'Active',
          Type: 'webhook',
          ...body,
        }),
      );
    // Not HTTPS (and not loopback), no events, a target that refuses the test: no webhook.
    expect((await register({ TargetUrl: 'http://app.example.test/hook' })).status).toBe(400);
    expect((await register({ Events: [] })).status).toBe(400);
    answer = 500;
    const refused = await register({});
    expect(refused.status).toBe(400);
    expect(refused.json.Error ?? refused.text).toMatch(/test POST.*500/);
    answer = 200;
    const created = await register({});
    expect(created.status).toBe(200);
    expect(created.json).toMatchObject({
      Name: 'Test hook',
      Events: ['contact.changed'],
      TargetUrl: target,
      State: 'Active',
      HasSecret: true,
    });
    expect(created.text).not.toContain(secret);
    const test1 = received.at(-1)!;
    expect(test1.verified).toBe(true);
    expect(JSON.parse(test1.body)).toMatchObject({
      Event: 'test',
      ContextIdentifier: 'Cust34567',
      WebhookName: 'Test hook',
    });
    expect((await api('v1/Webhook', t)).json).toEqual([
      expect.objectContaining({ WebhookId: created.json.WebhookId }),
    ]);
    expect(await emulator.webhooks()).toEqual([
      expect.objectContaining({ WebhookId: created.json.WebhookId, HasSecret: true }),
    ]);
    expect(emulator.secrets()).toContain(secret);

    // A user changes company 4: the webhook gets it, signed; a person change is not subscribed.
    const deliveries = await emulator.changeRecord({ entity: 'contact', event: 'changed', id: 4 });
    expect(deliveries).toEqual([
      expect.objectContaining({ status: 200, event: 'contact.changed', targetUrl: target }),
    ]);
    const event = received.at(-1)!;
    expect(event.verified).toBe(true);
    expect(event.headers['x-superoffice-event']).toBe('contact.changed');
    expect(JSON.parse(event.body)).toMatchObject({
      Event: 'contact.changed',
      Entity: 'contact',
      PrimaryKey: 4,
      ContextIdentifier: 'Cust34567',
    });
    expect(await emulator.changeRecord({ entity: 'person', event: 'changed', id: 10 })).toEqual([]);

    // The change log: seeded changes before the run, then the two changes just made.
    const since = new Date(Date.now() - 60_000).toISOString();
    const log = await api(
      `v1/archive/TravelTransactionLog?$select=travelTransactionLogId,tableName,recordId,mode,ttime&$filter=${encodeURIComponent(`ttime gt '${since}'`)}&$orderby=travelTransactionLogId&$top=100`,
      t,
    );
    expect(log.status).toBe(200);
    expect(
      log.json.value.map((r: { tableName: string; recordId: number }) => `${r.tableName} ${r.recordId}`),
    ).toEqual(['contact 4', 'person 10']);
    const all = await api('v1/archive/TravelTransactionLog?$select=recordId&$top=100', t);
    expect(all.json.value.length).toBe(7);

    expect((await api(`v1/Webhook/${created.json.WebhookId}`, t, { method: 'DELETE' })).status).toBe(204);
    expect((await api('v1/Webhook', t)).json).toEqual([]);
    expect(await emulator.changeRecord({ entity: 'contact', event: 'changed', id: 4 })).toEqual([]);
  } finally {
    receiver.close();
  }
});

test('system messages: a user messages only themselves, an administrator anyone; listed until removed', async () => {
  // The administrator signs in first: a normal user can sign in once the app is approved.
  const admin = (await signIn()).tokens.access_token;
  const user = (await signIn({ user: 'user' })).tokens.access_token;
  const me = Number(emulator.users.user.associateId);
  const diag = (fn: string, token: string, body: unknown) =>
    api(`v1/Agents/Diagnostics/${fn}`, token, json(body));
  const message = {
    SystemMessageId: 4711,
    AssociateId: me,
    MarkdownMessage: 'Reconnect **Acme**',
    Type: 'Warning',
  };
  expect((await diag('SendSystemMessage', user, message)).status).toBe(204);
  expect(
    (await diag('SendSystemMessage', user, { ...message, SystemMessageId: 4712, AssociateId: 5 })).status,
  ).toBe(403);
  expect(
    (await diag('SendSystemMessage', admin, { ...message, SystemMessageId: 4713, AssociateId: 5 })).status,
  ).toBe(204);
  expect((await diag('GetSystemMessages', user, {})).json).toEqual([
    expect.objectContaining({ SystemMessageId: 4711 }),
  ]);
  expect((await diag('RemoveSystemMessage', user, { SystemMessageId: 4711 })).status).toBe(204);
  expect((await diag('GetSystemMessages', user, {})).json).toEqual([]);
  expect((await diag('RemoveSystemMessage', user, {})).status).toBe(400);
});

test('a replaced client secret: the token endpoint answers 401 invalid_client, noted, and the code stays unspent', async () => {
  const flow = emulator.createFlow();
  const auth = await headlessAuthorize(emulator, {
    flow,
    authorize: { redirect_uri: REDIRECT, nonce: 'n', state: 's' },
  });
  emulator.setFaults({ secretReplaced: true });
  try {
    const refused = await redeemCode(emulator, { code: auth.params['code']!, redirectUri: REDIRECT });
    expect(refused.status).toBe(401);
    expect(refused.json).toMatchObject({ error: 'invalid_client' });
    expect(emulator.recorder.all().at(-1)!.notes).toContain('client secret replaced');
  } finally {
    emulator.setFaults({});
  }
  // The code was not spent: with the secret accepted again it is redeemed.
  expect((await redeemCode(emulator, { code: auth.params['code']!, redirectUri: REDIRECT })).status).toBe(
    200,
  );
});

test("the tenant's web client frames a web panel URL from the tenant's host", async () => {
  const page = await http(
    `${emulator.tenantOrigin}/Cust34567/default.aspx?webpanel=${encodeURIComponent('https://app.example.test/panel?ctx=Cust34567&x="<b>')}`,
  );
  expect(page.status).toBe(200);
  expect(page.headers['content-type']).toMatch(/text\/html/);
  expect(page.text).toContain(
    '<iframe id="webpanel" title="Web panel" src="https://app.example.test/panel?ctx=Cust34567&amp;x=&quot;&lt;b&gt;"',
  );
  expect(
    (await http(`${emulator.tenantOrigin}/Cust34567/default.aspx?webpanel=javascript:alert(1)`)).status,
  ).toBe(400);
  expect(
    (await http(`${emulator.tenantOrigin}/Cust00001/default.aspx?webpanel=https://a.test/`)).status,
  ).toBe(404);
});
