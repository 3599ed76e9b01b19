/**
 * Journeys (config `app.journeys`): partner code that uses the app like a user runs signed in and
 * is judged by the API traffic it causes; a journey that throws gives `error` with its own error
 * and a screenshot, never `pass`; a journey file that does not exist is a clear run error.
 */
import { test, expect } from '@playwright/test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { acmeWebConfig, cleanScratch, explain, readReport, runCli, scratch, writeJson } from './support.ts';

test.afterEach(() => cleanScratch());

// Outside a project that installs so-preflight, a journey file exports its journeys.
const JOURNEYS = `export default [
  {
    name: 'open the contacts',
    run: async ({ page, app }) => {
      await page.goto(app.url('/contacts'));
      await page.getByRole('heading', { name: 'Contacts' }).waitFor({ timeout: 10000 });
    },
  },
  {
    name: 'press a button that is not there',
    run: async ({ page, app }) => {
      await page.goto(app.url('/contacts'));
      await page.getByRole('button', { name: 'Sync now' }).click({ timeout: 1000 });
    },
  },
];
`;

test('a journey runs signed in and is judged; one that throws is an error naming its failure', async () => {
  test.setTimeout(150_000);
  const dir = scratch();
  writeFileSync(join(dir, 'journeys.mjs'), JOURNEYS);
  const config = writeJson(join(dir, 'preflight.config.json'), acmeWebConfig({ journeys: ['journeys.mjs'] }));
  const out = join(dir, 'report');
  const r = await runCli(['check', '--config', config, '--out', out, '--rules', 'API-NO-CHOKE'], {
    timeoutMs: 140_000,
  });
  const report = readReport(out);
  const checks = report.rules.find((x) => x.id === 'API-NO-CHOKE')?.checks ?? [];
  const ok = checks.find((c) => c.title.includes('journey "open the contacts"'));
  const broken = checks.find((c) => c.title.includes('journey "press a button that is not there"'));
  expect(ok?.status, explain(r)).toBe('pass');
  expect(broken?.status, explain(r)).toBe('error');
  expect(broken?.message).toMatch(/the journey failed after .* s: .*Sync now/);
  expect(broken?.evidence.some((e) => e.kind === 'file')).toBe(true);
  // A blocking rule that could not be judged on one journey leaves the run incomplete.
  expect(r.code, explain(r)).toBe(3);
});

test('a journey file that does not exist is named in one line', async () => {
  test.setTimeout(120_000);
  const dir = scratch();
  const config = writeJson(join(dir, 'preflight.config.json'), acmeWebConfig({ journeys: ['nowhere.ts'] }));
  const out = join(dir, 'report');
  const r = await runCli(['check', '--config', config, '--out', out, '--rules', 'API-NO-CHOKE'], {
    timeoutMs: 110_000,
  });
  expect(r.code, explain(r)).not.toBe(0);
  expect(r.stdout + r.stderr).toContain('app.journeys names nowhere.ts, which does not exist');
});
