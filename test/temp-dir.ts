import { test } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made = new Map<string, string[]>();

/**
 * A fresh folder in the system's temporary folder, for the running test; {@link removeTempDirs}
 * (in `test.afterEach`) removes it. Not `testInfo.outputPath`: another `playwright test` run of this
 * repository empties test-results/ when it starts.
 */
export function tempDir(prefix: string): string {
  const id = test.info().testId;
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.set(id, [...(made.get(id) ?? []), dir]);
  return dir;
}

/** For `test.afterEach`: removes the folders this test made, unless it went other than expected. */
export function removeTempDirs(): void {
  const info = test.info();
  const dirs = made.get(info.testId) ?? [];
  made.delete(info.testId);
  if (info.status !== info.expectedStatus) return;
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}
