/**
 * examples/acme-cli (native app): run as a harness would, with BROWSER pointing at a program that
 * hands the authorize URL to the test's Chromium, and a home folder of its own per test. After the
 * sign-in run, `cli.ts whoami` (the app's API action) runs with the same environment, faults being
 * armed on the flow in between.
 */
import { test, expect } from '@playwright/test';
import type { BrowserContext, Page } from '@playwright/test';
import type { Emulator, Exchange, Flow, FlowOptions } from '../../src/emulator/index.ts';
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appEnv, EXAMPLES_DIR, emulatorFor, newFlow, signIn } from './support.ts';
import type { TestEmulator } from './support.ts';

test.use({ ignoreHTTPSErrors: true });

const LOOPBACK = ['^http://127\\.0\\.0\\.1:\\d{2,5}/$', '^http://localhost:\\d{2,5}/$'];
const CLI_DIR = join(EXAMPLES_DIR, 'acme-cli');
const ACCESS_LOST = 'acme-cli: access to SuperOffice was revoked or expired; run acme-cli to sign in again\n';
const NOT_SIGNED_IN = 'acme-cli: not signed in; run acme-cli to sign in\n';

let emu: TestEmulator | undefined;
let dir: string | undefined;

test.afterEach(async () => {
  await emu?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
  emu = undefined;
  dir = undefined;
});

interface Home {
  dir: string;
  urlFile: string;
  browser: string;
  configHome: string;
  tokenFile: string;
}

/** A folder per test: the fake browser, and the home folder the harness gives each native run. */
async function newHome(): Promise<Home> {
  dir = await mkdtemp(join(tmpdir(), 'acme-cli-'));
  const browser = join(dir, 'browser.sh');
  await writeFile(browser, '#!/bin/sh\nprintf "%s" "$1" > "$ACME_TEST_URL_FILE"\n');
  await chmod(browser, 0o755);
  const configHome = join(dir, 'home', '.config');
  return {
    dir,
    urlFile: join(dir, 'url'),
    browser,
    configHome,
    tokenFile: join(configHome, 'acme-cli', 'tokens.json'),
  };
}

function cliEnv(emulator: Pick<Emulator, 'caFile' | 'superidUrl' | 'client'>, home: Home, defects: string[]) {
  const h = join(home.dir, 'home');
  return appEnv(emulator as Emulator, {
    HOME: h,
    USERPROFILE: h,
    XDG_CONFIG_HOME: home.configHome,
    XDG_DATA_HOME: join(h, '.local', 'share'),
    XDG_STATE_HOME: join(h, '.local', 'state'),
    XDG_CACHE_HOME: join(h, '.cache'),
    APPDATA: join(h, 'AppData', 'Roaming'),
    LOCALAPPDATA: join(h, 'AppData', 'Local'),
    BROWSER: home.browser,
    ACME_TEST_URL_FILE: home.urlFile,
    SUPEROFFICE_TENANT: 'Cust12345',
    DEFECTS: defects.join(','),
    ACME_CLI_TIMEOUT_SECONDS: '40',
  });
}

