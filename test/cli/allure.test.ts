/**
 * Optional Allure output (`--allure DIR`, through allure-playwright): results are written, carry
 * the findings, and hold no secret (steps are recorded without parameters).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test, expect } from '@playwright/test';
import { acmeWebConfig, cleanScratch, explain, runCli, scratch, writeJson } from './support.ts';

test.afterEach(cleanScratch);

test('--allure writes Allure results with the findings and no secrets', async () => {
  test.slow();
  const config = writeJson(scratch('preflight.config.json'), acmeWebConfig());
  const allure = scratch('allure');
  const r = await runCli([
    'check',
    '--config',
    config,
    '--out',
    scratch('out'),
    '--rules',
    'AUTH-SCOPE-OPENID',
    '--allure',
    allure,
  ]);
  expect(r.code, explain(r)).toBe(0);
  const files = readdirSync(allure);
  const results = files
    .filter((f) => f.endsWith('-result.json'))
    .map(
      (f) =>
        JSON.parse(readFileSync(join(allure, f), 'utf8')) as {
          status: string;
          steps?: Array<{ name: string }>;
        },
    );
  expect(results.length).toBeGreaterThan(0);
  expect(results.every((x) => x.status === 'passed')).toBe(true);
  expect(
    results.flatMap((x) => x.steps ?? []).some((s) => s.name.startsWith('finding:AUTH-SCOPE-OPENID')),
  ).toBe(true);
  for (const f of files) {
    const text = readFileSync(join(allure, f), 'utf8');
    expect(text, f).not.toMatch(
      /Pw-[A-Za-z0-9_-]{8,}|8A:Cust\d+\.[A-Za-z0-9+/]{8,}|eyJ[A-Za-z0-9_-]{10,}\.eyJ/,
    );
  }
});
