/**
 * Usage errors (exit 2, one line), the browser check (exit 3, one line that says how to fix it),
 * and the commands that run nothing: `rules`, `init`, `--version`.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, expect } from '@playwright/test';
import { loadJourneys } from '../../fixtures/journey.ts';
import { loadConfig } from '../../src/config/load.ts';
import { RULES } from '../../src/rules/index.ts';
import {
  cleanScratch,
  scratch,
  runCli,
  explain,
  expectNoStackTrace,
  expectOneLine,
  minimalConfig,
  writeJson,
  REPO_ROOT,
} from './support.ts';

test.afterEach(cleanScratch);

function validConfig(): string {
  return writeJson(scratch('preflight.config.json'), minimalConfig());
}

test.describe('usage errors exit 2 with one line', () => {
  const cases: Array<{ title: string; args: (config: string) => string[]; says: RegExp }> = [
    {
      title: 'an unknown command',
      args: () => ['frobnicate'],
      says: /^so-preflight: unknown command "frobnicate"; run "so-preflight --help"/,
    },
    {
      title: 'an unknown option',
      args: (c) => ['check', '--config', c, '--bogus'],
      says: /^so-preflight: Unknown option '--bogus'; run "so-preflight --help" for usage$/,
    },
    {
      title: 'an option without its value',
      args: (c) => ['check', '--config', c, '--rules'],
      says: /^so-preflight: Option '--rules <value>' argument missing/,
    },
    {
      title: 'an unexpected argument',
      args: (c) => ['check', 'now', '--config', c],
      says: /^so-preflight: Unexpected argument 'now'/,
    },
    {
      title: 'an unknown rule in --rules',
      args: (c) => ['check', '--config', c, '--rules', 'AUTH-SCOPE-OPENID,NOPE'],
      says: /^so-preflight: unknown rule ID NOPE in --rules; "so-preflight rules" lists them$/,
    },
    {
      title: 'a malformed --shard',
      args: (c) => ['check', '--config', c, '--shard', '3'],
      says: /^so-preflight: --shard takes i\/n/,
    },
    {
      title: 'a --shard beyond its count',
      args: (c) => ['check', '--config', c, '--shard', '3/2'],
      says: /^so-preflight: --shard takes i\/n with 1 <= i <= n/,
    },
    {
      title: '--workers 0',
      args: (c) => ['check', '--config', c, '--workers', '0'],
      says: /^so-preflight: --workers takes a whole number of at least 1$/,
    },
    {
      title: 'a --shuffle seed with a space',
      args: (c) => ['check', '--config', c, '--shuffle', 'two words'],
      says: /^so-preflight: --shuffle takes a seed \(letters, digits, - or _, e\.g\. --shuffle 42\) or random$/,
    },
    {
      title: 'an unknown option of rules',
      args: () => ['rules', '--yaml'],
      says: /^so-preflight: Unknown option '--yaml'/,
    },
    {
      title: 'report without folders',
      args: () => ['report'],
      says: /^so-preflight: give the shard report folders to merge/,
    },
    {
      title: 'report of a folder without shard results',
      args: (c) => ['report', scratch('empty'), '--config', c],
      says: /holds no shard results \(no blob\/ folder\); run "so-preflight check --shard i\/n/,
    },
  ];
  for (const c of cases) {
    test(c.title, async () => {
      const r = await runCli(c.args(validConfig()));
      expect(r.code, explain(r)).toBe(2);
      expectOneLine(r);
      expect(r.message).toMatch(c.says);
      expectNoStackTrace(r);
    });
  }

  test('no command prints the help and exits 2; --help exits 0', async () => {
    const none = await runCli([]);
    expect(none.code, explain(none)).toBe(2);
    expect(none.stdout).toContain('so-preflight check [--config FILE]');
    const help = await runCli(['--help']);
    expect(help.code, explain(help)).toBe(0);
    expect(help.stdout).toContain('Exit codes: 0 ready, 1 not ready, 2 bad usage or config, 3 incomplete.');
  });
});

test('a missing browser: exit 3, one line that says how to fix it', async () => {
  const r = await runCli(['check', '--config', validConfig()], {
    env: { PREFLIGHT_CHROMIUM: '/nonexistent/chromium' },
  });
  expect(r.code, explain(r)).toBe(3);
  expectOneLine(r);
  expect(r.message).toBe(
    'so-preflight: PREFLIGHT_CHROMIUM points at /nonexistent/chromium, which does not exist; set it to a Chromium executable or unset it',
  );
  expectNoStackTrace(r);
});

test('an app that does not answer (no app.start): exit 3, one line saying so', async () => {
  // A port nothing listens on: bind one, note it, close it.
  const { createServer } = await import('node:net');
  const port = await new Promise<number>((resolvePort) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolvePort(typeof a === 'object' && a ? a.port : 1));
    });
  });
  const config = writeJson(
    scratch('preflight.config.json'),
    minimalConfig((app) => {
      app['baseURL'] = `http://127.0.0.1:${port}`;
      app['redirectUris'] = [`http://127.0.0.1:${port}/callback`];
    }),
  );
  const out = scratch('report');
  const r = await runCli(['check', '--config', config, '--out', out, '--rules', 'AUTH-SCOPE-OPENID']);
  expect(r.code, explain(r)).toBe(3);
  expectOneLine(r);
  expect(r.message).toBe(
    `so-preflight: the app at http://127.0.0.1:${port} does not answer; start it first or add app.start to ${config}`,
  );
  expect(r.durationMs, 'the CLI finds out before running Playwright').toBeLessThan(15_000);
  expectNoStackTrace(r);
});

test('rules prints the catalog; rules --json has every rule with every field', async () => {
  const text = await runCli(['rules']);
  expect(text.code, explain(text)).toBe(0);
  const listed = text.stdout.split('\n').map((l) => l.split(/\s+/)[0]);
  for (const rule of RULES) expect(listed, `rule ${rule.id} in the listing`).toContain(rule.id);
  expect(text.stdout).toContain(`${RULES.length} rules.`);

  const json = await runCli(['rules', '--json']);
  expect(json.code, explain(json)).toBe(0);
  const parsed = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
  expect(parsed.map((r) => r['id'])).toEqual(RULES.map((r) => r.id));
  const fields = [
    'id',
    'title',
    'requirement',
    'category',
    'severity',
    'appTypes',
    'automation',
    'check',
    'remediation',
    'docs',
  ];
  for (const rule of parsed) {
    for (const f of fields) expect(rule[f], `${String(rule['id'])}.${f}`).toBeDefined();
    expect(
      Object.keys(rule['severity'] as object).length,
      `${String(rule['id'])} has a severity`,
    ).toBeGreaterThan(0);
    expect(
      Array.isArray(rule['docs']) && (rule['docs'] as unknown[]).length > 0,
      `${String(rule['id'])} links docs`,
    ).toBe(true);
  }
  // Same objects as the catalog, field for field.
  expect(parsed).toEqual(JSON.parse(JSON.stringify(RULES)));
});

test('--version prints the package version', async () => {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
  for (const flag of ['--version', '-v']) {
    const r = await runCli([flag]);
    expect(r.code, explain(r)).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  }
});

test('init writes a config that loads, refuses to overwrite it, and overwrites with --force', async () => {
  const cwd = scratch('project');
  mkdirSync(cwd);
  const file = join(cwd, 'preflight.config.ts');
  const first = await runCli(['init'], { cwd });
  expect(first.code, explain(first)).toBe(0);
  const journeyFile = join(cwd, 'preflight', 'journeys', 'example.ts');
  expect(first.stdout.trim()).toBe(
    `so-preflight: wrote ${file} and ${join('preflight', 'journeys', 'example.ts')}; adjust them, then run "so-preflight check"`,
  );
  expect(existsSync(file)).toBe(true);
  // The example journey loads the way the journeys suite loads it, and names one journey.
  const journeys = await loadJourneys([journeyFile]);
  expect(journeys.map((j) => j.name)).toEqual(['open the start page']);
  const written = readFileSync(file, 'utf8');
  expect(written).toContain("from 'so-preflight'");

  // Outside this package 'so-preflight' resolves only once installed: point it at the source.
  const adjusted = written.replace(
    "from 'so-preflight'",
    `from ${JSON.stringify(join(REPO_ROOT, 'src', 'index.ts'))}`,
  );
  writeFileSync(file, adjusted);
  const config = await loadConfig(file);
  expect(config.app.type).toBe('web');
  expect(config.app.certification).toBe('standard');
  expect(config.app.start?.command).toBe('npm start');
  expect(config.app.baseURL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(config.app.redirectUris).toEqual([`${config.app.baseURL}/callback`]);
  expect(config.app.journeys).toEqual(['preflight/journeys']);
  expect(config.superoffice.impersonate).toBe(false);
  expect(Object.keys(config.app.start?.env ?? {})).toEqual(
    expect.arrayContaining(['PORT', 'SUPEROFFICE_URL', 'SUPEROFFICE_CLIENT_ID', 'SUPEROFFICE_CLIENT_SECRET']),
  );

  const again = await runCli(['init'], { cwd });
  expect(again.code, explain(again)).toBe(2);
  expectOneLine(again);
  expect(again.message).toBe(
    `so-preflight: ${file} already exists; edit it, or run "so-preflight init --force" to overwrite it`,
  );
  expect(readFileSync(file, 'utf8'), 'the refused init left the file alone').toBe(adjusted);

  // --force rewrites the config, never the partner's journeys.
  writeFileSync(journeyFile, '// my own journey\nexport default [];\n');
  const forced = await runCli(['init', '--force'], { cwd });
  expect(forced.code, explain(forced)).toBe(0);
  expect(readFileSync(file, 'utf8')).toBe(written);
  expect(readFileSync(journeyFile, 'utf8')).toBe('// my own journey\nexport default [];\n');
});
