/**
 * The readiness report: model, builder, verdict, baseline, renderers and writer. Everything
 * here is plain TypeScript (no Playwright), used by the readiness reporter and the CLI.
 */
export * from './model.ts';
export {
  buildReport,
  mergeResults,
  defaultRuleApplies,
  type BuildReportInput,
  type TestResultInput,
  type TestOutcome,
  type ResultsPart,
  type AttestationItemInput,
} from './build.ts';
export { loadBaseline, parseBaseline, BaselineError, type Baseline, type BaselineEntry } from './baseline.ts';
export { renderJson, reportToJsonValue } from './render-json.ts';
export { renderJunit, junitTree, serializeXml, xmlEscape, type XmlNode } from './render-junit.ts';
export { renderMarkdown } from './render-markdown.ts';
export { renderHtml, escapeHtml, type RenderHtmlOptions, type EvidenceFile } from './render-html.ts';
export { writeReport, type WriteReportOptions, type WrittenReport } from './write.ts';
export { validateReport, loadReportSchema, REPORT_SCHEMA_URL, type SchemaValidation } from './schema.ts';
export { summaryLines } from './terminal.ts';
