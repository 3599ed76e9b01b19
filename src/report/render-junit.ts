/**
 * `junit.xml`: one `<testsuite>` per rule (name = rule ID), one `<testcase>` per check
 * (classname = rule ID, name = check title). Failed checks carry `<failure>`, checks that could
 * not judge `<error>`, skipped checks `<skipped>`. A rule without checks (manual, not applicable,
 * not run) is one skipped testcase named after the rule. The XML is built as a node tree and
 * serialized with a single escaping function.
 */
import type { Evidence } from '../findings.ts';
import type { CheckResult, ReadinessReport, RuleResult } from './model.ts';

export interface XmlNode {
  name: string;
  attributes?: Record<string, string | number | undefined>;
  children?: XmlNode[];
  /** Text content, written as CDATA. */
  text?: string;
}

// Characters XML 1.0 forbids (C0 controls other than tab/LF/CR, lone surrogates, U+FFFE/F).
// eslint-disable-next-line no-control-regex
const XML_ILLEGAL = /[^\u0009\u000A\u000D\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** The one escaping function: attribute values are entity-escaped, text goes into CDATA. */
export function xmlEscape(value: string, as: 'attribute' | 'text'): string {
  const clean = String(value).replace(XML_ILLEGAL, '');
  if (as === 'text') return `<![CDATA[${clean.replace(/]]>/g, ']]]]><![CDATA[>')}]]>`;
  return clean.replace(/[&<>"'\t\n\r]/g, (c) => {
    switch (c) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '"':
        return '&quot;';
      case "'":
        return '&apos;';
      default:
        return `&#${c.charCodeAt(0)};`;
    }
  });
}

export function serializeXml(node: XmlNode, indent = ''): string {
  const attrs = Object.entries(node.attributes ?? {})
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${xmlEscape(String(v), 'attribute')}"`)
    .join('');
  const children = node.children ?? [];
  if (children.length === 0 && node.text === undefined) return `${indent}<${node.name}${attrs}/>`;
  if (children.length === 0)
    return `${indent}<${node.name}${attrs}>${xmlEscape(node.text ?? '', 'text')}</${node.name}>`;
  const inner = children.map((c) => serializeXml(c, `${indent}  `));
  if (node.text !== undefined) inner.unshift(`${indent}  ${xmlEscape(node.text, 'text')}`);
  return `${indent}<${node.name}${attrs}>\n${inner.join('\n')}\n${indent}</${node.name}>`;
}

function seconds(ms: number | undefined): string {
  return ((ms ?? 0) / 1000).toFixed(3);
}

function evidenceText(e: Evidence): string {
  switch (e.kind) {
    case 'exchange': {
      const lines = [`${e.label}: ${e.method} ${e.url}${e.status !== undefined ? ` -> ${e.status}` : ''}`];
      if (e.requestBody) lines.push(`  request body: ${e.requestBody.slice(0, 2000)}`);
      if (e.responseBody) lines.push(`  response body: ${e.responseBody.slice(0, 2000)}`);
      return lines.join('\n');
    }
    case 'token':
      return `${e.label}: header ${JSON.stringify(e.header)} payload ${JSON.stringify(e.payload)}${
        e.tampered.length ? ` (tampered: ${e.tampered.join(', ')})` : ''
      }`;
    case 'text':
      return `${e.label}: ${e.text.slice(0, 4000)}`;
    case 'file':
      return `${e.label}: ${e.path} (${e.contentType})`;
  }
}

function qualifier(rule: RuleResult): string {
  if (rule.baselined) return `[baselined: ${rule.baselined.reason}] `;
  return rule.severity === 'advisory' ? '[advisory] ' : '';
}

function checkBody(rule: RuleResult, check: CheckResult | undefined): string {
  const lines: string[] = [];
  if (check) {
    lines.push(check.message);
    if (check.test) lines.push(`test: ${check.test}`);
    for (const e of check.evidence) lines.push(evidenceText(e));
  } else {
    lines.push(rule.reason);
  }
  if (rule.remediation) lines.push(`remediation: ${rule.remediation}`);
  for (const d of rule.docs) lines.push(`docs: ${d.title} ${d.url}`);
  return lines.join('\n');
}

