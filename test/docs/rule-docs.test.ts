/**
 * The rule pages in docs/rules/ are generated from the catalog (test/docs/gen-rule-docs.ts). This
 * fails while a committed page differs from what the generator writes, so a rule, a gap or a
 * suite's tags cannot change without the documentation following.
 */
import { test, expect } from '@playwright/test';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { RULES } from '../../src/rules/index.ts';
import { KNOWN_GAPS } from '../../src/rules/gaps.ts';
import { RULE_DOCS_DIR, anchor, ruleDocs } from './gen-rule-docs.ts';

const REGENERATE = 'run "node test/docs/gen-rule-docs.ts" and commit docs/rules/';

test('docs/rules/ is what the generator writes from the catalog', async () => {
  const pages = await ruleDocs();
  for (const [name, text] of pages) {
    const file = join(RULE_DOCS_DIR, name);
    expect(existsSync(file), `docs/rules/${name} is missing: ${REGENERATE}`).toBe(true);
    expect(readFileSync(file, 'utf8'), `docs/rules/${name} is stale: ${REGENERATE}`).toBe(text);
  }
  const extra = readdirSync(RULE_DOCS_DIR).filter((f) => !pages.has(f));
  expect(extra, `files in docs/rules/ that the generator does not write: ${REGENERATE}`).toEqual([]);
});

test('every rule has its own section on its category page, with a working anchor', async () => {
  const pages = await ruleDocs();
  for (const rule of RULES) {
    const page = pages.get(`${rule.category}.md`) ?? '';
    const headings = page.split('\n').filter((l) => l === `## ${rule.id}`);
    expect(headings, `${rule.id} on docs/rules/${rule.category}.md`).toHaveLength(1);
    expect(page, `${rule.id}: the table links its section`).toContain(`](#${anchor(rule.id)})`);
    expect(page).toContain(rule.remediation);
  }
});

test('rules without a built check say so instead of describing one as if it ran', async () => {
  const pages = await ruleDocs();
  for (const [id, reason] of Object.entries(KNOWN_GAPS)) {
    const rule = RULES.find((r) => r.id === id)!;
    const page = pages.get(`${rule.category}.md`) ?? '';
    const section = page.slice(page.indexOf(`## ${id}\n`)).split('\n## ')[0]!;
    expect(section, id).toContain(`Not checked automatically yet (${reason})`);
    expect(section, id).not.toContain('Checked in `suites/');
  }
});

test('GitHub-style anchors', () => {
  expect(anchor('TOKEN-SIGNATURE')).toBe('token-signature');
  expect(anchor('TLS-1.2')).toBe('tls-12');
  expect(anchor('Reading the report')).toBe('reading-the-report');
});
