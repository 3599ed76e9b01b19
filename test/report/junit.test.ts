import { expect, test as t } from '@playwright/test';
import { build, finding, incompleteResults, notReadyResults, readyResults, test } from './fixtures.ts';
import { renderJunit, xmlEscape } from '../../src/report/render-junit.ts';
import { parseXml, type El } from './xml.ts';

const kids = (el: El, name: string) => el.children.filter((c) => c.name === name);
const num = (el: El, attr: string) => Number(el.attrs[attr]);

t.describe('junit.xml', () => {
  t('one testsuite per rule, one testcase per check, counts right', () => {
    const report = build(notReadyResults());
    const root = parseXml(renderJunit(report));
    expect(root.name).toBe('testsuites');
    const suites = kids(root, 'testsuite');
    expect(suites.map((s) => s.attrs['name'])).toEqual(report.rules.map((r) => r.id));
    for (const suite of suites) {
      const rule = report.rules.find((r) => r.id === suite.attrs['name']);
      const cases = kids(suite, 'testcase');
      expect(cases.length).toBe(Math.max(1, rule?.checks.length ?? 0));
      expect(num(suite, 'tests')).toBe(cases.length);
      for (const tag of ['failure', 'error', 'skipped'] as const) {
        const attr = tag === 'failure' ? 'failures' : tag === 'error' ? 'errors' : 'skipped';
        expect(num(suite, attr)).toBe(cases.filter((c) => kids(c, tag).length).length);
      }
      for (const c of cases) expect(c.attrs['classname']).toBe(suite.attrs['name']);
    }
    const sig = suites.find((s) => s.attrs['name'] === 'TOKEN-SIGNATURE') as El;
    const [failed, passed] = kids(sig, 'testcase');
    expect(failed?.attrs['name']).toBe('id_token whose payload was edited after signing is rejected');
    const failure = kids(failed as El, 'failure')[0];
    expect(failure?.attrs['message']).toBe('app accepted an id_token whose payload was edited after signing');
    expect(failure?.text).toContain('callback accepted: GET http://127.0.0.1:5050/callback');
    expect(failure?.text).toContain('docs: Validate security tokens https://docs.superoffice.com');
    expect(passed?.children).toHaveLength(0);
    // advisory failure is a failure with a marker; manual / n/a rules are one skipped testcase.
    const state = suites.find((s) => s.attrs['name'] === 'AUTH-STATE') as El;
    expect(kids(kids(state, 'testcase')[0] as El, 'failure')[0]?.attrs['message']).toMatch(/^\[advisory\] /);
    const manual = suites.find((s) => s.attrs['name'] === 'AUTH-NO-CREDENTIAL-STORE') as El;
    expect(kids(kids(manual, 'testcase')[0] as El, 'skipped')[0]?.attrs['message']).toMatch(/^manual: /);
    const na = suites.find((s) => s.attrs['name'] === 'AUTH-PKCE-NATIVE') as El;
    expect(kids(kids(na, 'testcase')[0] as El, 'skipped')[0]?.attrs['message']).toMatch(/^not-applicable: /);
    // totals
    const sum = (attr: string) => suites.reduce((n, s) => n + num(s, attr), 0);
    for (const attr of ['tests', 'failures', 'errors', 'skipped']) expect(num(root, attr)).toBe(sum(attr));
  });

  t('errors and run errors', () => {
    const root = parseXml(
      renderJunit(build(incompleteResults(), { runErrors: ['the app did not start: exit code 1'] })),
    );
    const run = kids(root, 'testsuite').find((s) => s.attrs['name'] === 'run') as El;
    expect(kids(kids(run, 'testcase')[0] as El, 'error')[0]?.attrs['message']).toBe(
      'the app did not start: exit code 1',
    );
    const issuer = kids(root, 'testsuite').find((s) => s.attrs['name'] === 'TOKEN-ISSUER') as El;
    expect(num(issuer, 'errors')).toBe(1);
    expect(kids(kids(issuer, 'testcase')[0] as El, 'error')[0]?.attrs['message']).toContain('timed out');
    expect(num(root, 'errors')).toBe(2);
  });

  t('hostile text stays well-formed: quotes, ]]>, control characters, lone surrogates', () => {
    const nasty = `a"b'c<d>&e ]]> f\u0000g\u0007h\u001b[31m \uD800 i\r\nj\tk <![CDATA[ x ]]>`;
    const results = readyResults().filter((r) => !r.ruleIds.includes('TOKEN-ISSUER'));
    results.push(
      test(
        'iss',
        ['TOKEN-ISSUER'],
        [
          finding({
            rule: 'TOKEN-ISSUER',
            check: 'x',
            title: nasty,
            status: 'fail',
            message: nasty,
            evidence: [{ kind: 'text', label: nasty, text: nasty }],
          }),
        ],
      ),
    );
    const xml = renderJunit(build(results));
    const root = parseXml(xml);
    const issuer = kids(root, 'testsuite').find((s) => s.attrs['name'] === 'TOKEN-ISSUER') as El;
    const tc = kids(issuer, 'testcase')[0] as El;
    // eslint-disable-next-line no-control-regex
    const expected = nasty.replace(/[\u0000\u0007\u001b\uD800]/g, '');
    expect(tc.attrs['name']).toBe(expected);
    expect(kids(tc, 'failure')[0]?.attrs['message']).toBe(expected);
    expect(kids(tc, 'failure')[0]?.text).toContain(expected);
  });

  t('the escaping function', () => {
    expect(xmlEscape(`<a href="x">'&'</a>`, 'attribute')).toBe(
      '&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;',
    );
    expect(xmlEscape('x]]>y', 'text')).toBe('<![CDATA[x]]]]><![CDATA[>y]]>');
    expect(xmlEscape('a\u0001b', 'text')).toBe('<![CDATA[ab]]>');
  });
});
