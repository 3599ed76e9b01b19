/**
 * Attach mode (`so-preflight check --attach`): check an app that already runs against a running
 * `so-preflight emulator`, instead of starting both. The emulator's state folder
 * (src/emulator/state.ts) says where it is and holds its control token; the run then works as a
 * started one (workers read the same {@link RunManifest}), except that nothing is started or
 * stopped: each run begins (and ends) by resetting the emulator, so consent, faults, rotated keys
 * and recorded traffic of an earlier run do not leak into it.
 */
import { mkdtempSync, chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, isAbsolute } from 'node:path';
import { Agent, request } from 'undici';
import type { ResolvedConfig } from '../config/schema.ts';
import { CONTROL_PREFIX } from '../emulator/control.ts';
import type { EmulatorAppRegistration } from '../emulator/types.ts';
import {
  acquireCheckLock,
  readControlToken,
  readRunning,
  stateDirFor,
  type AppRegistrationSummary,
} from '../emulator/state.ts';
import { probeUrl } from './process.ts';
import {
  checkSignInTarget,
  CONTROL_TOKEN_ENV,
  MANIFEST_ENV,
  type RunHandle,
  type RunManifest,
} from './run.ts';

/** What `check` needs of a run; an attached run has no emulator or app process of its own. */
export type AttachedRun = Pick<RunHandle, 'manifestFile' | 'manifest' | 'env' | 'stop'>;

/** The app registration a config asks of the emulator (as the started run registers it). */
export function appRegistration(config: ResolvedConfig): EmulatorAppRegistration {
  const origins = new Set<string>(config.app.corsOrigins);
  if (config.app.baseURL) origins.add(new URL(config.app.baseURL).origin);
  return {
    name: config.app.name,
    ...(config.app.vendor ? { vendor: config.app.vendor } : {}),
    type: config.app.type,
    redirectUris: [...config.app.redirectUris],
    postLogoutRedirectUris: [...config.app.postLogoutRedirectUris],
    corsOrigins: [...origins],
  };
}

export function registrationSummary(
  environment: AppRegistrationSummary['environment'],
  tenant: string,
  app: EmulatorAppRegistration,
): AppRegistrationSummary {
  const sorted = (list: readonly string[] | undefined) => [...(list ?? [])].sort();
  return {
    environment,
    tenant,
    type: app.type,
    redirectUris: sorted(app.redirectUris),
    postLogoutRedirectUris: sorted(app.postLogoutRedirectUris),
    corsOrigins: sorted(app.corsOrigins),
  };
}

/** Names of the registration fields that differ, e.g. `redirectUris`. */
function registrationDiff(a: AppRegistrationSummary, b: AppRegistrationSummary): string[] {
  return (Object.keys(b) as (keyof AppRegistrationSummary)[]).filter(
    (k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]),
  );
}

function fail(exitCode: number, message: string): never {
  throw Object.assign(new Error(message), { exitCode });
}

/** A path as the user would type it from the working folder. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

interface ControlInfo {
  superidUrl: string;
  tenant: string;
  client: { id: string; secret: string | undefined };
}

/** One control API request to the standalone emulator; undefined status when nothing answered. */
async function control(
  superidUrl: string,
  caPem: string,
  token: string,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<{ status: number | undefined; json: unknown }> {
  const dispatcher = new Agent({ connect: { ca: caPem }, connectTimeout: 3_000 });
  try {
    const res = await request(new URL(path, new URL(CONTROL_PREFIX, superidUrl)), {
      method,
      dispatcher,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      headersTimeout: 5_000,
      bodyTimeout: 5_000,
    });
    const text = await res.body.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.statusCode, json };
  } catch {
    return { status: undefined, json: undefined };
  } finally {
    await dispatcher.close().catch(() => undefined);
  }
}

