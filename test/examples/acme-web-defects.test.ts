/**
 * examples/acme-web with seeded defects (DEFECTS=...): each test shows by behaviour that the
 * defect is live. The compliant counterparts are in acme-web.test.ts.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
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
import type { Emulator, IdTokenScenario } from '../../src/emulator/index.ts';

test.use({ ignoreHTTPSErrors: true });

let emu: TestEmulator | undefined;
let app: RunningApp | undefined;

async function setup(
  defects: string[],
  before?: (emulator: Emulator) => void,
): Promise<{ emulator: Emulator; app: RunningApp }> {
  emu = await emulatorFor({
    name: 'Acme Web',
    vendor: 'Acme AS',
    type: 'web',
    redirectUris: WEB_REDIRECTS,
    postLogoutRedirectUris: WEB_POST_LOGOUT,
  });
  before?.(emu.emulator);
  app = await startApp('acme-web', emu.emulator, defects);
  return { emulator: emu.emulator, app };
}

test.afterEach(async () => {
  await app?.stop();
  await emu?.stop();
  app = undefined;
  emu = undefined;
});

const ACCEPTS: [defect: string, scenarios: IdTokenScenario[]][] = [
  ['skip-signature', ['sig-payload-edited', 'env-key']],
  ['alg-none', ['alg-none']],
  ['skip-issuer', ['iss-foreign']],
  ['skip-audience', ['aud-wrong']],
  ['skip-expiry', ['exp-past']],
  ['skip-nonce', ['nonce-mismatch']],
];

for (const [defect, scenarios] of ACCEPTS) {
  test(`${defect}: accepts ${scenarios.join(', ')} and calls the API with the flow's token`, async ({
    browser,
  }) => {
    const { emulator, app } = await setup([defect]);
    for (const scenario of scenarios) {
      const context = await browser.newContext();
      const page = await context.newPage();
      const flow = await newFlow(context, emulator, { idToken: scenario });
      await signIn(page, flow, `${app.url}/login?returnUrl=%2Fcontacts`);
      expect((await sessionProbe(page, app.url)).status, scenario).toBe(200);
      expect(apiCalls(flow).length, scenario).toBeGreaterThan(0);
      await context.close();
    }
  });
}

test('skip-state: a tampered state still signs in', async ({ page, context }) => {
  const { emulator, app } = await setup(['skip-state']);
  const flow = await newFlow(context, emulator);
  await rewriteAuthorizationResponse(page, emulator.superidUrl, app.url, (callback) =>
    callback.searchParams.set('state', 'tampered'),
  );
  await signIn(page, flow, `${app.url}/login`);
  expect((await sessionProbe(page, app.url)).status).toBe(200);
});

test('pinned-key: after a signing-key rollover sign-in fails', async ({ browser }) => {
  const { emulator, app } = await setup(['pinned-key']);
  let context = await browser.newContext();
  let page = await context.newPage();
  await signIn(page, await newFlow(context, emulator), `${app.url}/login`);
  expect((await sessionProbe(page, app.url)).status).toBe(200);
  await context.close();

  await emulator.rotateSigningKey();
  context = await browser.newContext();
  page = await context.newPage();
  await signIn(page, await newFlow(context, emulator), `${app.url}/login`);
  await expect(page.getByRole('heading', { name: 'Sign-in failed' })).toBeVisible();
  expect(emulator.recorder.all().filter((e) => e.endpoint === 'jwks')).toHaveLength(1);
  await context.close();
});

test('implicit-flow: asks for id_token token with form_post and signs in', async ({ page, context }) => {
  const { emulator, app } = await setup(['implicit-flow']);
  const flow = await newFlow(context, emulator);
  await signIn(page, flow, `${app.url}/login?returnUrl=%2Fcontacts`);
  const authorize = flow.exchanges().find((e) => e.endpoint === 'authorize');
  expect(authorize?.query).toMatchObject({ response_type: 'id_token token', response_mode: 'form_post' });
  await expect(page.locator('#contacts li').first()).toBeVisible();
  expect(flow.exchanges().some((e) => e.endpoint === 'token')).toBe(false);
});

test('secret-in-browser, secret-in-url, logs-secrets, insecure-cookie, refresh-token-in-browser: each leak is visible', async ({
  page,
  context,
}) => {
  const { emulator, app } = await setup([
    'secret-in-browser',
    'secret-in-url',
    'logs-secrets',
    'insecure-cookie',
    'refresh-token-in-browser',
  ]);
  const secret = emulator.client.secret!;
  const flow = await newFlow(context, emulator);
  const scripts: string[] = [];
  page.on('response', async (r) => {
    if (r.url().endsWith('/config.js')) scripts.push(await r.text());
  });
  await signIn(page, flow, `${app.url}/login`);
  // secret-in-browser: served to the browser in /config.js
  await expect.poll(() => scripts.join('\n')).toContain(secret);
  // secret-in-url: token request parameters in the query string
  const token = flow.exchanges().find((e) => e.endpoint === 'token');
  expect(token?.url).toContain('client_secret=');
  // logs-secrets: the secret and the refresh token end up in stdout
  expect(app.output()).toContain(secret);
  expect(app.output()).toContain(flow.tokens().refreshTokens[0]!);
  // insecure-cookie
  const cookie = (await context.cookies(app.url)).find((c) => c.name === 'acme.sid');
  expect(cookie).toMatchObject({ httpOnly: false, secure: false });
  // refresh-token-in-browser
  const stored = await page.evaluate(() => localStorage.getItem('acme.refreshToken'));
  expect(stored).toBe(flow.tokens().refreshTokens[0]);
});

test('stack-traces: the sign-in error page shows the stack', async ({ page }) => {
  const { app } = await setup(['stack-traces']);
  const res = await page.goto(`${app.url}/callback?code=x&state=y`);
  expect(res?.status()).toBe(400);
  await expect(page.getByRole('heading', { name: 'Sign-in failed' })).toBeVisible();
  expect(await page.content()).toMatch(/at .*server\.ts:\d+:\d+/);
});

test('xss-claims: a company_name payload executes on the contacts page', async ({ page, context }) => {
  const { emulator, app } = await setup(['xss-claims']);
  const flow = await newFlow(context, emulator, { xssPayloads: true });
  await signIn(page, flow, `${app.url}/login?returnUrl=%2Fcontacts`);
  await expect
    .poll(() => page.evaluate(() => (window as { __soPreflightXss?: unknown }).__soPreflightXss))
    .toBe(1);
});

test('open-redirect: follows an absolute returnUrl off-site after sign-in', async ({ page, context }) => {
  const { emulator, app } = await setup(['open-redirect']);
  // Another origin the browser can reach (a route would not see a redirect's target in every
  // Chromium build, and the browser cannot resolve a made-up host).
  const evil = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'text/html' }).end('<h1>evil</h1>'),
  );
  await new Promise<void>((done) => evil.listen(0, '127.0.0.1', done));
  try {
    const landing = `http://localhost:${(evil.address() as AddressInfo).port}/landing`;
    const flow = await newFlow(context, emulator);
    await signIn(
      page,
      flow,
      `${app.url}/login?returnUrl=${encodeURIComponent(landing)}`,
      new URL(landing).origin,
    );
    expect(page.url()).toBe(landing);
  } finally {
    evil.close();
  }
});

test('hardcoded-tenant-url: calls the API on the SuperID host (421)', async ({ page, context }) => {
  const { emulator, app } = await setup(['hardcoded-tenant-url']);
  const flow = await newFlow(context, emulator);
  await signIn(page, flow, `${app.url}/login?returnUrl=%2Fcontacts`);
  await expect(page.locator('main h1')).toBeVisible();
  // (the SuperID host does not bind these calls to the flow: look at all traffic)
  const wrong = emulator.recorder.all().filter((e) => e.endpoint === 'api-wrong-host');
  expect(wrong.length).toBeGreaterThan(0);
  expect(wrong[0]?.status).toBe(421);
  expect(wrong[0]?.url).toContain(`${emulator.superidUrl}/Cust12345/api/`);
});

test('ignore-tenant-state: calls the API of a suspended tenant without asking the state API', async ({
  page,
  context,
}) => {
  const { emulator, app } = await setup(['ignore-tenant-state'], (e) =>
    e.setFaults({ tenantState: 'Suspended' }),
  );
  const flow = await newFlow(context, emulator);
  await signIn(page, flow, `${app.url}/login?returnUrl=%2Fcontacts`);
  await expect(page.locator('main h1')).toBeVisible();
  expect(apiCalls(flow).length).toBeGreaterThan(0);
  expect(emulator.recorder.all().some((e) => e.endpoint === 'state')).toBe(false);
});

test('no-refresh: gives up on the first 401 without a refresh grant', async ({ page, context }) => {
  const { emulator, app } = await setup(['no-refresh']);
  const flow = await newFlow(context, emulator, { api: { accessTokenExpiresAfterCalls: 0 } });
  await signIn(page, flow, `${app.url}/login?returnUrl=%2Fcontacts`);
  await expect(page.getByText('Your SuperOffice session has expired')).toBeVisible();
  expect(
    flow
      .exchanges()
      .filter((e) => e.endpoint === 'token' && e.requestBody.includes('grant_type=refresh_token')),
  ).toHaveLength(0);
  expect(apiCalls(flow)).toHaveLength(1);
});

test('retry-storm: hammers the API on 429 instead of honouring Retry-After', async ({ page, context }) => {
  const { emulator, app } = await setup(['retry-storm']);
  const flow = await newFlow(context, emulator, { api: { throttle: { calls: 10, retryAfterSeconds: 30 } } });
  const started = Date.now();
  await signIn(page, flow, `${app.url}/login?returnUrl=%2Fcontacts`);
  await expect(page.locator('main h1')).toBeVisible();
  const throttled = apiCalls(flow).filter((e) => e.status === 429);
  expect(throttled).toHaveLength(10);
  expect(Date.now() - started).toBeLessThan(30_000);
});

test('search-from-first-key: one typed letter searches NetServer; without the defect it does not', async ({
  page,
  context,
}) => {
  const searchesFor = (flow: Awaited<ReturnType<typeof newFlow>>, text: string) =>
    apiCalls(flow).filter((e) => decodeURIComponent(e.url).includes(`begins '${text}'`));
  for (const defects of [[], ['search-from-first-key']]) {
    await app?.stop();
    await emu?.stop();
    const { emulator, app: running } = await setup(defects);
    const flow = await newFlow(context, emulator);
    await signIn(page, flow, `${running.url}/login?returnUrl=%2Fcontacts%2Fsearch`);
    const input = page.locator('#company-search');
    await input.pressSequentially('Q');
    await input.press('Enter');
    await page.waitForLoadState('load');
    await page.goto(`${running.url}/contacts/search?q=Q`);
    // The form (minlength) and the endpoint both hold back a search for one letter.
    expect(searchesFor(flow, 'Q'), `DEFECTS=${defects.join(',')}`).toHaveLength(defects.length ? 2 : 0);
    await page.goto(`${running.url}/contacts/search?q=Acm`);
    expect(searchesFor(flow, 'Acm')).toHaveLength(1);
  }
});

test('moves-associates: a user of the tenant is offered and moved; without the defect they are not', async ({
  page,
  context,
}) => {
  for (const defects of [[], ['moves-associates']]) {
    await app?.stop();
    await emu?.stop();
    const { emulator, app: running } = await setup(defects);
    const flow = await newFlow(context, emulator);
    await signIn(page, flow, `${running.url}/login?returnUrl=%2Fpersons%2Fmove`);
    const offered = await page.locator('select[name="personId"] option').allTextContents();
    const users = Object.values(emulator.users).length;
    // The first person offered moves to the second company listed (the first is the owner's).
    const company = page.getByLabel('New company');
    await company.selectOption((await company.locator('option').nth(1).getAttribute('value'))!);
    await page.getByRole('button', { name: 'Move person' }).click();
    await expect(page.getByRole('heading', { name: 'Contacts' })).toBeVisible();
    const moved = apiCalls(flow).filter((e) => e.method === 'PATCH' && /\/v1\/Person\/\d+$/.test(e.url));
    expect(moved).toHaveLength(1);
    const notes = moved[0]!.notes;
    if (defects.length) {
      expect(offered.length).toBe(20);
      expect(notes).toContain('associate person moved to another company');
    } else {
      expect(offered.length).toBe(20 - users);
      expect(notes).toEqual([]);
    }
  }
});
