/**
 * One run: one emulator and (when `app.start` is given) one app process, shared by every check
 * worker. The CLI starts them before Playwright and stops them after it; workers reach the
 * emulator through its control API. What the workers need is written to a run manifest (no
 * secrets in it: the control token travels in the environment of the Playwright process only).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ResolvedConfig } from '../config/schema.ts';
import { startEmulator } from '../emulator/index.ts';
import type { Emulator } from '../emulator/types.ts';
import { buildAppEnv, type EmulatorFacts } from './env.ts';
import { missedSuperOffice, proxyIgnoredLine } from './proxy-hint.ts';
import {
  failureLine,
  startProcess,
  waitUntilReady,
  type TargetError,
  type TargetProcess,
} from './process.ts';

/**
 * The state API's ValidUntil in a check run: short, so apps that cache it see changes soon. A check
 * that changes the tenant state waits it out before judging; on the run's tenant (an app that
 * keeps to it) also before the next check, holding the run alone: in a full check of acme-web the
 * two such checks held it for 15 s with 3 s, and for 9 s with 1 s.
 */
export const STATE_VALID_SECONDS = 1;

export const MANIFEST_ENV = 'PREFLIGHT_MANIFEST';
export const CONTROL_TOKEN_ENV = 'PREFLIGHT_CONTROL_TOKEN';

/** What every worker of a run reads: the resolved run, without secrets. */
export interface RunManifest {
  version: 1;
  configFile: string;
  /** The port `${app.port}` stands for in this run (0 when the config does not use it). */
  appPort: number;
  superidUrl: string;
  /** Where the emulator's control API is (differs from `superidUrl` under impersonation). */
  controlUrl: string;
  caFile: string;
  /** `superoffice.impersonate`: the proxy the app and the browser reach SuperOffice's hosts through. */
  proxy?: { app: string; browser: string };
  /** Why the app could not be started or reached; every check then reports a run error. */
  startError?: string;
}

