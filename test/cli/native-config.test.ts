/**
 * A native app whose config names no API action or token store: the checks that need them are
 * `not-run` and name the key to add, never `pass` and never a silent skip.
 */
import { test, expect } from '@playwright/test';
import { join } from 'node:path';
import {
  REPO_ROOT,
  cleanScratch,
  explain,
  readReport,
  runCli,
  scratch,
  statuses,
  writeJson,
} from './support.ts';

test.afterEach(() => cleanScratch());

test('without apiAction and tokenStore the native checks are not-run and name the key', async () => {
  test.setTimeout(180_000);
  const dir = scratch();
  const config = writeJson(join(dir, 'preflight.config.json'), {
    app: {
      name: 'Acme CLI without an API action',
      type: 'native',
      start: {
        command: 'node cli.ts',
        cwd: join(REPO_ROOT, 'examples', 'acme-cli'),
        env: {
          SUPEROFFICE_URL: '${superid.url}',
          SUPEROFFICE_CLIENT_ID: '${client.id}',
          SUPEROFFICE_TENANT: '${tenant.id}',
        },
      },
      signIn: { browserEnv: true },
      redirectUris: ['^http://127\\.0\\.0\\.1:\\d{2,5}/$'],
    },
  });
  const out = join(dir, 'report');
  const r = await runCli(
    [
      'check',
      '--config',
      config,
      '--out',
      out,
      '--rules',
      'API-USE-CLAIM-URLS,ERR-THROTTLE-UX,TOKEN-ACCESS-STORAGE,API-NO-CHOKE,API-NO-MIX',
    ],
    { timeoutMs: 170_000 },
  );
  const report = readReport(out);
  const s = statuses(report);
  expect(s['API-USE-CLAIM-URLS'], explain(r)).toBe('not-run');
  expect(s['ERR-THROTTLE-UX'], explain(r)).toBe('not-run');
  const checks = report.rules.flatMap((rule) => rule.checks.map((c) => ({ rule: rule.id, ...c })));
  const claim = checks.find((c) => c.rule === 'API-USE-CLAIM-URLS');
  expect(claim?.message).toContain('app.apiAction');
  // A check that judges two rules names the key for each of them.
  for (const rule of ['API-NO-CHOKE', 'API-NO-MIX']) {
    expect(s[rule], explain(r)).toBe('not-run');
    expect(checks.find((c) => c.rule === rule && c.status === 'not-run')?.message).toContain('app.apiAction');
  }
  const store = checks.find((c) => c.rule === 'TOKEN-ACCESS-STORAGE' && c.status === 'not-run');
  expect(store?.message).toContain('app.tokenStore');
  // Not-run blocking rules do not decide the verdict (see docs/report.md), but its line names them.
  expect(report.verdictReason).toMatch(/blocking rules did not run: .*API-USE-CLAIM-URLS/);
});
