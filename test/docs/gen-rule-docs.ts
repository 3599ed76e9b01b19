/**
 * Generates the rule pages under docs/rules/ from the rule catalog (src/rules), the list of rules
 * whose checks are not built yet (src/rules/gaps.ts) and the rule tags of the suites. Run it after
 * changing a rule, a gap or a suite's tags:
 *
 *   node test/docs/gen-rule-docs.ts
 *
 * test/docs/rule-docs.test.ts fails while the committed pages differ from what this writes.
 */
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { ATTESTATION_ITEMS, CATEGORIES, RULES } from '../../src/rules/index.ts';
import type { Category, Rule } from '../../src/rules/index.ts';
import { KNOWN_GAPS } from '../../src/rules/gaps.ts';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
export const RULE_DOCS_DIR = join(REPO_ROOT, 'docs', 'rules');
const SUITES_DIR = join(REPO_ROOT, 'suites');
const GENERATOR = 'node test/docs/gen-rule-docs.ts';

const TITLES: Record<Category, string> = {
  authentication: 'Authentication and federation',
  tokens: 'Token validation',
  redirects: 'Redirects, endpoints and transport',
  secrets: 'Client secret, private key and token storage',
  session: 'Browser session and application security',
  tenant: 'Tenant status, availability and error handling',
  api: 'API usage and load',
  provisioning: 'Provisioning, data integrity and GDPR',
  operations: 'Logging and operations',
};

const INTROS: Record<Category, string> = {
  authentication:
    'How users sign in: through SuperID only, with the authorization code flow, `state`, `nonce` and (for native apps) PKCE, and how the app handles consent.',
  tokens:
    'Which tokens from SuperOffice the app must validate before it trusts them: id_tokens, system-user JWTs and state-change notification tokens.',
  redirects:
    'The redirect URLs registered with SuperOffice, the callback endpoint, open redirects and HTTPS on hosted code.',
  secrets:
    'Where the client secret, the private key (server-to-server apps), refresh and access tokens and system-user tickets may appear, and where they must not.',
  session:
    'Session cookies, escaping of tenant data, error pages, and the application-security items a reviewer asks about.',
  tenant:
    "How the app copes with the tenant's state (suspended, maintenance, moved), lost access and throttling.",
  api: 'How the app uses the tenant web API: the URLs from the claims, token refresh, caching and load.',
  provisioning:
    'What the app creates in a tenant when it is installed and removes when it is uninstalled, and how it treats CRM data.',
  operations: 'Logging, error e-mails, system messages and the operational commitments of a partner.',
};

const APP_TYPES = { web: 'web', native: 'native', 'server-to-server': 'server-to-server' } as const;

/** GitHub's heading anchor for a heading text. */
export function anchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function specFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((f) => {
      const p = join(dir, f);
      return statSync(p).isDirectory() ? specFiles(p) : p.endsWith('.spec.ts') ? [p] : [];
    });
}

/**
 * Suite files that judge each rule: their test tags (`@RULE-ID`) and findings (`rule: 'RULE-ID'`),
 * read the same way as test/rules/coverage.test.ts does.
 */
export function suitesByRule(): Map<string, string[]> {
  const byRule = new Map<string, string[]>();
  for (const file of specFiles(SUITES_DIR)) {
    const text = readFileSync(file, 'utf8');
    const ids = new Set<string>();
    for (const m of text.matchAll(/@([A-Z0-9]+(?:-[A-Z0-9.]+)+)/g)) ids.add(m[1]!);
    for (const m of text.matchAll(/rule: '([A-Z0-9]+(?:-[A-Z0-9.]+)+)'/g)) ids.add(m[1]!);
    const rel = relative(REPO_ROOT, file).split('\\').join('/');
    for (const id of ids) byRule.set(id, [...(byRule.get(id) ?? []), rel]);
  }
  return byRule;
}

