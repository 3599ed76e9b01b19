/**
 * A config file imports `defineConfig` from 'so-preflight'. Whoever loads the config (the CLI,
 * the Playwright runner, workers and reporter, the harness's own tests) resolves that name to this
 * very copy of so-preflight: its TypeScript sources in a checkout (no build needed), its dist/ when
 * installed. So a config loads even where Node would not find the package from the config's
 * folder (a global install, npx without a local install), and never binds to a second copy.
 */
import { registerHooks } from 'node:module';

const EXT = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
const SELF = new URL(`../index.${EXT}`, import.meta.url).href;
const JOURNEY = new URL(`../../fixtures/journey.${EXT}`, import.meta.url).href;

let registered = false;

/** Makes 'so-preflight' (and 'so-preflight/journey') resolve to this package's own copy, once per process. */
export function resolveSelfImports(): void {
  if (registered || typeof registerHooks !== 'function') return;
  registered = true;
  registerHooks({
    resolve(specifier, context, nextResolve) {
      if (specifier === 'so-preflight') return { url: SELF, shortCircuit: true };
      if (specifier === 'so-preflight/journey') return { url: JOURNEY, shortCircuit: true };
      return nextResolve(specifier, context);
    },
  });
}
