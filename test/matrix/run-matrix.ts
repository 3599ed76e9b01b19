/**
 * The end-to-end matrix: the harness's verdicts, tested. For every example app:
 * - the compliant app (no defects) must come out `ready` with no failed, warned or errored rule;
 * - every seeded defect (examples/<app>/defects.json) must make exactly its declared rules fail.
 * Each defect run selects its declared rules plus the rest of their categories (`--rules`), so a
 * defect that bleeds into a neighbouring rule is caught while the matrix stays fast.
 *
 * A case whose only mismatch is rules that could not be judged (`error`: a sign-in or probe that
 * timed out on a loaded machine), with the flagged rules exactly as expected, runs once more at the
 * end, alone (in the same shuffled order, when shuffled); its line says so, with the first run's
 * errors. A wrong verdict on any rule (a rule flagged or passed against expectations) is never run
 * again.
 *
 * Prints one line per case and writes test-results/matrix-results.json ({passed, failed, rows}).
 * `node test/matrix/run-matrix.ts [app[:defect]]...` runs a subset. `MATRIX_SHUFFLE=random` (or a
 * seed) runs each case's checks in a shuffled order; a failing case's output names its seed.
 */
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { RULES, getRule } from '../../src/rules/index.ts';
import { loadConfig } from '../../src/config/load.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'src/cli/main.ts');
const CONCURRENCY = Number(process.env['MATRIX_CONCURRENCY'] ?? 2);
/**
 * Playwright workers per check (they share the run's one emulator and app). Default 2: with two
 * checks at a time the machine is busy either way (measured: 2 workers 354 s, 1 worker 346 s for
 * 14 cases), so each check keeps to two rather than the CLI's default.
 */
const WORKERS = process.env['MATRIX_WORKERS'] ?? '2';
/** `--shuffle` for every check (a seed, or `random` for a new one per case), to test order independence. */
const SHUFFLE = process.env['MATRIX_SHUFFLE'];

interface Defect {
  name: string;
  rules: string[];
  /** Rules the defect makes impossible to judge (reported `error`), with `errorsWhy`. */
  errors?: string[];
  errorsWhy?: string;
  description: string;
}

interface Case {
  app: string;
  defect: string | undefined;
  expected: string[];
  expectedErrors: string[];
  rules: string[] | undefined;
  /** The verdict and exit code the CLI must give for this case. */
  verdict: 'ready' | 'not-ready' | 'incomplete';
  exitCode: 0 | 1 | 3;
}

interface Row {
  app: string;
  defect: string;
  expected: string[];
  flagged: string[];
  errored: string[];
  verdict: string;
  exitCode: number;
  ok: boolean;
  seconds: number;
  note: string;
  /** Only rules that could not be judged differ: worth one more run, alone. */
  errorsOnly?: boolean;
  /** The first run's note, when this row is the case's second run. */
  firstRun?: string;
  /** The shuffle seed the check ran with (under MATRIX_SHUFFLE). */
  seed?: string;
}

async function casesFor(app: string): Promise<Case[]> {
  const dir = join(ROOT, 'examples', app);
  const file = join(dir, 'defects.json');
  if (!existsSync(file)) return [];
  const { defects } = JSON.parse(readFileSync(file, 'utf8')) as { defects: Defect[] };
  const { certification } = (await loadConfig(join(dir, 'preflight.config.ts'), { appPort: 1 })).app;
  const cases: Case[] = [
    {
      app,
      defect: undefined,
      expected: [],
      expectedErrors: [],
      rules: undefined,
      verdict: 'ready',
      exitCode: 0,
    },
  ];
  for (const d of defects) {
    for (const id of d.rules)
      if (!getRule(id)) throw new Error(`${file}: defect ${d.name} names unknown rule ${id}`);
    const categories = new Set(d.rules.map((id) => getRule(id)!.category));
    const rules = new Set(d.rules);
    for (const r of RULES) if (categories.has(r.category)) rules.add(r.id);
    // A blocking failure decides the verdict; else unjudged rules make it incomplete.
    const blocking = d.rules.some((id) => getRule(id)!.severity[certification] === 'blocking');
    const unjudged = (d.errors ?? []).some((id) => getRule(id)!.severity[certification] === 'blocking');
    cases.push({
      app,
      defect: d.name,
      expected: [...d.rules].sort(),
      expectedErrors: [...(d.errors ?? [])].sort(),
      rules: [...rules].sort(),
      verdict: blocking ? 'not-ready' : unjudged ? 'incomplete' : 'ready',
      exitCode: blocking ? 1 : unjudged ? 3 : 0,
    });
  }
  return cases;
}

