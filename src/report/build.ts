/**
 * Builds the readiness report model from a whole run: every rule of the catalog (including
 * rules whose checks never ran), the findings each test sent, and the tests' outcomes. Pure:
 * the same input always gives the same report.
 */
import type { Finding } from '../findings.ts';
import type { AppType, Certification, Rule, Severity } from '../rules/types.ts';
import { createRedactor, type Redactor } from '../evidence/redact.ts';
import type { Baseline } from './baseline.ts';
import {
  SCHEMA_VERSION,
  type AttestationItem,
  type CheckResult,
  type ReadinessReport,
  type RuleResult,
  type RuleStatus,
  type Verdict,
} from './model.ts';

export type TestOutcome = 'passed' | 'failed' | 'skipped' | 'timedOut' | 'interrupted';

/** One Playwright test of the run, as the readiness reporter saw it. */
export interface TestResultInput {
  /** `file > title`. */
  test: string;
  /** Rules the test covers (from its title/tags). */
  ruleIds: string[];
  outcome: TestOutcome;
  /** The test's error message, when it failed (redacted by the builder). */
  error?: string;
  /** When the test started (ISO 8601); absent for a test that never ran. */
  startedAt?: string;
  durationMs: number;
  findings: Finding[];
}

/** An attestation item as the catalog may export it (`ATTESTATION_ITEMS`). */
export interface AttestationItemInput {
  id?: string;
  title: string;
  requirement?: string;
  /** Certification kinds the item concerns; absent: all. */
  certifications?: readonly Certification[];
  docs?: readonly { title: string; url: string }[];
}

export interface BuildReportInput {
  app: ReadinessReport['app'];
  startedAt: string;
  durationMs: number;
  /** The harness version; or give `tool`. */
  toolVersion?: string;
  tool?: { name?: string; version: string; browser?: string };
  /** The rule catalog (`RULES`). */
  rules: readonly Rule[];
  /** From `--rules`; applicable rules not listed become `not-run`. */
  selectedRules?: readonly string[];
  results: readonly TestResultInput[];
  runErrors: readonly string[];
  baseline?: Baseline;
  attestationItems?: readonly AttestationItemInput[];
  /** Redacts test error messages and evidence; defaults to the generic secret patterns. */
  redactor?: Redactor;
  /** The catalog's `ruleApplies`; defaults to: severity defined for the certification and app type listed. */
  applies?: (rule: Rule, certification: Certification, appType: AppType) => boolean;
  /**
   * Rules the catalog calls automated whose check is not built yet, with the reason: reported
   * for attestation (status `manual`), never as if a check had run.
   */
  notAutomated?: Readonly<Record<string, string>>;
  /** Shard of a sharded run (`i/n`), when this report covers one shard only. */
  shard?: string;
  /** The `--shuffle` seed of the run, when its checks ran in a shuffled order. */
  shuffleSeed?: string;
}

const NOT_SELECTED = 'not selected (--rules)';

