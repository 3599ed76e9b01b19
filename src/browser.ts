/**
 * Finding a Chromium to drive. Order: `PREFLIGHT_CHROMIUM`, Playwright's own installed Chromium,
 * then the system's (`/usr/bin/chromium`, `chromium-browser`, `google-chrome`).
 */
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

export interface BrowserChoice {
  /** Absolute path, or undefined to let Playwright use its own installed browser. */
  executablePath: string | undefined;
  source: 'PREFLIGHT_CHROMIUM' | 'playwright' | 'system';
  args: string[];
}

const SYSTEM_CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/snap/bin/chromium',
];

/** Flags that keep Chromium quiet on a closed network and runnable as root. */
export const CHROMIUM_ARGS = [
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export class BrowserNotFoundError extends Error {
  readonly code = 'BROWSER_NOT_FOUND';
  constructor(message: string) {
    super(message);
    this.name = 'BrowserNotFoundError';
  }
}

function rootArgs(): string[] {
  return typeof process.getuid === 'function' && process.getuid() === 0 ? ['--no-sandbox'] : [];
}

/** Throws {@link BrowserNotFoundError} with a one-line instruction when no browser exists. */
export function findBrowser(env: NodeJS.ProcessEnv = process.env): BrowserChoice {
  const args = [...CHROMIUM_ARGS, ...rootArgs()];
  const override = env['PREFLIGHT_CHROMIUM'];
  if (override) {
    if (!existsSync(override)) {
      throw new BrowserNotFoundError(
        `PREFLIGHT_CHROMIUM points at ${override}, which does not exist; set it to a Chromium executable or unset it`,
      );
    }
    return { executablePath: override, source: 'PREFLIGHT_CHROMIUM', args };
  }
  let bundled: string | undefined;
  try {
    bundled = chromium.executablePath();
  } catch {
    bundled = undefined;
  }
  if (bundled && existsSync(bundled)) return { executablePath: undefined, source: 'playwright', args };
  for (const candidate of SYSTEM_CANDIDATES) {
    if (existsSync(candidate)) return { executablePath: candidate, source: 'system', args };
  }
  throw new BrowserNotFoundError(
    'no Chromium found: install one (Debian/Ubuntu: apt-get install chromium; or npx playwright install chromium) or set PREFLIGHT_CHROMIUM to its path',
  );
}
