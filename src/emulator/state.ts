/**
 * The standalone emulator's state folder (default `.so-preflight/` beside the config file): what
 * keeps `so-preflight emulator` the same SuperID across restarts, so an app configured against it
 * once keeps working, and what `so-preflight check --attach` reads to find it.
 *
 * The folder is 0700 and every file in it 0600 (written to a temporary name, then renamed):
 * - `root-ca.pem`, `root-ca.key`, `environment-ca.pem`, `environment-ca.key`, `signing.pem`,
 *   `signing.key`, `tls.pem`, `tls.key`: the PKI (see {@link restoreEnvironmentPki})
 * - `client.json`: the registered client id and secret
 * - `control-token`: the bearer token of the control API (never printed or logged)
 * - `settings.json`: the SuperID port (so a restart without `--port` keeps the URL)
 * - `emulator.json`: while an emulator runs: its URLs, CA file, pid, start time and the app
 *   registration it serves ({@link RunningEmulator})
 * - `check.lock`: while a `check --attach` runs against it (one at a time)
 * - written by the emulator itself: `superoffice-emulator-ca.pem` (the CA file apps trust),
 *   `SuperOfficeFederatedLogin.crt`, `app-private-key.pem` (server-to-server apps)
 */
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import {
  exportEnvironmentPki,
  restoreEnvironmentPki,
  type EnvironmentPki,
  type EnvironmentPkiPems,
  type PkiPart,
} from './pki.ts';
import type { AppType } from '../rules/types.ts';
import type { EnvironmentSlug } from './types.ts';

export const STATE_DIR_NAME = '.so-preflight';
/** SuperID's port when neither `--port` nor the state folder says otherwise; NetServer is on the next. */
export const DEFAULT_SUPERID_PORT = 5443;

const PKI_FILES: Record<keyof EnvironmentPkiPems, string> = {
  rootCert: 'root-ca.pem',
  rootKey: 'root-ca.key',
  environmentCaCert: 'environment-ca.pem',
  environmentCaKey: 'environment-ca.key',
  signingCert: 'signing.pem',
  signingKey: 'signing.key',
  tlsCert: 'tls.pem',
  tlsKey: 'tls.key',
};
const CLIENT_FILE = 'client.json';
const TOKEN_FILE = 'control-token';
const SETTINGS_FILE = 'settings.json';
const RUNNING_FILE = 'emulator.json';
const LOCK_FILE = 'check.lock';
/** Written by startEmulator into its data folder (the state folder). */
export const APP_PRIVATE_KEY_FILE = 'app-private-key.pem';

/** What the emulator registers for the app; `check --attach` compares it with its config. */
export interface AppRegistrationSummary {
  environment: EnvironmentSlug;
  tenant: string;
  type: AppType;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  corsOrigins: string[];
}

/** `emulator.json`: a running standalone emulator, for `check --attach`. No secrets. */
export interface RunningEmulator {
  version: 1;
  superidUrl: string;
  tenantOrigin: string;
  caFile: string;
  pid: number;
  /** ISO time the emulator started. */
  started: string;
  /** The config file it registered the app from, if any. */
  configFile?: string;
  registration: AppRegistrationSummary;
}

export interface EmulatorState {
  dir: string;
  pki: EnvironmentPki;
  /** Parts of the PKI issued anew on this start (all of them on the first). */
  renewed: PkiPart[];
  /** True when the folder held no state before (first start). */
  created: boolean;
  client: { id: string; secret: string };
  controlToken: string;
  /** The SuperID port of the last start, if any. */
  superidPort: number | undefined;
  /** A server-to-server app's saved private key, if any. */
  appPrivateKeyPem: string | undefined;
}

/** `--state DIR`, else `.so-preflight/` beside the config file, else in the working folder. */
export function stateDirFor(given: string | undefined, configFile: string | undefined): string {
  if (given) return resolve(given);
  return join(configFile ? dirname(configFile) : process.cwd(), STATE_DIR_NAME);
}

/** Writes `text` to `file` with mode 0600, atomically (temporary file, then rename). */
function writePrivate(file: string, text: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, text, { mode: 0o600 });
  chmodSync(temp, 0o600);
  renameSync(temp, file);
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function readJson<T>(file: string): T | undefined {
  const text = readText(file);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/** Makes the folder if needed and narrows it (and the files in it) to the owner. */
function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if ((statSync(dir).mode & 0o777) !== 0o700) chmodSync(dir, 0o700);
}

/**
 * Loads the state folder, creating it (0700) when needed and issuing only what is missing or
 * expiring: PKI parts, client credentials, control token. Every file it writes is 0600.
 */
