/**
 * The GitHub Action (action.yml) and the CI examples in docs/ci/: well-formed, using only inputs,
 * step outputs and CLI options that exist, and naming only report files the CLI really writes.
 * The YAML parser is js-yaml, which eslint already brings into node_modules.
 */
import { test, expect } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.ts';
import { buildReport } from '../../src/report/build.ts';
import { writeReport } from '../../src/report/write.ts';
import { RULES } from '../../src/rules/index.ts';
import { REPO_ROOT } from './gen-rule-docs.ts';

const yaml = createRequire(import.meta.url)('js-yaml') as { load(text: string): unknown };

type Json = Record<string, unknown>;
interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  shell?: string;
  if?: string;
  with?: Json;
  env?: Json;
  'working-directory'?: string;
}

const read = (rel: string): string => readFileSync(join(REPO_ROOT, rel), 'utf8');
const load = (rel: string): Json => yaml.load(read(rel)) as Json;
const CI_DIR = 'docs/ci';
const ciFiles = (): string[] => readdirSync(join(REPO_ROOT, CI_DIR)).filter((f) => f.endsWith('.yml'));

/** The usage text of the CLI (`so-preflight --help`). */
async function cliHelp(): Promise<string> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => void lines.push(args.join(' '));
  try {
    await main(['--help']);
  } finally {
    console.log = log;
  }
  return lines.join('\n');
}

/** The options `so-preflight <command>` accepts, from its usage line. */
function optionsOf(help: string, command: string): Set<string> {
  const line = help.split('\n').find((l) => l.trim().startsWith(`so-preflight ${command} `)) ?? '';
  return new Set([...line.matchAll(/--[a-z-]+/g)].map((m) => m[0]));
}

