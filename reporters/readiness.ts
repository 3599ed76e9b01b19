/**
 * The readiness reporter: Playwright results -> report model -> files. Implements only the
 * public Reporter interface; the verdict is derived in onEnd from the whole suite, including
 * tests that never ran. Prints one progress line per finding and a closing summary.
 */
import type {
  FullConfig,
  FullResult,
  Reporter,
  Suite,
  TestCase,
  TestResult,
  TestError,
} from '@playwright/test/reporter';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FINDING_CONTENT_TYPE, decodeFinding, type Finding } from '../src/findings.ts';
import { loadConfig } from '../src/config/load.ts';
import { RULES, ATTESTATION_ITEMS, ruleApplies } from '../src/rules/index.ts';
import { KNOWN_GAPS } from '../src/rules/gaps.ts';
import { buildReport, writeReport, loadBaseline } from '../src/report/index.ts';
import { createRedactor } from '../src/evidence/redact.ts';
import { summaryLines } from '../src/report/terminal.ts';
import { TOOL_VERSION } from '../src/version.ts';

import { redactPorts } from '../src/target/process.ts';
import { NOTE_ANNOTATION } from '../src/target/phases.ts';
import { MANIFEST_ENV, type RunManifest } from '../src/target/run.ts';
import { browserOfRun } from '../src/browser.ts';

export const RUN_ERROR_PREFIX = 'so-preflight run error: ';
const RUN_ERROR_LINE = new RegExp(`^(?:[A-Za-z]*Error: )?${RUN_ERROR_PREFIX}(.*)$`);

export interface TestRecord {
  test: string;
  ruleIds: string[];
  outcome: 'passed' | 'failed' | 'skipped' | 'timedOut' | 'interrupted';
  error?: string;
  /** When the test started (ISO 8601); absent for a test that never ran. */
  startedAt?: string;
  /** The phase (Playwright project, src/target/phases.ts) the test ran in; absent in a sharded run. */
  phase?: string;
  durationMs: number;
  findings: Finding[];
  /**
   * How the harness ran the check, when it had to deviate from the usual (annotations of type
   * `so-preflight`), e.g. "checked on the run's tenant, alone: ..." for a check that changes a
   * tenant and whose app refused a tenant of the check's own.
   */
  notes?: string[];
}

function ruleTags(test: TestCase): string[] {
  return test.tags.map((t) => t.replace(/^@/, '')).filter((t) => /^[A-Z0-9]+(-[A-Z0-9.]+)+$/.test(t));
}

/**
 * The run problem a test error reports, when it is one: the fixtures throw
 * `so-preflight run error: ...`, which Playwright shows as `Error: so-preflight run error: ...`.
 */
export function runErrorOf(line: string | undefined): string | undefined {
  const m = line === undefined ? null : RUN_ERROR_LINE.exec(line);
  return m ? m[1] : undefined;
}

/** A test as reports name it: its file and titles, without the phase (project) it ran in. */
function testTitle(test: TestCase): string {
  return test.titlePath().slice(2).join(' › ');
}

