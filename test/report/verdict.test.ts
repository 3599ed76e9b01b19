import { expect, test as t } from '@playwright/test';
import {
  build,
  finding,
  incompleteResults,
  notReadyResults,
  pass,
  readyResults,
  test,
  FIXTURE_RULES,
  APP,
} from './fixtures.ts';
import { mergeResults, buildReport } from '../../src/report/build.ts';

const rule = (report: ReturnType<typeof build>, id: string) => {
  const r = report.rules.find((x) => x.id === id);
  if (!r) throw new Error(`rule ${id} missing from the report`);
  return r;
};

t.describe('verdict', () => {
  t('all blocking rules pass -> ready', () => {
    const report = build(readyResults());
    expect(report.verdict).toBe('ready');
    expect(report.verdictReason).toContain('no blocking rule failed');
    expect(report.summary).toEqual({
      passed: 7,
      failed: 0,
      warnings: 0,
      manual: 1,
      notApplicable: 1,
      errors: 0,
      notRun: 0,
    });
  });

  t('a blocking failure -> not-ready, reason names the rule and the failure', () => {
    const report = build(notReadyResults());
    expect(report.verdict).toBe('not-ready');
    expect(report.verdictReason).toContain('TOKEN-SIGNATURE');
    const sig = rule(report, 'TOKEN-SIGNATURE');
    expect(sig.status).toBe('fail');
    expect(sig.reason).toBe(
      '1 of 2 checks failed: app accepted an id_token whose payload was edited after signing',
    );
    // The test failed, but it has a 'fail' finding: no extra error check.
    expect(sig.checks.map((c) => c.status)).toEqual(['fail', 'pass']);
    expect(sig.checks[0]?.test).toBe('suites/token-signature.spec.ts › token-signature');
  });

  t('an advisory failure keeps status fail but never blocks', () => {
    const results = readyResults().filter((r) => !r.ruleIds.includes('AUTH-STATE'));
    results.push(
      test(
        'state',
        ['AUTH-STATE'],
        [
          finding({
            rule: 'AUTH-STATE',
            check: 'x',
            title: 'x',
            status: 'fail',
            message: 'accepted a foreign state',
          }),
        ],
      ),
    );
    const report = build(results);
    expect(rule(report, 'AUTH-STATE').status).toBe('fail');
    expect(rule(report, 'AUTH-STATE').severity).toBe('advisory');
    expect(report.verdict).toBe('ready');
    expect(report.verdictReason).toContain('1 advisory rule failed');
  });

  t('a blocking rule whose test timed out without a finding -> error -> incomplete', () => {
    const report = build(incompleteResults());
    const issuer = rule(report, 'TOKEN-ISSUER');
    expect(issuer.status).toBe('error');
    expect(issuer.checks).toHaveLength(1);
    expect(issuer.checks[0]?.status).toBe('error');
    expect(issuer.checks[0]?.message).toContain('timed out');
    expect(issuer.checks[0]?.message).toContain('Test timeout of 30000ms exceeded.');
    expect(report.verdict).toBe('incomplete');
    expect(report.verdictReason).toContain('TOKEN-ISSUER');
  });

  t('a test that failed without findings is an error, never a pass', () => {
    const results = readyResults().filter((r) => !r.ruleIds.includes('TOKEN-ISSUER'));
    results.push(
      test('token-issuer', ['TOKEN-ISSUER'], [pass('TOKEN-ISSUER')], {
        outcome: 'failed',
        error: 'Error: boom\n    at x.ts:1',
      }),
    );
    const report = build(results);
    expect(rule(report, 'TOKEN-ISSUER').status).toBe('error');
    expect(rule(report, 'TOKEN-ISSUER').checks.map((c) => c.status)).toEqual(['pass', 'error']);
    expect(rule(report, 'TOKEN-ISSUER').checks[1]?.message).toContain('Error: boom');
    expect(rule(report, 'TOKEN-ISSUER').checks[1]?.message).not.toContain('at x.ts');
    expect(report.verdict).toBe('incomplete');
  });

  t('an error on an advisory rule does not make the run incomplete', () => {
    const results = readyResults().filter((r) => !r.ruleIds.includes('TOKEN-JWKS-REFRESH'));
    results.push(test('jwks', ['TOKEN-JWKS-REFRESH'], [], { outcome: 'failed', error: 'emulator hiccup' }));
    const report = build(results);
    expect(rule(report, 'TOKEN-JWKS-REFRESH').status).toBe('error');
    expect(report.verdict).toBe('ready');
  });

  t('an error finding beats a warning; a fail beats an error', () => {
    const f = (status: 'pass' | 'fail' | 'warn' | 'error') =>
      finding({ rule: 'TOKEN-ISSUER', check: status, title: status, status, message: status });
    const withIssuer = (findings: ReturnType<typeof f>[]) =>
      build([
        ...readyResults().filter((r) => !r.ruleIds.includes('TOKEN-ISSUER')),
        test('iss', ['TOKEN-ISSUER'], findings),
      ]);
    expect(rule(withIssuer([f('warn'), f('error'), f('pass')]), 'TOKEN-ISSUER').status).toBe('error');
    expect(rule(withIssuer([f('error'), f('fail')]), 'TOKEN-ISSUER').status).toBe('fail');
    expect(rule(withIssuer([f('warn'), f('pass')]), 'TOKEN-ISSUER').status).toBe('warn');
    expect(withIssuer([f('warn'), f('pass')]).verdict).toBe('ready');
  });

  t('run errors -> incomplete, even when every rule passed', () => {
    const report = build(readyResults(), {
      runErrors: ['the app did not answer on http://127.0.0.1:5050 within 30 s'],
    });
    expect(report.verdict).toBe('incomplete');
    expect(report.verdictReason).toContain('the app did not answer');
  });

  t('skipped tests and uncovered rules are not-run, not pass', () => {
    const results = readyResults().filter(
      (r) => !r.ruleIds.includes('TOKEN-ISSUER') && !r.ruleIds.includes('SECRET-AS-PASSWORD'),
    );
    results.push(
      test('token-issuer', ['TOKEN-ISSUER'], [], {
        outcome: 'skipped',
        error: 'known gap: issuer scenario not implemented',
      }),
    );
    const report = build(results);
    expect(rule(report, 'TOKEN-ISSUER').status).toBe('not-run');
    expect(rule(report, 'TOKEN-ISSUER').reason).toContain('known gap');
    expect(rule(report, 'SECRET-AS-PASSWORD').status).toBe('not-run');
    expect(rule(report, 'SECRET-AS-PASSWORD').reason).toContain('no test covers this rule');
    expect(report.summary.notRun).toBe(2);
    expect(report.verdictReason).toContain('did not run');
  });

  t('not applicable by certification and by app type; manual rules; partial judged as automated', () => {
    const report = build(readyResults(), { app: { ...APP, certification: 'custom' } });
    expect(rule(report, 'AUTH-CONSENT-FLOW').status).toBe('not-applicable');
    expect(rule(report, 'AUTH-PKCE-NATIVE').status).toBe('not-applicable');
    expect(rule(report, 'AUTH-NO-CREDENTIAL-STORE').status).toBe('manual');
    expect(rule(report, 'REDIRECT-HTTPS').status).toBe('pass');
    expect(rule(report, 'REDIRECT-HTTPS').reason).toContain('attestation');
  });

  t('--rules: unselected applicable rules are not-run with the reason', () => {
    const report = build(
      readyResults().filter((r) => r.ruleIds.includes('TOKEN-SIGNATURE')),
      { selectedRules: ['TOKEN-SIGNATURE'] },
    );
    expect(rule(report, 'TOKEN-SIGNATURE').status).toBe('pass');
    expect(rule(report, 'TOKEN-ISSUER').status).toBe('not-run');
    expect(rule(report, 'TOKEN-ISSUER').reason).toBe('not selected (--rules)');
    expect(rule(report, 'AUTH-PKCE-NATIVE').status).toBe('not-applicable');
    expect(report.selectedRules).toEqual(['TOKEN-SIGNATURE']);
    expect(report.verdict).toBe('ready');
    expect(report.verdictReason).not.toContain('did not run');
  });

  t('findings for unknown rules are run errors (a check without a rule is a bug)', () => {
    const results = [...readyResults(), test('bogus', ['NO-SUCH-RULE'], [pass('NO-SUCH-RULE')])];
    const report = build(results);
    expect(report.runErrors.some((e) => e.includes('NO-SUCH-RULE'))).toBe(true);
    expect(report.verdict).toBe('incomplete');
  });

  t('error messages are redacted', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';
    const results = readyResults().filter((r) => !r.ruleIds.includes('TOKEN-ISSUER'));
    results.push(
      test('iss', ['TOKEN-ISSUER'], [], {
        outcome: 'failed',
        error: `request failed: Authorization: Bearer ${jwt}`,
      }),
    );
    const report = build(results);
    expect(JSON.stringify(report)).not.toContain(jwt);
    expect(rule(report, 'TOKEN-ISSUER').checks[0]?.message).toContain('[REDACTED');
  });

  t('the builder is pure: same input, same report', () => {
    expect(JSON.stringify(build(notReadyResults()))).toBe(JSON.stringify(build(notReadyResults())));
  });

  t('mergeResults over shards gives the unsharded verdict', () => {
    const all = notReadyResults();
    const shards = [
      { startedAt: '2025-05-01T10:00:00.000Z', durationMs: 30_000, results: all.slice(0, 3), runErrors: [] },
      { startedAt: '2025-05-01T10:00:05.000Z', durationMs: 40_000, results: all.slice(3), runErrors: [] },
    ];
    const merged = mergeResults(shards);
    expect(merged.startedAt).toBe('2025-05-01T10:00:00.000Z');
    expect(merged.durationMs).toBe(45_000);
    const sharded = buildReport({ app: APP, toolVersion: '0.1.0', rules: FIXTURE_RULES, ...merged });
    const whole = build(all);
    expect(sharded.verdict).toBe(whole.verdict);
    expect(sharded.summary).toEqual(whole.summary);
    expect(sharded.rules.map((r) => [r.id, r.status])).toEqual(whole.rules.map((r) => [r.id, r.status]));
  });

  t('a blocking failure decides the verdict even when other rules could not be judged', () => {
    const results = notReadyResults().filter((r) => !r.ruleIds.includes('TOKEN-ISSUER'));
    results.push(test('token-issuer', ['TOKEN-ISSUER'], [], { outcome: 'timedOut', error: 'timeout' }));
    const report = build(results, { runErrors: ['the app crashed once'] });
    expect(rule(report, 'TOKEN-ISSUER').status).toBe('error');
    expect(report.verdict).toBe('not-ready');
    expect(report.verdictReason).toMatch(/^2 blocking rules failed: TOKEN-SIGNATURE, SECRET-AS-PASSWORD/);
    expect(report.verdictReason).toContain('also the run itself had 1 error: the app crashed once');
    expect(build(results).verdictReason).toContain('also 1 blocking rule could not be judged: TOKEN-ISSUER');
  });

  t('--rules and --shard runs are partial, in the verdict line and the report', () => {
    const selected = build(
      readyResults().filter((r) => r.ruleIds.includes('TOKEN-SIGNATURE')),
      { selectedRules: ['TOKEN-SIGNATURE'] },
    );
    expect(selected.partial).toContain('--rules');
    expect(selected.verdictReason).toMatch(/^partial run: only the rules selected with --rules \(1 rule\)/);
    const shard = build(readyResults(), { shard: '1/2' });
    expect(shard.partial).toContain('shard 1/2');
    expect(shard.verdictReason).toMatch(/^partial run/);
    expect(build(readyResults()).partial).toBeUndefined();
    expect(build(readyResults()).verdictReason).not.toContain('partial');
  });

  t('rules without a built check are left to attestation, never described as checked', () => {
    const results = readyResults().filter((r) => !r.ruleIds.includes('SECRET-AS-PASSWORD'));
    const report = build(results, { notAutomated: { 'SECRET-AS-PASSWORD': 'the scanner is not built yet' } });
    const r = rule(report, 'SECRET-AS-PASSWORD');
    expect(r.status).toBe('manual');
    expect(r.basis).toBe('attestation');
    expect(r.reason).toContain('not automated yet: the scanner is not built yet');
    expect(r.howChecked).toMatch(/^Not checked automatically yet/);
    expect(report.verdict).toBe('ready');
    expect(report.verdictReason).toMatch(
      /judged by behaviour, \d+ by your declared configuration, \d+ left to attestation/,
    );
  });

  t('the verdict line counts blocking requirements by what they were judged on', () => {
    const rules = FIXTURE_RULES.map((r) =>
      r.id === 'REDIRECT-HTTPS' ? { ...r, judgedFrom: 'configuration' as const } : r,
    );
    const report = build(readyResults(), { rules });
    expect(rule(report, 'REDIRECT-HTTPS').basis).toBe('configuration');
    expect(rule(report, 'REDIRECT-HTTPS').howChecked).toMatch(/^Checked: your declared configuration/);
    expect(rule(report, 'TOKEN-SIGNATURE').basis).toBe('behaviour');
    const blocking = report.rules.filter((r) => r.severity === 'blocking');
    const byBehaviour = blocking.filter((r) => r.basis === 'behaviour' && r.status === 'pass').length;
    const byConfig = blocking.filter((r) => r.basis === 'configuration' && r.status === 'pass').length;
    expect(report.verdictReason).toContain(
      `${byBehaviour} blocking requirement${byBehaviour === 1 ? '' : 's'} judged by behaviour, ${byConfig} by your declared configuration`,
    );
  });

  t('a test that ran for a rule and reported nothing about it is an error, not a quiet not-run', () => {
    const results = readyResults().filter((r) => !r.ruleIds.includes('TOKEN-ISSUER'));
    results.push(test('iss', ['TOKEN-ISSUER'], []));
    const report = build(results, { selectedRules: ['TOKEN-ISSUER'] });
    expect(rule(report, 'TOKEN-ISSUER').status).toBe('error');
    expect(rule(report, 'TOKEN-ISSUER').reason).toContain('observed nothing');
    expect(report.verdict).toBe('incomplete');
  });

  t('an app that stopped during the run makes it incomplete, even with failures', () => {
    const report = build(notReadyResults(), {
      runErrors: ['the app exited with code 137; the app said: Killed'],
    });
    expect(report.verdict).toBe('incomplete');
    expect(report.verdictReason).toMatch(/^the run itself had 1 error: the app exited with code 137/);
    expect(report.verdictReason).toContain('possibly because the app was gone');
  });
});
