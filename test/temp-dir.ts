import { test } from '@playwright/test';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A fresh folder inside the running test's own output folder (under test-results/), which
 * Playwright empties at the start of the next run, so unit tests leave nothing in the system's
 * temporary folder.
 */
export function tempDir(prefix: string): string {
  const root = test.info().outputPath();
  mkdirSync(root, { recursive: true });
  return mkdtempSync(join(root, prefix));
}
