import { defineConfig } from '@playwright/test';
import { findBrowser } from '../src/browser.ts';

const browser = findBrowser();

/** The harness's own tests: unit tests, emulator integration tests, example-app tests. */
export default defineConfig({
  testDir: '.',
  testMatch: '**/*.test.ts',
  testIgnore: ['**/matrix/**'],
  timeout: 60_000,
  fullyParallel: true,
  workers: 2,
  forbidOnly: !!process.env['CI'],
  reporter: [['list'], ['json', { outputFile: '../test-results/unit-results.json' }]],
  outputDir: '../test-results/unit',
  use: {
    ignoreHTTPSErrors: false,
    launchOptions: { executablePath: browser.executablePath, args: browser.args },
  },
});