function spawnCli(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, ['cli.ts', ...args], {
    cwd: CLI_DIR,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once('exit', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, exit };
}

/** Starts an emulator and a home folder, and signs in with `node cli.ts` through the test's browser. */
async function runCli(defects: string[], page: Page, context: BrowserContext, flowOptions: FlowOptions = {}) {
  emu = await emulatorFor({ name: 'Acme CLI', vendor: 'Acme AS', type: 'native', redirectUris: LOOPBACK });
  const emulator = emu.emulator;
  const home = await newHome();
  const { child, exit } = spawnCli([], cliEnv(emulator, home, defects));
  try {
    let authorizeUrl = '';
    await expect
      .poll(async () => (authorizeUrl = await readFile(home.urlFile, 'utf8').catch(() => '')), {
        timeout: 10_000,
      })
      .toMatch(/^https:/);
    const redirectUri = new URL(new URL(authorizeUrl).searchParams.get('redirect_uri') ?? '');
    const flow = await newFlow(context, emulator, flowOptions);
    await signIn(page, flow, authorizeUrl, redirectUri.origin);
    const { code, stdout, stderr } = await exit;
    await rm(home.urlFile, { force: true });
    return { emulator, flow, home, code, stdout, stderr, authorize: new URL(authorizeUrl), redirectUri };
  } finally {
    if (child.exitCode === null) child.kill('SIGTERM');
  }
}

/** The API action: `node cli.ts whoami`, same environment and home folder; bounded. */
async function whoami(emulator: Emulator, home: Home, defects: string[] = []) {
  const started = Date.now();
  const { child, exit } = spawnCli(['whoami'], cliEnv(emulator, home, defects));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  try {
    const result = await exit;
    // whoami never opens a browser.
    expect(await readFile(home.urlFile, 'utf8').catch(() => 'none')).toBe('none');
    return { ...result, ms: Date.now() - started };
  } finally {
    clearTimeout(timer);
  }
}

function grantType(e: Exchange): string | null {
  return new URLSearchParams(e.requestBody).get('grant_type');
}
function refreshes(flow: Flow, since: number): Exchange[] {
  return flow
    .exchanges()
    .slice(since)
    .filter((e) => e.endpoint === 'token' && grantType(e) === 'refresh_token');
}
function apiStatuses(flow: Flow, since: number, endpoint: 'api' | 'api-wrong-host' = 'api'): number[] {
  return flow
    .exchanges()
    .slice(since)
    .filter((e) => e.endpoint === endpoint)
    .map((e) => e.status);
}
function stateCalls(emulator: Emulator, sinceSeq: number): Exchange[] {
  return emulator.recorder.since(sinceSeq).filter((e) => e.endpoint === 'state');
}

async function storeOf(home: Home): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(home.tokenFile, 'utf8')) as Record<string, unknown>;
}
async function modeOf(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

test('signs in with PKCE S256 on a 127.0.0.1 loopback redirect and prints the user', async ({
  page,
  context,
}) => {
  const { flow, code, stdout, authorize, redirectUri } = await runCli([], page, context);
  await expect(page.getByText('Signed in to SuperOffice. You can close this window.')).toBeVisible();
  expect(code).toBe(0);
  expect(stdout).toMatch(/^Signed in as .+ \(Cust12345\)\n$/);
  expect(redirectUri.hostname).toBe('127.0.0.1');
  expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
  expect(authorize.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  const token = flow.exchanges().find((e) => e.endpoint === 'token');
  expect(token?.requestBody).toContain('code_verifier=');
  expect(token?.requestBody).not.toContain('client_secret');
  expect(flow.exchanges().some((e) => e.endpoint === 'api' && e.status === 200)).toBe(true);
});

test('saves the tokens 0600 in XDG_CONFIG_HOME; whoami answers from them without a browser or a refresh', async ({
  page,
  context,
}) => {
  const { emulator, flow, home, code, stdout } = await runCli([], page, context);
  expect(code).toBe(0);
  expect(await modeOf(home.tokenFile)).toBe(0o600);
  expect(await modeOf(join(home.configHome, 'acme-cli'))).toBe(0o700);
  const store = await storeOf(home);
  const issued = flow.tokens();
  expect(store).toMatchObject({
    superoffice_url: emulator.superidUrl,
    ctx: 'Cust12345',
    webapi_url: emulator.webapiUrl,
    access_token: issued.accessTokens[0],
    refresh_token: issued.refreshTokens[0],
  });
  const expiresAt = store['expires_at'] as number;
  expect(Math.abs(expiresAt - (Date.now() / 1000 + emulator.accessTokenTtlSeconds))).toBeLessThan(60);

  for (let run = 0; run < 2; run++) {
    const since = flow.exchanges().length;
    const seq = emulator.recorder.lastSeq();
    const who = await whoami(emulator, home);
    expect(who.stderr).toBe('');
    expect(who.code).toBe(0);
    expect(who.stdout).toBe(stdout);
    // The tenant state first, then one API call with the saved token; no sign-in, no refresh.
    const traffic = emulator.recorder.since(seq).filter((e) => e.endpoint !== 'other');
    expect(traffic.map((e) => e.endpoint)).toEqual(['state', 'api']);
    expect(traffic[1]?.requestHeaders['authorization']).toBe(`Bearer ${String(store['access_token'])}`);
    expect(
      flow
        .exchanges()
        .slice(since)
        .some((e) => e.endpoint === 'token' || e.endpoint === 'authorize'),
    ).toBe(false);
  }
  expect(await storeOf(home)).toEqual(store);
});

test('whoami refreshes once after a 401 and retries; refreshes first when the saved token has expired', async ({
  page,
  context,
}) => {
  const { emulator, flow, home, code } = await runCli([], page, context);
  expect(code).toBe(0);
  const before = await storeOf(home);

  // The signed-in token is now answered 401 (tokens from a refresh are spared).
  await flow.arm({ accessTokenExpiresAfterCalls: 0 });
  let since = flow.exchanges().length;
  let who = await whoami(emulator, home);
  expect(who.code).toBe(0);
  expect(who.stdout).toMatch(/^Signed in as .+ \(Cust12345\)\n$/);
  expect(apiStatuses(flow, since)).toEqual([401, 200]);
  const [grant] = refreshes(flow, since);
  expect(refreshes(flow, since)).toHaveLength(1);
  expect(grant?.status).toBe(200);
  const form = new URLSearchParams(grant?.requestBody);
  expect([...form.keys()].sort()).toEqual(['client_id', 'grant_type', 'refresh_token']);
  expect(form.get('client_id')).toBe(emulator.client.id);
  expect(form.get('refresh_token')).toBe(before['refresh_token']);
  const after = await storeOf(home);
  expect(after['access_token']).not.toBe(before['access_token']);
  expect(after['access_token']).toBe(flow.tokens().accessTokens.at(-1));
  expect(after['refresh_token']).toBe(before['refresh_token']);
  expect(await modeOf(home.tokenFile)).toBe(0o600);

  // The new token is valid: no refresh.
  since = flow.exchanges().length;
  who = await whoami(emulator, home);
  expect(who.code).toBe(0);
  expect(apiStatuses(flow, since)).toEqual([200]);
  expect(refreshes(flow, since)).toHaveLength(0);

  // The saved expiry has passed: refresh before calling, not after a 401.
  await writeFile(
    home.tokenFile,
    JSON.stringify({ ...after, expires_at: Math.floor(Date.now() / 1000) - 5 }),
  );
  since = flow.exchanges().length;
  who = await whoami(emulator, home);
  expect(who.code).toBe(0);
  expect(refreshes(flow, since)).toHaveLength(1);
  expect(apiStatuses(flow, since)).toEqual([200]);
  expect((await storeOf(home))['expires_at']).toBeGreaterThan(Date.now() / 1000);
});

test('whoami: tenant offline, throttled, server error, consent revoked: one line, exit 1, bounded', async ({
  page,
  context,
}) => {
  const { emulator, flow, home, code } = await runCli([], page, context);
  expect(code).toBe(0);

  emulator.setFaults({ tenantState: 'OfflineMaintenance' });
  let since = flow.exchanges().length;
  let who = await whoami(emulator, home);
  expect(who.code).toBe(1);
  expect(who.stderr).toBe('acme-cli: your SuperOffice tenant is unavailable (OfflineMaintenance)\n');
  expect(apiStatuses(flow, since)).toEqual([]);
  emulator.setFaults({});

  // A short Retry-After is waited out once.
  await flow.arm({ throttle: { calls: 1, retryAfterSeconds: 1 } });
  since = flow.exchanges().length;
  who = await whoami(emulator, home);
  expect(who.code).toBe(0);
  expect(apiStatuses(flow, since)).toEqual([429, 200]);
  expect(who.ms).toBeGreaterThanOrEqual(900);

  // A long one is not: the user is told to try later.
  await flow.arm({ throttle: { calls: 5, retryAfterSeconds: 30 } });
  since = flow.exchanges().length;
  who = await whoami(emulator, home);
  expect(who.code).toBe(1);
  expect(who.stderr).toBe('acme-cli: SuperOffice is busy, please try again later\n');
  expect(apiStatuses(flow, since)).toEqual([429]);

  await flow.arm({ serverError: true });
  since = flow.exchanges().length;
  who = await whoami(emulator, home);
  expect(who.code).toBe(1);
  expect(who.stderr).toBe('acme-cli: SuperOffice answered 500\n');
  expect(apiStatuses(flow, since)).toEqual([500]);

  // Consent revoked: bearer calls 401, the refresh grant invalid_grant. Forget the sign-in.
  await flow.arm({});
  emulator.setFaults({ consentRevoked: true });
  since = flow.exchanges().length;
  who = await whoami(emulator, home);
  expect(who.code).toBe(1);
  expect(who.stderr).toBe(ACCESS_LOST);
  expect(apiStatuses(flow, since)).toEqual([401]);
  expect(refreshes(flow, since).map((e) => e.status)).toEqual([400]);
  await expect(stat(home.tokenFile)).rejects.toThrow();

  since = flow.exchanges().length;
  who = await whoami(emulator, home);
  expect(who.code).toBe(1);
  expect(who.stderr).toBe(NOT_SIGNED_IN);
  expect(flow.exchanges().length).toBe(since);
});

test('whoami without a saved sign-in: one line, exit 1, nothing contacted', async () => {
  const home = await newHome();
  // Nothing listens on port 9; a request would end in "could not be reached" instead.
  const fake = { caFile: '', superidUrl: 'https://127.0.0.1:9', client: { id: 'acme', secret: undefined } };
  const { code, stdout, stderr } = await spawnCli(['whoami'], cliEnv(fake, home, [])).exit;
  expect(code).toBe(1);
  expect(stdout).toBe('');
  expect(stderr).toBe(NOT_SIGNED_IN);
});

test('rejects a forged id_token: error page in the browser, exit 1, no API call, nothing saved', async ({
  page,
  context,
}) => {
  const { flow, home, code, stderr } = await runCli([], page, context, { idToken: 'sig-payload-edited' });
  await expect(page.getByText(/^Sign-in failed: /)).toBeVisible();
  expect(code).toBe(1);
  expect(stderr).toMatch(/^acme-cli: sign-in failed: .+\n$/);
  expect(flow.exchanges().some((e) => e.endpoint === 'api')).toBe(false);
  await expect(stat(home.tokenFile)).rejects.toThrow();
});

test('no-pkce: the authorize request carries no code_challenge', async ({ page, context }) => {
  const { code, authorize, stderr } = await runCli(['no-pkce'], page, context);
  expect(authorize.searchParams.has('code_challenge')).toBe(false);
  expect(authorize.searchParams.has('code_challenge_method')).toBe(false);
  // The emulator answers a PKCE-less public-client request with an error redirect; the CLI
  // reports it and exits 1 (a real SuperID may behave differently).
  if (code !== 0) expect(stderr).toMatch(/^acme-cli: sign-in failed: .+\n$/);
});

test('plain-pkce: code_challenge_method=plain with the verifier as challenge; sign-in completes', async ({
  page,
  context,
}) => {
  const { code, authorize, flow } = await runCli(['plain-pkce'], page, context);
  expect(authorize.searchParams.get('code_challenge_method')).toBe('plain');
  const token = flow.exchanges().find((e) => e.endpoint === 'token');
  expect(new URLSearchParams(token?.requestBody).get('code_verifier')).toBe(
    authorize.searchParams.get('code_challenge'),
  );
  expect(code).toBe(0);
});

test('localhost-redirect: uses http://localhost:{port}/ and signs in', async ({ page, context }) => {
  const { code, redirectUri, stdout } = await runCli(['localhost-redirect'], page, context);
  expect(redirectUri.hostname).toBe('localhost');
  expect(code).toBe(0);
  expect(stdout).toContain('Signed in as');
});

test('api-host-from-superid: the sign-in calls the API on the SuperID host (421, bound to the flow)', async ({
  page,
  context,
}) => {
  const { emulator, flow, home, code, stderr } = await runCli(['api-host-from-superid'], page, context);
  expect(code).toBe(1);
  expect(stderr).toBe('acme-cli: SuperOffice answered 421\n');
  // One call; fetch itself (the Fetch standard) repeats a request answered 421 once.
  const calls = flow.exchanges().filter((e) => e.endpoint === 'api-wrong-host');
  expect(calls.map((e) => [e.status, new URL(e.url).origin])).toEqual([
    [421, emulator.superidUrl],
    [421, emulator.superidUrl],
  ]);
  expect(calls[0]?.path).toBe('/Cust12345/api/v1/User/currentPrincipal');
  // The claim's URL is still what it saves.
  expect((await storeOf(home))['webapi_url']).toBe(emulator.webapiUrl);
});

test('whoami defects: token-file-world-readable, api-host-from-superid, ignore-tenant-state, retry-storm, no-refresh, loops-after-revoke', async ({
  page,
  context,
}) => {
  const { emulator, flow, home, code } = await runCli(['token-file-world-readable'], page, context);
  expect(code).toBe(0);
  const umask = process.umask();
  expect(await modeOf(home.tokenFile)).toBe(0o644 & ~umask);
  expect(await modeOf(join(home.configHome, 'acme-cli'))).toBe(0o755 & ~umask);

  let since = flow.exchanges().length;
  let who = await whoami(emulator, home, ['api-host-from-superid']);
  expect(who.code).toBe(1);
  expect(who.stderr).toBe('acme-cli: SuperOffice answered 421\n');
  expect(apiStatuses(flow, since, 'api-wrong-host')).toEqual([421, 421]); // fetch's own 421 retry
  expect(apiStatuses(flow, since)).toEqual([]);

  emulator.setFaults({ tenantState: 'OfflineMaintenance' });
  since = flow.exchanges().length;
  let seq = emulator.recorder.lastSeq();
  who = await whoami(emulator, home, ['ignore-tenant-state']);
  expect(who.code).toBe(1);
  expect(stateCalls(emulator, seq)).toEqual([]);
  expect(apiStatuses(flow, since)).toEqual([503]);
  emulator.setFaults({});
  // The same tenant state check is made by the correct CLI.
  seq = emulator.recorder.lastSeq();
  expect((await whoami(emulator, home)).code).toBe(0);
  expect(stateCalls(emulator, seq)).toHaveLength(1);

  await flow.arm({ throttle: { calls: 100, retryAfterSeconds: 30 } });
  since = flow.exchanges().length;
  who = await whoami(emulator, home, ['retry-storm']);
  expect(who.code).toBe(1);
  expect(who.stderr).toBe('acme-cli: SuperOffice is busy, please try again later\n');
  expect(apiStatuses(flow, since)).toEqual(Array<number>(31).fill(429));
  expect(who.ms).toBeLessThan(15_000);

  await flow.arm({ accessTokenExpiresAfterCalls: 0 });
  since = flow.exchanges().length;
  who = await whoami(emulator, home, ['no-refresh']);
  expect(who.code).toBe(1);
  expect(who.stderr).toBe('acme-cli: SuperOffice answered 401\n');
  expect(apiStatuses(flow, since)).toEqual([401]);
  expect(refreshes(flow, since)).toHaveLength(0);

  await flow.arm({ accessTokenExpiresAfterCalls: 0, refreshRevoked: true });
  since = flow.exchanges().length;
  who = await whoami(emulator, home, ['loops-after-revoke']);
  expect(who.code).toBe(1);
  expect(who.stderr).toBe(ACCESS_LOST);
  expect(refreshes(flow, since).map((e) => e.status)).toEqual(Array<number>(21).fill(400));
  expect(apiStatuses(flow, since)).toEqual(Array<number>(21).fill(401));
});
