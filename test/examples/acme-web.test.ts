/**
 * examples/acme-web without defects: signs in through the emulator, calls the API the way the
 * rules ask, and refuses what it must refuse.
 */
import { test, expect } from '@playwright/test';
import {
  apiCalls,
  emulatorFor,
  newFlow,
  rewriteAuthorizationResponse,
  sessionProbe,
  signIn,
  startApp,
  WEB_POST_LOGOUT,
  WEB_REDIRECTS,
} from './support.ts';
import type { RunningApp, TestEmulator } from './support.ts';
import type { Flow, IdTokenScenario } from '../../src/emulator/index.ts';
import { listItemNames, webPanelsFrom } from '../../src/judge/index.ts';
import { writeExchange } from '../../fixtures/jobs.ts';

// The browser trusts the emulator's TLS certificates the way the harness's browser does.
test.use({ ignoreHTTPSErrors: true });

let emu: TestEmulator;
let app: RunningApp;

test.beforeEach(async () => {
  emu = await emulatorFor({
    name: 'Acme Web',
    vendor: 'Acme AS',
    type: 'web',
    redirectUris: WEB_REDIRECTS,
    postLogoutRedirectUris: WEB_POST_LOGOUT,
  });
  app = await startApp('acme-web', emu.emulator);
});

test.afterEach(async () => {
  await app?.stop();
  await emu?.stop();
});

test('signs in with code flow + PKCE, keeps tokens server-side and shows contacts', async ({
  page,
  context,
}) => {
  const { emulator } = emu;
  const flow = await newFlow(context, emulator);
  await signIn(page, flow, `${app.url}/login?returnUrl=%2Fcontacts`);
  await expect(page).toHaveURL(`${app.url}/contacts`);
  await expect(page.locator('#user-name')).not.toBeEmpty();
  await expect(page.locator('#contacts li').first()).toBeVisible();
  expect(await sessionProbe(page, app.url)).toEqual({
    status: 200,
    body: { signedIn: true, user: { name: expect.any(String), ctx: 'Cust12345' } },
  });

  const authorize = flow.exchanges().find((e) => e.endpoint === 'authorize');
  expect(authorize?.query).toMatchObject({
    response_type: 'code',
    code_challenge_method: 'S256',
    scope: 'openid',
  });
  expect(authorize?.query['state']).toBeTruthy();
  expect(authorize?.query['nonce']).toBeTruthy();
  const token = flow.exchanges().find((e) => e.endpoint === 'token');
  expect(token?.url).not.toContain('client_secret');

  // Tenant state checked before the first API call; API base from the claim.
  const all = emulator.recorder.all();
  const firstState = all.findIndex((e) => e.endpoint === 'state');
  const firstApi = all.findIndex((e) => e.endpoint === 'api');
  expect(firstState).toBeGreaterThanOrEqual(0);
  expect(firstState).toBeLessThan(firstApi);
  expect(all.some((e) => e.endpoint === 'api-wrong-host')).toBe(false);

  const cookie = (await context.cookies(app.url)).find((c) => c.name === 'acme.sid');
  expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax' });
  const configJs = await (await page.request.get(`${app.url}/config.js`)).text();
  expect(configJs).not.toContain(emulator.client.secret!);
  const storage = await page.evaluate(() => JSON.stringify(localStorage));
  for (const rt of flow.tokens().refreshTokens) expect(storage).not.toContain(rt);
  for (const secret of [
    emulator.client.secret!,
    ...flow.tokens().refreshTokens,
    ...flow.tokens().accessTokens,
  ]) {
    expect(app.output()).not.toContain(secret);
  }

  await page.goto(`${app.url}/logout`);
  expect((await sessionProbe(page, app.url)).status).toBe(401);

  await app.stop();
  expect(app.process.exitCode).toBe(0); // clean shutdown on SIGTERM
});

