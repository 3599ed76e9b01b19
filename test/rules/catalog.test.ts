import { test, expect } from '@playwright/test';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import {
  ATTESTATION_ITEMS,
  CATEGORIES,
  RULES,
  getRule,
  ruleApplies,
  ruleIds,
  rulesFor,
  superOfficeDocUrl,
} from '../../src/rules/index.ts';
import type { AppType, Category, Certification } from '../../src/rules/index.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** CI copies shared/ next to the repository, so the reference lives at ../shared from the repo root. */
const REFERENCE_PATH = path.resolve(REPO_ROOT, '../shared/superoffice/REFERENCE.md');
const ADDED_RULES = ['REDIRECT-OPEN'];

const SECTION_CATEGORY: Record<string, Category> = {
  '2.1': 'authentication',
  '2.2': 'tokens',
  '2.3': 'redirects',
  '2.4': 'secrets',
  '2.5': 'session',
  '2.6': 'tenant',
  '2.7': 'api',
  '2.8': 'provisioning',
  '2.9': 'operations',
};

interface ReferenceRow {
  id: string;
  section: string;
  app: string;
  check: string;
}

/** The rule rows of REFERENCE.md sections 2.1-2.9 (first table column is the ID). */
function parseReference(text: string): ReferenceRow[] {
  const rows: ReferenceRow[] = [];
  let section: string | undefined;
  for (const line of text.split('\n')) {
    const heading = /^###\s+(2\.\d+)\s/.exec(line);
    if (heading) {
      section = heading[1] in SECTION_CATEGORY ? heading[1] : undefined;
      continue;
    }
    if (/^##\s/.test(line)) section = undefined;
    if (!section || !line.startsWith('|')) continue;
    const cells = line
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
    if (cells.length < 5 || cells[0] === 'ID' || /^-+$/.test(cells[0] ?? '')) continue;
    // `TICKET-NOT-IN-URL (usec)`: the ID is the leading token.
    const id = /^`?([A-Z][A-Z0-9.]*(?:-[A-Z0-9.]+)*)/.exec(cells[0]!)?.[1];
    if (!id)
      throw new Error(`REFERENCE.md ${section}: cannot read a rule ID from ${JSON.stringify(cells[0])}`);
    rows.push({ id, section, app: cells[2]!, check: cells[4]! });
  }
  return rows;
}

const APP_TYPES: readonly AppType[] = ['web', 'native', 'server-to-server'];
const CERTS: readonly Certification[] = ['standard', 'custom'];

test.describe('catalog against REFERENCE.md', () => {
  const present = existsSync(REFERENCE_PATH);
  test.skip(
    !present,
    `REFERENCE.md not found at ${REFERENCE_PATH} (expected shared/ next to the repository)`,
  );
  const rows = present ? parseReference(readFileSync(REFERENCE_PATH, 'utf8')) : [];

  test('the parser finds the rule tables', () => {
    expect(new Set(rows.map((r) => r.section)).size).toBe(9);
    expect(rows.length).toBeGreaterThanOrEqual(91);
    expect(rows.map((r) => r.id)).toContain('TICKET-NOT-IN-URL');
    expect(rows.map((r) => r.id)).toContain('TLS-1.2');
  });

  test('rule IDs are exactly the REFERENCE rows plus the added rules', () => {
    expect([...ruleIds()].sort()).toEqual([...rows.map((r) => r.id), ...ADDED_RULES].sort());
  });

  test('rules keep REFERENCE order', () => {
    expect(ruleIds().filter((id) => !ADDED_RULES.includes(id))).toEqual(rows.map((r) => r.id));
  });

  test('each rule is in the category of its REFERENCE section', () => {
    for (const row of rows) {
      expect(getRule(row.id)?.category, row.id).toBe(SECTION_CATEGORY[row.section]);
    }
  });

  test('severity follows the App column', () => {
    for (const row of rows) {
      const sev = getRule(row.id)!.severity;
      if (row.app.startsWith('ADV')) {
        expect(sev, row.id).toEqual({ standard: 'advisory', custom: 'advisory' });
      } else if (row.app.startsWith('S+C')) {
        expect(sev.standard, row.id).toBe('blocking');
        expect(sev.custom, row.id).toBe('blocking');
      } else if (row.app === 'S' || (/^S \(/.test(row.app) && !/\bC\b/.test(row.app))) {
        expect(sev, row.id).toEqual({ standard: 'blocking' });
      } else if (row.app === 'C') {
        expect(sev, row.id).toEqual({ custom: 'blocking' });
      } else {
        // Mixed rows ("S (checklist); ADV for C", "C (hard number); S (qualitative)", ...): both apply.
        expect(sev.standard, row.id).toBeDefined();
        expect(sev.custom, row.id).toBeDefined();
      }
    }
  });

  test('rows whose check is manual are manual rules', () => {
    for (const row of rows.filter((r) => /^Manual/.test(r.check))) {
      expect(getRule(row.id)?.automation, row.id).toBe('manual');
    }
  });

  test('SuperOffice doc links name pages the reference cites', () => {
    const text = readFileSync(REFERENCE_PATH, 'utf8');
    for (const rule of RULES) {
      for (const doc of rule.docs.filter((d) => d.url.startsWith('https://docs.superoffice.com/'))) {
        const base = doc.url
          .split('/')
          .pop()!
          .replace(/\.html$/, '.md');
        expect(text.includes(base), `${rule.id}: ${doc.url}`).toBe(true);
      }
    }
  });
});

test.describe('catalog fields', () => {
  test('IDs are unique and well formed', () => {
    const ids = ruleIds();
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[A-Z][A-Z0-9]*(-[A-Z0-9.]+)*$/);
  });

  test('every rule has the fields the report needs', () => {
    for (const rule of RULES) {
      expect(rule.title.trim(), rule.id).not.toBe('');
      expect(rule.title, rule.id).not.toMatch(/\.$/);
      expect(rule.requirement.trim(), rule.id).not.toBe('');
      expect(rule.check.trim(), rule.id).not.toBe('');
      expect(rule.remediation.trim().length, rule.id).toBeGreaterThan(60);
      expect(CATEGORIES, rule.id).toContain(rule.category);
      expect(['automated', 'partial', 'manual'], rule.id).toContain(rule.automation);
    }
  });

  test('every rule has a severity for at least one certification', () => {
    for (const rule of RULES) {
      const entries = Object.entries(rule.severity);
      expect(entries.length, rule.id).toBeGreaterThan(0);
      for (const [cert, sev] of entries) {
        expect(CERTS, rule.id).toContain(cert);
        expect(['blocking', 'advisory'], rule.id).toContain(sev);
      }
    }
  });

  test('every rule has valid, distinct app types', () => {
    for (const rule of RULES) {
      expect(rule.appTypes.length, rule.id).toBeGreaterThan(0);
      expect(new Set(rule.appTypes).size, rule.id).toBe(rule.appTypes.length);
      for (const t of rule.appTypes) expect(APP_TYPES, rule.id).toContain(t);
    }
  });

  test('every rule links SuperOffice documentation or an RFC', () => {
    for (const rule of RULES) {
      expect(rule.docs.length, rule.id).toBeGreaterThan(0);
      expect(
        rule.docs.some(
          (d) =>
            d.url.startsWith('https://docs.superoffice.com/') ||
            d.url.startsWith('https://www.rfc-editor.org/'),
        ),
        rule.id,
      ).toBe(true);
      for (const doc of rule.docs) {
        expect(doc.title.trim(), rule.id).not.toBe('');
        expect(doc.url, rule.id).toMatch(
          /^(https:\/\/docs\.superoffice\.com\/en\/[a-z0-9/-]+\.html|https:\/\/www\.rfc-editor\.org\/rfc\/rfc\d+(#section-[\d.]+)?)$/,
        );
        // Include files are not published as pages of their own.
        expect(doc.url, rule.id).not.toContain('/includes/');
      }
      expect(new Set(rule.docs.map((d) => d.url)).size, `${rule.id} has duplicate links`).toBe(
        rule.docs.length,
      );
    }
  });

  test('the catalog is frozen', () => {
    expect(Object.isFrozen(RULES)).toBe(true);
    expect(Object.isFrozen(RULES[0])).toBe(true);
    expect(Object.isFrozen(RULES[0]!.severity)).toBe(true);
  });

  test('REDIRECT-OPEN is a blocking web redirect rule with SuperOffice and RFC 9700 links', () => {
    const rule = getRule('REDIRECT-OPEN')!;
    expect(rule.category).toBe('redirects');
    expect(rule.severity).toEqual({ standard: 'blocking', custom: 'blocking' });
    expect(rule.appTypes).toEqual(['web']);
    expect(rule.docs.map((d) => d.url)).toEqual(
      expect.arrayContaining([
        'https://docs.superoffice.com/en/developer-portal/standard-app/requirements/security.html',
        'https://www.rfc-editor.org/rfc/rfc9700#section-4.11',
      ]),
    );
  });

  test('severities decided row by row', () => {
    const sev = (id: string) => getRule(id)!.severity;
    expect(sev('AUTH-STATE')).toEqual({ standard: 'advisory', custom: 'advisory' });
    expect(sev('AUTH-NONCE')).toEqual({ standard: 'blocking', custom: 'blocking' });
    expect(sev('COOKIE-HTTPONLY-SECURE')).toEqual({ standard: 'blocking', custom: 'blocking' });
    expect(sev('TOKEN-JWKS-REFRESH')).toEqual({ standard: 'advisory', custom: 'advisory' });
    expect(sev('SECRET-NOT-IN-URL')).toEqual({ standard: 'advisory', custom: 'advisory' });
    expect(sev('REDIRECT-LOOPBACK-IP')).toEqual({ standard: 'advisory', custom: 'advisory' });
    expect(sev('PROV-AUTOMATIC')).toEqual({ standard: 'blocking', custom: 'advisory' });
    expect(sev('API-RATE-10PS')).toEqual({ standard: 'advisory', custom: 'blocking' });
    expect(sev('LIC-DEVTOOLS')).toEqual({ custom: 'blocking' });
  });
});

test.describe('applicability', () => {
  const ids = (cert: Certification, type: AppType) => rulesFor(cert, type).map((r) => r.id);

  test('AUTH-PKCE-NATIVE and REDIRECT-LOOPBACK-IP apply to native apps only', () => {
    for (const id of ['AUTH-PKCE-NATIVE', 'REDIRECT-LOOPBACK-IP']) {
      for (const cert of CERTS) {
        expect(ids(cert, 'native')).toContain(id);
        expect(ids(cert, 'web')).not.toContain(id);
        expect(ids(cert, 'server-to-server')).not.toContain(id);
      }
    }
  });

  test('system-user rules apply to server-to-server apps only', () => {
    for (const id of ['TOKEN-SYSUSER-VALIDATE', 'API-SYSUSER-CACHE', 'PRIVATE-KEY-SAFE']) {
      expect(getRule(id)!.appTypes, id).toEqual(['server-to-server']);
      expect(ids('standard', 'server-to-server')).toContain(id);
      expect(ids('standard', 'web')).not.toContain(id);
    }
  });

  test('cookie and webhook rules apply to apps with a web UI, not native apps', () => {
    const webUi = RULES.filter((r) => r.id.startsWith('COOKIE-')).map((r) => r.id);
    expect(webUi.length).toBeGreaterThan(0);
    for (const id of [...webUi, 'TOKEN-WEBHOOK-VALIDATE', 'STATUS-WEBHOOK']) {
      expect(getRule(id)!.appTypes, id).toEqual(['web', 'server-to-server']);
      expect(ids('standard', 'native')).not.toContain(id);
    }
  });

  test('a C-only rule does not apply to standard apps, an S-only rule not to custom apps', () => {
    for (const type of APP_TYPES) {
      expect(ids('standard', type)).not.toContain('LIC-DEVTOOLS');
      expect(ids('custom', type)).toContain('LIC-DEVTOOLS');
      expect(ids('custom', type)).not.toContain('ERR-THROTTLE-UX');
      expect(ids('standard', type)).toContain('ERR-THROTTLE-UX');
    }
  });

  test('rulesFor equals RULES filtered by ruleApplies, in catalog order', () => {
    for (const cert of CERTS) {
      for (const type of APP_TYPES) {
        const expected = RULES.filter((r) => ruleApplies(r, cert, type)).map((r) => r.id);
        expect(ids(cert, type)).toEqual(expected);
        expect(expected.length).toBeGreaterThan(0);
        expect(expected.length).toBeLessThan(RULES.length);
      }
    }
  });

  test('ruleApplies needs both the certification and the app type', () => {
    const rule = getRule('STATUS-WEBHOOK')!;
    expect(ruleApplies(rule, 'standard', 'web')).toBe(true);
    expect(ruleApplies(rule, 'custom', 'web')).toBe(false);
    expect(ruleApplies(rule, 'standard', 'native')).toBe(false);
  });

  test('getRule finds rules by ID and returns undefined otherwise', () => {
    expect(getRule('TOKEN-SIGNATURE')?.title).toBe('id_token signature is verified');
    expect(getRule('TICKET-NOT-IN-URL')).toBeDefined();
    expect(getRule('NO-SUCH-RULE')).toBeUndefined();
  });
});

test.describe('attestation items and doc links', () => {
  test('attestation items are distinct from rules and cover the business checklist', () => {
    const ids = ATTESTATION_ITEMS.map((i) => i.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(['BUSINESS-AGREEMENT', 'BUSINESS-DOCS', 'DESIGN-LOOK-FEEL']));
    for (const item of ATTESTATION_ITEMS) {
      expect(getRule(item.id), item.id).toBeUndefined();
      expect(item.title.trim()).not.toBe('');
      expect(item.docs.length).toBeGreaterThan(0);
    }
  });

  test('superOfficeDocUrl maps repository paths to published pages', () => {
    expect(superOfficeDocUrl('docs/en/api/authentication/online/validate-security-tokens.md')).toBe(
      'https://docs.superoffice.com/en/api/authentication/online/validate-security-tokens.html',
    );
    expect(() => superOfficeDocUrl('requirements/security.md')).toThrow(/docs\/en\/<page>\.md/);
  });
});