/** The `client_id` the app's sign-in sends to SuperID, when it redirects there. */
async function signInClientId(config: ResolvedConfig, superidUrl: string): Promise<string | undefined> {
  if (!config.app.baseURL || !('path' in config.app.signIn)) return undefined;
  try {
    const res = await request(new URL(config.app.signIn.path, config.app.baseURL), {
      method: 'GET',
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
    await res.body.dump();
    const header = res.headers['location'];
    const location = Array.isArray(header) ? header[0] : header;
    if (!location || res.statusCode < 300 || res.statusCode >= 400) return undefined;
    const target = new URL(location, config.app.baseURL);
    return target.origin === new URL(superidUrl).origin
      ? (target.searchParams.get('client_id') ?? undefined)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Prepare a check run against the running standalone emulator of `stateDir` (default: the
 * config's `.so-preflight/`) and the running app at `app.baseURL`. Throws an error with
 * `exitCode` 2 or 3 and a one-line message when the emulator or the app is not there or the app
 * is not configured with this emulator. `stop()` ends the run, never the emulator or the app.
 */
export async function attachRun(config: ResolvedConfig, stateDirArg?: string): Promise<AttachedRun> {
  const configArg = `--config ${shown(config.configFile)}`;
  const stateDir = stateDirFor(stateDirArg, config.configFile);
  const stateArg = stateDirArg ? ` --state ${shown(stateDir)}` : '';
  const startIt = `start "so-preflight emulator ${configArg}${stateArg}" first, then check again`;
  if (config.usesAppPort && config.app.type !== 'native')
    fail(
      2,
      `check --attach checks an app that already runs, but ${shown(config.configFile)} uses \${app.port}: write the port the app listens on into app.baseURL and its other URLs (e.g. http://127.0.0.1:5058)`,
    );

  // The emulator: state folder, then its control API.
  const running = readRunning(stateDir);
  const token = readControlToken(stateDir);
  if (!running || !token) fail(3, `no emulator running at ${shown(stateDir)}: ${startIt}`);
  let caPem: string;
  try {
    caPem = readFileSync(running.caFile, 'utf8');
  } catch {
    fail(
      3,
      `no emulator running at ${running.superidUrl} (its CA file ${running.caFile} is gone): ${startIt}`,
    );
  }
  const info = await control(running.superidUrl, caPem, token, 'GET', 'info');
  if (info.status === 401)
    fail(
      3,
      `the emulator at ${running.superidUrl} refused the control token in ${shown(stateDir)} (was the folder replaced while it ran?): restart "so-preflight emulator ${configArg}${stateArg}", then check again`,
    );
  const emulator = info.json as ControlInfo | undefined;
  if (info.status !== 200 || !emulator?.client?.id)
    fail(3, `no emulator running at ${running.superidUrl}: ${startIt}`);
  const { superidUrl } = running;

  const wanted = registrationSummary(
    config.superoffice.environment,
    config.superoffice.tenant,
    appRegistration(config),
  );
  const differs = registrationDiff(running.registration, wanted);
  if (differs.length)
    fail(
      3,
      `the emulator at ${superidUrl} was started for another app registration than ${shown(config.configFile)} (${differs.join(', ')} differ): restart it with "so-preflight emulator ${configArg}${stateArg}", then check again`,
    );

  // The app: it answers, and its sign-in goes to this emulator with its client id.
  if (config.app.type !== 'native' && config.app.baseURL) {
    if ((await probeUrl(config.app.baseURL, 5_000)) === undefined)
      fail(
        3,
        `the app at ${config.app.baseURL} does not answer: start it with SuperOffice URL ${superidUrl} and the client id and secret "so-preflight emulator" printed, then check again`,
      );
    // "Never contacted SuperID" means: not since this emulator started (its seq counts every
    // request it ever answered), or during the probe itself (then the probe is judged again).
    const seq = async () => {
      const answer = await control(superidUrl, caPem, token, 'GET', 'seq');
      return (answer.json as { seq?: number } | undefined)?.seq ?? 0;
    };
    const before = await seq();
    let problem = await checkSignInTarget(config, superidUrl, () => before > 0);
    if (problem && before === 0 && (await seq()) > 0)
      problem = await checkSignInTarget(config, superidUrl, () => true);
    if (problem) {
      // The remedy for a started app names app.start.env; an attached app is configured by hand.
      const at = problem.indexOf(': give the app');
      fail(
        3,
        at < 0
          ? problem
          : `${problem.slice(0, at)}: set the app's SuperOffice URL (e.g. SUPEROFFICE_URL) to ${superidUrl}, make it trust ${running.caFile} (e.g. NODE_EXTRA_CA_CERTS), restart it and check again`,
      );
    }
    const clientId = await signInClientId(config, superidUrl);
    if (clientId !== undefined && clientId !== emulator.client.id)
      fail(
        3,
        `the app signs in with client id ${clientId}, but the emulator at ${superidUrl} registers ${emulator.client.id}: give the app the client id and secret "so-preflight emulator" printed, restart it and check again`,
      );
  }

  const lock = acquireCheckLock(stateDir);
  if ('heldBy' in lock)
    fail(
      3,
      `another "so-preflight check --attach" (pid ${lock.heldBy}) is using the emulator at ${superidUrl}; wait for it to finish, then check again`,
    );
  const reset = () =>
    control(superidUrl, caPem, token, 'POST', 'reset', {
      keepConsent: false,
      restoreKeys: true,
      newRun: true,
    });
  const runDir = mkdtempSync(join(tmpdir(), 'so-preflight-run-'));
  try {
    chmodSync(runDir, 0o700);
    // Nothing of an earlier run carries over: consent, faults, tenant state, rotated keys, traffic.
    if ((await reset()).status !== 200)
      fail(3, `the emulator at ${superidUrl} stopped answering: ${startIt}`);
    const manifest: RunManifest = {
      version: 1,
      configFile: config.configFile,
      appPort: 0,
      superidUrl,
      controlUrl: superidUrl,
      caFile: running.caFile,
    };
    const manifestFile = join(runDir, 'run.json');
    writeFileSync(manifestFile, JSON.stringify(manifest, null, 2), { mode: 0o600 });
    return {
      manifestFile,
      manifest,
      env: { [MANIFEST_ENV]: manifestFile, [CONTROL_TOKEN_ENV]: token },
      async stop() {
        // Leave the emulator as a developer expects it between runs: no faults, the original key.
        await reset();
        lock.release();
        rmSync(runDir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    lock.release();
    rmSync(runDir, { recursive: true, force: true });
    throw e;
  }
}
