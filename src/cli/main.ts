/**
 * `so-preflight check | emulator | rules | init | report | doctor`.
 *
 * Exit codes (a contract CI jobs depend on): 0 ready; 1 not ready (a blocking rule failed);
 * 2 bad usage or config; 3 incomplete (app unreachable or not started, a check errored, browser
 * missing). Every non-zero exit prints one line that says why and what to do.
 */
import { parseArgs } from 'node:util';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, copyFileSync, mkdtempSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { randomInt } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig, findConfigFile, freePort } from '../config/load.ts';
import { startRun, MANIFEST_ENV, CONTROL_TOKEN_ENV } from '../target/run.ts';
import { rulesPattern } from '../target/phases.ts';
import { attachRun } from '../target/attach.ts';
import {
  BROWSER_CHANNEL,
  BrowserNotFoundError,
  browserVersion,
  discoverBrowser,
  peekBrowser,
} from '../browser.ts';
import { probeUrl } from '../target/process.ts';
import { RULES, getRule } from '../rules/index.ts';
import { loadBaseline } from '../report/index.ts';
import { TOOL_VERSION } from '../version.ts';
import { runEmulatorCommand } from './emulator.ts';
import { initConfig } from './init.ts';
import { printRules } from './rules.ts';
import { runDoctor } from './doctor.ts';
import { EVIDENCE_DIR, sanitizeBlobs, unpackEvidence } from './blob.ts';

export const EXIT = { ready: 0, notReady: 1, usage: 2, incomplete: 3 } as const;

export class UsageError extends Error {
  readonly code = 'USAGE';
}

// The checkout runs src/cli/main.ts from the TypeScript sources; an installed package runs
// dist/src/cli/main.js. Either way PKG_ROOT holds the matching playwright.config.(ts|js).
const PKG_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PLAYWRIGHT_CONFIG = join(
  PKG_ROOT,
  `playwright.config.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`,
);
const REPORT_FILES = [
  'index.html',
  'readiness.json',
  'junit.xml',
  'summary.md',
  'results.json',
  'evidence',
  'blob',
  EVIDENCE_DIR,
];

const HELP = `so-preflight ${TOOL_VERSION}: readiness checks for SuperOffice CRM Online partner apps

Usage:
  so-preflight check [--config FILE] [--out DIR] [--rules ID,...] [--workers N] [--shard i/n] [--shuffle SEED|random] [--baseline FILE] [--allure DIR] [--attach [--state DIR]]
  so-preflight emulator [--port N] [--config FILE] [--state DIR]
  so-preflight rules [--json]
  so-preflight init [--force]
  so-preflight report DIR... [--config FILE] [--out DIR] [--baseline FILE]
  so-preflight doctor [--config FILE]

Exit codes: 0 ready, 1 not ready, 2 bad usage or config, 3 incomplete.`;

function fail(code: number, message: string): never {
  throw Object.assign(new Error(message), { exitCode: code });
}

function parseRules(value: string | undefined): string[] | undefined {
  if (!value) return undefined;
  const ids = value
    .split(',')
    .map((s) => s.trim().toUpperCase())
    .filter(Boolean);
  const unknown = ids.filter((id) => !getRule(id));
  if (unknown.length) {
    fail(
      EXIT.usage,
      `unknown rule ID${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} in --rules; "so-preflight rules" lists them`,
    );
  }
  return ids;
}

/**
 * The `--shuffle` seed: a word of letters, digits, `-` or `_` that fixes the order (the same seed
 * gives the same order), or `random` for a new one, printed so the order can be repeated.
 */
function shuffleSeed(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value === 'random') return String(randomInt(1, 1_000_000_000));
  if (!/^[\w-]{1,64}$/.test(value))
    fail(EXIT.usage, '--shuffle takes a seed (letters, digits, - or _, e.g. --shuffle 42) or random');
  return value;
}

function playwrightCli(): string {
  const require = createRequire(import.meta.url);
  return require.resolve('@playwright/test/cli');
}

function runPlaywright(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolveExit) => {
    const child = spawn(process.execPath, [playwrightCli(), ...args], {
      cwd: PKG_ROOT,
      env,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const forward = (sig: NodeJS.Signals) => child.kill(sig);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('exit', (code) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolveExit(code ?? 1);
    });
  });
}

function clearReport(out: string): void {
  for (const f of REPORT_FILES) rmSync(join(out, f), { recursive: true, force: true });
}

