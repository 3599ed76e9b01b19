/**
 * examples/acme-sync (server-to-server), compliant and with each seeded defect.
 */
import type { Page, BrowserContext } from '@playwright/test';
import { test, expect } from '@playwright/test';
import type { APIRequestContext } from '@playwright/test';
import {
  emulatorFor,
  newFlow,
  sessionProbe,
  signIn,
  startApp,
  WEB_POST_LOGOUT,
  WEB_REDIRECTS,
} from './support.ts';
import type { RunningApp, TestEmulator } from './support.ts';
import type { Emulator } from '../../src/emulator/index.ts';

test.use({ ignoreHTTPSErrors: true });

let emu: TestEmulator | undefined;
let app: RunningApp | undefined;

async function installed(
  defects: string[],
  page: Page,
  context: BrowserContext,
): Promise<{ emulator: Emulator; app: RunningApp }> {
  emu = await emulatorFor({
    name: 'Acme Sync',
    vendor: 'Acme AS',
    type: 'server-to-server',
    redirectUris: WEB_REDIRECTS,
    postLogoutRedirectUris: WEB_POST_LOGOUT,
  });
  app = await startApp('acme-sync', emu.emulator, defects);
  const flow = await newFlow(context, emu.emulator);
  await signIn(page, flow, `${app.url}/install`);
  expect((await sessionProbe(page, app.url)).status).toBe(200);
  return { emulator: emu.emulator, app };
}

test.afterEach(async () => {
  await app?.stop();
  await emu?.stop();
  app = undefined;
  emu = undefined;
});

const exchanges = (emulator: Emulator, endpoint: string) =>
  emulator.recorder.all().filter((e) => e.endpoint === endpoint);

async function notify(
  request: APIRequestContext,
  app: RunningApp,
  body: Record<string, unknown>,
): Promise<number> {
  return (await request.post(`${app.url}/webhook`, { data: body })).status();
}

test('installs, syncs as the system user with a cached, validated ticket', async ({ page, context }) => {
  const { emulator, app } = await installed([], page, context);
  for (let i = 0; i < 3; i++) {
    const res = await page.request.get(`${app.url}/sync`);
    expect(res.status()).toBe(200);
    expect(await res.json()).toEqual({ ok: true, contacts: expect.any(Number) });
  }
  const systemUser = exchanges(emulator, 'system-user');
  expect(systemUser).toHaveLength(1);
  const body = JSON.parse(systemUser[0]!.requestBody) as Record<string, string>;
  expect(body).toMatchObject({ ContextIdentifier: 'Cust12345', ReturnTokenType: 'JWT' });
  expect(body['SignedSystemToken']).toMatch(/^.+\.\d{12}\.[A-Za-z0-9+/]+=*$/);
  const api = exchanges(emulator, 'api');
  // The install registers the contact webhook (GET v1/Webhook, POST v1/Webhook), then three syncs.
  expect(api.map((e) => `${e.method} ${e.path.replace(/^.*\/api\//, '')}`)).toEqual([
    'GET v1/Webhook',
    'POST v1/Webhook',
    'GET v1/Contact',
    'GET v1/Contact',
    'GET v1/Contact',
  ]);
  expect(
    api.every(
      (e) =>
        /^SOTicket /i.test(e.requestHeaders['authorization'] ?? '') &&
        e.requestHeaders['so-apptoken'] !== undefined,
    ),
  ).toBe(true);
  expect(exchanges(emulator, 'state').length).toBeGreaterThan(0);
  expect(app.output()).not.toContain(emulator.client.secret!);

  // ticket expired -> exactly one new exchange, then the call is retried
  emulator.setFaults({ ticketExpiresAfterCalls: 0 });
  const afterExpiry = await page.request.get(`${app.url}/sync`);
  expect(exchanges(emulator, 'system-user')).toHaveLength(2);
  expect(afterExpiry.status()).not.toBe(200); // the emulator keeps rejecting tickets under this fault
  emulator.reset();

  // a forged system-user JWT is not used
  emulator.setFaults({ systemUserJwt: 'bad-signature', ticketExpiresAfterCalls: 0 });
  const apiBefore = exchanges(emulator, 'api').length;
  const forged = await page.request.get(`${app.url}/sync`);
  expect(forged.status()).toBe(502);
  expect(await forged.json()).toEqual({ ok: false, reason: 'invalid-system-user-token' });
  expect(exchanges(emulator, 'api').length).toBe(apiBefore + 1); // only the call that got the 401
});