/** One check of a case; `shuffle` overrides MATRIX_SHUFFLE (a rerun repeats the first run's seed). */
function runCase(c: Case, shuffle = SHUFFLE): Promise<Row> {
  const out = mkdtempSync(join(tmpdir(), `matrix-${c.app}-`));
  const args = [CLI, 'check', '--config', join(ROOT, 'examples', c.app, 'preflight.config.ts'), '--out', out];
  if (c.rules) args.push('--rules', c.rules.join(','));
  if (WORKERS) args.push('--workers', WORKERS);
  if (shuffle) args.push('--shuffle', shuffle);
  const env: NodeJS.ProcessEnv = { ...process.env, DEFECTS: c.defect ?? '' };
  delete env['CI_PREFLIGHT_DEBUG'];
  const started = Date.now();
  return new Promise((resolveRow) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 10 * 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const seconds = Math.round((Date.now() - started) / 100) / 10;
      const file = join(out, 'readiness.json');
      let flagged: string[] = [];
      let errored: string[] = [];
      let verdict = 'none';
      let coverage = '';
      let unexplained: string[] = [];
      if (existsSync(file)) {
        const report = JSON.parse(readFileSync(file, 'utf8')) as {
          verdict: string;
          app: { type: string };
          rules: Array<{ id: string; status: string; reason: string; severity: string }>;
        };
        verdict = report.verdict;
        if (c.defect === undefined) {
          // Coverage per app type: what a compliant app of this type gets judged on.
          const count = (s: string) => report.rules.filter((r) => r.status === s).length;
          const blockingNotRun = report.rules.filter(
            (r) => r.severity === 'blocking' && r.status === 'not-run',
          );
          coverage = `${report.app.type}: ${count('pass')} judged and passed, ${count('manual')} to attest, ${count('not-applicable')} not applicable, ${count('not-run')} not run (${blockingNotRun.length} blocking)`;
          // A rule that applies but did not run must say why (a skip reason or a config key).
          unexplained = report.rules
            .filter(
              (r) => r.status === 'not-run' && /no test covers this rule|tests? skipped$/.test(r.reason),
            )
            .map((r) => r.id);
        }
        flagged = report.rules
          .filter((r) => r.status === 'fail' || r.status === 'warn')
          .map((r) => r.id)
          .sort();
        errored = report.rules
          .filter((r) => r.status === 'error')
          .map((r) => r.id)
          .sort();
      }
      const exitCode = code ?? -1;
      const sameRules = flagged.join(',') === c.expected.join(',');
      const sameErrors = errored.join(',') === c.expectedErrors.join(',');
      const sameVerdict = verdict === c.verdict && exitCode === c.exitCode;
      const ok = sameRules && sameErrors && sameVerdict && unexplained.length === 0;
      // Extra errors and nothing else: the expected errors all there, no rule flagged wrongly.
      const errorsOnly =
        !ok &&
        sameRules &&
        unexplained.length === 0 &&
        c.expectedErrors.every((id) => errored.includes(id)) &&
        errored.length > c.expectedErrors.length;
      const notes: string[] = [];
      if (coverage) notes.push(`coverage ${coverage}`);
      if (unexplained.length) notes.push(`not run without a reason: ${unexplained.join(', ')}`);
      if (!sameVerdict)
        notes.push(`verdict ${verdict}, exit ${exitCode}; expected ${c.verdict}, exit ${c.exitCode}`);
      if (!sameErrors)
        notes.push(`errored: [${errored.join(',')}], expected errors [${c.expectedErrors.join(',')}]`);
      if (!sameRules) notes.push('rule sets differ');
      const seed = /checks in a shuffled order, seed ([\w-]+)/.exec(output)?.[1];
      if (!ok && seed) notes.push(`--shuffle ${seed} repeats its order`);
      let note = notes.join('; ');
      if (!ok) {
        const tail = output
          .split('\n')
          // What went wrong, not the passing checks whose titles merely mention errors.
          .filter((l) => !/^\s*ok\s/.test(l) && /FAIL|ERR|error|RUN ERROR|so-preflight:/.test(l))
          .slice(-12)
          .join('\n    ');
        note += `\n    ${tail}`;
      }
      rmSync(out, { recursive: true, force: true });
      resolveRow({
        app: c.app,
        defect: c.defect ?? '(compliant)',
        expected: c.expected,
        flagged,
        errored,
        verdict,
        exitCode,
        ok,
        seconds,
        note,
        errorsOnly,
        ...(seed ? { seed } : {}),
      });
    });
  });
}

