/**
 * `readiness.json`: the report model serialized with a stable key order (the order of the
 * model's documentation; keys a renderer does not know are kept, sorted, after the known ones)
 * and a 2-space indent. Free-form records (headers, token claims) are sorted by key, so equal
 * reports always serialize to the same bytes.
 */
import type { Evidence } from '../findings.ts';
import type { CheckResult, ReadinessReport, RuleResult } from './model.ts';

type Obj = Record<string, unknown>;

function ordered(value: object, order: readonly string[]): Obj {
  const source = value as Obj;
  const out: Obj = {};
  for (const key of order) if (source[key] !== undefined) out[key] = source[key];
  for (const key of Object.keys(source).sort()) {
    if (!(key in out) && source[key] !== undefined) out[key] = source[key];
  }
  return out;
}

const REPORT_KEYS = [
  'schemaVersion',
  'tool',
  'app',
  'startedAt',
  'durationMs',
  'verdict',
  'verdictReason',
  'summary',
  'selectedRules',
  'partial',
  'shuffleSeed',
  'staleBaseline',
  'runErrors',
  'rules',
  'attestation',
] as const;
const APP_KEYS = ['name', 'type', 'certification', 'baseURL', 'environment', 'tenant'] as const;
const SUMMARY_KEYS = [
  'passed',
  'failed',
  'warnings',
  'manual',
  'notApplicable',
  'errors',
  'notRun',
  'baselined',
] as const;
const RULE_KEYS = [
  'id',
  'title',
  'requirement',
  'category',
  'severity',
  'automation',
  'status',
  'reason',
  'baselined',
  'howChecked',
  'basis',
  'checks',
  'docs',
  'remediation',
] as const;
const CHECK_KEYS = ['id', 'title', 'status', 'message', 'test', 'durationMs', 'evidence'] as const;
const EVIDENCE_KEYS = [
  'kind',
  'label',
  'method',
  'url',
  'status',
  'from',
  'requestHeaders',
  'requestBody',
  'responseHeaders',
  'responseBody',
  'header',
  'payload',
  'tampered',
  'text',
  'path',
  'contentType',
] as const;
const DOC_KEYS = ['title', 'url'] as const;

function sortedDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedDeep);
  if (value && typeof value === 'object') {
    const source = value as Obj;
    const out: Obj = {};
    for (const key of Object.keys(source).sort()) out[key] = sortedDeep(source[key]);
    return out;
  }
  return value;
}

const RECORD_KEYS = new Set(['requestHeaders', 'responseHeaders', 'header', 'payload']);

function evidenceJson(e: Evidence): Obj {
  const out = ordered(e, EVIDENCE_KEYS);
  for (const key of Object.keys(out)) if (RECORD_KEYS.has(key)) out[key] = sortedDeep(out[key]);
  return out;
}

function checkJson(c: CheckResult): Obj {
  return ordered({ ...c, evidence: c.evidence.map(evidenceJson) }, CHECK_KEYS);
}

function ruleJson(r: RuleResult): Obj {
  return ordered(
    {
      ...r,
      checks: r.checks.map(checkJson),
      docs: r.docs.map((d) => ordered(d, DOC_KEYS)),
      ...(r.baselined ? { baselined: ordered(r.baselined, ['reason']) } : {}),
    },
    RULE_KEYS,
  );
}

/** The report as ordered plain data (what `readiness.json` contains). */
export function reportToJsonValue(report: ReadinessReport): Obj {
  return ordered(
    {
      ...report,
      tool: ordered(report.tool, ['name', 'version', 'browser']),
      app: ordered(report.app, APP_KEYS),
      summary: ordered(report.summary, SUMMARY_KEYS),
      rules: report.rules.map(ruleJson),
      ...(report.attestation
        ? {
            attestation: report.attestation.map((a) =>
              ordered({ ...a, docs: a.docs.map((d) => ordered(d, DOC_KEYS)) }, [
                'id',
                'title',
                'requirement',
                'docs',
              ]),
            ),
          }
        : {}),
    },
    REPORT_KEYS,
  );
}

export function renderJson(report: ReadinessReport): string {
  return `${JSON.stringify(reportToJsonValue(report), null, 2)}\n`;
}