test('rejects forged id_tokens, a tampered state and foreign return URLs', async ({ browser }) => {
  const { emulator } = emu;
  const forged: IdTokenScenario[] = [
    'sig-payload-edited',
    'alg-none',
    'iss-foreign',
    'aud-wrong',
    'exp-past',
    'nonce-mismatch',
    'env-key',
  ];
  for (const scenario of forged) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const flow = await newFlow(context, emulator, { idToken: scenario });
    await signIn(page, flow, `${app.url}/login`);
    await expect(page.getByRole('heading', { name: 'Sign-in failed' }), scenario).toBeVisible();
    expect((await sessionProbe(page, app.url)).status, scenario).toBe(401);
    expect(apiCalls(flow), scenario).toHaveLength(0);
    expect(await page.content()).not.toMatch(/at \S+ \(.*:\d+:\d+\)/);
    await context.close();
  }

  // state altered on the way back
  const context = await browser.newContext();
  const page = await context.newPage();
  const flow = await newFlow(context, emulator);
  await rewriteAuthorizationResponse(page, emulator.superidUrl, app.url, (callback) =>
    callback.searchParams.set('state', 'tampered'),
  );
  await signIn(page, flow, `${app.url}/login`);
  await expect(page.getByRole('heading', { name: 'Sign-in failed' })).toBeVisible();
  expect((await sessionProbe(page, app.url)).status).toBe(401);
  await page.unrouteAll();
  expect(apiCalls(flow)).toHaveLength(0);

  // open redirect probe: an absolute returnUrl is ignored
  const flow2 = await newFlow(context, emulator);
  await signIn(page, flow2, `${app.url}/login?returnUrl=${encodeURIComponent('https://evil.example/')}`);
  await expect(page).toHaveURL(`${app.url}/`);

  // a broken callback shows a friendly page, no stack trace
  await page.goto(`${app.url}/callback?code=x&state=y`);
  await expect(page.getByRole('heading', { name: 'Sign-in failed' })).toBeVisible();
  expect(await page.content()).not.toMatch(/\.ts:\d+:\d+/);

  // claim and tenant values with script payloads stay text
  const xss = await newFlow(context, emulator, { xssPayloads: true });
  await signIn(page, xss, `${app.url}/login?returnUrl=%2Fcontacts`);
  await expect(page.locator('#contacts li').first()).toBeVisible();
  expect(
    await page.evaluate(() => (window as { __soPreflightXss?: unknown }).__soPreflightXss),
  ).toBeUndefined();

  // signing key rolled over: the app fetches the new key
  await emulator.rotateSigningKey();
  const rotated = await newFlow(context, emulator);
  await signIn(page, rotated, `${app.url}/login`);
  expect((await sessionProbe(page, app.url)).status).toBe(200);
  await context.close();
});