/** Names of the files and folders a report folder holds after a run. */
async function reportFiles(): Promise<Set<string>> {
  const dir = mkdtempSync(join(tmpdir(), 'so-preflight-docs-'));
  try {
    const report = buildReport({
      app: {
        name: 'Docs',
        type: 'web',
        certification: 'standard',
        baseURL: 'http://127.0.0.1:5050',
        environment: 'sod',
        tenant: 'Cust12345',
      },
      startedAt: new Date(0).toISOString(),
      durationMs: 0,
      toolVersion: '0.0.0',
      rules: RULES,
      results: [],
      runErrors: [],
    });
    const written = await writeReport(report, dir, { env: {} });
    return new Set(written.files.map((f) => f.split('/')[0]!));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `so-preflight ...` command lines in a text (CI scripts, workflow run steps). */
function cliCalls(text: string): string[] {
  return [...text.matchAll(/so-preflight(?:@[\w.-]+)? ((?:check|report)\b[^\n"]*)/g)].map((m) => m[1]!);
}

test.describe('action.yml', () => {
  const action = load('action.yml');
  const inputs = action['inputs'] as Record<string, Json>;
  const runs = action['runs'] as { using: string; steps: Step[] };
  const text = read('action.yml');

  test('is a composite action with the documented inputs and outputs', () => {
    expect(action['name']).toBe('so-preflight');
    expect(typeof action['description']).toBe('string');
    expect(runs.using).toBe('composite');
    for (const name of ['config', 'out', 'baseline', 'shard', 'working-directory', 'version']) {
      expect(inputs[name], `input ${name}`).toBeTruthy();
    }
    for (const [name, input] of Object.entries(inputs)) {
      expect(typeof input['description'], `input ${name} has a description`).toBe('string');
      expect(typeof input['required'], `input ${name} says whether it is required`).toBe('boolean');
      expect(typeof input['default'], `input ${name} has a string default`).toBe('string');
    }
    expect(inputs['out']!['default']).toBe('preflight-report');
    expect(inputs['version']!['default']).toBe('latest');
    expect(inputs['working-directory']!['default']).toBe('.');
    for (const [name, output] of Object.entries(action['outputs'] as Record<string, Json>)) {
      expect(String(output['value']), `output ${name}`).toMatch(
        /^\$\{\{ steps\.[\w-]+\.outputs\.[\w-]+ \}\}$/,
      );
    }
  });

  test('steps are well formed: shell on every run, pinned actions, known inputs and step outputs', () => {
    const ids = new Set<string>();
    for (const step of runs.steps) {
      expect(Boolean(step.run) !== Boolean(step.uses), `step ${step.name}: run or uses`).toBe(true);
      if (step.run) expect(step.shell, `step ${step.name}`).toBe('bash');
      if (step.uses) expect(step.uses, `step ${step.name}`).toMatch(/^[\w-]+\/[\w-]+@v\d+$/);
      // Inputs reach scripts through env, never by expansion into the script (script injection).
      if (step.run) expect(step.run, `step ${step.name}`).not.toContain('${{');
      for (const m of JSON.stringify(step).matchAll(/steps\.([\w-]+)\.outputs/g)) {
        expect(ids.has(m[1]!), `step ${step.name} reads outputs of an earlier step ${m[1]}`).toBe(true);
      }
      if (step.id) ids.add(step.id);
    }
    const used = new Set([...text.matchAll(/inputs\.([\w-]+)/g)].map((m) => m[1]!));
    expect(
      [...used].filter((n) => !(n in inputs)),
      'inputs used but not declared',
    ).toEqual([]);
    expect(
      Object.keys(inputs).filter((n) => !used.has(n)),
      'inputs declared but not used',
    ).toEqual([]);
  });

  test('sets up Node 22, uploads the report always, and fails unless the exit code is 0', () => {
    const node = runs.steps.find((s) => s.uses?.startsWith('actions/setup-node@'));
    expect(String(node?.with?.['node-version'])).toBe('22');
    const upload = runs.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
    expect(upload?.uses).toBe('actions/upload-artifact@v4');
    expect(upload?.if).toContain('always()');
    const last = runs.steps.at(-1)!;
    expect(last.if).toBe("steps.check.outputs.exit-code != '0'");
    expect(last.run).toMatch(/exit 1\s*$/);
  });

  test('its scripts are valid bash and call only options the CLI has', async () => {
    for (const step of runs.steps.filter((s) => s.run)) {
      const r = spawnSync('bash', ['-n'], { input: step.run, encoding: 'utf8' });
      expect(r.status, `bash -n on step "${step.name}": ${r.stderr}`).toBe(0);
    }
    const check = runs.steps.find((s) => s.id === 'check')!;
    const options = optionsOf(await cliHelp(), 'check');
    for (const m of check.run!.matchAll(/--[a-z-]+/g)) expect(options, m[0]).toContain(m[0]);
  });

  test('reads only report files the CLI writes', async () => {
    const files = await reportFiles();
    for (const m of text.matchAll(/\b([\w-]+\.(?:json|xml|md|html))\b/g)) {
      if (m[1] === 'package.json') continue;
      expect(files, `action.yml names ${m[1]}`).toContain(m[1]);
    }
  });
});

test('docs/architecture.md lists every command and option of the CLI usage text', async () => {
  const doc = read('docs/architecture.md');
  const usage = (await cliHelp()).split('\n').filter((l) => /^\s+so-preflight [a-z]/.test(l));
  expect(usage.length).toBeGreaterThanOrEqual(5);
  for (const line of usage) {
    const [, command] = line.trim().split(' ');
    const row = doc.split('\n').find((l) => l.startsWith(`| \`so-preflight ${command} `));
    expect(row, `docs/architecture.md has a row for "so-preflight ${command}"`).toBeTruthy();
    for (const m of line.matchAll(/--[a-z-]+/g)) expect(row, `${command} ${m[0]}`).toContain(m[0]);
  }
});

test.describe('CI examples in docs/ci', () => {
  test('parse as YAML and name only report files the CLI writes', async () => {
    const files = await reportFiles();
    expect(ciFiles().length).toBeGreaterThanOrEqual(4);
    for (const file of ciFiles()) {
      const text = read(`${CI_DIR}/${file}`);
      expect(() => yaml.load(text), file).not.toThrow();
      for (const m of text.matchAll(/preflight-report\/([\w.-]+)/g)) {
        expect(files, `${file} names preflight-report/${m[1]}`).toContain(m[1]);
      }
    }
  });

  test('call so-preflight only with commands and options it has', async () => {
    const help = await cliHelp();
    let calls = 0;
    for (const file of ciFiles()) {
      for (const call of cliCalls(read(`${CI_DIR}/${file}`))) {
        calls++;
        const command = call.split(' ')[0]!;
        const options = optionsOf(help, command);
        for (const m of call.matchAll(/--[a-z-]+/g)) expect(options, `${file}: ${call}`).toContain(m[0]);
      }
    }
    expect(calls).toBeGreaterThanOrEqual(3);
  });

  test('GitLab keeps the report and publishes junit.xml as its JUnit report', () => {
    const job = load(`${CI_DIR}/gitlab-ci.yml`)['preflight'] as Json;
    const artifacts = job['artifacts'] as Json;
    expect(artifacts['when']).toBe('always');
    expect(artifacts['paths']).toContain('preflight-report/');
    expect((artifacts['reports'] as Json)['junit']).toBe('preflight-report/junit.xml');
  });

  test('Azure Pipelines publishes junit.xml with PublishTestResults@2 and the report folder', () => {
    const steps = load(`${CI_DIR}/azure-pipelines.yml`)['steps'] as Array<Json>;
    const publish = steps.find((s) => s['task'] === 'PublishTestResults@2')!;
    expect(publish['condition']).toBe('succeededOrFailed()');
    const inputs = publish['inputs'] as Json;
    expect(inputs['testResultsFormat']).toBe('JUnit');
    expect(inputs['testResultsFiles']).toBe('preflight-report/junit.xml');
    const artifact = steps.find((s) => s['publish'] === 'preflight-report')!;
    expect(artifact['condition']).toBe('succeededOrFailed()');
  });

  test('GitHub workflows and README use the action with inputs it declares', () => {
    const inputs = load('action.yml')['inputs'] as Json;
    const readme = read('README.md');
    const section = readme.slice(readme.indexOf('### In GitHub Actions'));
    const block = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
    expect(block, 'README "In GitHub Actions" shows a workflow').toBeTruthy();
    const workflows: Array<[string, Json]> = [
      ['README.md', yaml.load(block!) as Json],
      ...ciFiles()
        .filter((f) => f.startsWith('github-'))
        .map((f): [string, Json] => [f, load(`${CI_DIR}/${f}`)]),
    ];
    for (const [file, workflow] of workflows) {
      const jobs = (workflow['jobs'] ?? workflow) as Record<string, { steps?: Step[] }>;
      const uses = Object.values(jobs)
        .flatMap((j) => j.steps ?? [])
        .filter((s) => s.uses?.endsWith('/so-preflight@v1'));
      expect(uses.length, `${file} uses the action`).toBeGreaterThan(0);
      for (const step of uses) {
        for (const key of Object.keys(step.with ?? {})) expect(Object.keys(inputs), `${file}`).toContain(key);
      }
    }
  });

  test('the sharded workflow downloads the artifact names the action gives shards', () => {
    const workflow = load(`${CI_DIR}/github-actions-sharded.yml`);
    const jobs = workflow['jobs'] as Record<string, { steps: Step[] }>;
    const download = jobs['report']!.steps.find((s) => s.uses?.startsWith('actions/download-artifact@'))!;
    expect(download.with?.['pattern']).toBe('preflight-report-shard-*');
    expect(read('action.yml')).toContain('name="$name-shard-${INPUT_SHARD%/*}-of-${INPUT_SHARD#*/}"');
  });
});