test('acts on valid state-change notifications and refuses forged ones', async ({ page, context }) => {
  const { emulator, app } = await installed([], page, context);
  const forged = await emulator.stateChangeNotification({ changeType: 4, forge: 'bad-signature' });
  expect(await notify(page.request, app, forged)).toBe(401);
  expect((await (await page.request.get(`${app.url}/tenant`)).json()).active).toBe(true);
  for (const forge of ['wrong-audience', 'expired', 'alg-none'] as const) {
    expect(
      await notify(page.request, app, await emulator.stateChangeNotification({ changeType: 2, forge })),
      forge,
    ).toBe(401);
  }
  expect(await notify(page.request, app, { ChangeType: 'x' })).toBe(400);

  expect(await notify(page.request, app, await emulator.stateChangeNotification({ changeType: 2 }))).toBe(
    200,
  );
  const apiBefore = exchanges(emulator, 'api').length;
  const suspended = await page.request.get(`${app.url}/sync`);
  expect(suspended.status()).toBe(409);
  expect(await suspended.json()).toEqual({ ok: false, reason: 'tenant-suspended' });
  expect(exchanges(emulator, 'api').length).toBe(apiBefore);

  expect(await notify(page.request, app, await emulator.stateChangeNotification({ changeType: 3 }))).toBe(
    200,
  );
  expect((await page.request.get(`${app.url}/sync`)).status()).toBe(200);
});

test('skip-sysuser-validation: uses the ticket from a forged system-user JWT', async ({ page, context }) => {
  const { emulator, app } = await installed(['skip-sysuser-validation'], page, context);
  emulator.setFaults({ systemUserJwt: 'bad-signature' });
  const res = await page.request.get(`${app.url}/sync`);
  expect(res.status()).toBe(200);
  expect(exchanges(emulator, 'api').length).toBeGreaterThan(0);
});

test('no-ticket-cache: a system-user exchange before every API call', async ({ page, context }) => {
  const { emulator, app } = await installed(['no-ticket-cache'], page, context);
  for (let i = 0; i < 3; i++) expect((await page.request.get(`${app.url}/sync`)).status()).toBe(200);
  // Two for the webhook registration at install (list, register), one per sync.
  expect(exchanges(emulator, 'system-user')).toHaveLength(5);
});

test('webhook: registered at install with a secret; a signed change is answered and the contact fetched', async ({
  page,
  context,
}) => {
  const { emulator, app } = await installed([], page, context);
  const hooks = await emulator.webhooks();
  expect(hooks).toEqual([
    expect.objectContaining({
      Events: ['contact.created', 'contact.changed'],
      TargetUrl: `${app.url}/superoffice/events`,
      State: 'Active',
      HasSecret: true,
    }),
  ]);
  const before = emulator.recorder.lastSeq();
  expect(await emulator.changeRecord({ entity: 'contact', event: 'changed', id: 6 })).toEqual([
    expect.objectContaining({ status: 200 }),
  ]);
  await expect
    .poll(() =>
      emulator.recorder
        .since(before)
        .filter((e) => e.endpoint === 'api')
        .map((e) => e.path),
    )
    .toEqual([expect.stringMatching(/\/v1\/Contact\/6$/)]);
  // A delivery signed with another secret is refused, and fetches nothing.
  const forged = await page.request.post(`${app.url}/superoffice/events`, {
    headers: { 'x-superoffice-signature': 'AAAA', 'content-type': 'application/json' },
    data: { Event: 'contact.changed', PrimaryKey: 7, Entity: 'contact', ContextIdentifier: emulator.tenant },
  });
  expect(forged.status()).toBe(401);
  // A second install keeps the webhook it knows.
  await signIn(page, await newFlow(context, emulator), `${app.url}/install`);
  expect((await emulator.webhooks()).map((h) => h.WebhookId)).toEqual([hooks[0]!.WebhookId]);
});

test('polls-transaction-log: no webhook; every sync reads the travel transaction log', async ({
  page,
  context,
}) => {
  const { emulator, app } = await installed(['polls-transaction-log'], page, context);
  expect(await emulator.webhooks()).toEqual([]);
  for (let i = 0; i < 2; i++) expect((await page.request.get(`${app.url}/sync`)).status()).toBe(200);
  const reads = exchanges(emulator, 'api').filter((e) => /TravelTransactionLog/i.test(e.path));
  expect(reads).toHaveLength(2);
  expect(decodeURIComponent(reads[1]!.url)).toMatch(/ttime gt '\d{4}-/);
});

test('skip-webhook-validation: a forged Delete deactivates the tenant', async ({ page, context }) => {
  const { emulator, app } = await installed(['skip-webhook-validation'], page, context);
  const forged = await emulator.stateChangeNotification({ changeType: 4, forge: 'bad-signature' });
  expect(await notify(page.request, app, forged)).toBe(200);
  expect(await (await page.request.get(`${app.url}/tenant`)).json()).toMatchObject({
    active: false,
    reason: 'tenant-deleted',
  });
  expect((await page.request.get(`${app.url}/sync`)).status()).toBe(409);
});