test('refreshes once on 401, waits out a short 429, shows busy and unavailable pages', async ({
  page,
  context,
}) => {
  const { emulator } = emu;
  // 401 on the first call -> one refresh grant -> the call is retried once with the new access token
  const flow = await newFlow(context, emulator, { api: { accessTokenExpiresAfterCalls: 0 } });
  await signIn(page, flow, `${app.url}/login?returnUrl=%2Fcontacts`);
  await expect(page.locator('main h1')).toBeVisible();
  const refreshes = flow
    .exchanges()
    .filter((e) => e.endpoint === 'token' && e.requestBody.includes('grant_type=refresh_token'));
  expect(refreshes).toHaveLength(1);
  const [first, retry, ...rest] = apiCalls(flow);
  expect(first?.status).toBe(401);
  expect(retry?.requestHeaders['authorization']).toBeTruthy();
  expect(retry?.requestHeaders['authorization']).not.toBe(first?.requestHeaders['authorization']);
  // The emulator keeps rejecting this flow's tokens; the app gives up after one refresh (no loop).
  expect(rest.filter((e) => e.status === 401).length).toBeLessThanOrEqual(0);

  // 429 with a short Retry-After: waits it out once, then succeeds
  const short = await newFlow(context, emulator, { api: { throttle: { calls: 1, retryAfterSeconds: 1 } } });
  await signIn(page, short, `${app.url}/login?returnUrl=%2Fcontacts`);
  await expect(page.locator('#contacts li').first()).toBeVisible();
  const [throttled, afterWait] = apiCalls(short);
  expect(throttled?.status).toBe(429);
  expect(Date.parse(afterWait!.time) - Date.parse(throttled!.time)).toBeGreaterThanOrEqual(900);

  // 429 with a long Retry-After: one call, then a "busy" page
  const busy = await newFlow(context, emulator, { api: { throttle: { calls: 5, retryAfterSeconds: 30 } } });
  await signIn(page, busy, `${app.url}/login?returnUrl=%2Fcontacts`);
  await expect(page.getByText('SuperOffice is busy, please try again in 30 seconds')).toBeVisible();
  expect(apiCalls(busy)).toHaveLength(1);

  // tenant suspended (fresh state: the cache only lives up to 60 s, so start a new app)
  emulator.setFaults({ tenantState: 'Suspended' });
  await app.stop();
  app = await startApp('acme-web', emulator);
  const suspended = await newFlow(context, emulator);
  await signIn(page, suspended, `${app.url}/login?returnUrl=%2Fcontacts`);
  await expect(page.getByText('Your SuperOffice tenant is unavailable (Suspended)')).toBeVisible();
  expect(apiCalls(suspended)).toHaveLength(0);
});

test('the install URL sets up a named web panel and a multi-language category; uninstall removes the panel', async ({
  page,
  context,
}) => {
  const { emulator } = emu;
  const writes = () =>
    emulator.recorder
      .all()
      .filter((e) => e.origin === 'tenant' && e.method === 'POST')
      .map(writeExchange);
  const flow = await newFlow(context, emulator);
  await signIn(page, flow, `${app.url}/login?returnUrl=%2Finstall`);
  await expect(page.locator('main h1')).toHaveText('Acme Web is installed');
  const installed = webPanelsFrom(writes()).remaining;
  expect(installed.map((p) => p.progId)).toEqual(['acme-web.contacts']);
  expect(installed[0]?.url).toBe(`${app.url}/panel?ctx=<uctx>&usid=<usid>`);
  expect(installed[0]?.name).toContain('Acme Web');
  expect(listItemNames(writes())).toEqual(['US:"Acme Web customer";NO:"Acme Web-kunde";SE:"Acme Web-kund"']);
  // Installing again keeps the one panel.
  await page.goto(`${app.url}/install`);
  expect(webPanelsFrom(writes()).remaining).toHaveLength(1);
  // Without a session the panel shows nothing but a sign-in that opens a window of its own (in
  // SuperOffice the panel is an iframe, where SuperID's sign-in cannot load); SuperOffice's web
  // client may frame it.
  const panel = await fetch(`${app.url}/panel?ctx=Cust12345&usid=5`, { redirect: 'manual' });
  expect(panel.status).toBe(200);
  expect(panel.headers.get('x-frame-options')).toBeNull();
  expect(panel.headers.get('content-security-policy')).toBe('frame-ancestors https://*.superoffice.com');
  const prompt = await panel.text();
  expect(prompt).toMatch(/<a[^>]+href="\/login\?returnUrl=%2Fpanel"[^>]+target="_blank"/);
  expect(prompt).not.toContain('Bergen Skipsfart');

  await page.goto(`${app.url}/admin/uninstall`);
  await page.getByRole('button', { name: 'Uninstall Acme Web' }).click();
  await expect(page.locator('main h1')).toHaveText('Acme Web was removed from SuperOffice');
  expect(webPanelsFrom(writes()).remaining).toEqual([]);
});

