import { expect, test as t } from '@playwright/test';
import { APP, build, incompleteResults, notReadyResults, readyResults } from './fixtures.ts';
import { renderMarkdown } from '../../src/report/render-markdown.ts';

t.describe('summary.md', () => {
  t('not ready: verdict line, table, failed rules with why and docs link', () => {
    const md = renderMarkdown(build(notReadyResults()));
    expect(md).toContain(
      '**Verdict: NOT READY.** 2 blocking rules failed: TOKEN\\-SIGNATURE, SECRET\\-AS\\-PASSWORD'.replace(
        /\\-/g,
        '-',
      ),
    );
    expect(md).toMatch(/\| failed \| 3 \|/);
    expect(md).toMatch(/\| passed \| 3 \|/);
    expect(md).toContain(
      '- **FAIL** `TOKEN-SIGNATURE` Token signatures are verified [blocking]: 1 of 2 checks failed: app accepted an id\\_token whose payload was edited after signing ([Validate security tokens](https://docs.superoffice.com/en/api/authentication/online/validate-security-tokens.html))',
    );
    expect(md).toContain('`AUTH-STATE`');
    expect(md).toContain('### Warnings');
    // emoji-free
    expect(md).not.toMatch(/\p{Extended_Pictographic}/u);
  });

  t('ready and incomplete', () => {
    expect(renderMarkdown(build(readyResults()))).toContain('**Verdict: READY.**');
    expect(renderMarkdown(build(readyResults()))).not.toContain('Failed and errored rules');
    const md = renderMarkdown(build(incompleteResults(), { runErrors: ['browser missing'] }));
    expect(md).toContain('**Verdict: INCOMPLETE.**');
    expect(md).toContain('### Run errors');
    expect(md).toContain('**ERROR** `TOKEN-ISSUER`');
  });

  t('app text cannot inject markup, links or images', () => {
    const md = renderMarkdown(
      build(readyResults(), {
        app: {
          ...APP,
          name: '![x](https://evil.example/p.png) <img src=x onerror=alert(1)> [click](javascript:alert(1))',
        },
      }),
    );
    expect(md).not.toContain('![x](');
    expect(md).not.toContain('<img');
    expect(md).not.toContain('[click](');
    expect(md).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });
});

t('terminal summary lines', async () => {
  const { summaryLines } = await import('../../src/report/terminal.ts');
  const lines = summaryLines(build(notReadyResults()), 'preflight-report');
  expect(lines[0]).toBe(
    'so-preflight: NOT READY: 2 blocking rules failed: TOKEN-SIGNATURE, SECRET-AS-PASSWORD',
  );
  expect(lines).toContain('  report: preflight-report/index.html');
  expect(lines.some((l) => l.startsWith('  FAIL AUTH-STATE [advisory]'))).toBe(true);
});