function exitForReport(out: string): number {
  const file = join(out, 'readiness.json');
  if (!existsSync(file)) {
    console.error(`so-preflight: the run produced no report in ${out}; see the output above for why`);
    return EXIT.incomplete;
  }
  const report = JSON.parse(readFileSync(file, 'utf8')) as { verdict: string; verdictReason: string };
  if (report.verdict === 'ready') return EXIT.ready;
  if (report.verdict === 'not-ready') {
    console.error(
      `so-preflight: not ready: ${report.verdictReason}; fix the failed rules (see ${join(out, 'index.html')})`,
    );
    return EXIT.notReady;
  }
  console.error(`so-preflight: incomplete: ${report.verdictReason}; fix the run problem and check again`);
  return EXIT.incomplete;
}

async function check(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      out: { type: 'string', default: 'preflight-report' },
      rules: { type: 'string' },
      workers: { type: 'string' },
      shard: { type: 'string' },
      shuffle: { type: 'string' },
      baseline: { type: 'string' },
      allure: { type: 'string' },
      attach: { type: 'boolean', default: false },
      state: { type: 'string' },
    },
    strict: true,
  });
  if (values.state !== undefined && !values.attach)
    fail(EXIT.usage, "--state goes with --attach (the running emulator's state folder)");
  // The run's one app port: `${app.port}` is resolved once, here, for every worker.
  const port = await freePort();
  const config = await loadConfig(values.config, { appPort: port });
  const appPort = config.usesAppPort ? port : 0;
  const rules = parseRules(values.rules);
  if (values.baseline) loadBaseline(resolve(values.baseline), RULES);
  if (values.workers !== undefined && !/^[1-9]\d*$/.test(values.workers))
    fail(EXIT.usage, '--workers takes a whole number of at least 1');
  if (values.shard !== undefined) {
    const [i, n] = values.shard.split('/').map(Number);
    if (!/^[1-9]\d*\/[1-9]\d*$/.test(values.shard) || i! > n!)
      fail(EXIT.usage, '--shard takes i/n with 1 <= i <= n, e.g. --shard 1/2');
  }
  const shuffle = shuffleSeed(values.shuffle);
  if (values.attach && config.superoffice.impersonate)
    fail(
      EXIT.usage,
      `--attach cannot stand in for SuperOffice's hosts (superoffice.impersonate in ${config.configFile}): run "so-preflight check" without --attach so the app starts behind the impersonation proxy`,
    );
  const browser = await discoverBrowser();
  browser.version ??= browserVersion(browser);
  if (!values.attach && !config.app.start && config.app.baseURL && config.app.type !== 'native') {
    const status = await probeUrl(config.app.baseURL, 5_000);
    if (status === undefined) {
      fail(
        EXIT.incomplete,
        `the app at ${config.app.baseURL} does not answer; start it first or add app.start to ${config.configFile}`,
      );
    }
  }
  const workers = values.workers;
  const out = resolve(values.out);
  mkdirSync(out, { recursive: true });
  clearReport(out);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PREFLIGHT_CONFIG: config.configFile,
    PREFLIGHT_OUT: out,
    PREFLIGHT_TEST_TIMEOUT: String(config.harness.testTimeout),
  };
  // Internal channels to the Playwright run: only this command's options may set them.
  for (const name of [
    'PREFLIGHT_RULES',
    'PREFLIGHT_BASELINE',
    'PREFLIGHT_BLOB_DIR',
    'PREFLIGHT_ALLURE_DIR',
    'PREFLIGHT_SHARD',
    'PREFLIGHT_SHUFFLE',
    MANIFEST_ENV,
    CONTROL_TOKEN_ENV,
    BROWSER_CHANNEL,
  ])
    delete env[name];
  // The browser found above, for the Playwright config, its workers and the report.
  env[BROWSER_CHANNEL] = JSON.stringify(browser);
  console.log(
    `so-preflight: browser: ${browser.description}${browser.version ? ` (${browser.version})` : ''}`,
  );
  if (rules) env['PREFLIGHT_RULES'] = rules.join(',');
  if (values.baseline) env['PREFLIGHT_BASELINE'] = resolve(values.baseline);
  if (workers) env['PREFLIGHT_WORKERS'] = workers;
  if (values.allure) env['PREFLIGHT_ALLURE_DIR'] = resolve(values.allure);
  const args = ['test', '--config', PLAYWRIGHT_CONFIG];
  if (shuffle) {
    // Every check leaves the emulator as it found it, so the order must not change a result.
    args.push(`--shuffle=${shuffle}`);
    env['PREFLIGHT_SHUFFLE'] = shuffle;
    console.log(
      `so-preflight: checks in a shuffled order, seed ${shuffle} (--shuffle ${shuffle} repeats it)`,
    );
  }
  // The selection is each phase's own grep (src/target/phases.ts); a sharded run, one project,
  // takes it on the command line.
  if (values.shard) {
    if (rules) args.push('--grep', rulesPattern(rules));
    args.push(`--shard=${values.shard}`);
    env['PREFLIGHT_SHARD'] = values.shard;
    env['PREFLIGHT_BLOB_DIR'] = join(out, 'blob');
  }
  // One emulator and one app for the whole run; workers share them through the control API.
  // --attach: the running `so-preflight emulator` and the running app; neither is started here.
  const run = values.attach ? await attachRun(config, values.state) : await startRun(config, appPort);
  // Made once the run is up, and removed on every path from here, so no run leaves one behind.
  const artifacts = mkdtempSync(join(tmpdir(), 'so-preflight-artifacts-'));
  env['PREFLIGHT_ARTIFACTS'] = artifacts;
  try {
    try {
      Object.assign(env, run.env);
      await runPlaywright(args, env);
    } finally {
      await run.stop();
    }
  } catch (e) {
    rmSync(artifacts, { recursive: true, force: true });
    throw e;
  }
  const blobDir = env['PREFLIGHT_BLOB_DIR'];
  try {
    // Before the artifacts go: the blob takes the evidence files its findings name.
    if (blobDir && existsSync(blobDir)) sanitizeBlobs(blobDir);
  } catch (e) {
    // An uncleaned blob may hold secrets in clear: better no shard results than a leak.
    rmSync(blobDir!, { recursive: true, force: true });
    fail(
      EXIT.incomplete,
      `could not clean the shard results in ${blobDir} (${(e as Error).message}), so they were removed; run the shard again`,
    );
  } finally {
    rmSync(artifacts, { recursive: true, force: true });
  }
  return exitForReport(out);
}

