import { existsSync, readFileSync } from 'node:fs';

// src/version.ts runs from the checkout (../package.json) or, built, from dist/src/version.js
// (../../package.json).
const pkgFile = [
  new URL('../package.json', import.meta.url),
  new URL('../../package.json', import.meta.url),
].find((u) => existsSync(u));

/** The package version, read once from package.json. */
export const TOOL_VERSION: string = (
  JSON.parse(readFileSync(pkgFile ?? new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;
