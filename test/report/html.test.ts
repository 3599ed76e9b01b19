import { expect, test as t, type Page } from '@playwright/test';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  APP,
  build,
  finding,
  incompleteResults,
  notReadyResults,
  readyResults,
  solidPng,
  test,
} from './fixtures.ts';
import { attachScreenshot } from '../attach-screenshot.ts';
import { renderHtml } from '../../src/report/render-html.ts';
import { writeReport } from '../../src/report/write.ts';
import { removeTempDirs, tempDir } from '../temp-dir.ts';

t.afterEach(removeTempDirs);

/**
 * Records and aborts every request the page makes except loading the report itself (data: URIs
 * are not requests); the tests expect the list to stay empty.
 */
async function forbidNetwork(page: Page, allowed?: string): Promise<string[]> {
  const requests: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith('data:') && r.url() !== allowed) requests.push(r.url());
  });
  await page.route('**', async (route) => {
    if (route.request().url() === allowed) return route.continue();
    requests.push(route.request().url());
    return route.abort();
  });
  return requests;
}

t.describe('index.html in Chromium', () => {
  t(
    'not-ready report: verdict first, failed rule with evidence and docs link, no network',
    async ({ page }) => {
      const shot = solidPng(64, 40, [200, 40, 40]);
      const results = notReadyResults();
      results.push(
        test(
          'error-page',
          ['TOKEN-ISSUER'],
          [
            finding({
              rule: 'TOKEN-ISSUER',
              check: 'error-page',
              title: 'error page shown',
              status: 'pass',
              message: 'the app showed an error page',
              evidence: [
                {
                  kind: 'file',
                  label: 'error page screenshot',
                  path: '/in-flight/shot.png',
                  contentType: 'image/png',
                },
              ],
            }),
          ],
        ),
      );
      const dir = tempDir('so-html-');
      await writeReport(build(results), dir, {
        screenshotsAndFiles: { '/in-flight/shot.png': shot },
        env: {},
      });
      const url = pathToFileURL(join(dir, 'index.html')).href;
      const requests = await forbidNetwork(page, url);
      await page.goto(url);

      const verdict = page.locator('#verdict');
      await expect(verdict).toBeVisible();
      await expect(verdict.locator('.word')).toHaveText('Not ready');
      await expect(verdict).toContainText('2 blocking rules failed: TOKEN-SIGNATURE, SECRET-AS-PASSWORD');
      // verdict comes first, then categories, then rules (failed first), checklist last.
      const order = await page
        .locator('main > *')
        .evaluateAll((els) => els.map((e) => e.id || e.tagName.toLowerCase()));
      expect(order).toEqual(['verdict', 'categories', 'rules', 'checklist', 'footer']);
      const ruleOrder = await page
        .locator('#rules .rule')
        .evaluateAll((els) => els.map((e) => `${e.getAttribute('data-status')}:${e.id}`));
      expect(ruleOrder.slice(0, 3)).toEqual([
        'fail:rule-TOKEN-SIGNATURE',
        'fail:rule-SECRET-AS-PASSWORD',
        'fail:rule-AUTH-STATE',
      ]);
      expect(ruleOrder.map((s) => s.split(':')[0])).toEqual([
        'fail',
        'fail',
        'fail',
        'warn',
        'pass',
        'pass',
        'pass',
        'not-applicable',
      ]);

      const sig = page.locator('#rule-TOKEN-SIGNATURE');
      await expect(sig).toBeVisible();
      await expect(sig).toContainText('app accepted an id_token whose payload was edited after signing');
      await expect(sig.locator('mark.tampered')).toHaveText(
        '  "http://schemes.superoffice.net/identity/ctx": "Cust99999"',
      );
      expect(await sig.locator('.token-part pre').nth(1).innerText()).toBe(
        '{\n  "iss": "https://sod.superoffice.com",\n  "sub": "user@example.com",\n  "http://schemes.superoffice.net/identity/ctx": "Cust99999"\n}',
      );
      await expect(sig.locator('.exchange .request-line')).toHaveText(
        'GET http://127.0.0.1:5050/callback?code=abc&state=xyz → 302',
      );
      await expect(sig.locator('.exchange')).toContainText('cookie: sid=[REDACTED:cookie]');
      await expect(sig).toContainText('Validate the id_token signature with the environment JWKS');
      const docs = sig.getByRole('link', { name: 'Validate security tokens' });
      await expect(docs).toBeVisible();
      await expect(docs).toHaveAttribute(
        'href',
        'https://docs.superoffice.com/en/api/authentication/online/validate-security-tokens.html',
      );

      // screenshot evidence is inline as a data: URI (the rule is a pass, so open its details first)
      const issuer = page.locator('#rule-TOKEN-ISSUER');
      await issuer.locator('summary').click();
      const img = issuer.locator('figure.screenshot img');
      await expect(img).toBeVisible();
      expect(await img.getAttribute('src')).toMatch(/^data:image\/png;base64,/);
      expect(await img.evaluate((i: HTMLImageElement) => i.naturalWidth)).toBeGreaterThan(0);

      // manual rule as a checklist item with the docs link
      const manual = page.locator('#checklist #rule-AUTH-NO-CREDENTIAL-STORE');
      await expect(manual.locator('input[type=checkbox]')).toBeVisible();
      await expect(manual.getByRole('link', { name: 'Certification checklist' })).toBeVisible();
      await expect(page.locator('#checklist')).toContainText('REDIRECT-HTTPS');

      await page.setViewportSize({ width: 1366, height: 900 });
      await attachScreenshot(page, 'report', true);
      expect(requests).toEqual([]);
    },
  );

  t('filters by status and category, with and without JavaScript', async ({ browser }) => {
    const html = renderHtml(build(notReadyResults()));
    for (const javaScriptEnabled of [true, false]) {
      const context = await browser.newContext({ javaScriptEnabled });
      const page = await context.newPage();
      const requests = await forbidNetwork(page);
      await page.setContent(html);
      const visible = () => page.locator('#rules .rule:visible').evaluateAll((els) => els.map((e) => e.id));
      expect(await visible()).toHaveLength(8);
      await page.locator('#f-status-pass').uncheck();
      expect(await visible()).toEqual([
        'rule-TOKEN-SIGNATURE',
        'rule-SECRET-AS-PASSWORD',
        'rule-AUTH-STATE',
        'rule-TOKEN-JWKS-REFRESH',
        'rule-AUTH-PKCE-NATIVE',
      ]);
      await page.locator('#f-category-tokens').uncheck();
      expect(await visible()).toEqual([
        'rule-SECRET-AS-PASSWORD',
        'rule-AUTH-STATE',
        'rule-AUTH-PKCE-NATIVE',
      ]);
      await page.locator('#f-status-pass').check();
      await page.locator('#f-category-tokens').check();
      expect(await visible()).toHaveLength(8);
      if (javaScriptEnabled) await expect(page.locator('#filter-count')).toHaveText('8 of 8 rules shown');
      expect(requests).toEqual([]);
      await context.close();
    }
  });

  t('print media shows every rule and every detail', async ({ page }) => {
    await page.setContent(renderHtml(build(notReadyResults())));
    const passDetails = page.locator('#rule-TOKEN-ISSUER .rule-body p').first();
    await expect(passDetails).toBeHidden();
    await page.locator('#f-status-pass').uncheck();
    await page.emulateMedia({ media: 'print' });
    await expect(passDetails).toBeVisible();
    await expect(page.locator('#rule-TOKEN-ISSUER')).toBeVisible();
    await expect(page.locator('#filters')).toBeHidden();
  });

  t('ready and incomplete verdicts', async ({ page }) => {
    await page.setContent(renderHtml(build(readyResults())));
    await expect(page.locator('#verdict .word')).toHaveText('Ready');
    await page.setContent(renderHtml(build(incompleteResults(), { runErrors: ['the app did not start'] })));
    await expect(page.locator('#verdict .word')).toHaveText('Incomplete');
    await expect(page.locator('#run-errors')).toContainText('the app did not start');
    await expect(page.locator('#rules .rule').first()).toHaveAttribute('id', 'rule-TOKEN-ISSUER');
  });

  t('XSS: app text, evidence, messages and token values render as literal text', async ({ page }) => {
    const payloads = [
      '<script>window.__pwned=1</script>',
      '"><img src=x onerror=window.__pwned=1>',
      "'><svg onload=window.__pwned=1>",
      '</pre></details><iframe srcdoc="<script>parent.__pwned=1</script>">',
      '<a href="javascript:window.__pwned=1">click</a>',
      '`${window.__pwned=1}`',
    ];
    const all = payloads.join(' ');
    const results = readyResults().filter((r) => !r.ruleIds.includes('TOKEN-SIGNATURE'));
    results.push(
      test(
        `xss ${payloads[0]}`,
        ['TOKEN-SIGNATURE'],
        [
          finding({
            rule: 'TOKEN-SIGNATURE',
            check: 'xss',
            title: `title ${payloads[1]}`,
            status: 'fail',
            message: `message ${all}`,
            evidence: [
              { kind: 'text', label: payloads[2] ?? '', text: all },
              {
                kind: 'exchange',
                label: payloads[3] ?? '',
                method: 'GET',
                url: `http://127.0.0.1/${payloads[1]}`,
                requestHeaders: { [`x-${payloads[0]}`]: payloads[1] ?? '' },
                responseBody: all,
              },
              {
                kind: 'token',
                label: 'forged',
                header: { alg: payloads[0] },
                payload: { [payloads[1] ?? 'k']: payloads[4], sub: payloads[3] },
                tampered: [payloads[1] ?? ''],
              },
              {
                kind: 'file',
                label: payloads[1] ?? '',
                path: 'javascript:window.__pwned=1',
                contentType: 'image/png',
              },
            ],
          }),
        ],
        { error: all },
      ),
    );
    const report = build(results, {
      app: { ...APP, name: `Acme ${payloads[0]} ${payloads[1]}`, baseURL: payloads[2] ?? '' },
      runErrors: [all],
    });
    let dialog = false;
    page.on('dialog', async (d) => {
      dialog = true;
      await d.dismiss();
    });
    const requests = await forbidNetwork(page);
    const html = renderHtml(report, {
      evidenceFiles: {
        'javascript:window.__pwned=1': {
          contentType: 'image/svg+xml',
          data: '<svg onload="window.__pwned=1"/>',
        },
      },
    });
    // Without the CSP meta too, so escaping alone is tested.
    for (const variant of [html, html.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, '')]) {
      await page.setContent(variant);
      await page
        .locator('details')
        .evaluateAll((els) => els.forEach((d) => ((d as HTMLDetailsElement).open = true)));
      await page.locator('a').evaluateAll((els) => els.map((a) => a.getAttribute('href')));
      expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
      expect(await page.locator('script').count()).toBe(1);
      expect(await page.locator('img, svg, iframe').count()).toBe(0);
      expect(await page.locator('a[href^="javascript:"]').count()).toBe(0);
      await expect(page.locator('h1')).toHaveText(`Acme ${payloads[0]} ${payloads[1]}`);
      const text = await page.locator('body').innerText();
      for (const p of payloads) expect(text).toContain(p);
      await expect(page.locator('#rule-TOKEN-SIGNATURE .check-message')).toHaveText(`message ${all}`);
    }
    expect(dialog).toBe(false);
    expect(requests).toEqual([]);
  });
});