async function main(): Promise<number> {
  const filters = process.argv.slice(2);
  const apps = readdirSync(join(ROOT, 'examples'))
    .filter((a) => existsSync(join(ROOT, 'examples', a, 'defects.json')))
    .sort();
  let cases = (await Promise.all(apps.map(casesFor))).flat();
  if (filters.length) {
    cases = cases.filter((c) =>
      filters.some((f) => {
        const [app, defect] = f.split(':');
        return c.app === app && (defect === undefined || (c.defect ?? 'compliant') === defect);
      }),
    );
  }
  // Longest first (full runs, then the widest selections), so short cases fill the tail.
  // The tokens category holds the most sign-ins by far (every forged id_token).
  const cost = (c: Case) =>
    c.rules === undefined
      ? Number.MAX_SAFE_INTEGER
      : c.rules.length + (c.rules.some((id) => getRule(id)?.category === 'tokens') ? 1000 : 0);
  cases.sort((a, b) => cost(b) - cost(a));
  console.log(`matrix: ${cases.length} cases over ${apps.join(', ')} (${CONCURRENCY} at a time)`);
  const rows: Row[] = [];
  const queue = [...cases];
  const started = Date.now();
  const print = (row: Row, label = row.ok ? 'ok      ' : 'MISMATCH') => {
    const name = `${row.app}:${row.defect}`.padEnd(44);
    console.log(
      `${label} ${name} expected [${row.expected.join(', ')}] flagged [${row.flagged.join(', ')}] ${row.seconds}s${row.note ? ` ${row.note}` : ''}`,
    );
  };
  const retry: Case[] = [];
  await Promise.all(
    Array.from({ length: Math.max(1, CONCURRENCY) }, async () => {
      for (let c = queue.shift(); c; c = queue.shift()) {
        const row = await runCase(c);
        if (row.errorsOnly) {
          retry.push(c);
          print(row, 'ERRORS  ');
          console.log(`         (could not judge ${row.errored.join(', ')}; runs again, alone, at the end)`);
          rows.push({ ...row, ok: false });
          continue;
        }
        rows.push(row);
        print(row);
      }
    }),
  );
  // One more run, alone, for the cases that only could not judge: the machine is quieter now.
  // Under a shuffle it repeats the first run's seed, so the same order runs again without the
  // load: a pass then clears that order, and an order bug errs again.
  for (const c of retry) {
    const first = rows.findIndex((r) => r.app === c.app && r.defect === (c.defect ?? '(compliant)'));
    const seed = rows[first]!.seed;
    const row = await runCase(c, seed ?? SHUFFLE);
    const firstRun = `first run could not judge ${rows[first]!.errored.join(', ')}${seed ? ` (seed ${seed}, repeated)` : ''}`;
    rows[first] = { ...row, firstRun };
    print(
      { ...row, note: [row.note, firstRun].filter(Boolean).join('; ') },
      row.ok ? 'ok (2nd)' : 'MISMATCH',
    );
  }
  const passed = rows.filter((r) => r.ok).length;
  const failed = rows.length - passed;
  mkdirSync(join(ROOT, 'test-results'), { recursive: true });
  writeFileSync(
    join(ROOT, 'test-results/matrix-results.json'),
    JSON.stringify({ passed, failed, seconds: (Date.now() - started) / 1000, rows }, null, 2),
  );
  const second = rows.filter((r) => r.ok && r.firstRun).length;
  console.log(
    `matrix: ${passed} passed${second ? ` (${second} on a second run, alone, after errors in the first)` : ''}, ${failed} failed in ${Math.round((Date.now() - started) / 1000)} s`,
  );
  return failed === 0 && rows.length > 0 ? 0 : 1;
}

process.exitCode = await main();