/** Each shard folder's readiness.json, parsed; undefined where it is missing or unreadable. */
function shardReports(
  dirs: readonly string[],
): Array<{ dir: string; report: Record<string, unknown> | undefined }> {
  return dirs.map((dir) => {
    const file = join(resolve(dir), 'readiness.json');
    if (!existsSync(file)) return { dir, report: undefined };
    try {
      return { dir, report: JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown> };
    } catch {
      return { dir, report: undefined };
    }
  });
}

/**
 * The `--rules` selection the shards ran with, read from each shard's readiness.json; the shards
 * must agree (they are parts of one run). Undefined when they ran every rule.
 */
function shardSelection(shards: ReturnType<typeof shardReports>): string[] | undefined {
  const seen = new Map<string, string>();
  for (const { dir, report } of shards) {
    if (!report) continue;
    const selected = report['selectedRules'];
    const key = Array.isArray(selected) ? [...selected].map(String).sort().join(',') : '';
    seen.set(key, dir);
  }
  if (seen.size > 1) {
    const [a, b] = [...seen.values()];
    fail(EXIT.usage, `${a} and ${b} ran different rule selections (--rules); merge shards of one run only`);
  }
  const only = [...seen.keys()][0];
  return only ? only.split(',') : undefined;
}

/**
 * The `--shuffle` seed every shard ran with, when they all ran with the same one (a shard without
 * a readable report counts as one without a seed).
 */
function shardShuffleSeed(shards: ReturnType<typeof shardReports>): string | undefined {
  const seeds = new Set(
    shards.map(({ report }) =>
      typeof report?.['shuffleSeed'] === 'string' ? report['shuffleSeed'] : undefined,
    ),
  );
  const [only] = seeds;
  return seeds.size === 1 ? only : undefined;
}

