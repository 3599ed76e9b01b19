import { expect, test as t } from '@playwright/test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build, finding, notReadyResults, readyResults, test, FIXTURE_RULES } from './fixtures.ts';
import { loadBaseline, parseBaseline, BaselineError } from '../../src/report/baseline.ts';
import { validateReport } from '../../src/report/schema.ts';
import { renderJson } from '../../src/report/render-json.ts';
import { removeTempDirs, tempDir } from '../temp-dir.ts';

t.afterEach(removeTempDirs);

const sigFails = () => notReadyResults().filter((r) => r.ruleIds.includes('TOKEN-SIGNATURE'));
const others = () => readyResults().filter((r) => !r.ruleIds.includes('TOKEN-SIGNATURE'));

t.describe('baseline', () => {
  t('an accepted failure does not fail the run; the rule stays fail and is marked', () => {
    const baseline = parseBaseline(
      { version: 1, rules: [{ id: 'TOKEN-SIGNATURE', reason: 'fix in 2.3; ticket ABC-12' }] },
      FIXTURE_RULES,
    );
    const report = build([...others(), ...sigFails()], { baseline });
    const sig = report.rules.find((r) => r.id === 'TOKEN-SIGNATURE');
    expect(sig?.status).toBe('fail');
    expect(sig?.baselined).toEqual({ reason: 'fix in 2.3; ticket ABC-12' });
    expect(sig?.reason).toContain('accepted by the baseline');
    expect(report.verdict).toBe('ready');
    expect(report.summary.baselined).toBe(1);
    expect(validateReport(JSON.parse(renderJson(report)))).toEqual({ ok: true, errors: [] });
  });

  t('a baselined rule that now passes is a stale baseline -> not-ready', () => {
    const baseline = parseBaseline(
      { version: 1, rules: [{ id: 'TOKEN-JWKS-REFRESH', reason: 'pinned key until Q3; ticket ABC-12' }] },
      FIXTURE_RULES,
    );
    const report = build(readyResults(), { baseline });
    expect(report.verdict).toBe('not-ready');
    expect(report.staleBaseline).toEqual(['TOKEN-JWKS-REFRESH']);
    expect(report.verdictReason).toContain('stale baseline');
    expect(report.verdictReason).toContain('TOKEN-JWKS-REFRESH');
    expect(validateReport(JSON.parse(renderJson(report))).ok).toBe(true);
  });

  t('a new failure still fails', () => {
    const baseline = parseBaseline(
      { version: 1, rules: [{ id: 'TOKEN-SIGNATURE', reason: 'accepted' }] },
      FIXTURE_RULES,
    );
    const results = [...others().filter((r) => !r.ruleIds.includes('TOKEN-ISSUER')), ...sigFails()];
    results.push(
      test(
        'iss',
        ['TOKEN-ISSUER'],
        [
          finding({
            rule: 'TOKEN-ISSUER',
            check: 'foreign-iss',
            title: 'foreign iss',
            status: 'fail',
            message: 'accepted iss https://evil.example',
          }),
        ],
      ),
    );
    const report = build(results, { baseline });
    expect(report.verdict).toBe('not-ready');
    expect(report.verdictReason).toContain('TOKEN-ISSUER');
    expect(report.verdictReason).not.toContain('TOKEN-SIGNATURE');
  });

  t('a baselined rule that errors still makes the run incomplete', () => {
    const baseline = parseBaseline(
      { version: 1, rules: [{ id: 'TOKEN-SIGNATURE', reason: 'accepted' }] },
      FIXTURE_RULES,
    );
    const report = build([...others(), test('sig', ['TOKEN-SIGNATURE'], [], { outcome: 'timedOut' })], {
      baseline,
    });
    expect(report.verdict).toBe('incomplete');
  });

  t('bad baseline files give one clear line naming the entry', () => {
    const dir = tempDir('baseline-');
    const write = (name: string, text: string): string => {
      const file = join(dir, name);
      writeFileSync(file, text);
      return file;
    };
    const message = (file: string): string => {
      try {
        loadBaseline(file, FIXTURE_RULES);
      } catch (e) {
        expect(e).toBeInstanceOf(BaselineError);
        return (e as Error).message;
      }
      throw new Error(`expected ${file} to be rejected`);
    };
    const unknown = message(
      write('unknown.json', JSON.stringify({ version: 1, rules: [{ id: 'TOKEN-NOPE', reason: 'x' }] })),
    );
    expect(unknown).toContain('rules[0] (TOKEN-NOPE)');
    expect(unknown).toContain('unknown rule ID');
    const noReason = message(
      write(
        'noreason.json',
        JSON.stringify({
          version: 1,
          rules: [{ id: 'TOKEN-SIGNATURE', reason: 'ok' }, { id: 'TOKEN-ISSUER' }],
        }),
      ),
    );
    expect(noReason).toContain('rules[1] (TOKEN-ISSUER)');
    expect(noReason).toContain('reason');
    const empty = message(
      write('empty.json', JSON.stringify({ version: 1, rules: [{ id: 'TOKEN-ISSUER', reason: '  ' }] })),
    );
    expect(empty).toContain('rules[0] (TOKEN-ISSUER)');
    expect(message(write('version.json', JSON.stringify({ version: 2, rules: [] })))).toContain('version');
    expect(message(write('notjson.json', '{ version: 1'))).toContain('is not JSON');
    expect(message(join(dir, 'missing.json'))).toContain('cannot be read');
    expect(
      message(
        write(
          'dup.json',
          JSON.stringify({
            version: 1,
            rules: [
              { id: 'TOKEN-ISSUER', reason: 'a' },
              { id: 'TOKEN-ISSUER', reason: 'b' },
            ],
          }),
        ),
      ),
    ).toContain('twice');
    for (const m of [unknown, noReason, empty]) expect(m.split('\n')).toHaveLength(1);
  });
});
