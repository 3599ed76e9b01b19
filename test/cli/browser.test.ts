/**
 * Browser discovery: PREFLIGHT_BROWSER_DISCOVERY limits the steps (a bad value is bad usage, no
 * browser is exit 3 with one line naming the install command); `--version` names the browser; the
 * bundled Chromium (@sparticuz/chromium) unpacks once even when two processes race for it, drops
 * the Lambda flags that would change the web platform, and runs a page; it is chosen before the
 * system's Chromium, which takes over when the bundled one cannot be unpacked.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import { test, expect } from '@playwright/test';
import { chromium } from 'playwright-core';
import {
  bundledPackage,
  discoverBrowser,
  findBrowser,
  launchOptions,
  type BrowserChoice,
} from '../../src/browser.ts';
import {
  REPO_ROOT,
  acmeWebConfig,
  cleanScratch,
  explain,
  expectNoStackTrace,
  expectOneLine,
  runCli,
  scratch,
  writeJson,
} from './support.ts';

test.afterEach(cleanScratch);

const bundledHere = process.platform === 'linux' && process.arch === 'x64';

test('no browser the discovery may use: exit 3, one line naming the install command', async () => {
  const empty = scratch('no-browsers');
  mkdirSync(empty);
  const file = writeJson(scratch('preflight.config.json'), acmeWebConfig());
  const r = await runCli(['check', '--config', file], {
    env: {
      PREFLIGHT_BROWSER_DISCOVERY: 'playwright',
      PLAYWRIGHT_BROWSERS_PATH: empty,
      PREFLIGHT_CHROMIUM: undefined,
    },
  });
  expect(r.code, explain(r)).toBe(3);
  expectOneLine(r);
  expect(r.message).toMatch(
    /^so-preflight: no Chromium found \(PREFLIGHT_BROWSER_DISCOVERY allows playwright\): Playwright's Chromium is not installed .*; install one \(.*npx playwright install chromium.*\) or set PREFLIGHT_CHROMIUM/,
  );
  expect(r.stdout).not.toContain('running');
  expectNoStackTrace(r);
});

test('a PREFLIGHT_BROWSER_DISCOVERY it does not understand: exit 2, one line listing the values', async () => {
  const file = writeJson(scratch('preflight.config.json'), acmeWebConfig());
  const r = await runCli(['check', '--config', file], {
    env: { PREFLIGHT_BROWSER_DISCOVERY: 'system,firefox' },
  });
  expect(r.code, explain(r)).toBe(2);
  expectOneLine(r);
  expect(r.message).toBe(
    'so-preflight: PREFLIGHT_BROWSER_DISCOVERY=system,firefox is not understood; use all, bundled-only or a comma list of env, playwright, bundled, system',
  );
});

test('--version keeps stdout to the version and names Node and the browser on stderr', async () => {
  const r = await runCli(['--version']);
  expect(r.code, explain(r)).toBe(0);
  expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  expect(r.stderr).toContain(`node ${process.versions.node}; browser: `);
});

test("Playwright's own Chromium, where Playwright installs it, is still found (discovery loads playwright-core only when that folder has a Chromium)", async () => {
  test.skip(process.platform === 'win32', 'the stand-in executable is a shell script');
  const browsers = scratch('ms-playwright');
  mkdirSync(browsers);
  // Where Playwright itself expects its Chromium under this folder, from Playwright.
  const expected = execFileSync(
    process.execPath,
    ['-e', "process.stdout.write(require('playwright-core').chromium.executablePath())"],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, PLAYWRIGHT_BROWSERS_PATH: browsers },
      encoding: 'utf8',
    },
  );
  expect(expected.startsWith(browsers), expected).toBe(true);
  mkdirSync(dirname(expected), { recursive: true });
  writeFileSync(expected, '#!/bin/sh\necho "Chromium 140.0.1234.5"\n', { mode: 0o755 });

  const r = await runCli(['--version'], {
    env: {
      PREFLIGHT_BROWSER_DISCOVERY: 'playwright',
      PLAYWRIGHT_BROWSERS_PATH: browsers,
      PREFLIGHT_CHROMIUM: undefined,
    },
  });
  expect(r.code, explain(r)).toBe(0);
  expect(r.stderr).toContain(`browser: Playwright's Chromium at ${expected} (Chromium 140.0.1234.5)`);

  // A folder with other browsers only: not installed, said without asking Playwright.
  const others = scratch('ms-playwright-firefox');
  mkdirSync(join(others, 'firefox-1490'), { recursive: true });
  await expect(
    discoverBrowser({
      ...process.env,
      PREFLIGHT_BROWSER_DISCOVERY: 'playwright',
      PLAYWRIGHT_BROWSERS_PATH: others,
      PREFLIGHT_CHROMIUM: '',
    }),
  ).rejects.toThrow(/Playwright's Chromium is not installed/);
});

test.describe('the bundled Chromium', () => {
  test.skip(!bundledHere, '@sparticuz/chromium ships Linux x64 only');
  test.setTimeout(180_000);

  test('two processes unpack it at once: one copy, no leftovers; it launches and runs a page without the Lambda flags', async () => {
    const cache = scratch('cache');
    const env = {
      ...process.env,
      PREFLIGHT_BROWSER_DISCOVERY: 'bundled-only',
      PREFLIGHT_CACHE_DIR: cache,
      PREFLIGHT_BROWSER: '',
    };
    const script = `const m = await import(${JSON.stringify(pathToFileURL(join(REPO_ROOT, 'src', 'browser.ts')).href)});
process.stdout.write(JSON.stringify(await m.discoverBrowser()));`;
    const discover = () =>
      new Promise<BrowserChoice>((resolveChoice, reject) => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env });
        let out = '';
        let err = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.on('close', (code) =>
          code === 0
            ? resolveChoice(JSON.parse(out) as BrowserChoice)
            : reject(new Error(`exit ${code}: ${err}`)),
        );
      });
    const [a, b] = await Promise.all([discover(), discover()]);
    expect(a.source).toBe('bundled');
    expect(a.executablePath).toBe(b.executablePath);
    expect(a.executablePath).toMatch(/chromium-\d+\.\d+\.\d+\/chromium$/);
    expect(readdirSync(cache), 'no staging folders left behind').toEqual([
      a.executablePath!.split('/').at(-2),
    ]);
    // Every Lambda flag left out, by prefix (`--use-gl=angle` as much as `--use-gl=swiftshader`).
    for (const flag of [
      '--disable-web-security',
      '--allow-running-insecure-content',
      '--single-process',
      '--no-zygote',
      '--in-process-gpu',
      '--use-gl=',
      '--use-angle=',
      '--enable-unsafe-swiftshader',
      '--ignore-gpu-blocklist',
      '--disable-features=',
      '--enable-features=',
      '--headless',
    ]) {
      expect(
        a.args.filter((f) => f.startsWith(flag)),
        flag,
      ).toEqual([]);
    }

    // Unpacked now: the synchronous discovery finds it without a child process.
    const again = findBrowser(env);
    expect(again.executablePath).toBe(a.executablePath);
    expect(existsSync(again.executablePath!)).toBe(true);

    const browser = await chromium.launch({ ...launchOptions(again), headless: true });
    try {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.setContent('<script>document.title = [1, 2, 3].map((n) => n * 2).join(",")</script>');
      expect(await page.title()).toBe('2,4,6');
      // Without the Lambda GPU flags pages still get WebGL, as on a partner's users' browsers.
      expect(await page.evaluate(() => !!document.createElement('canvas').getContext('webgl'))).toBe(true);
      // Renderers are forked from a zygote, not each a fresh exec (see BUNDLED_ARGS_LEFT_OUT).
      expect(chromiumProcessTypes(again.executablePath!)).toContain('zygote');
      // A context closes without taking the browser down (it would with --single-process).
      await context.close();
      const next = await browser.newPage();
      await next.setContent('<p>still here</p>');
      expect(await next.textContent('p')).toBe('still here');
    } finally {
      await browser.close();
    }
  });

  /** The `--type=` of each running process of the Chromium at `executable` (browser: none). */
  function chromiumProcessTypes(executable: string): string[] {
    const types: string[] = [];
    for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      let cmdline: string;
      try {
        // Chromium's child processes rewrite their title: one string, spaces instead of NULs.
        cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      } catch {
        continue; // gone meanwhile
      }
      if (!cmdline.startsWith(`${executable} `)) continue;
      types.push(/ --type=(\S+)/.exec(cmdline)?.[1] ?? 'browser');
    }
    return types;
  }

  /** The system's Chromium as discovery finds it, if this machine has one. */
  const systemChromium = (() => {
    try {
      return findBrowser({ ...process.env, PREFLIGHT_BROWSER: '', PREFLIGHT_BROWSER_DISCOVERY: 'system' })
        .executablePath;
    } catch {
      return undefined;
    }
  })();

  test('it comes before the system Chromium, which takes over when it cannot be unpacked', async () => {
    test.skip(!systemChromium, 'no system Chromium to compare with');
    const noPlaywright = scratch('no-browsers');
    mkdirSync(noPlaywright);
    const cache = scratch('cache');
    const base = {
      ...process.env,
      PLAYWRIGHT_BROWSERS_PATH: noPlaywright,
      PREFLIGHT_CACHE_DIR: cache,
      PREFLIGHT_CHROMIUM: '',
      PREFLIGHT_BROWSER: '',
      PREFLIGHT_BROWSER_DISCOVERY: 'all',
    };
    const chosen = await discoverBrowser(base);
    expect(chosen.source, chosen.description).toBe('bundled');

    // A file where the unpacked folder must go: the unpack fails, the system's Chromium is used.
    const pkg = bundledPackage();
    if ('missing' in pkg) throw new Error(pkg.missing);
    const blocked = scratch('blocked-cache');
    mkdirSync(blocked);
    writeFileSync(join(blocked, `chromium-${pkg.version}`), 'not a folder');
    const fallback = await discoverBrowser({ ...base, PREFLIGHT_CACHE_DIR: blocked });
    expect(fallback.source, fallback.description).toBe('system');
    expect(fallback.executablePath).toBe(systemChromium);

    // With the bundled step alone, the same failure is the run's one-line answer.
    await expect(
      discoverBrowser({ ...base, PREFLIGHT_CACHE_DIR: blocked, PREFLIGHT_BROWSER_DISCOVERY: 'bundled-only' }),
    ).rejects.toThrow(
      /^the bundled Chromium \(@sparticuz\/chromium [\d.]+\) could not be unpacked into .*; free space there/,
    );
  });
});
