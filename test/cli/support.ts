/**
 * Helpers for the CLI end-to-end tests: run `node src/cli/main.ts ...` as a child process (with a
 * bounded timeout, from the repository root unless told otherwise), and write JSON configs for
 * the example app acme-web or for deliberately broken apps.
 */
import { spawn } from 'node:child_process';
import { inflateRawSync } from 'node:zlib';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, expect } from '@playwright/test';
import type { ReadinessReport } from '../../src/report/index.ts';
import type { TestRecord } from '../../reporters/readiness.ts';
import { removeTempDirs, tempDir } from '../temp-dir.ts';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = join(REPO_ROOT, 'src', 'cli', 'main.ts');
export const ACME_WEB = join(REPO_ROOT, 'examples', 'acme-web');
export const FIXTURES = join(REPO_ROOT, 'test', 'fixtures-cli');

const scratchDirs = new Map<string, string>();

/** A path in this test's own scratch folder in the system's temporary folder. */
export function scratch(...segments: string[]): string {
  const info = test.info();
  let dir = scratchDirs.get(info.testId);
  if (!dir) {
    dir = tempDir('so-preflight-cli-');
    scratchDirs.set(info.testId, dir);
    info.annotations.push({ type: 'scratch', description: dir });
  }
  return join(dir, ...segments);
}

/** For `test.afterEach`: removes the scratch folder of a test that went as expected. */
export function cleanScratch(): void {
  scratchDirs.delete(test.info().testId);
  removeTempDirs();
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The last non-empty line of stderr: the one line a non-zero exit prints. */
  message: string;
  durationMs: number;
}

export interface RunOptions {
  cwd?: string;
  /** Added to (or, with `undefined`, removed from) the inherited environment. */
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
  /** Text written to stdin (stdin is a pipe, never a TTY). */
  input?: string;
}

/** Runs the CLI and resolves when it exits; kills it (and fails) after `timeoutMs`. */
export async function runCli(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Never let the caller's environment steer a run, whatever the test runner was started with.
  for (const name of [
    'PREFLIGHT_RULES',
    'PREFLIGHT_BASELINE',
    'PREFLIGHT_BLOB_DIR',
    'PREFLIGHT_CONFIG',
    'PREFLIGHT_OUT',
    'DEFECTS',
    'GITHUB_STEP_SUMMARY',
    'FORCE_COLOR',
  ]) {
    delete env[name];
  }
  for (const [k, v] of Object.entries(options.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const timeoutMs = options.timeoutMs ?? 30_000;
  const started = Date.now();
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin.end(options.input ?? '');
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    // The CLI runs Playwright, which runs workers and the app: end the whole process group.
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
  }, timeoutMs);
  const code = await new Promise<number | null>((resolveExit) => child.on('close', (c) => resolveExit(c)));
  clearTimeout(timer);
  if (timedOut) {
    throw new Error(
      `so-preflight ${args.join(' ')} did not finish within ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`,
    );
  }
  const message =
    stderr
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .at(-1) ?? '';
  return { code, stdout, stderr, message, durationMs: Date.now() - started };
}

