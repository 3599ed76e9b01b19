/**
 * Real, narrow `so-preflight check` runs of acme-web, and the report contracts they must keep:
 * exit code, the one closing line, readiness.json valid against the published schema, junit.xml
 * well formed with one testsuite per rule, summary.md (also appended to $GITHUB_STEP_SUMMARY),
 * and index.html as a browser shows it (the verdict, a failed rule's evidence, an app name with
 * markup rendered as text). Also baselines given with --baseline.
 */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test, expect, type Page } from '@playwright/test';
import { attachScreenshot } from '../attach-screenshot.ts';
import { validateReport } from '../../src/report/index.ts';
import { RULES } from '../../src/rules/index.ts';
import { TOOL_VERSION } from '../../src/version.ts';
import {
  REPO_ROOT,
  cleanScratch,
  scratch,
  runCli,
  explain,
  expectNoStackTrace,
  expectOneLine,
  readReport,
  acmeWebConfig,
  writeJson,
} from './support.ts';

test.afterEach(cleanScratch);

const HOSTILE_NAME = 'Acme <script>window.__xss = 1</script><img src=x onerror="window.__xss = 2"> Web & Co';

/** Opens index.html the way a reviewer does and attaches a screenshot of it. */
async function openReport(page: Page, out: string, label: string): Promise<void> {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(pathToFileURL(join(out, 'index.html')).href);
  await expect(page.locator('#verdict')).toBeVisible();
  await attachScreenshot(page, label);
  expect(errors, 'the report page runs without script errors').toEqual([]);
}

/** Parses XML with the browser's strict parser; fails on any well-formedness error. */
async function parseXml(
  page: Page,
  xml: string,
): Promise<{
  root: string;
  suites: Array<{ name: string; tests: number; failures: number; cases: number }>;
}> {
  return page.evaluate((text) => {
    const doc = new DOMParser().parseFromString(text, 'application/xml');
    const error = doc.querySelector('parsererror');
    if (error) throw new Error(`junit.xml is not well formed: ${error.textContent}`);
    return {
      root: doc.documentElement.nodeName,
      suites: [...doc.documentElement.children]
        .filter((e) => e.nodeName === 'testsuite')
        .map((e) => ({
          name: e.getAttribute('name') ?? '',
          tests: Number(e.getAttribute('tests')),
          failures: Number(e.getAttribute('failures')),
          cases: e.querySelectorAll('testcase').length,
        })),
    };
  }, xml);
}

