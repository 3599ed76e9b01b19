/**
 * Writes the report folder: `index.html`, `readiness.json`, `junit.xml`, `summary.md` and
 * `evidence/` (files content-addressed by SHA-1). Every text written goes through the redactor
 * as a last line of defence; `summary.md` is appended to `$GITHUB_STEP_SUMMARY` when set.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, extname, isAbsolute, join, resolve } from 'node:path';
import type { Evidence } from '../findings.ts';
import { createRedactor, type Redactor, type SecretInput } from '../evidence/redact.ts';
import type { ReadinessReport } from './model.ts';
import { renderHtml, type EvidenceFile } from './render-html.ts';
import { renderJson } from './render-json.ts';
import { renderJunit } from './render-junit.ts';
import { renderMarkdown } from './render-markdown.ts';

export interface WriteReportOptions {
  /**
   * Contents of file evidence, keyed by the evidence item's `path` (e.g. screenshots the
   * reporter received as attachment bodies). A file evidence path not listed here is read from
   * disk when it is absolute.
   */
  screenshotsAndFiles?:
    ReadonlyMap<string, Uint8Array | string> | Readonly<Record<string, Uint8Array | string>>;
  /** Secret values to redact (in every encoding), besides the generic patterns. */
  secrets?: readonly SecretInput[];
  /** Use this redactor instead of one built from `secrets`. */
  redactor?: Redactor;
  /** Defaults to `process.env`; `GITHUB_STEP_SUMMARY` is read from it. */
  env?: NodeJS.ProcessEnv;
}

export interface WrittenReport {
  dir: string;
  /** Paths of the files written, relative to `dir`. */
  files: string[];
  /** The report as written (redacted, evidence paths rewritten to `evidence/<sha1>.<ext>`). */
  report: ReadinessReport;
}

const EXTENSIONS: Record<string, string> = {
  'image/png': '.png',
  'image/jpeg': '.jpg',
  'image/gif': '.gif',
  'image/webp': '.webp',
  'text/plain': '.txt',
  'text/html': '.html.txt',
  'application/json': '.json',
  'application/zip': '.zip',
  'video/webm': '.webm',
};

function isText(contentType: string): boolean {
  const type = contentType.toLowerCase();
  return (
    type.startsWith('text/') || type.includes('json') || type.includes('xml') || type.includes('javascript')
  );
}

function lookup(
  files: WriteReportOptions['screenshotsAndFiles'],
  path: string,
): Uint8Array | string | undefined {
  if (!files) return undefined;
  if (files instanceof Map) return files.get(path);
  return (files as Readonly<Record<string, Uint8Array | string>>)[path];
}

function extensionFor(contentType: string, path: string): string {
  const known = EXTENSIONS[contentType.toLowerCase().split(';')[0]?.trim() ?? ''];
  if (known) return known;
  const ext = extname(path).toLowerCase();
  // Never keep an extension a browser would render as a page or run.
  return /^\.[a-z0-9]{1,8}$/.test(ext) && !['.html', '.htm', '.svg', '.xhtml', '.js', '.mjs'].includes(ext)
    ? ext
    : '.bin';
}

export async function writeReport(
  report: ReadinessReport,
  outDir: string,
  options: WriteReportOptions = {},
): Promise<WrittenReport> {
  const redactor = options.redactor ?? createRedactor(options.secrets ?? []);
  const dir = resolve(outDir);
  const evidenceDir = join(dir, 'evidence');
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  const evidenceFiles = new Map<string, EvidenceFile>();

  const copyFile = (e: Extract<Evidence, { kind: 'file' }>): Evidence => {
    let content = lookup(options.screenshotsAndFiles, e.path);
    if (content === undefined && isAbsolute(e.path) && existsSync(e.path)) content = readFileSync(e.path);
    if (content === undefined && !isAbsolute(e.path) && existsSync(join(dir, e.path)))
      content = readFileSync(join(dir, e.path));
    if (content === undefined) {
      return {
        kind: 'text',
        label: redactor.redact(e.label),
        text: `evidence file ${basename(e.path)} (${e.contentType}) was not available when the report was written`,
      };
    }
    let data = typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content);
    if (isText(e.contentType)) data = Buffer.from(redactor.redact(data.toString('utf8')), 'utf8');
    const name = `${createHash('sha1').update(data).digest('hex')}${extensionFor(e.contentType, e.path)}`;
    const rel = `evidence/${name}`;
    if (!evidenceFiles.has(rel)) {
      mkdirSync(evidenceDir, { recursive: true });
      writeFileSync(join(evidenceDir, name), data);
      written.push(rel);
      evidenceFiles.set(rel, { contentType: e.contentType, data });
    }
    return { kind: 'file', label: redactor.redact(e.label), path: rel, contentType: e.contentType };
  };

  const clean: ReadinessReport = redactor.redactDeep({
    ...report,
    rules: report.rules.map((rule) => ({
      ...rule,
      checks: rule.checks.map((check) => ({
        ...check,
        evidence: check.evidence.map((e) => (e.kind === 'file' ? copyFile(e) : redactor.redactEvidence(e))),
      })),
    })),
  });

  const outputs: Array<[string, string]> = [
    ['readiness.json', redactor.redact(renderJson(clean))],
    ['junit.xml', redactor.redact(renderJunit(clean))],
    ['summary.md', redactor.redact(renderMarkdown(clean))],
    ['index.html', redactor.redact(renderHtml(clean, { evidenceFiles }))],
  ];
  for (const [name, text] of outputs) {
    writeFileSync(join(dir, name), text, 'utf8');
    written.push(name);
  }

  const stepSummary = (options.env ?? process.env)['GITHUB_STEP_SUMMARY'];
  if (stepSummary)
    appendFileSync(stepSummary, `${outputs.find(([n]) => n === 'summary.md')?.[1] ?? ''}\n`, 'utf8');

  return { dir, files: written, report: clean };
}
