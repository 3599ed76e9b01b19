/**
 * The coverage gate: every rule the catalog calls automated or partly automated is judged by at
 * least one suite test, or is an explicit, reasoned gap in src/rules/gaps.ts. A rule that is
 * silently never checked is a failing test here, not a quiet `not-run` in partners' reports.
 */
import { test, expect } from '@playwright/test';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { RULES, getRule } from '../../src/rules/index.ts';
import { KNOWN_GAPS } from '../../src/rules/gaps.ts';

const SUITES = resolve(import.meta.dirname, '../../suites');

function specFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? specFiles(p) : p.endsWith('.spec.ts') ? [p] : [];
  });
}

function coveredRules(): Set<string> {
  const text = specFiles(SUITES)
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
  const ids = new Set<string>();
  for (const m of text.matchAll(/@([A-Z0-9]+(?:-[A-Z0-9.]+)+)/g)) ids.add(m[1]!);
  for (const m of text.matchAll(/rule: '([A-Z0-9]+(?:-[A-Z0-9.]+)+)'/g)) ids.add(m[1]!);
  return ids;
}

test('every automated rule has a check or a reasoned gap', () => {
  const covered = coveredRules();
  const missing = RULES.filter(
    (r) => r.automation !== 'manual' && !covered.has(r.id) && !(r.id in KNOWN_GAPS),
  ).map((r) => r.id);
  expect(missing, 'rules with no suite test and no entry in src/rules/gaps.ts').toEqual([]);
});

test('gaps are real: listed rules exist, are automatable, and have no check yet', () => {
  const covered = coveredRules();
  for (const [id, reason] of Object.entries(KNOWN_GAPS)) {
    expect(getRule(id), `${id} is in gaps.ts but not in the catalog`).toBeTruthy();
    expect(getRule(id)!.automation, `${id} is manual; it needs no gap entry`).not.toBe('manual');
    expect(covered.has(id), `${id} is covered by a suite now: remove it from gaps.ts`).toBe(false);
    expect(reason.length).toBeGreaterThan(10);
  }
});

test('suites name only catalog rules', () => {
  const unknown = [...coveredRules()].filter((id) => !getRule(id));
  expect(unknown).toEqual([]);
});
