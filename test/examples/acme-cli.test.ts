/**
 * examples/acme-cli (native app): run as a harness would, with BROWSER pointing at a program that
 * hands the authorize URL to the test's Chromium.
 */
import { test, expect } from '@playwright/test';
import type { BrowserContext, Page } from '@playwright/test';
import type { FlowOptions } from '../../src/emulator/index.ts';
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appEnv, EXAMPLES_DIR, emulatorFor, newFlow, signIn } from './support.ts';
import type { TestEmulator } from './support.ts';

test.use({ ignoreHTTPSErrors: true });

const LOOPBACK = ['^http://127\\.0\\.0\\.1:\\d{2,5}/$', '^http://localhost:\\d{2,5}/$'];

let emu: TestEmulator | undefined;
let dir: string | undefined;

test.afterEach(async () => {
  await emu?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
  emu = undefined;
  dir = undefined;
});

async function runCli(defects: string[], page: Page, context: BrowserContext, flowOptions: FlowOptions = {}) {
  emu = await emulatorFor({ name: 'Acme CLI', vendor: 'Acme AS', type: 'native', redirectUris: LOOPBACK });
  const emulator = emu.emulator;
  dir = await mkdtemp(join(tmpdir(), 'acme-cli-'));
  const urlFile = join(dir, 'url');
  const browser = join(dir, 'browser.sh');
  await writeFile(browser, '#!/bin/sh\nprintf "%s" "$1" > "$ACME_TEST_URL_FILE"\n');
  await chmod(browser, 0o755);
  const child = spawn(process.execPath, ['cli.ts'], {
    cwd: join(EXAMPLES_DIR, 'acme-cli'),
    env: appEnv(emulator, {
      BROWSER: browser,
      ACME_TEST_URL_FILE: urlFile,
      DEFECTS: defects.join(','),
      ACME_CLI_TIMEOUT_SECONDS: '40',
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    let authorizeUrl = '';
    await expect
      .poll(async () => (authorizeUrl = await readFile(urlFile, 'utf8').catch(() => '')), { timeout: 10_000 })
      .toMatch(/^https:/);
    const redirectUri = new URL(new URL(authorizeUrl).searchParams.get('redirect_uri') ?? '');
    const flow = await newFlow(context, emulator, flowOptions);
    await signIn(page, flow, authorizeUrl, redirectUri.origin);
    const code = await exit;
    return { emulator, flow, code, stdout, stderr, authorize: new URL(authorizeUrl), redirectUri };
  } finally {
    if (child.exitCode === null) child.kill('SIGTERM');
  }
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

test('rejects a forged id_token: error page in the browser, exit 1, no API call', async ({
  page,
  context,
}) => {
  const { flow, code, stderr } = await runCli([], page, context, { idToken: 'sig-payload-edited' });
  await expect(page.getByText(/^Sign-in failed: /)).toBeVisible();
  expect(code).toBe(1);
  expect(stderr).toMatch(/^acme-cli: sign-in failed: .+\n$/);
  expect(flow.exchanges().some((e) => e.endpoint === 'api')).toBe(false);
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