test('a compliant app: exit 0, every report file keeps its contract, markup in the app name stays text', async ({
  page,
}) => {
  test.slow();
  // A .ts config outside any package (as a partner's repository may be): it must load in the CLI,
  // in the Playwright workers and in the reporter alike.
  const config = scratch('preflight.config.ts');
  const json = acmeWebConfig({ name: HOSTILE_NAME });
  writeFileSync(
    config,
    `import { defineConfig } from ${JSON.stringify(join(REPO_ROOT, 'src', 'index.ts'))};\n\nexport default defineConfig(${JSON.stringify(json, null, 2)});\n`,
  );
  const stepSummary = scratch('step-summary.md');
  writeFileSync(stepSummary, '## an earlier step\n\n');
  const out = scratch('report');

  const r = await runCli(['check', '--config', config, '--out', out, '--rules', 'AUTH-SCOPE-OPENID'], {
    env: { GITHUB_STEP_SUMMARY: stepSummary },
    timeoutMs: 150_000,
  });
  expect(r.code, explain(r)).toBe(0);
  expect(r.stderr, explain(r)).toBe('');
  expect(r.stdout).toContain(
    'so-preflight: READY: partial run: only the rules selected with --rules (1 rule) were judged; no blocking rule failed; 1 blocking requirement judged by behaviour',
  );
  expect(r.stdout).toContain(`report: ${join(out, 'index.html')}`);
  expectNoStackTrace(r);

  for (const f of ['index.html', 'readiness.json', 'junit.xml', 'summary.md'])
    expect(existsSync(join(out, f)), f).toBe(true);

  // readiness.json
  const report = readReport(out);
  expect(validateReport(report).errors).toEqual([]);
  expect(report.verdict).toBe('ready');
  // The report says which browser the checks ran in.
  expect(report.tool).toEqual({
    name: 'so-preflight',
    version: TOOL_VERSION,
    browser: expect.stringMatching(/\S/),
  });
  expect(readFileSync(join(out, 'summary.md'), 'utf8')).toContain(` in ${report.tool.browser}`);
  expect(report.app.name).toBe(HOSTILE_NAME);
  expect(report.selectedRules).toEqual(['AUTH-SCOPE-OPENID']);
  expect(report.rules.map((rule) => rule.id)).toEqual(RULES.map((rule) => rule.id));
  const scope = report.rules.find((rule) => rule.id === 'AUTH-SCOPE-OPENID');
  expect(scope?.status).toBe('pass');
  expect(scope?.checks.length).toBeGreaterThan(0);
  expect(report.summary.passed).toBe(1);
  expect(report.runErrors).toEqual([]);
  expect(Date.parse(report.startedAt)).not.toBeNaN();
  expect(report.durationMs).toBeGreaterThan(0);

  // junit.xml: well formed, one testsuite per rule, the passed rule with no failures.
  const junit = await parseXml(page, readFileSync(join(out, 'junit.xml'), 'utf8'));
  expect(junit.root).toBe('testsuites');
  expect(junit.suites.map((s) => s.name).sort()).toEqual(report.rules.map((rule) => rule.id).sort());
  const scopeSuite = junit.suites.find((s) => s.name === 'AUTH-SCOPE-OPENID');
  expect(scopeSuite?.failures).toBe(0);
  expect(scopeSuite?.cases).toBe(scope?.checks.length);
  expect(junit.suites.every((s) => s.cases >= 1 && s.tests === s.cases)).toBe(true);

  // summary.md, and the same text appended to $GITHUB_STEP_SUMMARY.
  const summary = readFileSync(join(out, 'summary.md'), 'utf8');
  expect(summary).toContain(
    '**Verdict: READY.** partial run: only the rules selected with --rules (1 rule) were judged; no blocking rule failed',
  );
  expect(summary, 'markup in the app name is escaped in Markdown too').not.toContain('<script>');
  const appended = readFileSync(stepSummary, 'utf8');
  expect(appended.startsWith('## an earlier step\n\n')).toBe(true);
  expect(appended.slice('## an earlier step\n\n'.length).trim()).toBe(summary.trim());

  // index.html: the markup in the app name is escaped in the file and inert in the browser.
  const html = readFileSync(join(out, 'index.html'), 'utf8');
  expect(html).not.toContain('<script>window.__xss');
  expect(html).not.toContain('<img src=x');
  expect(html).toMatch(/&(lt|#60|#x3c);script&(gt|#62|#x3e);window\.__xss = 1/i);
  await openReport(page, out, 'compliant-report');
  await expect(page.locator('#verdict .word')).toHaveText(/^ready$/i);
  await expect(page.locator('#verdict h1')).toHaveText(HOSTILE_NAME);
  await expect(page).toHaveTitle(`Ready: ${HOSTILE_NAME} (so-preflight)`);
  expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  await expect(page.locator('#rule-AUTH-SCOPE-OPENID')).toHaveAttribute('data-status', 'pass');
});

test.describe('the client secret shipped to the browser (DEFECTS=secret-in-browser)', () => {
  const defect = { DEFECTS: 'secret-in-browser' };

  function config(): string {
    return writeJson(scratch('preflight.config.json'), acmeWebConfig());
  }

  test('exit 1, the rule failed, its message and evidence visible in the HTML report', async ({ page }) => {
    test.slow();
    const out = scratch('report');
    const r = await runCli(['check', '--config', config(), '--out', out, '--rules', 'SECRET-AS-PASSWORD'], {
      env: defect,
      timeoutMs: 150_000,
    });
    expect(r.code, explain(r)).toBe(1);
    expectOneLine(r);
    expect(r.message).toBe(
      `so-preflight: not ready: partial run: only the rules selected with --rules (1 rule) were judged; 1 blocking rule failed: SECRET-AS-PASSWORD; fix the failed rules (see ${join(out, 'index.html')})`,
    );
    expectNoStackTrace(r);

    const report = readReport(out);
    expect(validateReport(report).errors).toEqual([]);
    expect(report.verdict).toBe('not-ready');
    const rule = report.rules.find((x) => x.id === 'SECRET-AS-PASSWORD');
    expect(rule?.status).toBe('fail');
    const failed = rule?.checks.find((c) => c.status === 'fail');
    expect(failed?.message).toContain('the client secret is visible to the browser');
    expect(failed?.evidence.length).toBeGreaterThan(0);

    await openReport(page, out, 'secret-in-browser-report');
    await expect(page.locator('#verdict .word')).toHaveText(/^not ready$/i);
    const article = page.locator('#rule-SECRET-AS-PASSWORD');
    await expect(article).toHaveAttribute('data-status', 'fail');
    await expect(article.locator('h3 .badge')).toHaveText(/fail/i);
    // Failed rules open their details: the message, the evidence and the remediation show.
    await expect(article.getByText(failed!.message, { exact: false }).first()).toBeVisible();
    await expect(article.locator('.evidence').first()).toBeVisible();
    await expect(article.getByText('Remediation:')).toBeVisible();
    await attachScreenshot(article, 'failed rule');
  });

  test('baselined with a reason: exit 0, the rule still fails, marked as accepted', async ({ page }) => {
    test.slow();
    const out = scratch('report');
    const baseline = writeJson(scratch('baseline.json'), {
      version: 1,
      rules: [
        {
          id: 'SECRET-AS-PASSWORD',
          reason: 'moving the token call server-side; ticket ACME-42, until 2026-Q3',
        },
      ],
    });
    const r = await runCli(
      ['check', '--config', config(), '--out', out, '--rules', 'SECRET-AS-PASSWORD', '--baseline', baseline],
      {
        env: defect,
        timeoutMs: 150_000,
      },
    );
    expect(r.code, explain(r)).toBe(0);
    expect(r.stderr, explain(r)).toBe('');
    expect(r.stdout).toContain('FAIL (baselined) SECRET-AS-PASSWORD');
    const report = readReport(out);
    expect(validateReport(report).errors).toEqual([]);
    expect(report.verdict).toBe('ready');
    expect(report.verdictReason).toContain('1 failure accepted by the baseline');
    const rule = report.rules.find((x) => x.id === 'SECRET-AS-PASSWORD');
    expect(rule?.status).toBe('fail');
    expect(rule?.baselined).toEqual({
      reason: 'moving the token call server-side; ticket ACME-42, until 2026-Q3',
    });
    expect(report.summary.baselined).toBe(1);
    await openReport(page, out, 'baselined-report');
    await expect(page.locator('#rule-SECRET-AS-PASSWORD .baselined')).toHaveText('accepted by baseline');
    await expect(page.locator('#rule-SECRET-AS-PASSWORD')).toContainText('ticket ACME-42');
  });
});

test('a baseline entry for a rule that now passes: exit 1, the stale entry named', async () => {
  test.slow();
  const out = scratch('report');
  const config = writeJson(scratch('preflight.config.json'), acmeWebConfig());
  const baseline = writeJson(scratch('baseline.json'), {
    version: 1,
    rules: [{ id: 'SECRET-AS-PASSWORD', reason: 'accepted until the fix ships' }],
  });
  const r = await runCli(
    ['check', '--config', config, '--out', out, '--rules', 'SECRET-AS-PASSWORD', '--baseline', baseline],
    { timeoutMs: 150_000 },
  );
  expect(r.code, explain(r)).toBe(1);
  expectOneLine(r);
  expect(r.message).toContain(
    'stale baseline: SECRET-AS-PASSWORD no longer fails; remove it from the baseline',
  );
  const report = readReport(out);
  expect(validateReport(report).errors).toEqual([]);
  expect(report.verdict).toBe('not-ready');
  expect(report.staleBaseline).toEqual(['SECRET-AS-PASSWORD']);
  expect(report.rules.find((x) => x.id === 'SECRET-AS-PASSWORD')?.status).toBe('pass');
  expectNoStackTrace(r);
});

test.describe('a malformed baseline: exit 2 with one line, before anything runs', () => {
  const cases: Array<{ title: string; body: string; says: RegExp }> = [
    {
      title: 'an entry without a reason',
      body: JSON.stringify({ version: 1, rules: [{ id: 'SECRET-AS-PASSWORD' }] }),
      says: /rules\[0\] \(SECRET-AS-PASSWORD\)\.reason: a reason/,
    },
    {
      title: 'an empty reason',
      body: JSON.stringify({ version: 1, rules: [{ id: 'SECRET-AS-PASSWORD', reason: ' ' }] }),
      says: /rules\[0\] \(SECRET-AS-PASSWORD\)\.reason: a reason/,
    },
    {
      title: 'an unknown rule',
      body: JSON.stringify({ version: 1, rules: [{ id: 'NO-SUCH-RULE', reason: 'x' }] }),
      says: /rules\[0\] \(NO-SUCH-RULE\): unknown rule ID; run `so-preflight rules`/,
    },
    { title: 'a file that is not JSON', body: '{ version: 1 ', says: /is not JSON/ },
  ];
  for (const c of cases) {
    test(c.title, async () => {
      const baseline = scratch('baseline.json');
      writeFileSync(baseline, c.body);
      const config = writeJson(scratch('preflight.config.json'), acmeWebConfig());
      const r = await runCli([
        'check',
        '--config',
        config,
        '--out',
        scratch('report'),
        '--baseline',
        baseline,
      ]);
      expect(r.code, explain(r)).toBe(2);
      expectOneLine(r);
      expect(r.message).toContain(`baseline ${baseline}`);
      expect(r.message).toMatch(c.says);
      expect(existsSync(scratch('report')), 'nothing ran').toBe(false);
      expectNoStackTrace(r);
    });
  }
});