async function report(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      out: { type: 'string', default: 'preflight-report' },
      baseline: { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length === 0)
    fail(EXIT.usage, 'give the shard report folders to merge: so-preflight report DIR...');
  const configFile = findConfigFile(values.config);
  await loadConfig(configFile);
  if (values.baseline) loadBaseline(resolve(values.baseline), RULES);
  for (const dir of positionals) {
    if (!existsSync(join(resolve(dir), 'blob')))
      fail(
        EXIT.usage,
        `${dir} holds no shard results (no blob/ folder); run "so-preflight check --shard i/n --out ${dir}" first`,
      );
  }
  const shards = shardReports(positionals);
  const selection = shardSelection(shards);
  const merged = mkdtempSync(join(tmpdir(), 'so-preflight-merge-'));
  const zips: string[] = [];
  for (const dir of positionals) {
    const blobDir = join(resolve(dir), 'blob');
    for (const f of readdirSync(blobDir).filter((f) => f.endsWith('.zip'))) {
      // Two shards' blobs may share a name (e.g. the same --shard given twice): keep both.
      const copy = join(merged, `${zips.length}-${f}`);
      copyFileSync(join(blobDir, f), copy);
      zips.push(copy);
    }
  }
  const blobs = zips.length;
  if (blobs === 0) {
    rmSync(merged, { recursive: true, force: true });
    fail(EXIT.usage, 'the given folders hold no shard results (.zip blobs)');
  }
  const out = resolve(values.out);
  mkdirSync(out, { recursive: true });
  clearReport(out);
  const env: NodeJS.ProcessEnv = { ...process.env, PREFLIGHT_CONFIG: configFile, PREFLIGHT_OUT: out };
  // The merged report judges the same selection the shards ran (else unselected rules would
  // read as "did not run"), and must not write blobs or pick up a caller's stray selection.
  delete env['PREFLIGHT_RULES'];
  delete env['PREFLIGHT_BLOB_DIR'];
  delete env['PREFLIGHT_BASELINE'];
  delete env['PREFLIGHT_SHUFFLE'];
  if (selection) env['PREFLIGHT_RULES'] = selection.join(',');
  if (values.baseline) env['PREFLIGHT_BASELINE'] = resolve(values.baseline);
  const seed = shardShuffleSeed(shards);
  if (seed) env['PREFLIGHT_SHUFFLE'] = seed;
  // The shards' evidence files, where the report writer finds the findings' relative paths.
  unpackEvidence(zips, out);
  try {
    await runPlaywright(['merge-reports', '--config', PLAYWRIGHT_CONFIG, merged], env);
  } finally {
    rmSync(merged, { recursive: true, force: true });
    rmSync(join(out, EVIDENCE_DIR), { recursive: true, force: true });
  }
  return exitForReport(out);
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'check':
        return await check(rest);
      case 'report':
        return await report(rest);
      case 'emulator':
        return await runEmulatorCommand(rest);
      case 'rules':
        return printRules(rest);
      case 'init':
        return await initConfig(rest);
      case 'doctor':
        return await runDoctor(rest);
      case '--version':
      case '-v':
        // stdout stays the bare version for scripts; what would run it goes to stderr.
        console.log(TOOL_VERSION);
        console.error(`node ${process.versions.node}; browser: ${peekBrowser()}`);
        return EXIT.ready;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        console.log(HELP);
        return command === undefined ? EXIT.usage : EXIT.ready;
      default:
        fail(EXIT.usage, `unknown command "${command}"; run "so-preflight --help" for the list`);
    }
  } catch (e) {
    const err = e as Error & { exitCode?: number; code?: string };
    if (err instanceof ConfigError) {
      if (err.problems.length > 1) for (const p of err.problems) console.error(`  ✖ ${p}`);
      console.error(
        err.problems.length === 1
          ? `so-preflight: config ${err.file}: ${err.problems[0]}`
          : `so-preflight: config ${err.file} has ${err.problems.length} problems (listed above); fix them and run again`,
      );
      return EXIT.usage;
    }
    if (err instanceof BrowserNotFoundError) {
      console.error(`so-preflight: ${err.message}`);
      return EXIT.incomplete;
    }
    if (
      err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ||
      err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' ||
      err.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL'
    ) {
      console.error(`so-preflight: ${err.message.split('\n')[0]}; run "so-preflight --help" for usage`);
      return EXIT.usage;
    }
    if (err.code === 'BASELINE_INVALID' || err.name === 'BaselineError') {
      console.error(`so-preflight: ${err.message}`);
      return EXIT.usage;
    }
    if (typeof err.exitCode === 'number') {
      console.error(`so-preflight: ${err.message}`);
      return err.exitCode;
    }
    console.error(
      `so-preflight: unexpected error: ${err.message?.split('\n')[0] ?? String(e)}; please report it with the command you ran`,
    );
    return EXIT.incomplete;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