export interface RunHandle {
  manifestFile: string;
  manifest: RunManifest;
  emulator: Emulator;
  app: TargetProcess | undefined;
  /** Environment variables for the Playwright process (manifest path, control token). */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * Where the emulator listens: on another site than the app, as SuperID and the tenant are in
 * production, so SameSite cookie rules apply to the callback as they would there (a cookie that
 * is `SameSite=Strict` is not sent on SuperID's redirect back). IP hosts are sites of their own.
 * Linux answers on all of 127.0.0.0/8; other systems only on 127.0.0.1, where an app on
 * 127.0.0.1 shares the emulator's site (a known limit there).
 */
export function emulatorHost(appBaseURL: string | undefined): string {
  const appHost = appBaseURL && URL.canParse(appBaseURL) ? new URL(appBaseURL).hostname : '127.0.0.1';
  return process.platform === 'linux' && appHost !== '127.0.0.2' ? '127.0.0.2' : '127.0.0.1';
}

export function emulatorFacts(
  emulator: Pick<
    Emulator,
    'superidUrl' | 'client' | 'tenant' | 'caFile' | 'privateKeyFile' | 'mailUrl' | 'tenantOrigin'
  >,
  proxyUrl?: string,
): EmulatorFacts {
  return {
    proxyUrl,
    superidUrl: emulator.superidUrl,
    clientId: emulator.client.id,
    clientSecret: emulator.client.secret,
    tenant: emulator.tenant,
    caFile: emulator.caFile,
    privateKeyFile: emulator.privateKeyFile,
    mailUrl: emulator.mailUrl,
    tenantOrigin: emulator.tenantOrigin,
  };
}

/**
 * Whether the app's sign-in goes to this run's SuperID: the sign-in path must redirect to it.
 * An app configured with another SuperOffice URL (or a hard-coded one it does not let the
 * harness replace) would otherwise be "tested" against nothing. Returns the run error, if any.
 */
export async function checkSignInTarget(
  config: ResolvedConfig,
  superidUrl: string,
  /** Whether SuperID has seen any request at all so far (e.g. the app's discovery fetch). */
  superidContacted: () => boolean = () => true,
): Promise<string | undefined> {
  if (config.app.type === 'native' || !config.app.baseURL || !('path' in config.app.signIn)) return undefined;
  const url = new URL(config.app.signIn.path, config.app.baseURL).href;
  let location: string | undefined;
  try {
    const { request } = await import('undici');
    const res = await request(url, { method: 'GET', headersTimeout: 10_000, bodyTimeout: 10_000 });
    await res.body.dump();
    const header = res.headers['location'];
    location = Array.isArray(header) ? header[0] : header;
    if (res.statusCode >= 400 && !superidContacted())
      return `the app's sign-in answered HTTP ${res.statusCode} without contacting this run's SuperID ${new URL(superidUrl).origin}: give the app \${superid.url} as its SuperOffice URL`;
    if (res.statusCode < 300 || res.statusCode >= 400 || !location) return undefined; // judged by the checks
  } catch {
    return undefined; // an unreachable sign-in is the checks' finding, with evidence
  }
  const target = new URL(location, url);
  const expected = new URL(superidUrl);
  if (target.origin === new URL(url).origin || target.origin === expected.origin) return undefined;
  return `the app's sign-in sends the browser to ${target.origin}, not to this run's SuperID ${expected.origin}: give the app \${superid.url} as its SuperOffice URL`;
}

/**
 * Start the run's emulator and app; never throws for an app that fails to start (see startError).
 * `trustAlso`: PEM CA certificates the app (and the run's CA file) trusts beside the emulator's
 * own, for a second environment: in production every environment's TLS chains to public roots.
 */
export async function startRun(
  config: ResolvedConfig,
  appPort: number,
  options: { trustAlso?: string } = {},
): Promise<RunHandle> {
  const runDir = mkdtempSync(join(tmpdir(), 'so-preflight-run-'));
  chmodSync(runDir, 0o700);
  const token = randomBytes(32).toString('base64url');
  const origins = new Set<string>(config.app.corsOrigins);
  if (config.app.baseURL) origins.add(new URL(config.app.baseURL).origin);
  let app: TargetProcess | undefined;
  const emulator = await startEmulator({
    environment: config.superoffice.environment,
    tenant: config.superoffice.tenant,
    app: {
      name: config.app.name,
      ...(config.app.vendor ? { vendor: config.app.vendor } : {}),
      type: config.app.type,
      redirectUris: [...config.app.redirectUris],
      postLogoutRedirectUris: [...config.app.postLogoutRedirectUris],
      corsOrigins: [...origins],
    },
    dataDir: join(runDir, 'emulator'),
    host: emulatorHost(config.app.baseURL),
    impersonate: config.superoffice.impersonate,
    superidPort: config.harness.superidPort,
    tenantPort: config.harness.tenantPort,
    stateValidSeconds: STATE_VALID_SECONDS,
    control: {
      token,
      app: () =>
        app && {
          exit: () => {
            const code = app!.exitCode();
            if (code === null) return undefined;
            const why = failureLine(app!.output().slice(-30));
            return {
              code,
              reason: `the app exited with code ${code}${why ? `; the app said: ${why.slice(0, 300)}` : ''}`,
            };
          },
          output: () => app!.output(),
        },
    },
  });

  if (options.trustAlso) await appendFile(emulator.caFile, `\n${options.trustAlso.trim()}\n`);

  let startError: string | undefined;
  const appEnv = buildAppEnv(config, emulatorFacts(emulator, emulator.proxy?.appUrl), String(appPort));
  if (config.app.type !== 'native' && config.app.start) {
    app = startProcess({
      command: config.app.start.command,
      cwd: resolve(config.configDir, config.app.start.cwd ?? '.'),
      env: appEnv,
    });
    const ready = new URL(config.app.start.ready, config.app.baseURL).href;
    try {
      await waitUntilReady(ready, config.app.start.timeout, app);
    } catch (e) {
      const err = e as TargetError;
      const why = err.logTail?.length ? failureLine(err.logTail) : undefined;
      startError = `${err.message}${why ? `; the app said: ${why.slice(0, 300)}` : ''}`;
    }
  }

  if (!startError)
    startError = await checkSignInTarget(config, emulator.superidUrl, () =>
      emulator.recorder.all().some((e) => e.origin === 'superid'),
    );
  // An app that ignores the proxy tried SuperOffice's real hosts: say so, not what broke next.
  if (
    startError &&
    emulator.proxy &&
    emulator.proxy.tunnels('app') === 0 &&
    app &&
    missedSuperOffice(`${startError}\n${app.output().slice(-50).join('\n')}`)
  )
    startError = proxyIgnoredLine(config, emulator.superidUrl, appEnv);

  const manifest: RunManifest = {
    version: 1,
    configFile: config.configFile,
    appPort,
    superidUrl: emulator.superidUrl,
    controlUrl: emulator.controlUrl,
    caFile: emulator.caFile,
    ...(emulator.proxy ? { proxy: { app: emulator.proxy.appUrl, browser: emulator.proxy.browserUrl } } : {}),
    ...(startError ? { startError } : {}),
  };
  const manifestFile = join(runDir, 'run.json');
  writeFileSync(manifestFile, JSON.stringify(manifest, null, 2), { mode: 0o600 });
  return {
    manifestFile,
    manifest,
    emulator,
    app,
    env: { [MANIFEST_ENV]: manifestFile, [CONTROL_TOKEN_ENV]: token },
    async stop() {
      // For `npm run bench:check`: counts only, nothing secret.
      const statsFile = process.env['PREFLIGHT_STATS_FILE'];
      if (statsFile) {
        const all = emulator.recorder.all();
        writeFileSync(
          statsFile,
          JSON.stringify({
            // Sign-ins started: an authorize request, not its resumption after SuperID's pages
            // (`.../authorize/<interaction id>`, with or without a trailing slash, as SuperID's
            // router reads it), which the recorder also files as authorize.
            signIns: all.filter(
              (e) => e.endpoint === 'authorize' && !/\/authorize\/[A-Za-z0-9_-]+\/?$/i.test(e.path),
            ).length,
            tokenRequests: all.filter((e) => e.endpoint === 'token').length,
            apiCalls: all.filter((e) => e.endpoint === 'api' || e.endpoint === 'api-wrong-host').length,
            exchanges: all.length,
          }),
        );
      }
      await app?.stop();
      await emulator.stop();
      rmSync(runDir, { recursive: true, force: true });
    },
  };
}
