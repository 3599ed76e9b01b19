/**
 * Production start for Acme Next: `next build` only when there is no build yet or a source file
 * is newer than it, then `next start` on PORT (default 5070) and HOST (default 127.0.0.1).
 * Concurrent starts (several test runs at once) share one build through a lock folder.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_PORT, REQUIRED_ENV, parseDefects } from './lib/config.js';

const here = dirname(fileURLToPath(import.meta.url));
const nextCli = createRequire(import.meta.url).resolve('next/dist/bin/next');
const SOURCES = ['pages', 'lib', 'components', 'styles', 'public', 'next.config.js', 'package.json'];
const BUILD_ID = join(here, '.next', 'BUILD_ID');
const LOCK = join(here, '.next-build.lock');

function fail(message) {
  console.error(`acme-next: ${message}`);
  process.exit(2);
}

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((max, name) => Math.max(max, newestMtime(join(path, name))), stat.mtimeMs);
}

function buildIsCurrent() {
  if (!existsSync(BUILD_ID)) return false;
  const built = statSync(BUILD_ID).mtimeMs;
  return SOURCES.every((s) => newestMtime(join(here, s)) <= built);
}

function lockHolderAlive() {
  try {
    const pid = Number(readFileSync(join(LOCK, 'pid'), 'utf8'));
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function buildIfNeeded() {
  for (;;) {
    if (buildIsCurrent()) return;
    try {
      mkdirSync(LOCK);
    } catch {
      // Another start is building: wait for it (or take over a lock its dead owner left).
      if (!lockHolderAlive()) rmSync(LOCK, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 1000));
      continue;
    }
    try {
      writeFileSync(join(LOCK, 'pid'), String(process.pid));
      if (buildIsCurrent()) return;
      console.log('acme-next: sources changed or no build yet: next build');
      const started = Date.now();
      const result = spawnSync(process.execPath, [nextCli, 'build', '--webpack'], {
        cwd: here,
        stdio: 'inherit',
        env: process.env,
      });
      if (result.status !== 0) fail(`next build failed (exit ${result.status ?? result.signal})`);
      console.log(`acme-next: built in ${Math.round((Date.now() - started) / 1000)} s`);
      return;
    } finally {
      rmSync(LOCK, { recursive: true, force: true });
    }
  }
}

const missing = REQUIRED_ENV.filter((name) => !process.env[name]?.trim());
if (missing.length) fail(`${missing.join(', ')} not set (see README.md)`);
try {
  parseDefects(process.env.DEFECTS);
} catch (err) {
  fail(err.message);
}
const port = process.env.PORT?.trim() || String(DEFAULT_PORT);
const host = process.env.HOST?.trim() || '127.0.0.1';
process.env.NEXTAUTH_URL ||= (process.env.PUBLIC_URL?.trim() || `http://${host}:${port}`).replace(/\/+$/, '');
process.env.NEXT_TELEMETRY_DISABLED = '1';
process.env.NODE_ENV = 'production';

await buildIfNeeded();
const server = spawn(process.execPath, [nextCli, 'start', '--port', port, '--hostname', host], {
  cwd: here,
  stdio: 'inherit',
  env: process.env,
});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.kill(signal));
server.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
