/**
 * The package as partners get it: `npm pack` (which builds dist/ through `prepack`), install the
 * tarball into an empty project (registry only), then use it the way README says:
 * `npx so-preflight init`, a config for examples/acme-web (acme-web's own preflight.config.ts with
 * its start.cwd pointed at this repository), `npx so-preflight check --rules ...` → exit 0 and a
 * report; with the seeded defect skip-signature → exit 1 with TOKEN-SIGNATURE failed. Also: the
 * tarball holds no examples, tests, TypeScript sources or source maps; `defineConfig` loads by
 * import and require; `npx so-preflight doctor` passes (on Linux x64 with the bundled Chromium).
 *
 * Prints one line per step and writes test-results/package-results.json ({passed, failed, steps}).
 * `KEEP=1` keeps the temporary project for a look.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const ACME_WEB = join(ROOT, 'examples', 'acme-web');
/** Fast rules for the ready run; TOKEN-SIGNATURE is what skip-signature breaks. */
const READY_RULES = 'TOKEN-SIGNATURE,SECRET-NOT-IN-URL';
const DEFECT_RULES = 'TOKEN-SIGNATURE';

interface Run {
  code: number | null;
  /** stdout and stderr as they came. */
  out: string;
  stdout: string;
  ms: number;
}

interface Step {
  name: string;
  ok: boolean;
  seconds: number;
  detail: string;
}

/** What the caller may choose for every run: the browser and where the bundled one is unpacked. */
const KEPT = new Set(['PREFLIGHT_CHROMIUM', 'PREFLIGHT_BROWSER_DISCOVERY', 'PREFLIGHT_CACHE_DIR']);

