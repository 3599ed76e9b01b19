/**
 * Attach-mode benchmark (`npm run bench:attach`): one `so-preflight emulator` and one compliant
 * acme-web started against it, as a partner runs them for a working session, then BENCH_RUNS
 * (default 4) full `check --attach` runs one after the other. Prints per run the exit code, wall
 * time, the machine's CPU time (all processes, from /proc/stat where there is one) and the summed
 * test time, and the emulator's resident memory after it, so a run that costs more the longer the
 * emulator lives shows as a rising column.
 * Prints figures; asserts nothing about speed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../src/config/load.ts';
import { startProcess, waitUntilReady, type TargetProcess } from '../src/target/process.ts';

const ROOT = resolve(import.meta.dirname, '..');
const CLI = join(ROOT, 'src/cli/main.ts');
const ACME_WEB = join(ROOT, 'examples/acme-web');
const RUNS = Number(process.env['BENCH_RUNS'] ?? 4);
const HOST = '127.0.0.1';

/** Busy CPU seconds of the whole machine so far, or undefined without /proc/stat. */
function machineCpu(): number | undefined {
  if (!existsSync('/proc/stat')) return undefined;
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  const [user, nice, system, , , irq, softirq, steal] = ticks.map(Number);
  return (user! + nice! + system! + irq! + softirq! + steal!) / 100;
}

/** A process's resident memory in MB, or undefined without /proc. */
function rssMb(pid: number | undefined): number | undefined {
  const status = pid && existsSync(`/proc/${pid}/status`) ? readFileSync(`/proc/${pid}/status`, 'utf8') : '';
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
  return kb ? Number(kb) / 1024 : undefined;
}

/** Waits for a line holding `text` in a process's output; throws with the output after `ms`. */
async function waitForLine(proc: TargetProcess, text: string, ms: number): Promise<string> {
  const deadline = Date.now() + ms;
  while (!proc.output().some((l) => l.includes(text))) {
    if (proc.exitCode() !== null || Date.now() > deadline)
      throw new Error(`bench:attach: no "${text}" within ${ms / 1000} s:\n${proc.output().join('\n')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return proc.output().join('\n');
}

const dir = mkdtempSync(join(tmpdir(), 'so-bench-attach-'));
const children: TargetProcess[] = [];

try {
  // acme-web's own config on a fixed port: an attached run needs the app's real URL.
  const appPort = await freePort();
  const { default: config } = (await import(join(ACME_WEB, 'preflight.config.ts'))) as { default: object };
  const fixed = JSON.parse(
    JSON.stringify(config)
      .replaceAll('${app.port}', String(appPort))
      .replaceAll('"cwd":"."', `"cwd":${JSON.stringify(ACME_WEB)}`),
  ) as { app: { journeys?: string[] } };
  if (fixed.app.journeys) fixed.app.journeys = fixed.app.journeys.map((j) => join(ACME_WEB, j));
  const configFile = join(dir, 'preflight.config.json');
  writeFileSync(configFile, JSON.stringify(fixed, null, 2));

  // `exec`: the shell becomes the emulator, so its pid is the one whose memory is printed.
  const emulator = startProcess({
    command: [
      'exec',
      process.execPath,
      CLI,
      'emulator',
      '--config',
      configFile,
      '--state',
      join(dir, 'state'),
    ]
      .map((a, i) => (i === 0 ? a : JSON.stringify(a)))
      .join(' '),
    cwd: ROOT,
    env: process.env,
  });
  children.push(emulator);
  const emuOut = await waitForLine(emulator, 'Press Ctrl-C to stop.', 60_000);
  const field = (label: string) => new RegExp(`^\\s*${label}:?\\s+(\\S+)`, 'm').exec(emuOut)?.[1] ?? '';

  const app = startProcess({
    command: 'node server.ts',
    cwd: ACME_WEB,
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: process.env['HOME'] ?? '',
      PORT: String(appPort),
      PUBLIC_URL: `http://${HOST}:${appPort}`,
      SUPEROFFICE_URL: field('SuperID \\(issuer\\)'),
      SUPEROFFICE_CLIENT_ID: field('Client ID'),
      SUPEROFFICE_CLIENT_SECRET: field('Client secret'),
      MAIL_API: field('Mail sink \\(HTTP API\\)'),
      PANEL_FRAME_ANCESTORS: field('Web client \\(frames web panels\\)'),
      NODE_EXTRA_CA_CERTS: join(dir, 'state', 'superoffice-emulator-ca.pem'),
    },
  });
  children.push(app);
  await waitUntilReady(`http://${HOST}:${appPort}/healthz`, 20_000, app);
  console.log(`emulator and acme-web (port ${appPort}) started once; ${RUNS} full checks with --attach`);

  for (let i = 1; i <= RUNS; i++) {
    const out = join(dir, `report-${i}`);
    const cpu0 = machineCpu();
    const started = performance.now();
    const run = spawnSync(
      process.execPath,
      [CLI, 'check', '--attach', '--config', configFile, '--state', join(dir, 'state'), '--out', out],
      { cwd: ROOT, encoding: 'utf8' },
    );
    const wall = (performance.now() - started) / 1000;
    const cpu1 = machineCpu();
    const resultsFile = join(out, 'results.json');
    const tests = existsSync(resultsFile)
      ? (JSON.parse(readFileSync(resultsFile, 'utf8')) as { records: Array<{ durationMs: number }> }).records
      : [];
    const summed = tests.reduce((s, r) => s + r.durationMs, 0) / 1000;
    const cpu = cpu0 !== undefined && cpu1 !== undefined ? `, machine CPU ${(cpu1 - cpu0).toFixed(1)} s` : '';
    const rss = rssMb(emulator.pid);
    const mem = rss === undefined ? '' : `, emulator RSS ${rss.toFixed(0)} MB`;
    console.log(
      `run ${i}: exit ${run.status}, wall ${wall.toFixed(1)} s${cpu}, tests ${summed.toFixed(1)} s summed over ${tests.length}${mem}`,
    );
    if (run.status !== 0 && run.status !== 1) console.log(run.stdout.split('\n').slice(-6).join('\n'));
  }
} finally {
  await Promise.all(children.map((c) => c.stop()));
  rmSync(dir, { recursive: true, force: true });
}
