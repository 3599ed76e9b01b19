/**
 * Helpers for the example-app tests: an emulator per test, the app as a child process (the way
 * the harness starts it: its own environment variables, NODE_EXTRA_CA_CERTS for the emulator's
 * CA), and a browser sign-in through the emulator's SuperID pages.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from '@playwright/test';
import type { BrowserContext, Page } from '@playwright/test';
import { startEmulator } from '../../src/emulator/index.ts';
import type {
  Emulator,
  EmulatorAppRegistration,
  Exchange,
  Flow,
  FlowOptions,
} from '../../src/emulator/index.ts';

export const EXAMPLES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples');

export const WEB_REDIRECTS = ['^http://127\\.0\\.0\\.1:\\d{2,5}/callback$'];
export const WEB_POST_LOGOUT = ['^http://127\\.0\\.0\\.1:\\d{2,5}/$'];

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface TestEmulator {
  emulator: Emulator;
  stop(): Promise<void>;
}

export async function emulatorFor(app: EmulatorAppRegistration): Promise<TestEmulator> {
  const dataDir = await mkdtemp(join(tmpdir(), 'acme-emu-'));
  const emulator = await startEmulator({ environment: 'sod', tenant: 'Cust12345', dataDir, app });
  return {
    emulator,
    async stop() {
      await emulator.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface RunningApp {
  url: string;
  process: ChildProcess;
  /** Everything the app wrote to stdout and stderr so far. */
  output(): string;
  stop(): Promise<void>;
}

/** Environment a harness-like runner gives the app (the apps read their own partner-style names). */
export function appEnv(emulator: Emulator, extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: process.env['PATH'] ?? '',
    HOME: process.env['HOME'] ?? '',
    NODE_EXTRA_CA_CERTS: emulator.caFile,
    SUPEROFFICE_URL: emulator.superidUrl,
    SUPEROFFICE_CLIENT_ID: emulator.client.id,
    ...(emulator.client.secret !== undefined ? { SUPEROFFICE_CLIENT_SECRET: emulator.client.secret } : {}),
    ...(emulator.privateKeyFile !== undefined
      ? { SUPEROFFICE_PRIVATE_KEY_FILE: emulator.privateKeyFile }
      : {}),
    ...extra,
  };
}

/** Starts examples/{app}/server.ts on a free port and waits for /healthz. */
export async function startApp(
  app: 'acme-web' | 'acme-sync',
  emulator: Emulator,
  defects: string[] = [],
): Promise<RunningApp> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['server.ts'], {
    cwd: join(EXAMPLES_DIR, app),
    env: appEnv(emulator, {
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: url,
      SUPEROFFICE_TENANT: emulator.tenant,
      DEFECTS: defects.join(','),
    }),
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
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${app} exited early:\n${output}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok && (await res.text()) === 'ok') break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${app} did not become ready:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url, process: child, output: () => output, stop };
}

/** Binds the browser context's next sign-in to a new emulator flow. */
export async function newFlow(
  context: BrowserContext,
  emulator: Emulator,
  options: FlowOptions = {},
): Promise<Flow> {
  const flow = emulator.createFlow(options);
  await context.addCookies([flow.cookie]);
  return flow;
}

/**
 * Opens `startUrl` (the app's sign-in entry) and completes the emulator's SuperID pages as
 * `flow.user`. Resolves once the browser is back on `appOrigin` (whatever page the app shows).
 */
export async function signIn(
  page: Page,
  flow: Flow,
  startUrl: string,
  appOrigin = new URL(startUrl).origin,
): Promise<void> {
  await page.goto(startUrl);
  const onApp = (): boolean => new URL(page.url()).origin === appOrigin;
  const username = page.getByLabel('Username');
  const approve = page.getByRole('button', { name: 'I approve' });
  // SuperID may remember the browser (single sign-on) and skip its pages.
  await expect
    .poll(async () => onApp() || (await username.isVisible()) || (await approve.isVisible()), {
      timeout: 15_000,
    })
    .toBe(true);
  if (!onApp() && (await username.isVisible())) {
    await username.fill(flow.user.username);
    await page.getByLabel('Password').fill(flow.user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(async () => onApp() || (await approve.isVisible()), { timeout: 15_000 }).toBe(true);
  }
  if (!onApp()) await approve.click();
  await page.waitForURL((u) => u.origin === appOrigin, { timeout: 15_000 });
  await page.waitForLoadState('domcontentloaded');
}

/** The app's session probe, as the harness reads it (with the browser's cookies). */
export async function sessionProbe(page: Page, appUrl: string): Promise<{ status: number; body: unknown }> {
  const res = await page.request.get(`${appUrl}/session`);
  return { status: res.status(), body: await res.json().catch(() => null) };
}

export function apiCalls(flow: Flow): Exchange[] {
  return flow.exchanges().filter((e) => e.endpoint === 'api' || e.endpoint === 'api-wrong-host');
}

/**
 * Rewrites SuperID's redirect back to the app (the authorization response) before the browser
 * follows it, e.g. to alter `state`. Playwright routes only the first request of a redirect chain,
 * so SuperID's redirects are followed here (with the context's cookies) until one points at the
 * app, and the browser gets a single redirect to the edited URL.
 */
export async function rewriteAuthorizationResponse(
  page: Page,
  superidUrl: string,
  appOrigin: string,
  mutate: (callback: URL) => void,
): Promise<void> {
  await page.route(`${superidUrl}/**`, async (route) => {
    const response = await route.fetch({ maxRedirects: 0 });
    let location = response.headers()['location'];
    for (let hops = 0; location !== undefined && location.startsWith(superidUrl) && hops < 10; hops++) {
      const next = await page.context().request.get(location, { maxRedirects: 0 });
      location = next.headers()['location'];
    }
    if (location !== undefined && location.startsWith(appOrigin)) {
      const url = new URL(location);
      mutate(url);
      await route.fulfill({ status: 302, headers: { location: url.href } });
      return;
    }
    await route.fulfill({ response });
  });
}
