/**
 * The JSON config examples in docs/configuring-your-app.md load: whole configs as they are,
 * `"start": {...}` fragments inside a minimal web-app config.
 */
import { test, expect } from '@playwright/test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import { REPO_ROOT } from './gen-rule-docs.ts';

const DOC = 'docs/configuring-your-app.md';

function jsonBlocks(): string[] {
  const text = readFileSync(join(REPO_ROOT, DOC), 'utf8');
  return [...text.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]!.trim());
}

function asConfig(block: string): unknown {
  if (block.startsWith('{')) return JSON.parse(block);
  const start = (JSON.parse(`{${block}}`) as { start: unknown }).start;
  return {
    app: {
      name: 'Docs',
      type: 'web',
      baseURL: 'http://127.0.0.1:${app.port}',
      start,
      signIn: { path: '/login' },
      session: { path: '/me' },
      redirectUris: ['http://127.0.0.1:${app.port}/callback'],
    },
  };
}

test('every JSON config example in docs/configuring-your-app.md is a valid config', async () => {
  const blocks = jsonBlocks();
  expect(blocks.length).toBeGreaterThanOrEqual(4);
  const dir = mkdtempSync(join(tmpdir(), 'so-preflight-doc-configs-'));
  try {
    for (const [i, block] of blocks.entries()) {
      const file = join(dir, `example-${i}.json`);
      writeFileSync(file, JSON.stringify(asConfig(block)));
      const config = await loadConfig(file);
      expect(config.app.name, `example ${i} of ${DOC}`).toBeTruthy();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