export function defaultRuleApplies(rule: Rule, certification: Certification, appType: AppType): boolean {
  return rule.severity[certification] !== undefined && rule.appTypes.includes(appType);
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function firstLine(text: string, max = 240): string {
  const line = text.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  // Playwright error messages carry ANSI colour codes.
  // eslint-disable-next-line no-control-regex
  const clean = line.replace(/\u001b\[[0-9;]*m/g, '').trim();
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

function outcomeWords(outcome: TestOutcome): string {
  switch (outcome) {
    case 'timedOut':
      return 'timed out';
    case 'interrupted':
      return 'was interrupted';
    case 'skipped':
      return 'was skipped';
    case 'failed':
      return 'failed';
    case 'passed':
      return 'passed';
  }
}

function judge(checks: readonly CheckResult[]): RuleStatus {
  if (checks.some((c) => c.status === 'fail')) return 'fail';
  if (checks.some((c) => c.status === 'error')) return 'error';
  if (checks.some((c) => c.status === 'warn')) return 'warn';
  if (checks.some((c) => c.status === 'pass')) return 'pass';
  return 'not-run';
}

function summarize(status: RuleStatus, checks: readonly CheckResult[], testsRun: number): string {
  const ran = checks.filter((c) => c.status !== 'not-run');
  const of = (s: CheckResult['status']): CheckResult[] => checks.filter((c) => c.status === s);
  const lead = (list: CheckResult[], verb: string): string => {
    const first = list[0];
    const more = list.length > 1 ? ` (and ${list.length - 1} more)` : '';
    const total =
      ran.length === 1 && list.length === 1
        ? `the check ${verb}`
        : `${list.length} of ${plural(ran.length, 'check')} ${verb}`;
    return `${total}: ${first ? firstLine(first.message || first.title) : ''}${more}`;
  };
  switch (status) {
    case 'fail':
      return lead(of('fail'), 'failed');
    case 'error':
      return lead(of('error'), 'could not judge');
    case 'warn':
      return lead(of('warn'), 'warned');
    case 'pass':
      return ran.length === 1 ? 'the check passed' : `all ${plural(ran.length, 'check')} passed`;
    default: {
      const skipped = of('not-run');
      const needs = skipped.filter((c) => c.id !== 'test-outcome');
      if (needs.length > 0) return firstLine(needs[0]!.message, 240);
      if (skipped.length > 0) {
        const why = skipped.map((c) => c.message).find((m) => m && m !== 'skipped');
        return `no check ran: ${plural(skipped.length, 'test')} skipped${why ? ` (${firstLine(why, 160)})` : ''}`;
      }
      if (testsRun > 0)
        return `no check ran: ${plural(testsRun, 'test')} ran but reported no finding for this rule`;
      return 'no check ran: no test covers this rule in this run';
    }
  }
}

function severityFor(rule: Rule, certification: Certification): Severity {
  return rule.severity[certification] ?? rule.severity.standard ?? rule.severity.custom ?? 'advisory';
}

function ruleList(ids: readonly string[]): string {
  const shown = ids.slice(0, 5).join(', ');
  return ids.length > 5 ? `${shown} and ${ids.length - 5} more` : shown;
}

export function buildReport(input: BuildReportInput): ReadinessReport {
  const redactor = input.redactor ?? createRedactor([]);
  const applies = input.applies ?? defaultRuleApplies;
  const { certification, type: appType } = input.app;
  const known = new Map(input.rules.map((r) => [r.id, r]));
  const selected = input.selectedRules ? new Set(input.selectedRules) : undefined;
  const runErrors = input.runErrors.map((e) => redactor.redact(e));
  const reportError = (message: string): void => {
    if (!runErrors.includes(message)) runErrors.push(message);
  };

  const checksByRule = new Map<string, CheckResult[]>();
  const testsByRule = new Map<string, number>();
  const push = (ruleId: string, check: CheckResult): void => {
    const list = checksByRule.get(ruleId) ?? [];
    list.push(check);
    checksByRule.set(ruleId, list);
  };

  for (const result of input.results) {
    const test = redactor.redact(result.test);
    for (const finding of result.findings) {
      if (!known.has(finding.rule)) {
        reportError(`test "${test}" reported a finding for unknown rule ${finding.rule}`);
        continue;
      }
      push(finding.rule, {
        id: finding.check,
        title: redactor.redact(finding.title),
        status: finding.status,
        message: redactor.redact(finding.message),
        test,
        durationMs: result.durationMs,
        evidence: finding.evidence.map((e) => redactor.redactEvidence(e)),
      });
    }
    for (const ruleId of new Set(result.ruleIds)) {
      if (!known.has(ruleId)) {
        reportError(`test "${test}" is tagged with unknown rule ${ruleId}`);
        continue;
      }
      testsByRule.set(ruleId, (testsByRule.get(ruleId) ?? 0) + 1);
      const own = result.findings.filter((f) => f.rule === ruleId);
      const broken =
        result.outcome === 'failed' || result.outcome === 'timedOut' || result.outcome === 'interrupted';
      if (broken && !own.some((f) => f.status === 'fail')) {
        const error = result.error ? `: ${firstLine(redactor.redact(result.error), 400)}` : '';
        push(ruleId, {
          id: 'test-outcome',
          title: test,
          status: 'error',
          message: `the test ${outcomeWords(result.outcome)} before the check could judge${error}`,
          test,
          durationMs: result.durationMs,
          evidence: [],
        });
      } else if (result.outcome === 'skipped' && own.length === 0) {
        push(ruleId, {
          id: 'test-outcome',
          title: test,
          status: 'not-run',
          message: result.error ? firstLine(redactor.redact(result.error), 400) : 'skipped',
          test,
          durationMs: result.durationMs,
          evidence: [],
        });
      }
    }
  }

  const baselineReasons = new Map((input.baseline?.rules ?? []).map((e) => [e.id, e.reason]));
  const stale: string[] = [];

  const rules: RuleResult[] = input.rules.map((rule) => {
    const severity = severityFor(rule, certification);
    const base = {
      id: rule.id,
      title: rule.title,
      requirement: rule.requirement,
      category: rule.category,
      severity,
      automation: rule.automation,
    };
    const gap = input.notAutomated?.[rule.id];
    const basis: RuleResult['basis'] =
      rule.automation === 'manual' || gap !== undefined
        ? 'attestation'
        : rule.judgedFrom === 'configuration'
          ? 'configuration'
          : 'behaviour';
    const tail = {
      docs: rule.docs.map((d) => ({ title: d.title, url: d.url })),
      remediation: rule.remediation,
      howChecked:
        gap !== undefined
          ? `Not checked automatically yet (${gap}). Attest it: ${rule.requirement}`
          : basis === 'configuration'
            ? `Checked: your declared configuration (not the running app). ${rule.check}`
            : rule.check,
      basis,
    };
    if (!applies(rule, certification, appType)) {
      const kinds = `${certification} ${appType} apps`;
      return { ...base, status: 'not-applicable', reason: `does not apply to ${kinds}`, checks: [], ...tail };
    }
    if (rule.automation === 'manual') {
      return {
        ...base,
        status: 'manual',
        reason: 'attestation required: see the checklist',
        checks: [],
        ...tail,
      };
    }
    if (selected && !selected.has(rule.id)) {
      return { ...base, status: 'not-run', reason: NOT_SELECTED, checks: [], ...tail };
    }
    if (gap !== undefined && !checksByRule.has(rule.id)) {
      return {
        ...base,
        status: 'manual',
        reason: `not automated yet: ${gap}; attest it (see the checklist)`,
        checks: [],
        ...tail,
      };
    }
    const checks = checksByRule.get(rule.id) ?? [];
    const testsRun = testsByRule.get(rule.id) ?? 0;
    // Tests that ran for a rule and reported nothing about it observed nothing: that is an
    // error, never a quiet not-run (a selected blocking rule would otherwise pass the run).
    const silent = checks.length === 0 && testsRun > 0;
    const status = silent ? 'error' : judge(checks);
    let reason = silent
      ? `could not judge: ${plural(testsRun, 'test')} ran but observed nothing for this rule`
      : summarize(status, checks, testsRun);
    if (rule.automation === 'partial') reason += '; the rest needs attestation (see the checklist)';
    const accepted = baselineReasons.get(rule.id);
    const result: RuleResult = { ...base, status, reason, checks, ...tail };
    if (accepted !== undefined && status === 'fail') {
      result.baselined = { reason: accepted };
      result.reason = `${reason} (accepted by the baseline: ${accepted})`;
    } else if (accepted !== undefined && (status === 'pass' || status === 'warn')) {
      stale.push(rule.id);
    }
    return result;
  });

  const count = (s: RuleStatus): number => rules.filter((r) => r.status === s).length;
  const blocking = rules.filter((r) => r.severity === 'blocking');
  const blockingErrors = blocking.filter((r) => r.status === 'error').map((r) => r.id);
  const blockingFails = blocking.filter((r) => r.status === 'fail' && !r.baselined).map((r) => r.id);
  const blockingNotRun = blocking
    .filter((r) => r.status === 'not-run' && r.reason !== NOT_SELECTED)
    .map((r) => r.id);
  const partialWhy = [
    selected ? `only the rules selected with --rules (${plural(selected.size, 'rule')})` : '',
    input.shard ? `shard ${input.shard} of the checks` : '',
  ].filter(Boolean);
  const partial = partialWhy.length ? `partial run: ${partialWhy.join(', ')} were judged` : undefined;

  // Precedence: a blocking failure is a finding about the app, so it decides the verdict even
  // when other rules could not be judged; `incomplete` is for runs with nothing failed and
  // something that could not be judged (CI reads it as "fix the run", not "fix the app").
  let verdict: Verdict;
  let verdictReason: string;
  // A run problem explains the rules it left unjudged, so it is named instead of them.
  const unjudged: string[] = [];
  if (runErrors.length)
    unjudged.push(
      `the run itself had ${plural(runErrors.length, 'error')}: ${firstLine(runErrors[0] ?? '', 200)}`,
    );
  else if (blockingErrors.length)
    unjudged.push(
      `${plural(blockingErrors.length, 'blocking rule')} could not be judged: ${ruleList(blockingErrors)}`,
    );
  // An app that stopped during the run makes every later observation worthless (a dead app
  // "refuses" everything): the run is incomplete whatever failed.
  const appGone = runErrors.find((e) => /^the app (exited|did not answer|could not be started)/.test(e));
  if (appGone) {
    verdict = 'incomplete';
    verdictReason = `${unjudged.join('; ')}${blockingFails.length ? `; ${plural(blockingFails.length, 'blocking rule')} also failed (${ruleList(blockingFails)}), possibly because the app was gone` : ''}`;
  } else if (blockingFails.length > 0 || stale.length > 0) {
    verdict = 'not-ready';
    const parts: string[] = [];
    if (blockingFails.length)
      parts.push(`${plural(blockingFails.length, 'blocking rule')} failed: ${ruleList(blockingFails)}`);
    if (stale.length)
      parts.push(
        `stale baseline: ${ruleList(stale)} no longer ${stale.length === 1 ? 'fails' : 'fail'}; remove ${stale.length === 1 ? 'it' : 'them'} from the baseline`,
      );
    if (unjudged.length) parts.push(`also ${unjudged.join('; ')}`);
    verdictReason = parts.join('; ');
  } else if (unjudged.length > 0) {
    verdict = 'incomplete';
    verdictReason = unjudged.join('; ');
  } else {
    verdict = 'ready';
    const judged = (basis: RuleResult['basis']) =>
      blocking.filter((r) => r.basis === basis && (r.status === 'pass' || r.status === 'warn')).length;
    const attested = blocking.filter((r) => r.status === 'manual').length;
    const notes: string[] = [
      `${plural(judged('behaviour'), 'blocking requirement')} judged by behaviour, ${judged('configuration')} by your declared configuration, ${attested} left to attestation`,
    ];
    const advisoryFails = rules.filter((r) => r.severity === 'advisory' && r.status === 'fail').length;
    const baselined = rules.filter((r) => r.baselined).length;
    if (advisoryFails) notes.push(`${plural(advisoryFails, 'advisory rule')} failed`);
    if (count('warn')) notes.push(plural(count('warn'), 'warning'));
    if (baselined) notes.push(`${plural(baselined, 'failure')} accepted by the baseline`);
    if (blockingNotRun.length)
      notes.push(
        `${plural(blockingNotRun.length, 'blocking rule')} did not run: ${ruleList(blockingNotRun)}`,
      );
    verdictReason = `no blocking rule failed; ${notes.join('; ')}`;
  }
  if (partial) verdictReason = `${partial}; ${verdictReason}`;

  const baselinedCount = rules.filter((r) => r.baselined).length;
  const report: ReadinessReport = {
    schemaVersion: SCHEMA_VERSION,
    tool: {
      name: 'so-preflight',
      version: input.toolVersion ?? input.tool?.version ?? '0.0.0',
      ...(input.tool?.browser ? { browser: input.tool.browser } : {}),
    },
    app: { ...input.app, name: redactor.redact(input.app.name) },
    startedAt: input.startedAt,
    durationMs: input.durationMs,
    verdict,
    verdictReason,
    summary: {
      passed: count('pass'),
      failed: count('fail'),
      warnings: count('warn'),
      manual: count('manual'),
      notApplicable: count('not-applicable'),
      errors: count('error'),
      notRun: count('not-run'),
      ...(baselinedCount ? { baselined: baselinedCount } : {}),
    },
    ...(input.selectedRules ? { selectedRules: [...input.selectedRules] } : {}),
    ...(partial ? { partial } : {}),
    ...(input.shuffleSeed ? { shuffleSeed: input.shuffleSeed } : {}),
    runErrors,
    rules,
  };
  if (stale.length) report.staleBaseline = stale;
  const attestation = (input.attestationItems ?? []).filter(
    (item) => !item.certifications || item.certifications.includes(certification),
  );
  if (attestation.length) {
    report.attestation = attestation.map((item, i): AttestationItem => ({
      id: item.id ?? `ATTEST-${i + 1}`,
      title: item.title,
      requirement: item.requirement ?? item.title,
      docs: (item.docs ?? []).map((d) => ({ title: d.title, url: d.url })),
    }));
  }
  return report;
}

/** One shard's contribution to a run. */
export interface ResultsPart {
  startedAt: string;
  durationMs: number;
  results: readonly TestResultInput[];
  runErrors: readonly string[];
}

/**
 * Merges the results of several shard runs into one `buildReport` input part: results and run
 * errors concatenated (results ordered by test name so shard order does not matter), the
 * earliest start, and the wall-clock span from it to the latest end.
 */
export function mergeResults(parts: readonly ResultsPart[]): ResultsPart {
  if (parts.length === 0)
    return { startedAt: new Date(0).toISOString(), durationMs: 0, results: [], runErrors: [] };
  const starts = parts.map((p) => Date.parse(p.startedAt));
  const start = Math.min(...starts);
  const end = Math.max(...parts.map((p, i) => (starts[i] ?? start) + p.durationMs));
  const results = parts
    .flatMap((p) => p.results)
    .sort((a, b) => (a.test < b.test ? -1 : a.test > b.test ? 1 : 0));
  const runErrors = [...new Set(parts.flatMap((p) => p.runErrors))];
  return { startedAt: new Date(start).toISOString(), durationMs: end - start, results, runErrors };
}
