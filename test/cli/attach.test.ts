/**
 * Attach mode: `so-preflight emulator` keeps its SuperID URL, client and CA across restarts (state
 * folder), an app started by hand against it and checked with `check --attach` gets the same rule
 * results as a harness-started run, and a misconfigured app or a missing emulator ends the run
 * with exit 3 and one line that says what to change.
 */
import { test, expect } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { exportEnvironmentPki, restoreEnvironmentPki, RENEW_BEFORE_MS } from '../../src/emulator/pki.ts';
import {
  ACME_WEB,
  CLI,
  REPO_ROOT,
  acmeWebConfig,
  cleanScratch,
  explain,
  expectNoStackTrace,
  expectOneLine,
  readReport,
  runCli,
  scratch,
  statuses,
  writeJson,
} from './support.ts';

const RULES = 'AUTH-SCOPE-OPENID,AUTH-STATE,TOKEN-SIGNATURE';
/** Where the emulator listens (see emulatorHost in src/target/run.ts). */
const EMULATOR_HOST = process.platform === 'linux' ? '127.0.0.2' : '127.0.0.1';

/** Everything a test started; stopped after it, whatever happened. */
const started: Array<() => Promise<void>> = [];

test.afterEach(async () => {
  for (const stop of started.splice(0).reverse()) await stop().catch(() => undefined);
  cleanScratch();
});

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function canListen(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, host, r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** A port N for SuperID with N+1 free too (NetServer). */
async function emulatorPort(): Promise<number> {
  for (;;) {
    const port = await freePort(EMULATOR_HOST);
    if (port < 65534 && (await canListen(port + 1, EMULATOR_HOST))) return port;
  }
}

/** acme-web on a fixed port: one config for both a started and an attached run. */
function fixedConfig(port: number): string {
  const config = JSON.parse(
    JSON.stringify(acmeWebConfig()).replaceAll('${app.port}', String(port)),
  ) as object;
  return writeJson(scratch('preflight.config.json'), config);
}

interface Printed {
  superidUrl: string;
  clientId: string;
  clientSecret: string;
  tenant: string;
  caFile: string;
  stdout: string;
}

interface RunningEmulator extends Printed {
  proc: ChildProcess;
  /** Ctrl-C: a clean stop; resolves with the exit code. */
  stop(): Promise<number | null>;
  kill(): Promise<void>;
}

function waitForExit(proc: ChildProcess, timeoutMs: number): Promise<number | null> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve(proc.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), timeoutMs);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

function field(stdout: string, label: string): string {
  const value = new RegExp(`^\\s*${label}:?\\s+(\\S+)`, 'm').exec(stdout)?.[1];
  if (!value) throw new Error(`the emulator printed no "${label}":\n${stdout}`);
  return value;
}