function severityText(rule: Rule): string {
  const one = (kind: 'standard' | 'custom') => {
    const s = rule.severity[kind];
    return `${kind} apps: ${s ?? 'does not apply'}`;
  };
  return `${one('standard')}; ${one('custom')}`;
}

/** One line: on what the verdict for this rule rests. */
export function judgedBy(rule: Rule): string {
  const gap = KNOWN_GAPS[rule.id];
  if (rule.automation === 'manual') return 'attestation (so-preflight does not check it)';
  if (gap !== undefined) return 'attestation for now (the check is not built yet)';
  const partial = rule.automation === 'partial' ? ', partly; the rest is attestation' : '';
  if (rule.judgedFrom === 'configuration') return `your declared configuration${partial}`;
  return `the app's behaviour${partial}`;
}

function shortJudgedBy(rule: Rule): string {
  if (rule.automation === 'manual') return 'attestation';
  if (KNOWN_GAPS[rule.id] !== undefined) return 'not automated yet';
  const base = rule.judgedFrom === 'configuration' ? 'configuration' : 'behaviour';
  return rule.automation === 'partial' ? `${base} + attestation` : base;
}

function howChecked(rule: Rule, suites: readonly string[]): string[] {
  const gap = KNOWN_GAPS[rule.id];
  const lines: string[] = [];
  if (gap !== undefined) {
    lines.push(
      `Not checked automatically yet (${gap}). The report lists it with status \`manual\` in the attestation checklist; what the finished check will do: ${rule.check}`,
    );
    return lines;
  }
  if (rule.automation === 'manual') {
    lines.push(`${rule.check} The report lists it with status \`manual\` in the attestation checklist.`);
    return lines;
  }
  lines.push(rule.check);
  if (rule.judgedFrom === 'configuration')
    lines.push(
      'This is judged from what your config declares (for example `app.redirectUris`), not from the running app; the report says so.',
    );
  if (rule.automation === 'partial')
    lines.push('The part the harness cannot observe is listed in the attestation checklist.');
  if (suites.length) lines.push(`Checked in ${suites.map((s) => `\`${s}\``).join(', ')}.`);
  return lines;
}

function rulePage(category: Category, rules: readonly Rule[], suites: Map<string, string[]>): string {
  const out: string[] = [];
  out.push(`<!-- Generated by \`${GENERATOR}\` from src/rules. Edit the catalog, not this file. -->`);
  out.push('');
  out.push(`# ${TITLES[category]} (\`${category}\`)`);
  out.push('');
  out.push(INTROS[category]);
  out.push('');
  out.push(
    'Severity is per kind of app: `blocking` rules decide the verdict, `advisory` ones are reported but never block. A rule that does not apply to your kind or type of app is `not-applicable` in the report. See [reading the report](../report.md) for statuses and the verdict, and the [index of all rules](README.md).',
  );
  out.push('');
  out.push('| Rule | Standard apps | Custom apps | App types | Judged by |');
  out.push('| --- | --- | --- | --- | --- |');
  for (const r of rules) {
    out.push(
      `| [${r.id}](#${anchor(r.id)}) | ${r.severity.standard ?? '-'} | ${r.severity.custom ?? '-'} | ${r.appTypes.map((t) => APP_TYPES[t]).join(', ')} | ${shortJudgedBy(r)} |`,
    );
  }
  for (const r of rules) {
    out.push('');
    out.push(`## ${r.id}`);
    out.push('');
    out.push(`**${r.title}**`);
    out.push('');
    out.push(r.requirement);
    out.push('');
    out.push(`- Severity: ${severityText(r)}`);
    out.push(`- App types: ${r.appTypes.map((t) => APP_TYPES[t]).join(', ')}`);
    out.push(`- Judged by: ${judgedBy(r)}`);
    out.push('');
    out.push('**How so-preflight checks it.**');
    for (const line of howChecked(r, suites.get(r.id) ?? [])) {
      out.push('');
      out.push(line);
    }
    out.push('');
    out.push(`**Remediation.** ${r.remediation}`);
    if (r.docs.length) {
      out.push('');
      out.push(`**Documentation:** ${r.docs.map((d) => `[${d.title}](${d.url})`).join(', ')}`);
    }
  }
  out.push('');
  return out.join('\n');
}

