/**
 * `superoffice.impersonate` end to end: an app that hard-codes https://sod.superoffice.com is
 * checked unchanged and judged; the same app with the proxy taken away gets one run error line
 * naming the setting, never a verdict on the app.
 */
import { test, expect } from '@playwright/test';
import { validateReport } from '../../src/report/index.ts';
import {
  acmeWebConfig,
  cleanScratch,
  explain,
  expectNoStackTrace,
  readReport,
  runCli,
  scratch,
  writeJson,
} from './support.ts';

test.afterEach(cleanScratch);

/** acme-web with SuperOffice's real host written into its setting, as the public samples have it. */
function hardCoded(env: Record<string, string> = {}) {
  return {
    ...acmeWebConfig({}, {}, { SUPEROFFICE_URL: 'https://sod.superoffice.com', ...env }),
    superoffice: { environment: 'sod', tenant: 'Cust12345', impersonate: true },
  };
}

test('an app that hard-codes sod.superoffice.com is signed in and judged through the proxy', async () => {
  test.slow();
  const out = scratch('report');
  const r = await runCli(
    [
      'check',
      '--config',
      writeJson(scratch('preflight.config.json'), hardCoded()),
      '--out',
      out,
      '--rules',
      'AUTH-FEDERATED,API-USE-CLAIM-URLS',
      '--workers',
      '2',
    ],
    { timeoutMs: 240_000 },
  );
  const report = readReport(out);
  expect(validateReport(report).errors).toEqual([]);
  expect(report.runErrors, explain(r)).toEqual([]);
  for (const id of ['AUTH-FEDERATED', 'API-USE-CLAIM-URLS'])
    expect(report.rules.find((rule) => rule.id === id)?.status, `${id}\n${explain(r)}`).toBe('pass');
  expectNoStackTrace(r);
});

test('the same app with HTTPS_PROXY taken away: exit 3 and one line saying the app ignores the proxy', async () => {
  test.slow();
  const out = scratch('report');
  const r = await runCli(
    [
      'check',
      '--config',
      writeJson(
        scratch('preflight.config.json'),
        hardCoded({ HTTPS_PROXY: '', https_proxy: '', HTTP_PROXY: '', http_proxy: '' }),
      ),
      '--out',
      out,
      '--rules',
      'AUTH-FEDERATED',
      '--workers',
      '1',
    ],
    { timeoutMs: 240_000 },
  );
  expect(r.code, explain(r)).toBe(3);
  expect(r.message, explain(r)).toMatch(
    /^so-preflight: incomplete: .*the run itself had 1 error: the app ignores so-preflight's HTTPS proxy: none of its calls to https:\/\/sod\.superoffice\.com arrived/,
  );
  const report = readReport(out);
  expect(report.verdict).toBe('incomplete');
  expect(report.runErrors).toEqual([
    expect.stringContaining('app.start.env sets HTTPS_PROXY and https_proxy to nothing; remove them'),
  ]);
  expect(report.rules.find((rule) => rule.id === 'AUTH-FEDERATED')?.status).toBe('error');
  expectNoStackTrace(r);
});
