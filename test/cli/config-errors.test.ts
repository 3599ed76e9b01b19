/**
 * Bad configs: `so-preflight check` exits 2 before running anything, with one line that names
 * the file, the problem and its path (or, for several problems, one `✖ ... → at path` line each
 * and one summary line), and never a stack trace.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, expect } from '@playwright/test';
import {
  REPO_ROOT,
  cleanScratch,
  scratch,
  runCli,
  explain,
  expectNoStackTrace,
  expectOneLine,
  minimalConfig,
  writeJson,
} from './support.ts';

test.afterEach(cleanScratch);

async function checkWith(
  config: unknown,
  name: string,
): Promise<{ file: string; r: Awaited<ReturnType<typeof runCli>> }> {
  const file = writeJson(scratch(name), config);
  const r = await runCli(['check', '--config', file, '--out', scratch('report')]);
  return { file, r };
}

const cases: Array<{
  title: string;
  patch: (app: Record<string, unknown>) => void;
  path: string;
  says: RegExp;
}> = [
  { title: 'an unknown key', patch: (app) => (app['foo'] = 1), path: 'app.foo', says: /unknown key "foo"/ },
  {
    title: 'a wrong type',
    patch: (app) => (app['type'] = 'desktop'),
    path: 'app.type',
    says: /"web"\|"native"\|"server-to-server"/,
  },
  {
    title: 'a web app without baseURL',
    patch: (app) => delete app['baseURL'],
    path: 'app.baseURL',
    says: /required for web and server-to-server apps/,
  },
  {
    title: 'a redirect pattern that is not an anchored regular expression',
    patch: (app) => (app['redirectUris'] = ['^http://127\\.0\\.0\\.1:5050/(callback']),
    path: 'app.redirectUris[0]',
    says: /regular expression written \^\.\.\.\$/,
  },
  {
    title: 'an unknown placeholder in start.env',
    patch: (app) => (app['start'] = { command: 'node server.js', env: { SECRET: '${client.secrt}' } }),
    path: 'app.start.env.SECRET',
    says: /unknown placeholder \$\{client\.secrt\}; use one of .*\$\{client\.secret\}/,
  },
];

for (const c of cases) {
  test(`config with ${c.title}: exit 2, one line naming ${c.path}`, async () => {
    const { file, r } = await checkWith(minimalConfig(c.patch), 'preflight.config.json');
    expect(r.code, explain(r)).toBe(2);
    expectOneLine(r);
    expect(r.message).toContain(`so-preflight: config ${file}: `);
    expect(r.message).toMatch(c.says);
    expect(r.message.endsWith(`→ at ${c.path}`), explain(r)).toBe(true);
    expect(r.stdout).toBe('');
    expectNoStackTrace(r);
  });
}

test('a config file that does not exist: exit 2, the line says to run init', async () => {
  const missing = scratch('nope', 'preflight.config.ts');
  const r = await runCli(['check', '--config', missing]);
  expect(r.code, explain(r)).toBe(2);
  expectOneLine(r);
  expect(r.message).toContain(missing);
  expect(r.message).toContain('file not found');
  expect(r.message).toContain('so-preflight init');
  expectNoStackTrace(r);
});

test('no config in the working folder: exit 2, the line says to run init or pass --config', async () => {
  const cwd = scratch('empty');
  mkdirSync(cwd);
  const r = await runCli(['check'], { cwd });
  expect(r.code, explain(r)).toBe(2);
  expectOneLine(r);
  expect(r.message).toContain(`no config file in ${cwd}`);
  expect(r.message).toContain('"so-preflight init"');
  expect(r.message).toContain('--config FILE');
  expectNoStackTrace(r);
});

test('a JSON config with a syntax error: exit 2, one line with the parser position', async () => {
  const file = scratch('preflight.config.json');
  writeFileSync(file, '{ "app": { "name": "A", "type": "web",, } }\n');
  const r = await runCli(['check', '--config', file]);
  expect(r.code, explain(r)).toBe(2);
  expectOneLine(r);
  expect(r.message).toContain(`so-preflight: config ${file}: is not valid JSON`);
  expect(r.message).toMatch(/position \d+|line \d+/);
  expectNoStackTrace(r);
});

test('a TypeScript config that throws when loaded: exit 2, one line, no stack trace', async () => {
  const file = scratch('preflight.config.ts');
  writeFileSync(
    file,
    [
      `import { defineConfig } from ${JSON.stringify(join(REPO_ROOT, 'src', 'index.ts'))};`,
      "const port: string = process.env['NO_SUCH_PORT'] ?? '';",
      "if (!port) throw new Error('NO_SUCH_PORT is not set');",
      "export default defineConfig({ app: { name: 'X', type: 'web', baseURL: `http://127.0.0.1:${port}`, signIn: { path: '/login' }, session: { path: '/me' }, redirectUris: ['http://127.0.0.1/cb'] } });",
      '',
    ].join('\n'),
  );
  const r = await runCli(['check', '--config', file]);
  expect(r.code, explain(r)).toBe(2);
  expectOneLine(r);
  expect(r.message).toBe(`so-preflight: config ${file}: could not be loaded: NO_SUCH_PORT is not set`);
  expectNoStackTrace(r);
});

test('a config with several problems: one ✖ line per problem with its path, then one summary line', async () => {
  const config = {
    app: {
      name: 'Broken',
      type: 'desktop',
      foo: true,
      baseURL: 'not a url',
      signIn: { path: 'login' },
      redirectUris: [],
      start: { command: 'x', env: { A: '${nope}' } },
    },
    superoffice: { tenant: 'Tenant1' },
  };
  const { file, r } = await checkWith(config, 'preflight.config.json');
  expect(r.code, explain(r)).toBe(2);
  const lines = r.stderr.split('\n').filter((l) => l.trim());
  const problems = lines.slice(0, -1);
  const expectedPaths = [
    'app.start.env.A',
    'app.type',
    'app.baseURL',
    'app.signIn.path',
    'app.redirectUris',
    'app.foo',
    'superoffice.tenant',
  ];
  for (const line of problems) expect(line, explain(r)).toMatch(/^ {2}✖ .+ → at [\w.[\]]+$/);
  expect(problems.map((l) => /→ at (.+)$/.exec(l)?.[1]).sort(), explain(r)).toEqual(
    [...expectedPaths].sort(),
  );
  expect(lines.at(-1)).toBe(
    `so-preflight: config ${file} has ${expectedPaths.length} problems (listed above); fix them and run again`,
  );
  expect(r.stdout).toBe('');
  expectNoStackTrace(r);
});
