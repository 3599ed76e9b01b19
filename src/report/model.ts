/**
 * The readiness report model. Built once from a whole run (every rule of the catalog, including
 * rules whose checks never ran), then rendered by pure functions to HTML, JSON, JUnit and
 * Markdown. `readiness.json` is this object serialized; its JSON Schema is
 * `schema/readiness-report.schema.json` and must be kept in step with these types.
 */
import type { Category, Severity, Automation, AppType, Certification } from '../rules/types.ts';
import type { CheckStatus, Evidence } from '../findings.ts';

export const SCHEMA_VERSION = '1.0';

export const RULE_STATUSES = [
  'pass',
  'fail',
  'warn',
  'manual',
  'not-applicable',
  'error',
  'not-run',
] as const;
export type RuleStatus = (typeof RULE_STATUSES)[number];

export type Verdict = 'ready' | 'not-ready' | 'incomplete';

export interface CheckResult {
  /** Stable check name within the rule. */
  id: string;
  title: string;
  status: CheckStatus | 'not-run';
  message: string;
  /** The Playwright test the check ran in, `file > title`, for traceability. */
  test?: string;
  durationMs?: number;
  evidence: Evidence[];
}

export interface RuleResult {
  id: string;
  title: string;
  requirement: string;
  category: Category;
  /** Severity that applies to this app's certification kind. */
  severity: Severity;
  automation: Automation;
  status: RuleStatus;
  /** One line: why this status. */
  reason: string;
  checks: CheckResult[];
  docs: { title: string; url: string }[];
  remediation: string;
  /** Set when a baseline accepted this rule's failure. */
  baselined?: { reason: string };
  /** What the harness does to judge the rule (the catalog's `check`), shown as "what was checked". */
  howChecked?: string;
  /**
   * What the judgement rests on: the app's observed `behaviour`, the declared `configuration`, or
   * `attestation` (manual rules and rules with no automated check yet).
   */
  basis?: 'behaviour' | 'configuration' | 'attestation';
}

/** A manual attestation item shown in the report's checklist (besides the manual rules). */
export interface AttestationItem {
  id: string;
  title: string;
  requirement: string;
  docs: { title: string; url: string }[];
}

export interface ReadinessReport {
  schemaVersion: typeof SCHEMA_VERSION;
  tool: {
    name: 'so-preflight';
    version: string;
    /** The browser the checks ran in (which one, found where), when known. */
    browser?: string;
  };
  app: {
    name: string;
    type: AppType;
    certification: Certification;
    baseURL: string;
    environment: string;
    tenant: string;
  };
  startedAt: string;
  durationMs: number;
  verdict: Verdict;
  /** One line that explains the verdict. */
  verdictReason: string;
  summary: {
    passed: number;
    failed: number;
    warnings: number;
    manual: number;
    notApplicable: number;
    errors: number;
    notRun: number;
    /** Failing rules accepted by the baseline (already counted in `failed`). */
    baselined?: number;
  };
  /** Rules selected with `--rules`; absent when all rules were selected. */
  selectedRules?: string[];
  /**
   * Set when the run judged only part of the catalog (`--rules`, `--shard`): what was left out.
   * A partial run's verdict speaks for the judged rules only.
   */
  partial?: string;
  /** The `--shuffle` seed the checks ran in the order of; absent when they ran in file order. */
  shuffleSeed?: string;
  /** Problems of the run itself (app did not start, browser missing, reporter errors). */
  runErrors: string[];
  rules: RuleResult[];
  /**
   * Baseline entries whose rule no longer fails: the baseline is stale and must be updated.
   * Non-empty makes the verdict `not-ready`.
   */
  staleBaseline?: string[];
  /** Attestation items beyond the manual rules (the catalog's ATTESTATION_ITEMS). */
  attestation?: AttestationItem[];
}
