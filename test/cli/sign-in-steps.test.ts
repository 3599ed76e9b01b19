/**
 * A sign-in that starts behind the app's own page: `signIn.steps` opens it and clicks through to
 * SuperID; a step that cannot be done names itself in the report instead of a vague failure.
 */
import { test, expect } from '@playwright/test';
import { join } from 'node:path';
import {
  acmeWebConfig,
  cleanScratch,
  explain,
  readReport,
  runCli,
  scratch,
  statuses,
  writeJson,
} from './support.ts';

test.afterEach(() => cleanScratch());

const RULES = 'AUTH-SCOPE-OPENID,AUTH-STATE';

test('steps that open the home page and click its sign-in button reach SuperID and sign in', async () => {
  test.setTimeout(120_000);
  const dir = scratch();
  const config = writeJson(
    join(dir, 'preflight.config.json'),
    acmeWebConfig({ signIn: { steps: [{ goto: '/' }, { click: 'text=Sign in with SuperOffice' }] } }),
  );
  const out = join(dir, 'report');
  const r = await runCli(['check', '--config', config, '--out', out, '--rules', RULES], {
    timeoutMs: 110_000,
  });
  expect(r.code, explain(r)).toBe(0);
  const s = statuses(readReport(out));
  expect(s['AUTH-SCOPE-OPENID']).toBe('pass');
  expect(s['AUTH-STATE']).toBe('pass');
});

test('a step that cannot be done is named in the report, and nothing passes', async () => {
  test.setTimeout(120_000);
  const dir = scratch();
  const config = writeJson(
    join(dir, 'preflight.config.json'),
    acmeWebConfig({
      signIn: {
        steps: [{ goto: '/' }, { fill: '#work-email', value: '${user.username}' }, { click: 'text=Next' }],
      },
    }),
  );
  const out = join(dir, 'report');
  const r = await runCli(['check', '--config', config, '--out', out, '--rules', RULES], {
    timeoutMs: 110_000,
  });
  expect(r.code, explain(r)).toBe(3);
  const report = readReport(out);
  expect(statuses(report)['AUTH-SCOPE-OPENID']).toBe('error');
  const messages = report.rules.flatMap((rule) => rule.checks.map((c) => c.message)).join('\n');
  expect(messages).toContain('sign-in step 2 of 3 (fill #work-email) failed');
});

test('a callback that answers slowly (sessions written to a database): valid sign-ins are signed in, forged ones judged', async () => {
  test.setTimeout(180_000);
  const dir = scratch();
  // The sign-in starts from a page that forwards the browser once it has loaded (as next-auth's
  // sign-in page does); the browser comes back from SuperID in redirects alone (SuperID session)
  // while the app's callback takes 1.5 s to answer, showing the forwarding page meanwhile. A
  // check that looked at the app before that answer would find no session after a valid sign-in.
  const config = writeJson(
    join(dir, 'preflight.config.json'),
    acmeWebConfig({ signIn: { path: '/signin' } }, {}, { SESSION_WRITE_DELAY_MS: '1500' }),
  );
  const out = join(dir, 'report');
  const rules = ['TOKEN-AUDIENCE', 'API-USE-CLAIM-URLS'];
  const r = await runCli(['check', '--config', config, '--out', out, '--rules', rules.join(',')], {
    timeoutMs: 170_000,
  });
  expect(r.code, explain(r)).toBe(0);
  const s = statuses(readReport(out));
  for (const id of rules) expect(s[id], id).toBe('pass');
});