/** Describes a CLI result for assertion messages. */
export function explain(r: CliResult): string {
  return `exit ${r.code} after ${r.durationMs} ms\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
}

/** No Node.js stack frames (`    at fn (file:line:col)`) in the output. */
export function expectNoStackTrace(r: CliResult): void {
  const frames = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => /^\s+at .+/.test(l));
  expect(frames, explain(r)).toEqual([]);
}

/** Exactly one line on stderr, starting with `so-preflight: `, and nothing else. */
export function expectOneLine(r: CliResult): void {
  const lines = r.stderr.split('\n').filter((l) => l.trim());
  expect(lines, explain(r)).toHaveLength(1);
  expect(lines[0], explain(r)).toMatch(/^so-preflight: /);
}

type Json = Record<string, unknown>;

/** acme-web as the harness starts it, in JSON form (as examples/acme-web/preflight.config.ts). */
export function acmeWebConfig(app: Json = {}, start: Json = {}, env: Record<string, string> = {}): Json {
  return {
    app: {
      name: 'Acme Web',
      vendor: 'Acme AS',
      type: 'web',
      certification: 'standard',
      baseURL: 'http://127.0.0.1:${app.port}',
      start: {
        command: 'node server.ts',
        cwd: ACME_WEB,
        env: {
          PORT: '${app.port}',
          PUBLIC_URL: 'http://127.0.0.1:${app.port}',
          SUPEROFFICE_URL: '${superid.url}',
          SUPEROFFICE_CLIENT_ID: '${client.id}',
          SUPEROFFICE_CLIENT_SECRET: '${client.secret}',
          SUPEROFFICE_TENANT: '${tenant.id}',
          ...env,
        },
        ready: '/healthz',
        timeout: 20_000,
        ...start,
      },
      signIn: { path: '/login' },
      session: { path: '/session', expect: { status: 200 } },
      apiAction: { path: '/contacts' },
      signOut: { path: '/logout' },
      returnParams: ['returnUrl'],
      redirectUris: ['http://127.0.0.1:${app.port}/callback'],
      postLogoutRedirectUris: ['http://127.0.0.1:${app.port}/'],
      ...app,
    },
    superoffice: { environment: 'sod', tenant: 'Cust12345' },
  };
}

/** A small valid web app config (not started by the harness); `patch` edits `app`. */
export function minimalConfig(patch: (app: Json) => void = () => undefined): Json {
  const app: Json = {
    name: 'Minimal',
    type: 'web',
    baseURL: 'http://127.0.0.1:5050',
    signIn: { path: '/login' },
    session: { path: '/session', expect: { status: 200 } },
    redirectUris: ['http://127.0.0.1:5050/callback'],
  };
  patch(app);
  return { app };
}

export function writeJson(file: string, value: unknown): string {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
  return file;
}

export function readReport(dir: string): ReadinessReport {
  return JSON.parse(readFileSync(join(dir, 'readiness.json'), 'utf8')) as ReadinessReport;
}

/** The raw test records of a report folder (results.json). */
export function readResults(dir: string): TestRecord[] {
  return (JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as { records: TestRecord[] }).records;
}

/** Status of every rule, by ID. */
export function statuses(report: ReadinessReport): Record<string, string> {
  return Object.fromEntries(report.rules.map((r) => [r.id, r.status]));
}

/**
 * The files in a ZIP archive (stored or deflated entries; enough for Playwright's blob reports),
 * so their contents can be searched like any other file of a report folder.
 */
export function unzip(data: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  let end = -1;
  for (let i = data.length - 22; i >= Math.max(0, data.length - 22 - 65_535); i--) {
    if (data.readUInt32LE(i) === 0x06054b50) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new Error('not a ZIP archive (no end of central directory)');
  const count = data.readUInt16LE(end + 10);
  let at = data.readUInt32LE(end + 16);
  for (let n = 0; n < count; n++) {
    if (data.readUInt32LE(at) !== 0x02014b50) throw new Error(`bad ZIP central directory entry at ${at}`);
    const method = data.readUInt16LE(at + 10);
    const size = data.readUInt32LE(at + 20);
    const nameLength = data.readUInt16LE(at + 28);
    const extraLength = data.readUInt16LE(at + 30);
    const commentLength = data.readUInt16LE(at + 32);
    const local = data.readUInt32LE(at + 42);
    const name = data.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    const start = local + 30 + data.readUInt16LE(local + 26) + data.readUInt16LE(local + 28);
    const raw = data.subarray(start, start + size);
    if (method === 0) files.set(name, Buffer.from(raw));
    else if (method === 8) files.set(name, inflateRawSync(raw));
    else throw new Error(`ZIP entry ${name} uses compression method ${method}`);
    at += 46 + nameLength + extraLength + commentLength;
  }
  return files;
}
