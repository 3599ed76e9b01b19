#!/usr/bin/env node
// so-preflight's command. Kept to syntax every Node since 14 parses, so an old Node reaches the
// one-line "too old" message. An installed package runs the compiled dist/; a checkout of the
// repository runs the TypeScript sources (Node strips the types), or dist/ when built and the
// sources cannot run.
import { existsSync, readFileSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const engines = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')).engines || {};
const [needMajor, needMinor] = (/(\d+)(?:\.(\d+))?/.exec(engines.node || '') || [0, 22, 18])
  .slice(1)
  .map(Number);
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < needMajor || (major === needMajor && minor < (needMinor || 0))) {
  console.error(
    `so-preflight: Node ${process.versions.node} is too old; install Node ${needMajor}.${needMinor || 0} or newer (https://nodejs.org) and run it again`,
  );
  process.exit(2);
}
// A partner project without "type": "module" makes Node warn once that its preflight.config.ts
// "is not specified" as ESM. It loads fine; the warning would only confuse. Every other warning
// stays.
const emitWarning = process.emitWarning;
process.emitWarning = function (warning, ...rest) {
  const code = rest[0] && typeof rest[0] === 'object' ? rest[0].code : rest[1];
  if (code === 'MODULE_TYPELESS_PACKAGE_JSON') return;
  return emitWarning.call(process, warning, ...rest);
};
const source = new URL('src/cli/main.ts', root);
const built = new URL('dist/src/cli/main.js', root);
const entry = existsSync(source) && process.features.typescript ? source : built;
if (!existsSync(entry)) {
  console.error('so-preflight: this checkout has no dist/; run "npm run build" (or use Node 22.18 or newer)');
  process.exit(2);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
