/**
 * The closing lines the CLI and the reporter print after a run: the verdict, the counts, the
 * failed rules, and where the report is.
 */
import { join } from 'node:path';
import type { ReadinessReport } from './model.ts';

const VERDICT_WORDS = { ready: 'READY', 'not-ready': 'NOT READY', incomplete: 'INCOMPLETE' } as const;

export function summaryLines(report: ReadinessReport, outDir?: string): string[] {
  const s = report.summary;
  const lines = [
    `so-preflight: ${VERDICT_WORDS[report.verdict]}: ${report.verdictReason}`,
    `  ${s.passed} passed, ${s.failed} failed, ${s.errors} errors, ${s.warnings} warnings, ${s.manual} manual, ${s.notRun} not run, ${s.notApplicable} not applicable`,
  ];
  for (const rule of report.rules) {
    if (rule.status === 'fail' || rule.status === 'error') {
      const mark = rule.status === 'fail' ? (rule.baselined ? 'FAIL (baselined)' : 'FAIL') : 'ERROR';
      lines.push(`  ${mark} ${rule.id} [${rule.severity}]: ${rule.reason}`);
    }
  }
  for (const error of report.runErrors) lines.push(`  run error: ${error}`);
  if (outDir) lines.push(`  report: ${join(outDir, 'index.html')}`);
  return lines;
}