test('an expired ERP connection gives the user one system message, removed when they reconnect', async ({
  page,
  context,
  browser,
}) => {
  const { emulator } = emu;
  // An administrator approves Acme Web for the tenant first.
  const adminContext = await browser.newContext();
  const adminPage = await adminContext.newPage();
  await signIn(adminPage, await newFlow(adminContext, emulator), `${app.url}/login`);
  await adminContext.close();
  /** The app's calls to the Diagnostics agent, in order: method name, status and JSON body. */
  const messageCalls = (flow: Flow) =>
    apiCalls(flow)
      .filter((e) => /\/v1\/Agents\/Diagnostics\//i.test(e.path))
      .map((e) => ({
        fn: e.path.split('/').pop(),
        status: e.status,
        body: JSON.parse(e.requestBody || '{}') as Record<string, unknown>,
      }));
  const connect = async (key: string, status: string) => {
    await page.goto(`${app.url}/erp`);
    await page.getByLabel('ERP API key').fill(key);
    await page.getByRole('button', { name: 'Connect' }).click();
    await expect(page.getByRole('status')).toHaveText(status);
  };
  const sync = async (heading: string) => {
    await page.goto(`${app.url}/contacts`);
    await page.getByRole('button', { name: 'Sync names from the ERP' }).click();
    await expect(page.locator('main h1')).toHaveText(heading);
  };

  // A normal user (who may message only themselves), not connected yet: the sync says so.
  const flow = await newFlow(context, emulator, { user: 'user' });
  await signIn(page, flow, `${app.url}/login?returnUrl=%2Ferp`);
  await expect(page.getByRole('status')).toHaveText('Not connected');
  await sync('Not connected to the ERP');
  expect(messageCalls(flow)).toEqual([]);

  // Expired: one message to the user's own associate, however often the sync is tried.
  await connect('expired-demo', 'Connection expired');
  await sync('ERP connection expired');
  await sync('ERP connection expired');
  const sent = messageCalls(flow);
  expect(sent).toHaveLength(1);
  expect(sent[0]).toMatchObject({
    fn: 'SendSystemMessage',
    status: 204,
    body: {
      SystemMessageId: expect.any(Number),
      AssociateId: Number(flow.user.associateId),
      MarkdownMessage: expect.stringContaining(`(${app.url}/erp)`),
      Type: 'Warning',
    },
  });
  const expire = Date.parse(String(sent[0]!.body['Expire']));
  expect(expire - Date.now()).toBeGreaterThan(6.9 * 86_400_000);
  expect(expire - Date.now()).toBeLessThan(7.1 * 86_400_000);

  // Reconnected: the message is removed, and the sync runs again.
  await connect('demo-key', 'Connected to the ERP');
  expect(messageCalls(flow).slice(1)).toEqual([
    { fn: 'RemoveSystemMessage', status: 204, body: { SystemMessageId: sent[0]!.body['SystemMessageId'] } },
  ]);
  await page.goto(`${app.url}/contacts`);
  await page.getByRole('button', { name: 'Sync names from the ERP' }).click();
  await expect(page).toHaveURL(`${app.url}/contacts`);
  await expect(page.locator('main h1')).toHaveText('Contacts');
  expect(apiCalls(flow).some((e) => e.method === 'PATCH' && e.status < 300)).toBe(true);
  expect(messageCalls(flow)).toHaveLength(2);

  // DEFECT system-message-kept: a new message on every failed sync, none removed.
  await app.stop();
  app = await startApp('acme-web', emulator, ['system-message-kept']);
  const kept = await newFlow(context, emulator, { user: 'user' });
  await signIn(page, kept, `${app.url}/login?returnUrl=%2Ferp`);
  await connect('expired-demo', 'Connection expired');
  await sync('ERP connection expired');
  await sync('ERP connection expired');
  await connect('demo-key', 'Connected to the ERP');
  const pile = messageCalls(kept);
  expect(pile.map((c) => c.fn)).toEqual(['SendSystemMessage', 'SendSystemMessage']);
  expect(pile[0]!.body['SystemMessageId']).not.toBe(pile[1]!.body['SystemMessageId']);
  expect(pile.every((c) => c.body['Expire'] === undefined)).toBe(true);
});
