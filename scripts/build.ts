/**
 * `npm run build` (and `prepack`): compiles src/, fixtures/, suites/, reporters/ and
 * playwright.config.ts to JavaScript + .d.ts in dist/ (tsconfig.build.json; relative `.ts` imports
 * become `.js`), and copies what the compiled code reads at run time (the report's JSON Schema).
 * dist/ is rebuilt from nothing, so a deleted source never ships.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const dist = join(root, 'dist');
const started = Date.now();

rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], {
  cwd: root,
  stdio: 'inherit',
});
if (r.status !== 0) {
  console.error(`build: tsc failed (exit ${r.status ?? r.signal})`);
  process.exit(1);
}
// src/report/schema.ts reads ../../schema/ relative to itself: dist/schema/ once compiled.
cpSync(join(root, 'schema'), join(dist, 'schema'), { recursive: true });
for (const f of [
  'src/index.js',
  'src/index.d.ts',
  'fixtures/journey.js',
  'fixtures/journey.d.ts',
  'src/cli/main.js',
  'playwright.config.js',
  'reporters/readiness.js',
]) {
  if (!existsSync(join(dist, f))) {
    console.error(`build: dist/${f} is missing`);
    process.exit(1);
  }
}
console.log(`build: dist/ written in ${((Date.now() - started) / 1000).toFixed(1)} s`);
