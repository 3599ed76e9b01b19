import { expect, test as t } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import * as formats from 'ajv-formats';
import { build, incompleteResults, notReadyResults, readyResults } from './fixtures.ts';
import { renderJson } from '../../src/report/render-json.ts';
import { validateReport } from '../../src/report/schema.ts';

const fixtures = {
  ready: () => build(readyResults()),
  'not-ready': () => build(notReadyResults()),
  incomplete: () =>
    build(incompleteResults(), {
      runErrors: ['browser missing'],
      selectedRules: ['TOKEN-ISSUER', 'TOKEN-SIGNATURE'],
    }),
};

t.describe('readiness.json', () => {
  for (const [name, make] of Object.entries(fixtures)) {
    t(`${name} report is valid against the schema (validateReport and a fresh ajv)`, () => {
      const json = JSON.parse(renderJson(make()));
      expect(json.verdict).toBe(name);
      expect(validateReport(json)).toEqual({ ok: true, errors: [] });
      const schema = JSON.parse(
        readFileSync(new URL('../../schema/readiness-report.schema.json', import.meta.url), 'utf8'),
      );
      const ajv = new Ajv2020({ strict: true, allErrors: true });
      const plugin = (formats as unknown as { default: (a: Ajv2020) => void }).default;
      (typeof plugin === 'function' ? plugin : (plugin as { default: (a: Ajv2020) => void }).default)(ajv);
      const validate = ajv.compile(schema);
      expect(validate(json), JSON.stringify(validate.errors)).toBe(true);
    });
  }

  t('a broken report fails validation with useful messages', () => {
    const json = JSON.parse(renderJson(build(notReadyResults())));
    json.verdict = 'maybe';
    json.rules[0].status = 'passed';
    json.rules[0].surprise = true;
    delete json.summary.failed;
    json.rules[0].checks[0].evidence[0] = { kind: 'token', label: 'x' };
    const result = validateReport(json);
    expect(result.ok).toBe(false);
    const text = result.errors.join('\n');
    expect(text).toContain('/verdict');
    expect(text).toContain('/rules/0/status');
    expect(text).toContain('surprise');
    expect(text).toContain('failed');
    expect(text).toContain('/rules/0/checks/0/evidence/0');
    expect(validateReport({}).ok).toBe(false);
    expect(validateReport(null).ok).toBe(false);
  });

  t('stable key order and 2-space indent', () => {
    const report = build(notReadyResults());
    const shuffled = JSON.parse(JSON.stringify(report), (_k, v) =>
      v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse()) : v,
    );
    expect(renderJson(shuffled)).toBe(renderJson(report));
    const text = renderJson(report);
    expect(text.startsWith('{\n  "schemaVersion": "1.0",\n  "tool": {\n    "name": "so-preflight",')).toBe(
      true,
    );
    expect(Object.keys(JSON.parse(text))).toEqual([
      'schemaVersion',
      'tool',
      'app',
      'startedAt',
      'durationMs',
      'verdict',
      'verdictReason',
      'summary',
      'runErrors',
      'rules',
    ]);
    expect(Object.keys(JSON.parse(text).rules[0]).slice(0, 8)).toEqual([
      'id',
      'title',
      'requirement',
      'category',
      'severity',
      'automation',
      'status',
      'reason',
    ]);
  });
});
