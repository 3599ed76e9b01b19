/**
 * Sharding: the same narrow selection run whole and as two shards merged with
 * `so-preflight report` gives the same verdict and the same status for every rule.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test, expect } from '@playwright/test';
import { validateReport } from '../../src/report/index.ts';
import {
  acmeWebConfig,
  cleanScratch,
  explain,
  expectNoStackTrace,
  expectOneLine,
  readReport,
  runCli,
  scratch,
  statuses,
  writeJson,
} from './support.ts';

test.afterEach(cleanScratch);

// Quick checks whose tests live in three different spec files, so the shards split them.
const RULES = ['AUTH-SCOPE-OPENID', 'REDIRECT-HTTPS', 'TOKEN-STRUCTURE'];

test('two shards merged with "report" match the unsharded run rule by rule', async () => {
  test.setTimeout(420_000);
  const config = writeJson(scratch('preflight.config.json'), acmeWebConfig());
  const check = (out: string, ...extra: string[]) =>
    runCli(['check', '--config', config, '--out', out, '--rules', RULES.join(','), ...extra], {
      timeoutMs: 180_000,
    });

  const whole = await check(scratch('whole'));
  expect(whole.code, explain(whole)).toBe(0);
  // The two shards run side by side, as CI jobs would, in the order of one seed.
  const [one, two] = await Promise.all([
    check(scratch('shard-1'), '--shard', '1/2', '--shuffle', '7'),
    check(scratch('shard-2'), '--shard', '2/2', '--shuffle', '7'),
  ]);
  for (const r of [one, two]) {
    expect([0, 1, 3], explain(r)).toContain(r.code);
    expectNoStackTrace(r);
  }
  for (const dir of ['shard-1', 'shard-2']) {
    expect(
      readdirSync(scratch(dir, 'blob')).filter((f) => f.endsWith('.zip')),
      `${dir} keeps its blob for merging`,
    ).toHaveLength(1);
  }

  const merged = await runCli(
    ['report', scratch('shard-1'), scratch('shard-2'), '--config', config, '--out', scratch('merged')],
    { timeoutMs: 120_000 },
  );
  expect(merged.code, explain(merged)).toBe(whole.code);
  expectNoStackTrace(merged);
  for (const f of ['index.html', 'readiness.json', 'junit.xml', 'summary.md'])
    expect(existsSync(scratch('merged', f)), f).toBe(true);

  const a = readReport(scratch('whole'));
  const b = readReport(scratch('merged'));
  expect(validateReport(b).errors).toEqual([]);
  // The shards' one seed is the merged run's; the unsharded run kept the file order.
  expect(b.shuffleSeed).toBe('7');
  expect(a.shuffleSeed).toBeUndefined();
  expect(b.verdict).toBe(a.verdict);
  expect(b.verdictReason).toBe(a.verdictReason);
  expect(b.selectedRules).toEqual(a.selectedRules);
  expect(b.summary).toEqual(a.summary);
  expect(b.runErrors).toEqual(a.runErrors);
  expect(statuses(b)).toEqual(statuses(a));
  for (const id of RULES) {
    const ra = a.rules.find((r) => r.id === id);
    const rb = b.rules.find((r) => r.id === id);
    expect(ra?.status, id).toBe('pass');
    expect(rb?.status, id).toBe(ra?.status);
    expect(rb?.checks.map((c) => `${c.id}:${c.status}`).sort(), id).toEqual(
      ra?.checks.map((c) => `${c.id}:${c.status}`).sort(),
    );
  }

  // Each shard ran part of the selection; together they ran all of it, once.
  const ranIn = (dir: string) =>
    RULES.filter((id) => readReport(scratch(dir)).rules.find((r) => r.id === id)?.status === 'pass');
  const [ran1, ran2] = [ranIn('shard-1'), ranIn('shard-2')];
  expect(ran1.length, 'shard 1 ran something').toBeGreaterThan(0);
  expect(ran2.length, 'shard 2 ran something').toBeGreaterThan(0);
  expect([...ran1, ...ran2].sort()).toEqual([...RULES].sort());

  // The merged run spans both shards.
  const starts = ['shard-1', 'shard-2'].map((d) => Date.parse(readReport(scratch(d)).startedAt));
  expect(Date.parse(b.startedAt)).toBeLessThanOrEqual(Math.min(...starts) + 1000);
  expect(b.durationMs).toBeGreaterThan(1000);
});

test('shards of different rule selections are refused: exit 2, one line', async () => {
  const config = writeJson(scratch('preflight.config.json'), acmeWebConfig());
  for (const [dir, rules] of [
    ['a', ['AUTH-SCOPE-OPENID']],
    ['b', ['TOKEN-STRUCTURE']],
  ] as const) {
    mkdirSync(scratch(dir, 'blob'), { recursive: true });
    writeJson(scratch(dir, 'readiness.json'), { selectedRules: rules });
  }
  const r = await runCli([
    'report',
    scratch('a'),
    scratch('b'),
    '--config',
    config,
    '--out',
    scratch('merged'),
  ]);
  expect(r.code, explain(r)).toBe(2);
  expectOneLine(r);
  expect(r.message).toBe(
    `so-preflight: ${scratch('a')} and ${scratch('b')} ran different rule selections (--rules); merge shards of one run only`,
  );
  expect(existsSync(join(scratch('merged'), 'readiness.json'))).toBe(false);
});
