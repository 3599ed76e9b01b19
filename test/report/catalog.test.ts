import { expect, test as t } from '@playwright/test';
import { ATTESTATION_ITEMS, RULES, ruleApplies } from '../../src/rules/index.ts';
import { buildReport } from '../../src/report/build.ts';
import { renderJson } from '../../src/report/render-json.ts';
import { renderHtml } from '../../src/report/render-html.ts';
import { renderJunit } from '../../src/report/render-junit.ts';
import { validateReport } from '../../src/report/schema.ts';
import { APP } from './fixtures.ts';

t.describe('with the real catalog', () => {
  for (const [certification, type] of [
    ['standard', 'web'],
    ['custom', 'server-to-server'],
    ['standard', 'native'],
  ] as const) {
    t(
      `an empty ${certification} ${type} run gives a schema-valid report listing every rule`,
      async ({ page }) => {
        const report = buildReport({
          app: { ...APP, certification, type },
          startedAt: new Date(0).toISOString(),
          durationMs: 0,
          toolVersion: '0.1.0',
          rules: RULES,
          results: [],
          runErrors: [],
          attestationItems: ATTESTATION_ITEMS,
          applies: ruleApplies,
        });
        expect(report.rules.map((r) => r.id)).toEqual(RULES.map((r) => r.id));
        expect(validateReport(JSON.parse(renderJson(report)))).toEqual({ ok: true, errors: [] });
        expect(report.attestation?.length ?? 0).toBe(
          ATTESTATION_ITEMS.filter((a) => a.certifications.includes(certification)).length,
        );
        expect(renderJunit(report)).toContain('<testsuites');
        await page.setContent(renderHtml(report));
        for (const rule of report.rules.filter((r) => r.status !== 'manual')) {
          await expect(page.locator(`[id="rule-${rule.id}"]`)).toHaveCount(1);
        }
        await expect(page.locator('#checklist li')).toHaveCount(
          report.rules.filter(
            (r) => r.status === 'manual' || (r.automation === 'partial' && r.status !== 'not-applicable'),
          ).length + (report.attestation?.length ?? 0),
        );
      },
    );
  }
});
