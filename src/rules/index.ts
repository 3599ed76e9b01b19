/**
 * The rule catalog: every rule of SuperOffice's certification and validation requirements, plus rules the harness adds
 * (REDIRECT-OPEN), in REFERENCE order, grouped by category. Rule IDs are stable and never renamed.
 *
 * @example
 * ```ts
 * import { rulesFor, getRule } from './rules/index.ts';
 * for (const rule of rulesFor('custom', 'web')) console.log(rule.id, rule.severity.custom);
 * getRule('TOKEN-SIGNATURE')?.docs[0]?.url;
 * ```
 */
import type { AppType, Certification, Rule, Severity } from './types.ts';
import { AUTHENTICATION_RULES } from './catalog/authentication.ts';
import { TOKEN_RULES } from './catalog/tokens.ts';
import { REDIRECT_RULES } from './catalog/redirects.ts';
import { SECRET_RULES } from './catalog/secrets.ts';
import { SESSION_RULES } from './catalog/session.ts';
import { TENANT_RULES } from './catalog/tenant.ts';
import { API_RULES } from './catalog/api.ts';
import { PROVISIONING_RULES } from './catalog/provisioning.ts';
import { OPERATIONS_RULES } from './catalog/operations.ts';

export type { AppType, Automation, Category, Certification, Rule, RuleDoc, Severity } from './types.ts';
export { CATEGORIES } from './types.ts';
export { ATTESTATION_ITEMS, type AttestationItem } from './attestation.ts';
export { superOfficeDocUrl } from './docs.ts';

function freezeRule(rule: Rule): Rule {
  return Object.freeze({
    ...rule,
    severity: Object.freeze({ ...rule.severity }),
    appTypes: Object.freeze([...rule.appTypes]),
    docs: Object.freeze(rule.docs.map((d) => Object.freeze({ ...d }))),
  });
}

/** All rules, in requirement order (categories in {@link CATEGORIES} order). */
export const RULES: readonly Rule[] = Object.freeze(
  [
    ...AUTHENTICATION_RULES,
    ...TOKEN_RULES,
    ...REDIRECT_RULES,
    ...SECRET_RULES,
    ...SESSION_RULES,
    ...TENANT_RULES,
    ...API_RULES,
    ...PROVISIONING_RULES,
    ...OPERATIONS_RULES,
  ].map(freezeRule),
);

const BY_ID: ReadonlyMap<string, Rule> = new Map(RULES.map((r) => [r.id, r]));
if (BY_ID.size !== RULES.length) {
  const seen = new Set<string>();
  const dupes = RULES.filter((r) => (seen.has(r.id) ? true : (seen.add(r.id), false))).map((r) => r.id);
  throw new Error(`rule catalog: expected unique rule IDs, found duplicates: ${dupes.join(', ')}`);
}

/** The rule with this ID, or `undefined` if the catalog has none. */
export function getRule(id: string): Rule | undefined {
  return BY_ID.get(id);
}

/** All rule IDs, in catalog order. */
export function ruleIds(): string[] {
  return RULES.map((r) => r.id);
}

/** The severity a rule has for a certification kind, or `undefined` if it does not apply to it. */
export function severityFor(rule: Rule, certification: Certification): Severity | undefined {
  return rule.severity[certification];
}

/** Whether a rule applies to an app of this certification kind and type. */
export function ruleApplies(rule: Rule, certification: Certification, appType: AppType): boolean {
  return rule.severity[certification] !== undefined && rule.appTypes.includes(appType);
}

/** The rules that apply to an app of this certification kind and type, in catalog order. */
export function rulesFor(certification: Certification, appType: AppType): Rule[] {
  return RULES.filter((r) => ruleApplies(r, certification, appType));
}
