/**
 * Types of the rule catalog. A rule is one certification/validation requirement from
 * SuperOffice's requirements, with a stable ID (`TOKEN-SIGNATURE`) used in code, test titles,
 * reports and issues. IDs are never renamed.
 */

/** Report categories, in the order the report shows them. */
export const CATEGORIES = [
  'authentication',
  'tokens',
  'redirects',
  'secrets',
  'session',
  'tenant',
  'api',
  'provisioning',
  'operations',
] as const;
export type Category = (typeof CATEGORIES)[number];

/**
 * How much a failure weighs. `blocking` failures make the verdict `not-ready`;
 * `advisory` failures are reported as warnings and never block.
 */
export type Severity = 'blocking' | 'advisory';

/** Which kinds of app a rule concerns (standard, custom or both, as SuperOffice scopes each requirement; plus app types). */
export type Certification = 'standard' | 'custom';
export type AppType = 'web' | 'native' | 'server-to-server';

/**
 * `automated`: the harness judges it; `partial`: the harness judges part, the rest is an
 * attestation; `manual`: attestation only, listed in the report's checklist.
 */
export type Automation = 'automated' | 'partial' | 'manual';

export interface RuleDoc {
  title: string;
  url: string;
}

export interface Rule {
  /** Stable rule ID from SuperOffice's requirements, e.g. `TOKEN-SIGNATURE`. */
  id: string;
  title: string;
  /** The requirement, paraphrased, as shown to the partner. */
  requirement: string;
  category: Category;
  /** Severity per certification kind; a rule absent for a kind does not apply to it. */
  severity: Partial<Record<Certification, Severity>>;
  /** App types the rule applies to. */
  appTypes: readonly AppType[];
  automation: Automation;
  /** What the harness does to judge the rule (or, for manual rules, what to attest). */
  check: string;
  /**
   * `configuration`: judged from what the config declares (e.g. the registered redirect URLs),
   * not from the app's behaviour; the report says so. Absent: judged by behaviour.
   */
  judgedFrom?: 'configuration';
  remediation: string;
  docs: readonly RuleDoc[];
}