function indexPage(): string {
  const out: string[] = [];
  out.push(`<!-- Generated by \`${GENERATOR}\` from src/rules. Edit the catalog, not this file. -->`);
  out.push('');
  out.push('# Rules');
  out.push('');
  out.push(
    `so-preflight's catalog has ${RULES.length} rules, one per SuperOffice certification (standard apps) or validation (custom apps) requirement, plus REDIRECT-OPEN, which the harness adds. Rule IDs are stable: they appear in test titles, \`--rules\`, baselines and every report format. \`so-preflight rules\` prints the same catalog, \`so-preflight rules --json\` with every field.`,
  );
  out.push('');
  out.push(
    '"Judged by behaviour" means a check drives the app and judges what it did; "configuration" means the check reads what your config declares; "not automated yet" rules have no check built yet and, like attestation rules, are listed in the report as `manual`.',
  );
  out.push('');
  out.push('| Category | Rules | Behaviour | Configuration | Not automated yet | Attestation |');
  out.push('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const category of CATEGORIES) {
    const rules = RULES.filter((r) => r.category === category);
    const gap = rules.filter((r) => r.automation !== 'manual' && KNOWN_GAPS[r.id] !== undefined).length;
    const manual = rules.filter((r) => r.automation === 'manual').length;
    const judged = rules.filter((r) => r.automation !== 'manual' && KNOWN_GAPS[r.id] === undefined);
    const config = judged.filter((r) => r.judgedFrom === 'configuration').length;
    out.push(
      `| [${TITLES[category]}](${category}.md) | ${rules.length} | ${judged.length - config} | ${config} | ${gap} | ${manual} |`,
    );
  }
  out.push('');
  out.push('## Attestation checklist items');
  out.push('');
  out.push(
    'Business and documentation items that are not rules: nothing checks them and they never affect the verdict. The report lists those for your kind of app in its attestation checklist.',
  );
  out.push('');
  for (const item of ATTESTATION_ITEMS) {
    const docs = item.docs.map((d) => `[${d.title}](${d.url})`).join(', ');
    out.push(
      `- \`${item.id}\` (${item.certifications.join(', ')} apps): ${item.requirement}${docs ? ` ${docs}` : ''}`,
    );
  }
  out.push('');
  return out.join('\n');
}

/** Every generated page, keyed by its path relative to docs/rules/, formatted with prettier. */
export async function ruleDocs(): Promise<Map<string, string>> {
  const suites = suitesByRule();
  const pages = new Map<string, string>();
  pages.set('README.md', indexPage());
  for (const category of CATEGORIES) {
    pages.set(
      `${category}.md`,
      rulePage(
        category,
        RULES.filter((r) => r.category === category),
        suites,
      ),
    );
  }
  const options = (await resolveConfig(join(RULE_DOCS_DIR, 'README.md'))) ?? {};
  const formatted = new Map<string, string>();
  for (const [name, text] of pages) {
    formatted.set(name, await format(text, { ...options, parser: 'markdown' }));
  }
  return formatted;
}

/** Writes the pages; returns the paths written, relative to the repository. */
export async function writeRuleDocs(): Promise<string[]> {
  mkdirSync(RULE_DOCS_DIR, { recursive: true });
  const written: string[] = [];
  for (const [name, text] of await ruleDocs()) {
    const file = join(RULE_DOCS_DIR, name);
    writeFileSync(file, text, 'utf8');
    written.push(relative(REPO_ROOT, file));
  }
  return written;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const file of await writeRuleDocs()) console.log(`wrote ${file}`);
}