export async function openEmulatorState(dir: string, environment: EnvironmentSlug): Promise<EmulatorState> {
  ensurePrivateDir(dir);
  const saved: Partial<EnvironmentPkiPems> = {};
  for (const [key, name] of Object.entries(PKI_FILES) as [keyof EnvironmentPkiPems, string][]) {
    const text = readText(join(dir, name));
    if (text !== undefined) saved[key] = text;
  }
  const created = Object.keys(saved).length === 0;
  const { pki, renewed } = await restoreEnvironmentPki(environment, saved);
  if (renewed.length) {
    const pems = exportEnvironmentPki(pki);
    for (const [key, name] of Object.entries(PKI_FILES) as [keyof EnvironmentPkiPems, string][]) {
      if (pems[key] !== saved[key]) writePrivate(join(dir, name), pems[key]);
    }
  }

  let client = readJson<{ id?: unknown; secret?: unknown }>(join(dir, CLIENT_FILE));
  if (
    typeof client?.id !== 'string' ||
    !/^[0-9a-f]{32}$/.test(client.id) ||
    typeof client.secret !== 'string' ||
    client.secret.length < 32
  ) {
    client = { id: randomBytes(16).toString('hex'), secret: randomBytes(32).toString('base64url') };
    writePrivate(join(dir, CLIENT_FILE), `${JSON.stringify(client, null, 2)}\n`);
  }

  let controlToken = readText(join(dir, TOKEN_FILE))?.trim();
  if (!controlToken || !/^[A-Za-z0-9_-]{43,}$/.test(controlToken)) {
    controlToken = randomBytes(32).toString('base64url');
    writePrivate(join(dir, TOKEN_FILE), `${controlToken}\n`);
  }

  const port = readJson<{ superidPort?: unknown }>(join(dir, SETTINGS_FILE))?.superidPort;
  const appKey = readText(join(dir, APP_PRIVATE_KEY_FILE));
  for (const name of [...Object.values(PKI_FILES), CLIENT_FILE, TOKEN_FILE, APP_PRIVATE_KEY_FILE]) {
    const file = join(dir, name);
    if (existsSync(file) && (statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  }
  return {
    dir,
    pki,
    renewed,
    created,
    client: { id: client.id as string, secret: client.secret as string },
    controlToken,
    superidPort:
      Number.isInteger(port) && (port as number) > 0 && (port as number) < 65535
        ? (port as number)
        : undefined,
    appPrivateKeyPem: appKey?.includes('PRIVATE KEY') ? appKey : undefined,
  };
}

export function saveSettings(dir: string, settings: { superidPort: number }): void {
  writePrivate(join(dir, SETTINGS_FILE), `${JSON.stringify(settings, null, 2)}\n`);
}

/** Narrows a file the emulator wrote into the state folder to 0600. */
export function makePrivate(file: string): void {
  if (existsSync(file)) chmodSync(file, 0o600);
}

export function writeRunning(dir: string, running: RunningEmulator): void {
  writePrivate(join(dir, RUNNING_FILE), `${JSON.stringify(running, null, 2)}\n`);
}

export function readRunning(dir: string): RunningEmulator | undefined {
  const running = readJson<RunningEmulator>(join(dir, RUNNING_FILE));
  return running?.version === 1 &&
    typeof running.superidUrl === 'string' &&
    typeof running.caFile === 'string'
    ? running
    : undefined;
}

/** Removes `emulator.json` if it is this process's. */
export function clearRunning(dir: string, pid = process.pid): void {
  if (readRunning(dir)?.pid === pid) rmSync(join(dir, RUNNING_FILE), { force: true });
}

export function readControlToken(dir: string): string | undefined {
  return readText(join(dir, TOKEN_FILE))?.trim() || undefined;
}

export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the state folder's check lock (one `check --attach` at a time per emulator: each run
 * resets the emulator, which would pull the ground from under another). A lock whose process is
 * gone is taken over. Returns the release function, or the pid that holds it.
 */
export function acquireCheckLock(dir: string): { release: () => void } | { heldBy: number } {
  const file = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { mode: 0o600, flag: 'wx' });
      return {
        release: () => {
          if (readText(file)?.trim() === String(process.pid)) rmSync(file, { force: true });
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = Number(readText(file)?.trim());
      if (processAlive(holder) && holder !== process.pid) return { heldBy: holder };
      rmSync(file, { force: true });
    }
  }
  return { heldBy: Number(readText(file)?.trim()) || 0 };
}