// eslint-disable-next-line no-control-regex -- terminal colour codes start with ESC
const ANSI_COLOURS = /\u001b\[[0-9;]*m/g;

function firstLine(error: TestError | undefined): string | undefined {
  const msg = error?.message ?? error?.value;
  if (!msg) return undefined;
  return msg
    .replace(ANSI_COLOURS, '')
    .split('\n')
    .find((l) => l.trim())
    ?.trim();
}

export default class ReadinessReporter implements Reporter {
  private suite: Suite | undefined;
  private readonly records = new Map<TestCase, TestRecord>();
  private readonly runErrors: string[] = [];
  private readonly started = new Date();

  printsToStdio(): boolean {
    return true;
  }

  onBegin(_config: FullConfig, suite: Suite): void {
    this.suite = suite;
    const n = suite.allTests().length;
    process.stdout.write(`so-preflight: running ${n} check${n === 1 ? '' : 's'}\n`);
  }

  onTestEnd(test: TestCase, result: TestResult): void {
    const findings: Finding[] = [];
    const errors: string[] = [];
    for (const a of result.attachments) {
      if (a.contentType === FINDING_CONTENT_TYPE && a.body) {
        const decoded = decodeFinding(a.body);
        if (decoded.ok) findings.push(decoded.finding);
        else errors.push(decoded.error);
      }
    }
    const err = firstLine(result.error);
    const runError = runErrorOf(err);
    const firstOfItsKind =
      runError !== undefined && !this.runErrors.some((e) => redactPorts(e) === redactPorts(runError));
    if (runError !== undefined) this.addRunError(runError);
    const phase = test.parent.project()?.name;
    const rec: TestRecord = {
      test: testTitle(test),
      ruleIds: ruleTags(test),
      outcome: result.status === 'passed' ? 'passed' : result.status,
      ...(result.status !== 'skipped' ? { startedAt: result.startTime.toISOString() } : {}),
      ...(phase ? { phase } : {}),
      durationMs: result.duration,
      findings,
    };
    // A skipped check says why (e.g. "native apps ..."), so the report shows the reason per rule.
    const skipReason =
      result.status === 'skipped'
        ? [...result.annotations, ...test.annotations].find((a) => a.type === 'skip' && a.description)
            ?.description
        : undefined;
    const errorText = [err ?? (skipReason ? `skipped: ${skipReason}` : undefined), ...errors]
      .filter(Boolean)
      .join('; ');
    if (errorText) rec.error = errorText;
    const notes = result.annotations
      .filter((a) => a.type === NOTE_ANNOTATION && a.description)
      .map((a) => a.description!);
    if (notes.length) rec.notes = notes;
    this.records.set(test, rec);
    for (const f of findings) {
      const mark =
        f.status === 'pass'
          ? 'ok  '
          : f.status === 'fail'
            ? 'FAIL'
            : f.status === 'warn'
              ? 'warn'
              : f.status === 'not-run'
                ? 'skip'
                : 'ERR ';
      process.stdout.write(`  ${mark} ${f.rule.padEnd(28)} ${f.title}\n`);
    }
    for (const note of notes) process.stdout.write(`  note ${test.title}: ${note}\n`);
    if (findings.length === 0 && result.status !== 'passed' && result.status !== 'skipped') {
      // A run problem (e.g. the app did not start) is printed once, not once per check.
      const why =
        runError === undefined
          ? (err ?? result.status)
          : firstOfItsKind
            ? `RUN ERROR: ${runError}`
            : 'run error (see above)';
      process.stdout.write(`  ERR  ${rec.ruleIds.join(',').padEnd(28)} ${test.title}: ${why}\n`);
    }
  }

  onError(error: TestError): void {
    const line = firstLine(error);
    const message = runErrorOf(line) ?? line;
    if (message) this.addRunError(message);
  }

  /**
   * Every worker starts its own copy of the app on its own port, so one start problem arrives once
   * per worker with a different port: keep the first of those.
   */
  private addRunError(message: string): void {
    const key = (m: string) => redactPorts(m);
    if (!this.runErrors.some((e) => key(e) === key(message))) this.runErrors.push(message);
  }

  async onEnd(result: FullResult): Promise<void> {
    const out = resolve(process.env['PREFLIGHT_OUT'] ?? 'preflight-report');
    const records: TestRecord[] = [];
    for (const test of this.suite?.allTests() ?? []) {
      records.push(
        this.records.get(test) ?? {
          test: testTitle(test),
          ruleIds: ruleTags(test),
          outcome: 'skipped',
          durationMs: 0,
          findings: [],
        },
      );
    }
    if (result.status === 'interrupted')
      this.runErrors.push('the run was interrupted before all checks finished');
    if (result.status === 'timedout') this.runErrors.push('the run hit its global time limit');

    // Playwright's own run span: for `merge-reports` (so-preflight report) it covers all shards.
    const startedAt = (
      result.startTime instanceof Date && !Number.isNaN(result.startTime.getTime())
        ? result.startTime
        : this.started
    ).toISOString();
    const durationMs = Number.isFinite(result.duration)
      ? Math.round(result.duration)
      : Date.now() - this.started.getTime();

    // Shards write raw records; `so-preflight report` merges and renders them.
    mkdirSync(out, { recursive: true });
    // Findings were redacted in the worker with the run's secret values; this pass catches
    // token-shaped strings in error messages with the generic patterns.
    const redactor = createRedactor([]);
    writeFileSync(
      join(out, 'results.json'),
      redactor.redact(JSON.stringify({ startedAt, durationMs, runErrors: this.runErrors, records }, null, 2)),
    );
    try {
      const report = await renderFromRecords({
        out,
        startedAt,
        durationMs,
        runErrors: this.runErrors,
        records,
      });
      for (const line of summaryLines(report, out)) process.stdout.write(`${line}\n`);
    } catch (e) {
      process.stdout.write(`so-preflight: could not write the report: ${(e as Error).message}\n`);
      process.exitCode = 3;
    }
  }
}

export interface RenderInput {
  out: string;
  startedAt: string;
  durationMs: number;
  runErrors: string[];
  records: TestRecord[];
}

/** The browser the CLI chose for this run, in words, for the report. */
function browserUsed(): { browser?: string } {
  const choice = browserOfRun();
  if (!choice) return {};
  return { browser: `${choice.description}${choice.version ? ` (${choice.version})` : ''}` };
}

/** Build and write the report from raw records (also used by `so-preflight report` to merge shards). */
export async function renderFromRecords(input: RenderInput) {
  // The run's own app port, so the report names the URL that was checked.
  const manifestFile = process.env[MANIFEST_ENV];
  const appPort =
    manifestFile && existsSync(manifestFile)
      ? (JSON.parse(readFileSync(manifestFile, 'utf8')) as RunManifest).appPort
      : 0;
  const config = await loadConfig(process.env['PREFLIGHT_CONFIG'], { appPort });
  const baselineFile = process.env['PREFLIGHT_BASELINE'];
  const selected = process.env['PREFLIGHT_RULES'];
  const report = buildReport({
    tool: { name: 'so-preflight', version: TOOL_VERSION, ...browserUsed() },
    app: {
      name: config.app.name,
      type: config.app.type,
      certification: config.app.certification,
      baseURL: (config.app.baseURL ?? '').replace(/:0(?=\/|$)/, ':${app.port}'),
      environment: config.superoffice.environment,
      tenant: config.superoffice.tenant,
    },
    startedAt: input.startedAt,
    durationMs: input.durationMs,
    rules: RULES,
    attestationItems: ATTESTATION_ITEMS,
    applies: ruleApplies,
    ...(selected ? { selectedRules: selected.split(',').filter(Boolean) } : {}),
    results: input.records,
    runErrors: input.runErrors,
    ...(baselineFile ? { baseline: loadBaseline(baselineFile, RULES) } : {}),
    notAutomated: KNOWN_GAPS,
    ...(process.env['PREFLIGHT_SHARD'] ? { shard: process.env['PREFLIGHT_SHARD'] } : {}),
    ...(process.env['PREFLIGHT_SHUFFLE'] ? { shuffleSeed: process.env['PREFLIGHT_SHUFFLE'] } : {}),
  });
  await writeReport(report, input.out);
  return report;
}