/** The environment of every command: the caller's, without anything that would steer a run. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const k of Object.keys(env)) {
    if (
      (k.startsWith('PREFLIGHT_') && !KEPT.has(k) && !(k in extra)) ||
      k === 'GITHUB_STEP_SUMMARY' ||
      k.startsWith('npm_')
    )
      delete env[k];
  }
  if (!('DEFECTS' in extra)) delete env['DEFECTS'];
  // Cached sources and a quiet npm; the registry stays the only network npm uses.
  env['npm_config_audit'] = 'false';
  env['npm_config_fund'] = 'false';
  env['npm_config_update_notifier'] = 'false';
  return env;
}

function run(
  cmd: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<Run> {
  const started = Date.now();
  return new Promise((resolveRun) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => {
      out += `\n[killed after ${timeoutMs} ms]`;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolveRun({ code, out, stdout, ms: Date.now() - started });
    });
  });
}

const steps: Step[] = [];

async function step(name: string, body: () => Promise<string>): Promise<boolean> {
  const started = Date.now();
  let ok = true;
  let detail: string;
  try {
    detail = await body();
  } catch (e) {
    ok = false;
    detail = (e as Error).message;
  }
  const seconds = (Date.now() - started) / 1000;
  steps.push({ name, ok, seconds, detail });
  console.log(`package: ${ok ? 'ok  ' : 'FAIL'} ${name} (${seconds.toFixed(1)} s): ${ok ? detail : ''}`);
  if (!ok) console.log(detail.replace(/^/gm, '  | '));
  return ok;
}

function expectCode(r: Run, code: number, what: string): void {
  if (r.code !== code) throw new Error(`${what} exited ${r.code}, expected ${code}\n${r.out.slice(-4000)}`);
}

function lastLines(text: string, n: number): string {
  return text
    .split('\n')
    .filter((l) => l.trim())
    .slice(-n)
    .join(' / ');
}

async function main(): Promise<number> {
  const started = Date.now();
  const work = mkdtempSync(join(tmpdir(), 'so-preflight-package-'));
  const project = join(work, 'partner-app');
  mkdirSync(project);
  let tarball = '';

  const packed = await step('npm pack (prepack builds dist/)', async () => {
    const r = await run('npm', ['pack', '--json', '--pack-destination', work], ROOT, cleanEnv(), 300_000);
    expectCode(r, 0, 'npm pack');
    // prepack's own output comes first on stdout; the JSON array is the last thing npm prints.
    const json = r.stdout.slice(r.stdout.search(/^\[\s*$/m));
    const [info] = JSON.parse(json) as Array<{
      filename: string;
      size: number;
      unpackedSize: number;
      files: Array<{ path: string }>;
    }>;
    tarball = join(work, info!.filename);
    const files = info!.files.map((f) => f.path);
    const must = [
      'bin/so-preflight.js',
      'dist/src/index.js',
      'dist/src/index.d.ts',
      'dist/src/cli/main.js',
      'dist/playwright.config.js',
      'dist/reporters/readiness.js',
      'dist/fixtures/index.js',
      'dist/schema/readiness-report.schema.json',
      'schema/readiness-report.schema.json',
      'package.json',
    ];
    const missing = must.filter((f) => !files.includes(f));
    const unwanted = files.filter(
      (f) =>
        /^(examples|test|bench|scripts|src|fixtures|suites|reporters)\//.test(f) ||
        f.endsWith('.map') ||
        (f.endsWith('.ts') && !f.endsWith('.d.ts')),
    );
    if (missing.length || unwanted.length) {
      throw new Error(
        `tarball: missing ${missing.join(', ') || 'nothing'}; unwanted ${unwanted.slice(0, 10).join(', ') || 'nothing'}`,
      );
    }
    if (!files.some((f) => /^dist\/suites\/.+\.spec\.js$/.test(f)))
      throw new Error('tarball: no compiled suites');
    return `${info!.filename}: ${files.length} files, ${(info!.size / 1024).toFixed(0)} kB packed, ${(info!.unpackedSize / 1024).toFixed(0)} kB unpacked`;
  });

  const installed =
    packed &&
    (await step('npm install <tarball> into an empty project', async () => {
      writeFileSync(
        join(project, 'package.json'),
        `${JSON.stringify({ name: 'partner-app', version: '1.0.0', private: true }, null, 2)}\n`,
      );
      const r = await run(
        'npm',
        ['install', '--no-audit', '--no-fund', tarball],
        project,
        cleanEnv(),
        300_000,
      );
      expectCode(r, 0, 'npm install');
      const pkgDir = join(project, 'node_modules', 'so-preflight');
      if (existsSync(join(pkgDir, 'src')) || existsSync(join(pkgDir, 'examples'))) {
        throw new Error('the installed package holds src/ or examples/');
      }
      if (!existsSync(join(project, 'node_modules', '.bin', 'so-preflight')))
        throw new Error('no .bin/so-preflight');
      const bundled = existsSync(join(project, 'node_modules', '@sparticuz', 'chromium', 'package.json'));
      return `${lastLines(r.out, 1)}; bundled Chromium package ${bundled ? 'installed' : 'NOT installed'}`;
    }));
  if (!installed) return finish(work, started);

  const env = cleanEnv();
  await step("defineConfig from 'so-preflight' by import and require", async () => {
    const esm = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "import { defineConfig } from 'so-preflight'; console.log(typeof defineConfig, defineConfig({ a: 1 }).a);",
      ],
      project,
      env,
      30_000,
    );
    expectCode(esm, 0, 'import');
    const cjs = await run(
      process.execPath,
      ['-e', "const { defineConfig } = require('so-preflight'); console.log(typeof defineConfig);"],
      project,
      env,
      30_000,
    );
    expectCode(cjs, 0, 'require');
    if (!esm.out.includes('function 1') || !cjs.out.includes('function'))
      throw new Error(`${esm.out}\n${cjs.out}`);
    const dts = readFileSync(
      join(project, 'node_modules', 'so-preflight', 'dist', 'src', 'index.d.ts'),
      'utf8',
    );
    if (!/export declare function defineConfig/.test(dts))
      throw new Error('index.d.ts does not declare defineConfig');
    return 'import and require give the function; index.d.ts declares it';
  });

  const config = join(project, 'preflight.config.ts');
  await step('npx so-preflight init', async () => {
    const r = await run('npx', ['--no-install', 'so-preflight', 'init'], project, env, 60_000);
    expectCode(r, 0, 'init');
    if (!readFileSync(config, 'utf8').includes("from 'so-preflight'"))
      throw new Error('the config does not import so-preflight');
    return lastLines(r.out, 1);
  });

  // acme-web's own config, started from this repository's examples/acme-web.
  const acme = readFileSync(join(ACME_WEB, 'preflight.config.ts'), 'utf8');
  const pointed = acme
    .replace(/cwd: '\.'/, `cwd: ${JSON.stringify(ACME_WEB)}`)
    .replace(
      /journeys: \['preflight\/journeys'\]/,
      `journeys: [${JSON.stringify(join(ACME_WEB, 'preflight', 'journeys'))}]`,
    );
  if (pointed === acme)
    throw new Error("examples/acme-web/preflight.config.ts has no cwd: '.' to point at the example");
  writeFileSync(config, pointed);

  // On Linux x64 the doctor is limited to the bundled Chromium: the installed package finds its
  // optional dependency, unpacks it and runs a page with it.
  const bundledHere = process.platform === 'linux' && process.arch === 'x64';
  await step(`npx so-preflight doctor${bundledHere ? ' (bundled Chromium only)' : ''}`, async () => {
    const r = await run(
      'npx',
      ['--no-install', 'so-preflight', 'doctor'],
      project,
      bundledHere ? cleanEnv({ PREFLIGHT_BROWSER_DISCOVERY: 'bundled-only' }) : env,
      180_000,
    );
    expectCode(r, 0, 'doctor');
    const browser = r.out.split('\n').find((l) => /^ok +browser/.test(l)) ?? '';
    if (bundledHere && !browser.includes('bundled Chromium'))
      throw new Error(`not the bundled Chromium:\n${r.out}`);
    return browser.replace(/^ok +browser +/, '');
  });

  await step(`npx so-preflight check --rules ${READY_RULES} → exit 0 and a report`, async () => {
    const out = join(project, 'preflight-report');
    const r = await run(
      'npx',
      ['--no-install', 'so-preflight', 'check', '--rules', READY_RULES],
      project,
      env,
      240_000,
    );
    expectCode(r, 0, 'check');
    const report = JSON.parse(readFileSync(join(out, 'readiness.json'), 'utf8')) as {
      verdict: string;
      rules: Array<{ id: string; status: string }>;
    };
    if (report.verdict !== 'ready') throw new Error(`verdict ${report.verdict}`);
    for (const f of ['index.html', 'junit.xml', 'summary.md']) {
      if (!existsSync(join(out, f)) || statSync(join(out, f)).size === 0)
        throw new Error(`no ${f} in the report`);
    }
    const browser =
      r.out.split('\n').find((l) => l.startsWith('so-preflight: browser:')) ?? 'browser not named';
    return `verdict ready; ${browser.replace('so-preflight: ', '')}`;
  });

  await step(`DEFECTS=skip-signature npx so-preflight check --rules ${DEFECT_RULES} → exit 1`, async () => {
    const out = join(project, 'defect-report');
    const r = await run(
      'npx',
      ['--no-install', 'so-preflight', 'check', '--rules', DEFECT_RULES, '--out', out],
      project,
      cleanEnv({ DEFECTS: 'skip-signature' }),
      240_000,
    );
    expectCode(r, 1, 'check with skip-signature');
    const report = JSON.parse(readFileSync(join(out, 'readiness.json'), 'utf8')) as {
      verdict: string;
      rules: Array<{ id: string; status: string }>;
    };
    const sig = report.rules.find((x) => x.id === 'TOKEN-SIGNATURE');
    if (report.verdict !== 'not-ready' || sig?.status !== 'fail') {
      throw new Error(`verdict ${report.verdict}, TOKEN-SIGNATURE ${sig?.status}`);
    }
    return 'verdict not-ready, TOKEN-SIGNATURE fail';
  });

  return finish(work, started);
}

function finish(work: string, started: number): number {
  const passed = steps.filter((s) => s.ok).length;
  const failed = steps.length - passed;
  mkdirSync(join(ROOT, 'test-results'), { recursive: true });
  writeFileSync(
    join(ROOT, 'test-results', 'package-results.json'),
    `${JSON.stringify({ passed, failed, seconds: (Date.now() - started) / 1000, steps }, null, 2)}\n`,
  );
  if (process.env['KEEP']) console.log(`package: kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
  console.log(
    `package: ${passed} passed, ${failed} failed in ${Math.round((Date.now() - started) / 1000)} s`,
  );
  return failed === 0 && passed > 0 ? 0 : 1;
}

process.exitCode = await main();