/** `so-preflight emulator ARGS`, until it printed everything (or failed). */
async function startEmulatorCli(args: string[]): Promise<RunningEmulator> {
  const env = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith('PREFLIGHT_')) delete env[name];
  const proc = spawn(process.execPath, [CLI, 'emulator', ...args], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const kill = async () => {
    proc.kill('SIGKILL');
    await waitForExit(proc, 5_000);
  };
  started.push(kill);
  const deadline = Date.now() + 45_000;
  while (!stdout.includes('Press Ctrl-C to stop.')) {
    if (proc.exitCode !== null || Date.now() > deadline)
      throw new Error(`so-preflight emulator ${args.join(' ')} did not start:\n${stdout}\n${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    proc,
    stdout,
    superidUrl: field(stdout, 'SuperID \\(issuer\\)'),
    clientId: field(stdout, 'Client ID'),
    clientSecret: field(stdout, 'Client secret'),
    tenant: field(stdout, 'Tenant'),
    caFile: /^\s*NODE_EXTRA_CA_CERTS=(\S+)/m.exec(stdout)?.[1] ?? '',
    async stop() {
      proc.kill('SIGINT');
      const code = await waitForExit(proc, 10_000);
      if (code === null) await kill();
      return code;
    },
    kill,
  };
}

/** `so-preflight emulator` as a partner runs it: only the emulator's printed values reach the app. */
async function startAcmeWeb(
  port: number,
  emulator: Pick<Printed, 'superidUrl' | 'clientId' | 'clientSecret' | 'tenant' | 'caFile'>,
): Promise<{ stop(): Promise<void> }> {
  const url = `http://127.0.0.1:${port}`;
  const proc = spawn(process.execPath, ['server.ts'], {
    cwd: ACME_WEB,
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: process.env['HOME'] ?? '',
      PORT: String(port),
      PUBLIC_URL: url,
      SUPEROFFICE_URL: emulator.superidUrl,
      SUPEROFFICE_CLIENT_ID: emulator.clientId,
      SUPEROFFICE_CLIENT_SECRET: emulator.clientSecret,
      SUPEROFFICE_TENANT: emulator.tenant,
      NODE_EXTRA_CA_CERTS: emulator.caFile,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  proc.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const stop = async () => {
    proc.kill('SIGTERM');
    if ((await waitForExit(proc, 3_000)) === null && proc.signalCode === null) {
      proc.kill('SIGKILL');
      await waitForExit(proc, 3_000);
    }
  };
  started.push(stop);
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`acme-web exited:\n${output}`);
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`acme-web did not get ready:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { stop };
}

async function jwksKids(superidUrl: string, caFile: string): Promise<string[]> {
  const dispatcher = new Agent({ connect: { ca: readFileSync(caFile, 'utf8') } });
  try {
    const res = await request(`${superidUrl}/login/.well-known/jwks`, { dispatcher });
    const body = (await res.body.json()) as { keys: Array<{ kid: string }> };
    return body.keys.map((k) => k.kid);
  } finally {
    await dispatcher.close();
  }
}

async function controlInfo(superidUrl: string, caFile: string, token: string | undefined): Promise<number> {
  const dispatcher = new Agent({ connect: { ca: readFileSync(caFile, 'utf8') } });
  try {
    const res = await request(`${superidUrl}/__so-preflight/info`, {
      dispatcher,
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    await res.body.dump();
    return res.statusCode;
  } finally {
    await dispatcher.close();
  }
}

test('the emulator keeps its SuperID URL, client, CA and signing key across restarts; check --attach finds it gone once stopped or killed', async () => {
  test.setTimeout(150_000);
  const config = fixedConfig(await freePort());
  const state = scratch('state');
  const port = await emulatorPort();

  const first = await startEmulatorCli(['--config', config, '--state', state, '--port', String(port)]);
  expect(first.superidUrl).toBe(`https://${EMULATOR_HOST}:${port}`);
  expect(first.tenant).toBe('Cust12345');
  expect(first.clientId).toMatch(/^[0-9a-f]{32}$/);
  expect(first.stdout).toContain(`REQUESTS_CA_BUNDLE=${first.caFile}`);
  expect(first.stdout).toMatch(/^then run: so-preflight check --attach --config \S+ --state \S+$/m);
  // Private state: the folder 0700, every file in it 0600; emulator.json names no secret.
  expect(statSync(state).mode & 0o777).toBe(0o700);
  for (const f of readdirSync(state)) expect(statSync(join(state, f)).mode & 0o777, f).toBe(0o600);
  const token = readFileSync(join(state, 'control-token'), 'utf8').trim();
  const running = JSON.parse(readFileSync(join(state, 'emulator.json'), 'utf8')) as Record<string, unknown>;
  expect(running).toMatchObject({ superidUrl: first.superidUrl, caFile: first.caFile, pid: first.proc.pid });
  expect(typeof running['tenantOrigin']).toBe('string');
  expect(typeof running['started']).toBe('string');
  const runningText = JSON.stringify(running);
  expect(runningText).not.toContain(first.clientSecret);
  expect(runningText).not.toContain(token);
  expect(first.stdout).not.toContain(token);
  // The control API answers with the state's token only.
  expect(await controlInfo(first.superidUrl, first.caFile, token)).toBe(200);
  expect(await controlInfo(first.superidUrl, first.caFile, undefined)).toBe(401);
  const ca = readFileSync(first.caFile, 'utf8');
  const kids = await jwksKids(first.superidUrl, first.caFile);
  const tlsCert = readFileSync(join(state, 'tls.pem'), 'utf8');

  expect(await first.stop()).toBe(0);
  expect(existsSync(join(state, 'emulator.json'))).toBe(false);
  const stopped = await runCli(['check', '--attach', '--config', config, '--state', state], {
    timeoutMs: 60_000,
  });
  expect(stopped.code, explain(stopped)).toBe(3);
  expectOneLine(stopped);
  expect(stopped.message).toMatch(
    /^so-preflight: no emulator running at \S+: start "so-preflight emulator --config \S+ --state \S+" first, then check again$/,
  );

  // Restart without --port, with the TLS key gone: same URL, client, CA and signing key; only
  // the TLS certificate is issued anew.
  rmSync(join(state, 'tls.key'));
  const second = await startEmulatorCli(['--config', config, '--state', state]);
  expect(second.superidUrl).toBe(first.superidUrl);
  expect(second.clientId).toBe(first.clientId);
  expect(second.clientSecret).toBe(first.clientSecret);
  expect(second.caFile).toBe(first.caFile);
  expect(readFileSync(second.caFile, 'utf8')).toBe(ca);
  expect(await jwksKids(second.superidUrl, second.caFile)).toEqual(kids);
  expect(second.stdout).toContain('renewed tls (same CA; nothing to change in your app)');
  expect(readFileSync(join(state, 'tls.pem'), 'utf8')).not.toBe(tlsCert);
  expect(readFileSync(join(state, 'control-token'), 'utf8').trim()).toBe(token);
  for (const f of readdirSync(state)) expect(statSync(join(state, f)).mode & 0o777, f).toBe(0o600);

  // A second emulator on the same state folder is refused with one line.
  const twice = await runCli(['emulator', '--config', config, '--state', state], { timeoutMs: 30_000 });
  expect(twice.code, explain(twice)).toBe(2);
  expectOneLine(twice);
  expect(twice.message).toContain(`already runs at ${first.superidUrl} (pid ${second.proc.pid})`);

  // Killed: emulator.json stays behind, but nothing answers there.
  await second.kill();
  const killed = await runCli(['check', '--attach', '--config', config, '--state', state], {
    timeoutMs: 60_000,
  });
  expect(killed.code, explain(killed)).toBe(3);
  expectOneLine(killed);
  expect(killed.message).toBe(
    `so-preflight: no emulator running at ${first.superidUrl}: start "so-preflight emulator --config ${config} --state ${state}" first, then check again`,
  );
  expectNoStackTrace(killed);
});

test('a saved PKI is reused as is; only what is missing, broken or about to expire is issued anew', async () => {
  const { pki, renewed } = await restoreEnvironmentPki('sod', {});
  expect(renewed).toEqual(['root', 'environmentCa', 'signing', 'tls']);
  const saved = exportEnvironmentPki(pki);
  const again = await restoreEnvironmentPki('sod', saved);
  expect(again.renewed).toEqual([]);
  expect(again.pki.caPem).toBe(pki.caPem);
  expect(again.pki.signing.kid).toBe(pki.signing.kid);
  expect(exportEnvironmentPki(again.pki)).toEqual(saved);
  // The TLS certificate (one year) ends first: renewed under the same CA, signing key kept.
  const later = Date.now() + 365 * 24 * 3600 * 1000 - RENEW_BEFORE_MS;
  const renewedTls = await restoreEnvironmentPki('sod', saved, later);
  expect(renewedTls.renewed).toEqual(['tls']);
  expect(renewedTls.pki.caPem).toBe(pki.caPem);
  expect(renewedTls.pki.signing.kid).toBe(pki.signing.kid);
  // A key that does not match its certificate, or a certificate used for another purpose.
  expect((await restoreEnvironmentPki('sod', { ...saved, signingKey: saved.tlsKey })).renewed).toEqual([
    'signing',
  ]);
  expect(
    (await restoreEnvironmentPki('sod', { ...saved, signingCert: saved.tlsCert, signingKey: saved.tlsKey }))
      .renewed,
  ).toEqual(['signing']);
  // A new environment CA means new certificates under it; the root CA (what apps trust) stays.
  const newCa = await restoreEnvironmentPki('sod', { ...saved, environmentCaKey: 'garbage' });
  expect(newCa.renewed).toEqual(['environmentCa', 'signing', 'tls']);
  expect(newCa.pki.root.pem).toBe(pki.root.pem);
  // Ten years on, everything is new.
  const decade = await restoreEnvironmentPki('sod', saved, Date.now() + 3650 * 24 * 3600 * 1000);
  expect(decade.renewed).toEqual(['root', 'environmentCa', 'signing', 'tls']);
});

test('the SuperID port is busy: exit 2, one line naming the port and --port', async () => {
  test.setTimeout(60_000);
  const port = await emulatorPort();
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(port, EMULATOR_HOST, r));
  started.push(() => new Promise<void>((r) => blocker.close(() => r())));
  const r = await runCli(['emulator', '--port', String(port), '--state', scratch('state')], {
    timeoutMs: 30_000,
  });
  expect(r.code, explain(r)).toBe(2);
  expectOneLine(r);
  expect(r.message).toMatch(
    new RegExp(
      `^so-preflight: port ${port} on ${EMULATOR_HOST.replaceAll('.', '\\.')} is in use: pass --port N`,
    ),
  );
});

test('an app started by hand against the emulator, checked with --attach twice, gives the results of a harness-started run', async () => {
  test.setTimeout(400_000);
  const appPort = await freePort();
  const config = fixedConfig(appPort);

  // The harness starts acme-web (app.start) on the same fixed port.
  const startedOut = scratch('report-started');
  const baseline = await runCli(['check', '--config', config, '--out', startedOut, '--rules', RULES], {
    timeoutMs: 150_000,
  });
  expect(baseline.code, explain(baseline)).toBe(0);
  const expected = statuses(readReport(startedOut));
  for (const id of RULES.split(',')) expect(expected[id], id).toBe('pass');

  // The partner's way: the emulator (default state folder beside the config), then the app with
  // what it printed, then any number of attached checks.
  const emulator = await startEmulatorCli(['--config', config, '--port', String(await emulatorPort())]);
  expect(emulator.caFile).toBe(join(scratch('.so-preflight'), 'superoffice-emulator-ca.pem'));
  await startAcmeWeb(appPort, emulator);
  for (const round of [1, 2]) {
    const out = scratch(`report-attached-${round}`);
    const r = await runCli(['check', '--attach', '--config', config, '--out', out, '--rules', RULES], {
      timeoutMs: 150_000,
    });
    expect(r.code, `round ${round}: ${explain(r)}`).toBe(0);
    const report = readReport(out);
    expect(report.app.baseURL).toBe(`http://127.0.0.1:${appPort}`);
    expect(statuses(report), `round ${round}`).toEqual(expected);
  }
  // The run's check lock is gone, the emulator still runs.
  expect(existsSync(scratch('.so-preflight', 'check.lock'))).toBe(false);
  expect(await emulator.stop()).toBe(0);
});

test('an app configured with another SuperID, an unreachable one or another client id: exit 3, one line naming what to set', async () => {
  test.setTimeout(180_000);
  const appPort = await freePort();
  const config = fixedConfig(appPort);
  const state = scratch('state');
  const emulator = await startEmulatorCli([
    '--config',
    config,
    '--state',
    state,
    '--port',
    String(await emulatorPort()),
  ]);
  const other = await startEmulatorCli([
    '--config',
    config,
    '--state',
    scratch('other-state'),
    '--port',
    String(await emulatorPort()),
  ]);
  const attach = async () => {
    const r = await runCli(
      ['check', '--attach', '--config', config, '--state', state, '--out', scratch('report')],
      {
        timeoutMs: 60_000,
      },
    );
    expect(r.code, explain(r)).toBe(3);
    expectOneLine(r);
    expectNoStackTrace(r);
    expect(existsSync(join(state, 'check.lock'))).toBe(false);
    return r.message;
  };
  const remedy = `set the app's SuperOffice URL (e.g. SUPEROFFICE_URL) to ${emulator.superidUrl}, make it trust ${emulator.caFile} (e.g. NODE_EXTRA_CA_CERTS), restart it and check again`;

  // Configured with another (working) SuperID: its sign-in goes there.
  let app = await startAcmeWeb(appPort, other);
  // (The first part is checkSignInTarget's, src/target/run.ts; the remedy is attach mode's.)
  const elsewhere = await attach();
  expect(elsewhere).toContain(
    `sends the browser to ${other.superidUrl}, not to this run's SuperID ${emulator.superidUrl}`,
  );
  expect(elsewhere).toMatch(new RegExp(`: ${escape(remedy)}$`));
  await app.stop();

  // Configured with a SuperID that does not answer: its sign-in fails before reaching any.
  app = await startAcmeWeb(appPort, { ...emulator, superidUrl: `https://127.0.0.1:${await freePort()}` });
  const unreachable = await attach();
  expect(unreachable).toContain(`this run's SuperID ${emulator.superidUrl}`);
  expect(unreachable).toMatch(new RegExp(`: ${escape(remedy)}$`));
  await app.stop();

  // The right SuperID, another client id.
  app = await startAcmeWeb(appPort, { ...emulator, clientId: other.clientId });
  expect(await attach()).toBe(
    `so-preflight: the app signs in with client id ${other.clientId}, but the emulator at ${emulator.superidUrl} registers ${emulator.clientId}: give the app the client id and secret "so-preflight emulator" printed, restart it and check again`,
  );
});

test('no emulator was started for the state folder: exit 3, one line, nothing left behind', async () => {
  const config = fixedConfig(await freePort());
  // The run's own temporary folder: a check that stops before its run is up leaves nothing in it.
  const tmp = scratch('tmp');
  mkdirSync(tmp);
  const r = await runCli(['check', '--attach', '--config', config], {
    timeoutMs: 60_000,
    env: { TMPDIR: tmp },
  });
  expect(r.code, explain(r)).toBe(3);
  expectOneLine(r);
  expectNoStackTrace(r);
  expect(r.message).toMatch(
    /^so-preflight: no emulator running at \S+\.so-preflight: start "so-preflight emulator --config \S+preflight\.config\.json" first, then check again$/,
  );
  // Nothing was written beside the config, nor in the temporary folder.
  expect(existsSync(scratch('.so-preflight'))).toBe(false);
  expect(readdirSync(tmp)).toEqual([]);
});
