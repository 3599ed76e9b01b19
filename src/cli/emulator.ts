/**
 * `so-preflight emulator [--port N] [--config FILE] [--state DIR]`: SuperID + NetServer
 * standalone, for partners developing against it and for `so-preflight check --attach`. Its
 * SuperID URL, client credentials, CA and signing key stay the same across restarts (state folder,
 * default `.so-preflight/` beside the config file, see src/emulator/state.ts); it serves the
 * control API for attached check runs, prints what an app needs, and stops on Ctrl-C.
 */
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { join, relative, isAbsolute } from 'node:path';
import { CONFIG_CANDIDATES, loadConfig } from '../config/load.ts';
import type { ResolvedConfig } from '../config/schema.ts';
import { startEmulator, describeEmulator } from '../emulator/index.ts';
import type { Emulator, EmulatorAppRegistration } from '../emulator/types.ts';
import {
  APP_PRIVATE_KEY_FILE,
  DEFAULT_SUPERID_PORT,
  clearRunning,
  makePrivate,
  openEmulatorState,
  processAlive,
  readRunning,
  saveSettings,
  stateDirFor,
  writeRunning,
} from '../emulator/state.ts';
import { appRegistration, registrationSummary } from '../target/attach.ts';
import { emulatorHost, STATE_VALID_SECONDS } from '../target/run.ts';

const DEMO_APP: EmulatorAppRegistration = {
  name: 'Demo App',
  vendor: 'Demo Vendor',
  type: 'web',
  redirectUris: ['^http://(127\\.0\\.0\\.1|localhost):\\d{2,5}/.*$'],
  postLogoutRedirectUris: ['^http://(127\\.0\\.0\\.1|localhost):\\d{2,5}/.*$'],
};

function usage(message: string): never {
  throw Object.assign(new Error(message), { exitCode: 2 });
}

function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

/** `--config FILE`, else a config file in the working folder, else none (a demo registration). */
async function configFor(given: string | undefined): Promise<ResolvedConfig | undefined> {
  if (given) return loadConfig(given);
  const found = CONFIG_CANDIDATES.find((c) => existsSync(join(process.cwd(), c)));
  return found ? loadConfig(found) : undefined;
}

export async function runEmulatorCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { port: { type: 'string' }, config: { type: 'string' }, state: { type: 'string' } },
    strict: true,
  });
  let port: number | undefined;
  if (values.port !== undefined) {
    if (!/^\d+$/.test(values.port) || Number(values.port) < 1 || Number(values.port) > 65534)
      usage('--port takes a number from 1 to 65534 (SuperID listens there, NetServer on the next port)');
    port = Number(values.port);
  }
  const config = await configFor(values.config);
  if (config?.superoffice.impersonate)
    usage(
      `${shown(config.configFile)} has superoffice.impersonate: the standalone emulator answers on loopback URLs, not as SuperOffice's hosts; run "so-preflight check", which starts the app behind the impersonation proxy`,
    );
  const app = config ? appRegistration(config) : DEMO_APP;
  const environment = config?.superoffice.environment ?? 'sod';
  const tenant = config?.superoffice.tenant ?? 'Cust12345';
  const stateDir = stateDirFor(values.state, config?.configFile);
  const host = emulatorHost(config?.app.baseURL);

  // One emulator per state folder: a second one would serve the same client on another port.
  const before = readRunning(stateDir);
  if (before && before.pid !== process.pid && processAlive(before.pid))
    usage(
      `an emulator for ${shown(stateDir)} already runs at ${before.superidUrl} (pid ${before.pid}): use it ("so-preflight check --attach"), or stop it first`,
    );

  const state = await openEmulatorState(stateDir, environment);
  port ??= state.superidPort ?? DEFAULT_SUPERID_PORT;
  let emulator: Emulator;
  try {
    emulator = await startEmulator({
      environment,
      tenant,
      app: { ...app, clientId: state.client.id, clientSecret: state.client.secret },
      dataDir: stateDir,
      host,
      superidPort: port,
      tenantPort: port + 1,
      // As in a check run, so an attached check sees the app cache tenant state as a started one.
      stateValidSeconds: STATE_VALID_SECONDS,
      pki: state.pki,
      ...(state.appPrivateKeyPem ? { appPrivateKeyPem: state.appPrivateKeyPem } : {}),
      control: { token: state.controlToken },
    });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { port?: number };
    if (err.code === 'EADDRINUSE' || err.code === 'EACCES') {
      const busy = err.port ?? port;
      usage(
        `port ${busy} on ${host} is ${err.code === 'EADDRINUSE' ? 'in use' : 'not allowed'}: pass --port N to use N for SuperID and N+1 for NetServer (the URL then changes: restart your app with the new one)`,
      );
    }
    throw e;
  }
  for (const file of [emulator.caFile, join(stateDir, 'SuperOfficeFederatedLogin.crt')]) makePrivate(file);
  if (emulator.privateKeyFile) makePrivate(join(stateDir, APP_PRIVATE_KEY_FILE));
  saveSettings(stateDir, { superidPort: port });
  writeRunning(stateDir, {
    version: 1,
    superidUrl: emulator.superidUrl,
    tenantOrigin: emulator.tenantOrigin,
    caFile: emulator.caFile,
    pid: process.pid,
    started: new Date().toISOString(),
    ...(config ? { configFile: config.configFile } : {}),
    registration: registrationSummary(environment, tenant, app),
  });

  for (const line of describeEmulator(emulator)) console.log(line);
  console.log(
    `  App registration:     ${config ? shown(config.configFile) : `${DEMO_APP.name} (no config file)`}`,
  );
  console.log(`  State folder:         ${shown(stateDir)} (kept across restarts)`);
  if (!state.created && state.renewed.includes('root'))
    console.log('  Note: the CA was renewed; restart your app so it trusts the new CA file');
  else if (!state.created && state.renewed.length)
    console.log(`  Note: renewed ${state.renewed.join(', ')} (same CA; nothing to change in your app)`);
  if (config?.usesAppPort)
    console.log(
      `  Note: ${shown(config.configFile)} uses \${app.port}; "check --attach" needs the app's real port in app.baseURL and its other URLs`,
    );
  console.log('Start your app with this SuperOffice URL, client id and secret, and trust the CA file:');
  console.log(`  NODE_EXTRA_CA_CERTS=${emulator.caFile}   (Node.js)`);
  console.log(`  REQUESTS_CA_BUNDLE=${emulator.caFile}   (Python requests)`);
  console.log(`  SSL_CERT_FILE=${emulator.caFile}   (OpenSSL-based runtimes)`);
  const args = [
    ...(config ? [`--config ${shown(config.configFile)}`] : []),
    ...(values.state ? [`--state ${shown(stateDir)}`] : []),
  ];
  console.log(`then run: so-preflight check --attach${args.length ? ` ${args.join(' ')}` : ''}`);
  console.log('Press Ctrl-C to stop.');

  await new Promise<void>((resolveStop) => {
    const stop = () => resolveStop();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  clearRunning(stateDir);
  await emulator.stop();
  console.log('so-preflight: emulator stopped');
  return 0;
}
