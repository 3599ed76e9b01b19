/**
 * Check benchmark (`npm run bench:check`): the full readiness check of the compliant acme-web,
 * BENCH_RUNS times (default 3). Prints per run the wall time, the summed test time, the number of
 * browser sign-ins (authorization requests SuperID saw, not counting their resumptions after its
 * sign-in pages), and the ratio of wall time to
 * (sign-ins × median bare sign-in time / workers), the bare sign-in time being measured in the
 * same session by the emulator benchmark. Prints figures; asserts nothing about speed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { defaultWorkers } from '../src/target/phases.ts';

const ROOT = resolve(import.meta.dirname, '..');
const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const WORKERS = Number(process.env['BENCH_WORKERS'] ?? defaultWorkers(availableParallelism()));

const bare = spawnSync(process.execPath, [join(ROOT, 'bench/emulator.ts')], {
  env: { ...process.env, BENCH_REFRESH_N: '1', BENCH_CODE_N: '1', BENCH_BROWSER_N: '5' },
  encoding: 'utf8',
});
const bareMs = Number(/median: (\d+) ms/.exec(bare.stdout)?.[1]);
if (!Number.isFinite(bareMs)) {
  console.error(`bench:check: the emulator benchmark gave no sign-in median:\n${bare.stdout}${bare.stderr}`);
  process.exit(1);
}
const browserLine = /^browser: .*$/m.exec(bare.stdout)?.[0];
console.log(`bare browser sign-in + consent, median of 5: ${bareMs} ms; workers: ${WORKERS}`);
if (browserLine) console.log(browserLine);

for (let i = 1; i <= RUNS; i++) {
  const dir = mkdtempSync(join(tmpdir(), 'so-bench-check-'));
  const stats = join(dir, 'stats.json');
  const started = performance.now();
  const run = spawnSync(
    process.execPath,
    [
      join(ROOT, 'src/cli/main.ts'),
      'check',
      '--config',
      join(ROOT, 'examples/acme-web/preflight.config.ts'),
      '--out',
      join(dir, 'report'),
      '--workers',
      String(WORKERS),
    ],
    { cwd: ROOT, env: { ...process.env, PREFLIGHT_STATS_FILE: stats, DEFECTS: '' }, encoding: 'utf8' },
  );
  const wallMs = performance.now() - started;
  const results = JSON.parse(readFileSync(join(dir, 'report/results.json'), 'utf8')) as {
    records: Array<{ durationMs: number }>;
  };
  const testMs = results.records.reduce((sum, r) => sum + r.durationMs, 0);
  // A harness without run statistics (an older checkout being compared) gives no sign-in count.
  const signIns = existsSync(stats)
    ? (JSON.parse(readFileSync(stats, 'utf8')) as { signIns: number }).signIns
    : undefined;
  const ratio = signIns ? (wallMs / ((signIns * bareMs) / WORKERS)).toFixed(2) : 'n/a';
  const row = `run ${i}: exit ${run.status}, wall ${(wallMs / 1000).toFixed(1)} s, tests ${(testMs / 1000).toFixed(1)} s summed over ${results.records.length}, ${signIns ?? 'n/a'} sign-ins, ratio wall / (sign-ins x bare / workers) = ${ratio}`;
  console.log(row);
  rmSync(dir, { recursive: true, force: true });
}
