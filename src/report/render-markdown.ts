/**
 * `summary.md`: the verdict, a summary table, and one line per failed or errored rule (ID,
 * title, why, docs link). Suitable for `$GITHUB_STEP_SUMMARY`. Everything that came from the app
 * or the network is escaped so it renders as text, never as markup, links or images.
 */
import type { ReadinessReport, RuleResult } from './model.ts';

const VERDICT_WORDS = { ready: 'READY', 'not-ready': 'NOT READY', incomplete: 'INCOMPLETE' } as const;

/** Markdown (and the HTML GitHub allows in it) as literal text, on one line. */
export function mdText(value: string, max = 300): string {
  const line = String(value).replace(/\s+/g, ' ').trim();
  const short = line.length > max ? `${line.slice(0, max - 1)}…` : line;
  return short
    .replace(/&/g, '&amp;')
    .replace(/[\\`*_{}[\]<>!|~]/g, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : `\\${c}`));
}

function mdLink(title: string, url: string): string {
  if (!/^https?:\/\//i.test(url)) return mdText(title);
  return `[${mdText(title)}](${url.replace(/[()\s<>]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)})`;
}

function ruleLine(rule: RuleResult): string {
  const status =
    rule.status === 'fail' ? (rule.baselined ? 'FAIL (baselined)' : 'FAIL') : rule.status.toUpperCase();
  const docs = rule.docs.length ? ` (${rule.docs.map((d) => mdLink(d.title, d.url)).join(', ')})` : '';
  return `- **${status}** \`${rule.id}\` ${mdText(rule.title)} [${rule.severity}]: ${mdText(rule.reason)}${docs}`;
}

export function renderMarkdown(report: ReadinessReport): string {
  const s = report.summary;
  const out: string[] = [];
  out.push(`## so-preflight: ${VERDICT_WORDS[report.verdict]} for ${mdText(report.app.name, 120)}`);
  out.push('');
  out.push(`**Verdict: ${VERDICT_WORDS[report.verdict]}.** ${mdText(report.verdictReason, 600)}`);
  out.push('');
  out.push(
    `${report.app.certification} ${report.app.type} app, environment ${mdText(report.app.environment)}, tenant ${mdText(report.app.tenant)}; so-preflight ${mdText(report.tool.version)}${report.tool.browser ? ` in ${mdText(report.tool.browser)}` : ''}, started ${report.startedAt}, took ${Math.round(report.durationMs / 1000)} s${report.shuffleSeed ? `, checks in a shuffled order (seed ${mdText(report.shuffleSeed)})` : ''}.`,
  );
  out.push('');
  out.push('| Status | Rules |');
  out.push('| --- | ---: |');
  const rows: Array<[string, number]> = [
    ['passed', s.passed],
    ['failed', s.failed],
    ['errors', s.errors],
    ['warnings', s.warnings],
    ['manual (attest)', s.manual],
    ['not run', s.notRun],
    ['not applicable', s.notApplicable],
  ];
  if (s.baselined) rows.push(['failed, accepted by baseline', s.baselined]);
  for (const [label, n] of rows) out.push(`| ${label} | ${n} |`);
  if (report.runErrors.length) {
    out.push('');
    out.push('### Run errors');
    out.push('');
    for (const e of report.runErrors) out.push(`- ${mdText(e, 400)}`);
  }
  if (report.staleBaseline?.length) {
    out.push('');
    out.push('### Stale baseline');
    out.push('');
    out.push(
      `These baseline entries no longer fail; remove them from the baseline file: ${report.staleBaseline.map((id) => `\`${id}\``).join(', ')}`,
    );
  }
  const order = (r: RuleResult): number =>
    r.status === 'fail' ? (r.baselined ? 2 : r.severity === 'blocking' ? 0 : 1) : 3;
  const bad = report.rules
    .filter((r) => r.status === 'fail' || r.status === 'error')
    .sort((a, b) => order(a) - order(b));
  if (bad.length) {
    out.push('');
    out.push('### Failed and errored rules');
    out.push('');
    for (const rule of bad) out.push(ruleLine(rule));
  }
  const warned = report.rules.filter((r) => r.status === 'warn');
  if (warned.length) {
    out.push('');
    out.push('### Warnings');
    out.push('');
    for (const rule of warned) out.push(ruleLine(rule));
  }
  out.push('');
  out.push(
    'The full report with evidence is `index.html` in the report folder; `readiness.json` is the machine-readable form.',
  );
  return `${out.join('\n')}\n`;
}