function testcase(rule: RuleResult, check: CheckResult | undefined): XmlNode {
  const status = check ? check.status : rule.status;
  const node: XmlNode = {
    name: 'testcase',
    attributes: {
      classname: rule.id,
      name: check ? check.title : rule.title,
      time: seconds(check?.durationMs),
    },
    children: [],
  };
  const message = check ? check.message || check.title : rule.reason;
  switch (status) {
    case 'fail':
      node.children?.push({
        name: 'failure',
        attributes: { message: `${qualifier(rule)}${message}`, type: rule.severity },
        text: checkBody(rule, check),
      });
      break;
    case 'error':
      node.children?.push({
        name: 'error',
        attributes: { message, type: 'error' },
        text: checkBody(rule, check),
      });
      break;
    case 'warn':
      node.children?.push({ name: 'system-out', text: `warning: ${checkBody(rule, check)}` });
      break;
    case 'pass':
      break;
    default:
      node.children?.push({ name: 'skipped', attributes: { message: `${status}: ${message}` } });
  }
  return node;
}

interface Counts {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
}

function countCases(cases: readonly XmlNode[]): Counts {
  const has = (c: XmlNode, name: string): boolean => (c.children ?? []).some((k) => k.name === name);
  return {
    tests: cases.length,
    failures: cases.filter((c) => has(c, 'failure')).length,
    errors: cases.filter((c) => has(c, 'error')).length,
    skipped: cases.filter((c) => has(c, 'skipped')).length,
  };
}

export function junitTree(report: ReadinessReport): XmlNode {
  const totals: Counts = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  let totalMs = 0;
  const suites = report.rules.map((rule): XmlNode => {
    const cases = rule.checks.length
      ? rule.checks.map((c) => testcase(rule, c))
      : [testcase(rule, undefined)];
    const counts = countCases(cases);
    const ms = rule.checks.reduce((sum, c) => sum + (c.durationMs ?? 0), 0);
    totalMs += ms;
    totals.tests += counts.tests;
    totals.failures += counts.failures;
    totals.errors += counts.errors;
    totals.skipped += counts.skipped;
    const properties: XmlNode = {
      name: 'properties',
      children: [
        ['title', rule.title],
        ['category', rule.category],
        ['severity', rule.severity],
        ['automation', rule.automation],
        ['status', rule.status],
        ['reason', rule.reason],
        ...(rule.baselined ? [['baselined', rule.baselined.reason]] : []),
        ...rule.docs.map((d) => ['docs', d.url]),
      ].map(([name, value]) => ({ name: 'property', attributes: { name, value } })),
    };
    return {
      name: 'testsuite',
      attributes: {
        name: rule.id,
        tests: counts.tests,
        failures: counts.failures,
        errors: counts.errors,
        skipped: counts.skipped,
        time: seconds(ms),
        timestamp: report.startedAt,
      },
      children: [properties, ...cases],
    };
  });
  const runErrorSuite: XmlNode[] = report.runErrors.length
    ? [
        {
          name: 'testsuite',
          attributes: {
            name: 'run',
            tests: report.runErrors.length,
            failures: 0,
            errors: report.runErrors.length,
            skipped: 0,
            time: '0.000',
            timestamp: report.startedAt,
          },
          children: report.runErrors.map((e, i) => ({
            name: 'testcase',
            attributes: { classname: 'run', name: `run error ${i + 1}`, time: '0.000' },
            children: [{ name: 'error', attributes: { message: e, type: 'run-error' }, text: e }],
          })),
        },
      ]
    : [];
  totals.tests += report.runErrors.length;
  totals.errors += report.runErrors.length;
  return {
    name: 'testsuites',
    attributes: {
      name: `so-preflight ${report.app.name}: ${report.verdict}`,
      tests: totals.tests,
      failures: totals.failures,
      errors: totals.errors,
      skipped: totals.skipped,
      time: seconds(totalMs || report.durationMs),
    },
    children: [...runErrorSuite, ...suites],
  };
}

export function renderJunit(report: ReadinessReport): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${serializeXml(junitTree(report))}\n`;
}
