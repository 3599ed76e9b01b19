/**
 * examples/acme-py (Python 3 / Flask / Authlib) against the real emulator: the compliant app signs
 * in and calls the API the way the rules ask, refuses what it must refuse, and each seeded defect
 * in defects.json is shown live by behaviour. The app runs under Debian's /usr/bin/python3 (the
 * interpreter with python3-flask, python3-authlib, python3-requests and python3-jwt), started the
 * way the harness starts it: its own environment, REQUESTS_CA_BUNDLE for the emulator's CA.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, expect } from '@playwright/test';
import type { Page } from '@playwright/test';
import { loadConfig } from '../../src/config/load.ts';
import { getRule } from '../../src/rules/index.ts';
import type { Emulator, Exchange, Flow, IdTokenScenario } from '../../src/emulator/index.ts';
import {
  apiCalls,
  emulatorFor,
  EXAMPLES_DIR,
  freePort,
  newFlow,
  rewriteAuthorizationResponse,
  signIn,
  WEB_POST_LOGOUT,
  WEB_REDIRECTS,
} from './support.ts';
import type { TestEmulator } from './support.ts';

const PYTHON = '/usr/bin/python3';
const APP_DIR = join(EXAMPLES_DIR, 'acme-py');

/** Why the app cannot run here, or undefined when Debian's Python has what it needs. */
function pythonMissing(): string | undefined {
  const probe = spawnSync(PYTHON, ['-c', 'import flask, authlib, requests, jwt, cryptography'], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  if (probe.error) return `${PYTHON} is not available (${probe.error.message})`;
  if (probe.status !== 0) {
    const last = probe.stderr.trim().split('\n').pop() ?? '';
    return `${PYTHON} lacks the app's libraries (${last}); install python3-flask python3-authlib python3-requests python3-jwt`;
  }
  return undefined;
}

const missing = pythonMissing();

test.use({ ignoreHTTPSErrors: true });

interface PyApp {
  url: string;
  process: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Starts `python3 app.py` on a free port and waits for /healthz (like the harness's `ready`). */
async function startPyApp(
  emulator: Emulator,
  defects: string[] = [],
  env: Record<string, string | undefined> = {},
): Promise<PyApp> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const full: Record<string, string | undefined> = {
    PATH: process.env['PATH'] ?? '',
    HOME: process.env['HOME'] ?? '',
    PYTHONDONTWRITEBYTECODE: '1',
    REQUESTS_CA_BUNDLE: emulator.caFile,
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: url,
    SUPEROFFICE_URL: emulator.superidUrl,
    SUPEROFFICE_CLIENT_ID: emulator.client.id,
    SUPEROFFICE_CLIENT_SECRET: emulator.client.secret,
    SUPEROFFICE_TENANT: emulator.tenant,
    DEFECTS: defects.join(','),
    ...env,
  };
  const child = spawn(PYTHON, ['app.py'], {
    cwd: APP_DIR,
    env: Object.fromEntries(Object.entries(full).filter((e): e is [string, string] => e[1] !== undefined)),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`acme-py exited early:\n${output}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok && (await res.text()) === 'ok') break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`acme-py did not become ready:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, process: child, output: () => output, stop };
}

let emu: TestEmulator | undefined;
let app: PyApp | undefined;

async function setup(
  defects: string[] = [],
  env: Record<string, string | undefined> = {},
): Promise<{ emulator: Emulator; app: PyApp }> {
  emu = await emulatorFor({
    name: 'Acme Py',
    vendor: 'Acme AS',
    type: 'web',
    redirectUris: WEB_REDIRECTS,
    postLogoutRedirectUris: WEB_POST_LOGOUT,
  });
  app = await startPyApp(emu.emulator, defects, env);
  return { emulator: emu.emulator, app };
}

test.afterEach(async () => {
  await app?.stop();
  await emu?.stop();
  app = undefined;
  emu = undefined;
});

/** The session probe as the harness reads it: /session with the browser's cookies, no redirects. */
async function probe(page: Page, appUrl: string): Promise<{ status: number; text: string }> {
  const res = await page.request.get(`${appUrl}/session`, { maxRedirects: 0 });
  return { status: res.status(), text: await res.text() };
}

function refreshGrants(flow: Flow): Exchange[] {
  return flow
    .exchanges()
    .filter(
      (e) =>
        e.endpoint === 'token' && new URLSearchParams(e.requestBody).get('grant_type') === 'refresh_token',
    );
}

const NO_TRACEBACK = /Traceback \(most recent call last\)|File ".*\.py", line \d+/;

test('config loads and defects.json names exactly the defects app.py knows, with known rules', async () => {
  const config = await loadConfig(join(APP_DIR, 'preflight.config.ts'), { appPort: 45678 });
  expect(config.app).toMatchObject({ name: 'Acme Py', type: 'web', vendor: 'Acme AS' });
  expect(config.app.baseURL).toBe('http://127.0.0.1:45678');
  expect(config.app.start?.command).toBe(`${PYTHON} app.py`);

  const defects = JSON.parse(await readFile(join(APP_DIR, 'defects.json'), 'utf8')) as {
    app: string;
    defects: { name: string; rules: string[]; description: string }[];
  };
  expect(defects.app).toBe('acme-py');
  const settings = await readFile(join(APP_DIR, 'settings.py'), 'utf8');
  const known = /KNOWN_DEFECTS = \[([^\]]*)\]/.exec(settings)?.[1]?.match(/'([a-z-]+)'/g) ?? [];
  expect(defects.defects.map((d) => d.name).sort()).toEqual(known.map((s) => s.slice(1, -1)).sort());
  for (const d of defects.defects) {
    expect(d.description.length, d.name).toBeGreaterThan(20);
    expect(d.rules.length, d.name).toBeGreaterThan(0);
    for (const rule of d.rules) expect(getRule(rule), `${d.name}: unknown rule ${rule}`).toBeDefined();
  }
});

test.describe('acme-py under Debian Python', () => {
  test.skip(missing !== undefined, missing ?? '');

  test('signs in with code flow + PKCE; /session shows the user from User/currentPrincipal', async ({
    page,
    context,
  }) => {
    const { emulator, app } = await setup();
    const secret = emulator.client.secret!;
    const scripts = new Map<string, string>();
    page.on('response', async (r) => {
      if (r.request().resourceType() !== 'script' || r.status() !== 200) return;
      scripts.set(new URL(r.url()).pathname, await r.text().catch(() => ''));
    });
    const flow = await newFlow(context, emulator);
    await signIn(page, flow, `${app.url}/login`);
    await expect(page).toHaveURL(`${app.url}/`);
    await expect(page.getByRole('heading', { name: /^Welcome, / })).toBeVisible();

    // The authorization request: code flow, S256, state and nonce, scope openid, pinned tenant.
    const authorize = flow.exchanges().find((e) => e.endpoint === 'authorize');
    expect(authorize?.query).toMatchObject({
      response_type: 'code',
      code_challenge_method: 'S256',
      scope: 'openid',
      acr_values: `tenant:${emulator.tenant}`,
    });
    expect(authorize?.query['state']?.length).toBeGreaterThanOrEqual(22);
    expect(authorize?.query['nonce']).toBeTruthy();
    // Token request: client_secret_post in the body, never in the URL; the PKCE verifier sent.
    const token = flow.exchanges().find((e) => e.endpoint === 'token');
    const form = new URLSearchParams(token?.requestBody ?? '');
    expect(form.get('grant_type')).toBe('authorization_code');
    expect(form.get('client_secret')).toBe(secret);
    expect(form.get('code_verifier')).toBeTruthy();
    expect(token?.url).not.toContain('client_secret');

    // /session: 200, the name NetServer gives for the user (an API call with the flow's token).
    const before = apiCalls(flow).length;
    const session = await probe(page, app.url);
    expect(session.status).toBe(200);
    const principalCall = apiCalls(flow)
      .slice(before)
      .find((e) => /\/v1\/User\/currentPrincipal$/i.test(e.path));
    expect(principalCall?.status).toBe(200);
    expect(principalCall?.url.startsWith(emulator.webapiUrl)).toBe(true);
    const fullName = (JSON.parse(principalCall!.responseBody) as { FullName: string }).FullName;
    expect(fullName).toBeTruthy();
    await page.goto(`${app.url}/session`);
    await expect(page.locator('#user-name')).toHaveText(fullName);

    // Tenant state checked before the first API call; no API call to the SuperID host.
    const all = emulator.recorder.all();
    const firstState = all.findIndex((e) => e.endpoint === 'state');
    const firstApi = all.findIndex((e) => e.endpoint === 'api');
    expect(firstState).toBeGreaterThanOrEqual(0);
    expect(firstState).toBeLessThan(firstApi);
    expect(all.some((e) => e.endpoint === 'api-wrong-host')).toBe(false);

    // The API page lists contacts; valid tokens are not refreshed.
    await page.goto(`${app.url}/contacts`);
    await expect(page.locator('#contacts li').first()).toBeVisible();
    expect(refreshGrants(flow)).toHaveLength(0);

    // Tokens stay on the server: a random id in an HttpOnly, Secure, SameSite=Lax cookie.
    // (SuperID's own cookies share the host 127.0.0.1; only acme_py_sid is the app's.)
    const sid = (await context.cookies(app.url)).find((c) => c.name === 'acme_py_sid');
    expect(sid).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax' });
    expect(sid?.value).toMatch(/^[\w-]{43}$/);
    const tokens = flow.tokens();
    // Only the home page loads /home-config.js, and it holds no secret.
    expect(scripts.has('/home-config.js')).toBe(true);
    expect(scripts.get('/home-config.js')).not.toContain(secret);
    expect(scripts.get('/static/app.js')).not.toContain(secret);
    // Logs name events, never secrets, tokens or the authorization code.
    for (const value of [secret, ...tokens.codes, ...tokens.accessTokens, ...tokens.refreshTokens]) {
      expect(app.output()).not.toContain(value);
    }

    await page.goto(`${app.url}/logout`);
    expect((await probe(page, app.url)).status).toBe(401);
    await page.goto(`${app.url}/contacts`);
    expect(new URL(page.url()).origin).toBe(emulator.superidUrl); // signed out: back to SuperID

    await app.stop();
    expect(app.process.exitCode).toBe(0); // clean shutdown on SIGTERM
  });

  test('trusts SuperID only through the CA it is given (TLS is verified)', async ({ page }) => {
    const { app } = await setup([], { REQUESTS_CA_BUNDLE: undefined, SSL_CERT_FILE: undefined });
    const res = await page.goto(`${app.url}/login`);
    expect(res?.status()).toBe(503);
    await expect(page.getByRole('heading', { name: 'SuperOffice unavailable' })).toBeVisible();
    expect(app.output()).toContain('signin.unavailable error=SSLError');
  });

  test('rejects forged id_tokens and a tampered state; accepts legal token shapes', async ({ browser }) => {
    test.setTimeout(180_000);
    const { emulator, app } = await setup();
    const forged: IdTokenScenario[] = [
      'sig-payload-edited',
      'sig-unknown-key-real-kid',
      'env-key',
      'alg-none',
      'alg-hs256-public-key-pem',
      'jku-header',
      'iss-foreign',
      'iss-trailing-slash',
      'aud-wrong',
      'aud-untrusted-extra',
      'exp-past',
      'nbf-future',
      'nonce-mismatch',
      'nonce-missing',
      'sub-missing',
      'malformed-two-segments',
    ];
    for (const scenario of forged) {
      const context = await browser.newContext();
      const page = await context.newPage();
      const flow = await newFlow(context, emulator, { idToken: scenario });
      await signIn(page, flow, `${app.url}/login`);
      await expect(page.getByRole('heading', { name: 'Sign-in failed' }), scenario).toBeVisible();
      expect((await probe(page, app.url)).status, scenario).toBe(401);
      expect(apiCalls(flow), scenario).toHaveLength(0);
      expect(await page.content(), scenario).not.toMatch(NO_TRACEBACK);
      await context.close();
    }
    expect(emulator.recorder.all().some((e) => e.endpoint === 'harness-probe')).toBe(false); // no jku fetch

    for (const scenario of ['kid-absent-single-key', 'aud-single-element-array'] as const) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await signIn(page, await newFlow(context, emulator, { idToken: scenario }), `${app.url}/login`);
      expect((await probe(page, app.url)).status, scenario).toBe(200);
      await context.close();
    }

    // state altered on the way back: refused before the code is redeemed
    const context = await browser.newContext();
    const page = await context.newPage();
    const flow = await newFlow(context, emulator);
    await rewriteAuthorizationResponse(page, emulator.superidUrl, app.url, (callback) =>
      callback.searchParams.set('state', 'tampered'),
    );
    await signIn(page, flow, `${app.url}/login`);
    await expect(page.getByRole('heading', { name: 'Sign-in failed' })).toBeVisible();
    expect((await probe(page, app.url)).status).toBe(401);
    expect(flow.exchanges().filter((e) => e.endpoint === 'token')).toHaveLength(0);
    await page.unrouteAll();

    // an absolute returnUrl is ignored; a broken callback shows a friendly page
    const flow2 = await newFlow(context, emulator);
    await signIn(page, flow2, `${app.url}/login?returnUrl=${encodeURIComponent('https://evil.example/')}`);
    await expect(page).toHaveURL(`${app.url}/`);
    const res = await page.goto(`${app.url}/callback?code=x&state=y`);
    expect(res?.status()).toBe(400);
    expect(await page.content()).not.toMatch(NO_TRACEBACK);

    // signing key rolled over: the app fetches the new key
    await emulator.rotateSigningKey();
    await signIn(page, await newFlow(context, emulator), `${app.url}/login`);
    expect((await probe(page, app.url)).status).toBe(200);
    await context.close();
  });

  test('refreshes once on 401, backs off on 429, stops for a suspended tenant, validates webhooks', async ({
    page,
    context,
  }) => {
    test.setTimeout(120_000);
    const { emulator, app } = await setup();
    // 401 on the first call -> one refresh grant -> the call is retried with the new token
    const flow = await newFlow(context, emulator, { api: { accessTokenExpiresAfterCalls: 0 } });
    await signIn(page, flow, `${app.url}/login?returnUrl=%2Fcontacts`);
    await expect(page.locator('#contacts li').first()).toBeVisible();
    expect(refreshGrants(flow)).toHaveLength(1);
    const [first, retry] = apiCalls(flow);
    expect(first?.status).toBe(401);
    expect(retry?.status).toBe(200);
    expect(retry?.requestHeaders['authorization']).not.toBe(first?.requestHeaders['authorization']);
    await page.goto(`${app.url}/contacts`);
    expect(refreshGrants(flow)).toHaveLength(1); // the new token is kept, not refreshed again

    // refresh refused (consent revoked): signed out with a message, no loop
    const revoked = await newFlow(context, emulator, {
      api: { accessTokenExpiresAfterCalls: 0, refreshRevoked: true },
    });
    await signIn(page, revoked, `${app.url}/login?returnUrl=%2Fcontacts`);
    await expect(page.getByText('Your SuperOffice session has expired.')).toBeVisible();
    expect(apiCalls(revoked)).toHaveLength(1);
    expect((await probe(page, app.url)).status).toBe(401);

    // 429 with a long Retry-After: one call, a busy page, and no call until Retry-After passed
    const busy = await newFlow(context, emulator, { api: { throttle: { calls: 5, retryAfterSeconds: 30 } } });
    await signIn(page, busy, `${app.url}/login?returnUrl=%2Fcontacts`);
    await expect(page.getByText('SuperOffice is busy, please try again in 30 seconds')).toBeVisible();
    expect(apiCalls(busy)).toHaveLength(1);
    const whileBusy = await probe(page, app.url);
    expect(whileBusy.status).toBe(200); // still signed in, says so without calling SuperOffice
    expect(whileBusy.text).toContain('SuperOffice is not available right now');
    expect(apiCalls(busy)).toHaveLength(1);

    // NetServer 500: a friendly page, no traceback
    const broken = await newFlow(context, emulator, { api: { serverError: true } });
    await signIn(page, broken, `${app.url}/login?returnUrl=%2Fcontacts`);
    await expect(page.getByRole('heading', { name: 'SuperOffice error' })).toBeVisible();
    expect(await page.content()).not.toMatch(NO_TRACEBACK);

    // forged Suspend is refused; a genuine one stops API calls until Resume
    const forged = await emulator.stateChangeNotification({ changeType: 2, forge: 'bad-signature' });
    expect((await page.request.post(`${app.url}/webhook`, { data: forged })).status()).toBe(401);
    const suspend = await emulator.stateChangeNotification({ changeType: 2 });
    expect((await page.request.post(`${app.url}/webhook`, { data: suspend })).status()).toBe(200);
    const mark = apiCalls(broken).length;
    await page.goto(`${app.url}/contacts`);
    await expect(page.getByText('Your SuperOffice tenant is unavailable (Suspended)')).toBeVisible();
    expect(apiCalls(broken)).toHaveLength(mark);
    const resume = await emulator.stateChangeNotification({ changeType: 3 });
    expect((await page.request.post(`${app.url}/webhook`, { data: resume })).status()).toBe(200);

    // tenant suspended in the state API (a fresh app: the state answer is cached up to a minute)
    emulator.setFaults({ tenantState: 'Suspended' });
    await app.stop();
    const fresh = await startPyApp(emulator);
    try {
      const suspended = await newFlow(context, emulator);
      await signIn(page, suspended, `${fresh.url}/login?returnUrl=%2Fcontacts`);
      await expect(page.getByText('Your SuperOffice tenant is unavailable (Suspended)')).toBeVisible();
      expect(apiCalls(suspended)).toHaveLength(0);
    } finally {
      await fresh.stop();
    }
  });

  test.describe('seeded defects', () => {
    test('skip-signature: accepts id_tokens with an edited payload or a foreign key', async ({ browser }) => {
      const { emulator, app } = await setup(['skip-signature']);
      for (const scenario of ['sig-payload-edited', 'env-key', 'alg-none'] as const) {
        const context = await browser.newContext();
        const page = await context.newPage();
        const flow = await newFlow(context, emulator, { idToken: scenario });
        await signIn(page, flow, `${app.url}/login`);
        expect((await probe(page, app.url)).status, scenario).toBe(200);
        expect(apiCalls(flow).length, scenario).toBeGreaterThan(0);
        await context.close();
      }
      // the claims are still checked: only the signature is skipped
      const context = await browser.newContext();
      const page = await context.newPage();
      await signIn(page, await newFlow(context, emulator, { idToken: 'aud-wrong' }), `${app.url}/login`);
      await expect(page.getByRole('heading', { name: 'Sign-in failed' })).toBeVisible();
      await context.close();
    });

    test('skip-state: a tampered state still signs in', async ({ page, context }) => {
      const { emulator, app } = await setup(['skip-state']);
      const flow = await newFlow(context, emulator);
      await rewriteAuthorizationResponse(page, emulator.superidUrl, app.url, (callback) =>
        callback.searchParams.set('state', 'tampered'),
      );
      await signIn(page, flow, `${app.url}/login`);
      expect((await probe(page, app.url)).status).toBe(200);
    });

    test('secret-on-home-page: only the home page loads a script with the client secret', async ({
      page,
      context,
    }) => {
      const { emulator, app } = await setup(['secret-on-home-page']);
      const secret = emulator.client.secret!;
      const pagesWithSecret = new Set<string>();
      page.on('response', async (r) => {
        if (r.request().resourceType() !== 'script' || r.status() !== 200) return;
        const pagePath = new URL(page.url()).pathname;
        if ((await r.text().catch(() => '')).includes(secret)) pagesWithSecret.add(pagePath);
      });
      await page.goto(`${app.url}/`);
      await expect.poll(() => [...pagesWithSecret]).toEqual(['/']);
      expect(
        await page.evaluate(() => JSON.stringify((window as { acmeHome?: unknown }).acmeHome)),
      ).toContain(secret);
      // the signed-in pages do not load it
      pagesWithSecret.clear();
      await signIn(page, await newFlow(context, emulator), `${app.url}/login?returnUrl=%2Fcontacts`);
      await expect(page.locator('#contacts li').first()).toBeVisible();
      await page.goto(`${app.url}/session`);
      expect([...pagesWithSecret]).toEqual([]);
    });

    test('refresh-every-call: a refresh grant before every API call while the token is valid', async ({
      page,
      context,
    }) => {
      const { emulator, app } = await setup(['refresh-every-call']);
      const flow = await newFlow(context, emulator);
      await signIn(page, flow, `${app.url}/login?returnUrl=%2Fcontacts`);
      await expect(page.locator('#contacts li').first()).toBeVisible();
      await page.goto(`${app.url}/session`);
      await page.goto(`${app.url}/contacts`);
      const calls = apiCalls(flow);
      expect(calls.length).toBeGreaterThanOrEqual(3);
      expect(calls.every((e) => e.status === 200)).toBe(true);
      expect(refreshGrants(flow)).toHaveLength(calls.length);
    });
  });
});
