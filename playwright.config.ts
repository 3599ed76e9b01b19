/**
 * The package's own Playwright config, used by `so-preflight check` (which passes the user's
 * resolved config through PREFLIGHT_* environment variables). Not meant to be edited by users.
 */
import { defineConfig, type ReporterDescription } from '@playwright/test';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { findBrowser, launchOptions } from './src/browser.ts';
import { defaultWorkers, phaseProjects } from './src/target/phases.ts';

const env = process.env;
// The checkout runs the TypeScript sources; the installed package runs dist/, compiled to .js.
const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
const out = resolve(env['PREFLIGHT_OUT'] ?? 'preflight-report');
const artifacts = env['PREFLIGHT_ARTIFACTS'] ?? join(tmpdir(), `so-preflight-artifacts-${process.pid}`);
const browser = findBrowser();
// The `--rules` selection (set by the CLI) picks the tests within each phase (src/target/phases.ts).
const rules = env['PREFLIGHT_RULES']?.split(',').filter(Boolean);

const reporters: ReporterDescription[] = [[resolve(import.meta.dirname, `reporters/readiness.${ext}`)]];
if (env['PREFLIGHT_BLOB_DIR']) reporters.push(['blob', { outputDir: env['PREFLIGHT_BLOB_DIR'] }]);
if (env['PREFLIGHT_ALLURE_DIR'])
  reporters.push(['allure-playwright', { resultsDir: env['PREFLIGHT_ALLURE_DIR'], detail: false }]);

export default defineConfig({
  testDir: resolve(import.meta.dirname, 'suites'),
  testMatch: `**/*.spec.${ext}`,
  timeout: Number(env['PREFLIGHT_TEST_TIMEOUT'] ?? 60_000),
  // Workers share the run's one emulator and app (src/target/run.ts); each test has its own flow.
  workers: Number(env['PREFLIGHT_WORKERS'] ?? defaultWorkers(availableParallelism())),
  fullyParallel: true,
  // Shared checks on every worker first, then the checks that change what every flow sees, alone.
  projects: phaseProjects(rules?.length ? rules : undefined, !!env['PREFLIGHT_SHARD']),
  retries: 0,
  forbidOnly: true,
  outputDir: artifacts,
  preserveOutput: 'always',
  reporter: reporters,
  metadata: { out },
  use: {
    // Traces and videos would hold tokens in clear; evidence is recorded and redacted by the harness.
    trace: 'off',
    video: 'off',
    screenshot: 'off',
    actionTimeout: 15_000,
    navigationTimeout: 15_000,
    launchOptions: launchOptions(browser),
  },
});
