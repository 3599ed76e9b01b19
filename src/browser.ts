/**
 * Finding a Chromium to drive. Steps, in order:
 *
 * 1. `env`: `PREFLIGHT_CHROMIUM`, a Chromium executable the user names;
 * 2. `playwright`: Playwright's own Chromium (`npx playwright install chromium`);
 * 3. `bundled`: the headless Chromium shipped in the npm package `@sparticuz/chromium` (an
 *    optional dependency; Linux x64 only), unpacked once into a cache folder;
 * 4. `system`: the system's Chromium or Chrome (`/usr/bin/chromium`, ...).
 *
 * The bundled Chromium comes before the system's: it is a headless shell, as Playwright itself
 * uses for headless runs, and its version is pinned by so-preflight's own, so a verdict does not
 * move with the distribution's browser updates. A system Chromium is the full browser in
 * `--headless` mode, about twice as slow per sign-in (Debian's Chromium 156: 0.9-1.1 s against
 * 0.46 s for the bundled one, `npm run bench:emulator`). A bundled Chromium that cannot be
 * unpacked or lacks libraries gives way to the system's.
 *
 * `PREFLIGHT_BROWSER_DISCOVERY` limits the steps: `all` (the default), `bundled-only`, or a comma
 * list of step names (`playwright,bundled`). CI uses `bundled-only` to prove that `npm ci` alone
 * brings a usable browser.
 *
 * The bundled step is asynchronous (unpacking takes a few seconds): {@link discoverBrowser} runs
 * every step; {@link findBrowser} is the synchronous form for Playwright configs, which first
 * takes the choice the CLI already made (the `PREFLIGHT_BROWSER` channel), then unpacks in a child
 * process only when it must.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { homedir, tmpdir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserType } from 'playwright-core';

export type BrowserSource = 'PREFLIGHT_CHROMIUM' | 'playwright' | 'system' | 'bundled';
export type DiscoveryStep = 'env' | 'playwright' | 'system' | 'bundled';

export const DISCOVERY_STEPS: readonly DiscoveryStep[] = ['env', 'playwright', 'bundled', 'system'];

export interface BrowserChoice {
  /** Absolute path, or undefined to let Playwright use its own installed browser. */
  executablePath: string | undefined;
  source: BrowserSource;
  args: string[];
  /**
   * Variables the browser process needs on top of the harness's environment (the bundled
   * Chromium on a system without NSS: `LD_LIBRARY_PATH` to the libraries shipped with it).
   */
  env?: Record<string, string>;
  /** One line for people: which browser, from where. */
  description: string;
  /** `Chromium 153.0.8010.0`, when known (the CLI asks the executable before a run). */
  version?: string;
}

/** The npm package that ships a Chromium for Linux x64. */
export const BUNDLED_PACKAGE = '@sparticuz/chromium';

/** Internal channel from the CLI to the Playwright processes it starts: the chosen browser. */
export const BROWSER_CHANNEL = 'PREFLIGHT_BROWSER';

const SYSTEM_CANDIDATES: Partial<Record<NodeJS.Platform, string[]>> = {
  linux: [
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome',
    '/usr/bin/google-chrome-stable',
    '/snap/bin/chromium',
  ],
  darwin: [
    '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
    '/Applications/Chromium.app/Contents/MacOS/Chromium',
  ],
};

function systemCandidates(env: NodeJS.ProcessEnv): string[] {
  if (process.platform === 'win32') {
    return [env['PROGRAMFILES'], env['PROGRAMFILES(X86)'], env['LOCALAPPDATA']]
      .filter((d): d is string => !!d)
      .map((d) => join(d, 'Google', 'Chrome', 'Application', 'chrome.exe'));
  }
  return SYSTEM_CANDIDATES[process.platform] ?? SYSTEM_CANDIDATES.linux!;
}

/** Flags that keep Chromium quiet on a closed network and runnable as root. */
export const CHROMIUM_ARGS = [
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  // One renderer process per browsing context instead of one per site: a sign-in crosses two
  // sites (the app and SuperID) and every check signs in, so this saves a process launch per hop.
  // Pages see the same web platform (cookies, SameSite, CORS, storage partitioning); only the
  // Spectre-era process separation, which no check relies on, is gone. About 10 % less wall time
  // on the id_token checks on 2 cores.
  '--disable-site-isolation-trials',
];

/**
 * Flags of `@sparticuz/chromium`'s `args` (made for AWS Lambda) left out: some change what a page
 * may do (web security, mixed content, shared memory) or would replace
 * Playwright's own `--disable-features` list, and the checks must see the web platform a
 * partner's users have; `--single-process` takes the whole browser down when a context closes
 * (the checks open and close many); `--no-zygote` makes every new page exec a fresh renderer
 * instead of forking one (measured on 2 cores: about 250 ms of Chromium CPU per new context and
 * page instead of about 110 ms, and 40 % less CPU for a whole id_token check; every flow opens a
 * context); the GPU flags (`--in-process-gpu`, `--use-gl`, `--use-angle`, SwiftShader) run
 * software GL inside the browser process, where Chromium's own defaults keep WebGL and took a
 * third less CPU for a full check of acme-web (86 s against 124-133 s); `--headless=...` is
 * Playwright's business.
 */
const BUNDLED_ARGS_LEFT_OUT = [
  '--single-process',
  '--no-zygote',
  '--in-process-gpu',
  '--use-gl=',
  '--use-angle=',
  '--enable-unsafe-swiftshader',
  '--ignore-gpu-blocklist',
  '--disable-web-security',
  '--allow-running-insecure-content',
  '--disable-features=',
  '--enable-features=',
  '--headless',
];

export class BrowserNotFoundError extends Error {
  readonly code = 'BROWSER_NOT_FOUND';
  constructor(message: string) {
    super(message);
    this.name = 'BrowserNotFoundError';
  }
}

/** `PREFLIGHT_BROWSER_DISCOVERY` holds something else than step names: bad usage (exit 2). */
export class BrowserDiscoveryUsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'BrowserDiscoveryUsageError';
  }
}

/**
 * Playwright's Chromium launcher, loaded on first use: loading playwright-core costs about a second
 * of CPU, and the CLI needs it only when Playwright's own browsers may be installed (or for
 * `doctor`'s launch); the checks themselves run in Playwright's processes, which load it anyway.
 */
export function playwrightChromium(): BrowserType {
  const core = createRequire(import.meta.url)('playwright-core') as { chromium: BrowserType };
  return core.chromium;
}

/**
 * Where `npx playwright install` puts browsers, as Playwright documents it:
 * `PLAYWRIGHT_BROWSERS_PATH` (`0`: inside the playwright-core package; relative: from the folder
 * npm ran in), else `ms-playwright` in the platform's cache folder.
 */
export function playwrightBrowsersDir(env: NodeJS.ProcessEnv = process.env): string {
  const set = env['PLAYWRIGHT_BROWSERS_PATH'];
  if (set === '0') {
    const pkg = createRequire(import.meta.url).resolve('playwright-core/package.json');
    return join(dirname(pkg), '.local-browsers');
  }
  if (set) return isAbsolute(set) ? set : resolve(env['INIT_CWD'] || process.cwd(), set);
  const cache =
    process.platform === 'darwin'
      ? join(homedir(), 'Library', 'Caches')
      : process.platform === 'win32'
        ? env['LOCALAPPDATA'] || join(homedir(), 'AppData', 'Local')
        : env['XDG_CACHE_HOME'] || join(homedir(), '.cache');
  return join(cache, 'ms-playwright');
}

/**
 * False when Playwright's browser folder holds no Chromium at all, so discovery need not load
 * playwright-core to learn that; true sends it to ask Playwright for the exact executable.
 */
function mayHavePlaywrightChromium(env: NodeJS.ProcessEnv): boolean {
  try {
    return readdirSync(playwrightBrowsersDir(env)).some((name) => /^chromium/i.test(name));
  } catch {
    return false;
  }
}

function rootArgs(): string[] {
  return typeof process.getuid === 'function' && process.getuid() === 0 ? ['--no-sandbox'] : [];
}

/** The steps `PREFLIGHT_BROWSER_DISCOVERY` allows, in discovery order. */
export function discoverySteps(env: NodeJS.ProcessEnv = process.env): DiscoveryStep[] {
  const value = (env['PREFLIGHT_BROWSER_DISCOVERY'] ?? '').trim().toLowerCase();
  if (value === '' || value === 'all') return [...DISCOVERY_STEPS];
  if (value === 'bundled-only') return ['bundled'];
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !(DISCOVERY_STEPS as readonly string[]).includes(n));
  if (unknown.length || names.length === 0) {
    throw new BrowserDiscoveryUsageError(
      `PREFLIGHT_BROWSER_DISCOVERY=${env['PREFLIGHT_BROWSER_DISCOVERY']} is not understood; use all, bundled-only or a comma list of ${DISCOVERY_STEPS.join(', ')}`,
    );
  }
  return DISCOVERY_STEPS.filter((s) => names.includes(s));
}

// ---------------------------------------------------------------------------------------------
// The bundled Chromium

interface BundledPackage {
  dir: string;
  entry: string;
  version: string;
}

/** Where `@sparticuz/chromium` is installed, or why it is not usable here. */
export function bundledPackage(): BundledPackage | { missing: string } {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return {
      missing: `${BUNDLED_PACKAGE} ships Chromium for Linux x64 only, not ${process.platform} ${process.arch}`,
    };
  }
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve(BUNDLED_PACKAGE);
  } catch {
    return {
      missing: `${BUNDLED_PACKAGE} is not installed (an optional dependency: install without --omit=optional or --no-optional)`,
    };
  }
  const dir = join(dirname(entry), '..');
  const version = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string })
    .version;
  return { dir, entry, version };
}

/**
 * The folder the bundled Chromium is unpacked into: `PREFLIGHT_CACHE_DIR`, else
 * `$XDG_CACHE_HOME/so-preflight`, else `~/.cache/so-preflight`; the OS temp folder when that is
 * not writable.
 */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const preferred =
    env['PREFLIGHT_CACHE_DIR'] ||
    join(env['XDG_CACHE_HOME'] || join(env['HOME'] || homedir() || tmpdir(), '.cache'), 'so-preflight');
  try {
    ensureDir(preferred);
    accessSync(preferred, constants.W_OK);
    return preferred;
  } catch {
    const uid = typeof process.getuid === 'function' ? process.getuid() : 'user';
    return join(tmpdir(), `so-preflight-${uid}`);
  }
}

/** mkdir -p, one level at a time (Node's recursive mkdir can loop forever on some file systems). */
function ensureDir(dir: string): void {
  if (existsSync(dir)) return;
  const parent = dirname(dir);
  if (parent !== dir) ensureDir(parent);
  mkdirSync(dir);
}

function bundledDir(pkg: BundledPackage, env: NodeJS.ProcessEnv): string {
  return join(cacheDir(env), `chromium-${pkg.version}`);
}

interface SparticuzModule {
  default: { executablePath(input?: string): Promise<string>; args: string[] };
  inflate(file: string): Promise<string>;
}

/** Unpacks in progress in this process, by target folder: a second caller waits for the first. */
const unpacking = new Map<string, Promise<string>>();

/** Unpacks the bundled Chromium (once: later calls find it in the cache); returns its folder. */
function unpackBundled(pkg: BundledPackage, env: NodeJS.ProcessEnv): Promise<string> {
  const target = bundledDir(pkg, env);
  let pending = unpacking.get(target);
  if (!pending) {
    pending = unpackInto(pkg, target).finally(() => unpacking.delete(target));
    unpacking.set(target, pending);
  }
  return pending;
}

async function unpackInto(pkg: BundledPackage, target: string): Promise<string> {
  if (existsSync(join(target, 'chromium')) && existsSync(join(target, 'args.json'))) return target;
  ensureDir(dirname(target));
  // Importing the package may set Lambda variables (LD_LIBRARY_PATH, FONTCONFIG_PATH, HOME) in
  // this process when it thinks it runs on AWS; they must not reach the app under test.
  const saved = Object.fromEntries(
    ['TMPDIR', 'LD_LIBRARY_PATH', 'FONTCONFIG_PATH', 'HOME'].map((k) => [k, process.env[k]]),
  );
  const restore = () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  let mod: SparticuzModule;
  try {
    mod = (await import(pathToFileURL(pkg.entry).href)) as SparticuzModule;
  } finally {
    restore();
  }
  // @sparticuz/chromium unpacks into os.tmpdir() and takes any file already there as complete, so
  // two runs unpacking at once could launch a half-written binary. Unpack into a private folder,
  // then move that folder into place in one rename. The package reads os.tmpdir() synchronously
  // when an unpack starts, so TMPDIR points at the private folder for that synchronous moment only.
  const staging = mkdtempSync(join(dirname(target), `.chromium-${pkg.version}-`));
  // NSS, NSPR and expat built for the same Chromium, used when the system lacks them.
  const al2023 = join(pkg.dir, 'bin', 'al2023.tar.br');
  let work: Promise<[string, unknown]>;
  process.env['TMPDIR'] = staging;
  try {
    work = Promise.all([
      mod.default.executablePath(join(pkg.dir, 'bin')),
      existsSync(al2023) ? mod.inflate(al2023) : undefined,
    ]);
  } finally {
    restore();
  }
  try {
    const [exe] = await work;
    if (exe !== join(staging, 'chromium')) throw new Error(`unpacked to ${exe}, expected ${staging}`);
    writeFileSync(join(staging, 'args.json'), JSON.stringify(mod.default.args));
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    throw e;
  }
  try {
    renameSync(staging, target);
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    // Another process got there first: its copy is complete (it too arrived by rename).
    if (!existsSync(join(target, 'chromium'))) throw e;
  }
  return target;
}

/** Shared libraries the executable needs and the system lacks (`ldd`), with `env` applied. */
export function missingLibraries(executable: string, extraEnv: Record<string, string> = {}): string[] {
  try {
    const out = execFileSync('ldd', [executable], {
      encoding: 'utf8',
      env: { ...process.env, ...extraEnv },
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 10_000,
    });
    return out
      .split('\n')
      .filter((l) => l.includes('not found'))
      .map((l) => l.trim().split(/\s+/)[0]!)
      .filter(Boolean);
  } catch {
    return []; // no ldd (or it failed): let the launch tell
  }
}

/** The choice for an unpacked bundled Chromium in `dir`, or a BrowserNotFoundError. */
function bundledChoice(pkg: BundledPackage, dir: string, baseArgs: string[]): BrowserChoice {
  const executable = join(dir, 'chromium');
  const own = JSON.parse(readFileSync(join(dir, 'args.json'), 'utf8')) as string[];
  const args = [
    ...baseArgs,
    ...own.filter((a) => !BUNDLED_ARGS_LEFT_OUT.some((out) => a === out || a.startsWith(out))),
  ];
  const choice: BrowserChoice = {
    executablePath: executable,
    source: 'bundled',
    args: [...new Set(args)],
    description: `bundled Chromium (${BUNDLED_PACKAGE} ${pkg.version}) at ${executable}`,
  };
  let missing = missingLibraries(executable);
  const libDir = join(dir, 'al2023', 'lib');
  if (missing.length && existsSync(libDir)) {
    const env: Record<string, string> = {
      LD_LIBRARY_PATH: [libDir, process.env['LD_LIBRARY_PATH']].filter(Boolean).join(delimiter),
    };
    missing = missingLibraries(executable, env);
    choice.env = env;
    choice.description += ' with its own NSS libraries';
  }
  if (!existsSync('/etc/fonts/fonts.conf') && existsSync(join(dir, 'fonts'))) {
    choice.env = { ...choice.env, FONTCONFIG_PATH: join(dir, 'fonts') };
  }
  if (missing.length) {
    throw new BrowserNotFoundError(
      `the bundled Chromium needs ${missing.join(', ')}, which this system lacks; install them (Debian/Ubuntu: apt-get install chromium brings them all) or set PREFLIGHT_CHROMIUM to a working Chromium`,
    );
  }
  return choice;
}

// ---------------------------------------------------------------------------------------------
// Discovery

interface StepResult {
  choice?: BrowserChoice;
  /** Why this step found nothing (for the "no Chromium found" line and `doctor`). */
  skipped?: string;
  /** The bundled Chromium exists but is not unpacked yet. */
  needsUnpack?: BundledPackage;
}

function syncStep(step: DiscoveryStep, env: NodeJS.ProcessEnv, args: string[]): StepResult {
  switch (step) {
    case 'env': {
      const override = env['PREFLIGHT_CHROMIUM'];
      if (!override) return { skipped: 'PREFLIGHT_CHROMIUM is not set' };
      if (!existsSync(override)) {
        throw new BrowserNotFoundError(
          `PREFLIGHT_CHROMIUM points at ${override}, which does not exist; set it to a Chromium executable or unset it`,
        );
      }
      return {
        choice: {
          executablePath: override,
          source: 'PREFLIGHT_CHROMIUM',
          args,
          description: `PREFLIGHT_CHROMIUM ${override}`,
        },
      };
    }
    case 'playwright': {
      let path: string | undefined;
      try {
        path = mayHavePlaywrightChromium(env) ? playwrightChromium().executablePath() : undefined;
      } catch {
        path = undefined;
      }
      if (path && existsSync(path)) {
        return {
          choice: {
            executablePath: undefined,
            source: 'playwright',
            args,
            description: `Playwright's Chromium at ${path}`,
          },
        };
      }
      return { skipped: "Playwright's Chromium is not installed (npx playwright install chromium)" };
    }
    case 'system': {
      for (const candidate of systemCandidates(env)) {
        if (existsSync(candidate)) {
          return {
            choice: {
              executablePath: candidate,
              source: 'system',
              args,
              description: `system Chromium at ${candidate}`,
            },
          };
        }
      }
      return { skipped: 'no system Chromium or Chrome' };
    }
    case 'bundled': {
      const pkg = bundledPackage();
      if ('missing' in pkg) return { skipped: pkg.missing };
      const dir = bundledDir(pkg, env);
      if (existsSync(join(dir, 'chromium')) && existsSync(join(dir, 'args.json')))
        return unpackedStep(pkg, dir, args);
      return { needsUnpack: pkg };
    }
  }
}

/** The step's answer for an unpacked bundled Chromium: lacking libraries, it gives way to later steps. */
function unpackedStep(pkg: BundledPackage, dir: string, args: string[]): StepResult {
  try {
    return { choice: bundledChoice(pkg, dir, args) };
  } catch (e) {
    if (e instanceof BrowserNotFoundError) return { skipped: e.message };
    throw e;
  }
}

function installHint(): string {
  switch (process.platform) {
    case 'linux':
      return 'install one (Debian/Ubuntu: apt-get install chromium; or npx playwright install chromium) or set PREFLIGHT_CHROMIUM to its path';
    case 'darwin':
      return 'install one (npx playwright install chromium, or Google Chrome) or set PREFLIGHT_CHROMIUM to its path';
    case 'win32':
      return 'install one (npx playwright install chromium, or Google Chrome) or set PREFLIGHT_CHROMIUM to chrome.exe';
    default:
      return `install one for ${process.platform} and set PREFLIGHT_CHROMIUM to its path`;
  }
}

function notFound(steps: DiscoveryStep[], skipped: string[]): BrowserNotFoundError {
  const limited =
    steps.length < DISCOVERY_STEPS.length ? ` (PREFLIGHT_BROWSER_DISCOVERY allows ${steps.join(', ')})` : '';
  const why = skipped.length ? `: ${skipped.join('; ')}` : '';
  return new BrowserNotFoundError(`no Chromium found${limited}${why}; ${installHint()}`);
}

function fromChannel(env: NodeJS.ProcessEnv): BrowserChoice | undefined {
  const raw = env[BROWSER_CHANNEL];
  if (!raw) return undefined;
  try {
    const choice = JSON.parse(raw) as BrowserChoice;
    if (choice && Array.isArray(choice.args) && typeof choice.source === 'string') return choice;
  } catch {
    // not ours: discover afresh
  }
  return undefined;
}

/**
 * Every discovery step, unpacking the bundled Chromium when it is the one. Throws
 * {@link BrowserNotFoundError} with a one-line instruction when no browser exists.
 */
export async function discoverBrowser(env: NodeJS.ProcessEnv = process.env): Promise<BrowserChoice> {
  const args = [...CHROMIUM_ARGS, ...rootArgs()];
  const steps = discoverySteps(env);
  const skipped: string[] = [];
  for (const step of steps) {
    const r = syncStep(step, env, args);
    if (r.choice) return r.choice;
    if (r.needsUnpack) {
      // A bundled Chromium that cannot be unpacked here gives way to a later step; as the last
      // step, its failure is the answer.
      let dir: string;
      try {
        dir = await unpackBundled(r.needsUnpack, env);
      } catch (e) {
        const why = `the bundled Chromium (${BUNDLED_PACKAGE} ${r.needsUnpack.version}) could not be unpacked into ${cacheDir(env)}: ${(e as Error).message.split('\n')[0]}`;
        if (step === steps[steps.length - 1])
          throw new BrowserNotFoundError(
            `${why}; free space there, set PREFLIGHT_CACHE_DIR to a writable folder, or ${installHint()}`,
          );
        skipped.push(why);
        continue;
      }
      const unpacked = unpackedStep(r.needsUnpack, dir, args);
      if (unpacked.choice) return unpacked.choice;
      if (unpacked.skipped) skipped.push(unpacked.skipped);
      continue;
    }
    if (r.skipped) skipped.push(r.skipped);
  }
  throw notFound(steps, skipped);
}

/**
 * The synchronous form of {@link discoverBrowser}, for Playwright configs: takes the CLI's choice
 * from `PREFLIGHT_BROWSER` when there is one, and unpacks the bundled Chromium in a child process
 * when it must. Throws {@link BrowserNotFoundError} with a one-line instruction when no browser
 * exists.
 */
export function findBrowser(env: NodeJS.ProcessEnv = process.env): BrowserChoice {
  const passed = fromChannel(env);
  if (passed) return passed;
  const args = [...CHROMIUM_ARGS, ...rootArgs()];
  const steps = discoverySteps(env);
  const skipped: string[] = [];
  for (const step of steps) {
    const r = syncStep(step, env, args);
    if (r.choice) return r.choice;
    if (r.needsUnpack) return discoverInChild(env);
    if (r.skipped) skipped.push(r.skipped);
  }
  throw notFound(steps, skipped);
}

function discoverInChild(env: NodeJS.ProcessEnv): BrowserChoice {
  const self = import.meta.url;
  const script = `const m = await import(${JSON.stringify(self)});
try { process.stdout.write(JSON.stringify({ choice: await m.discoverBrowser() })); }
catch (e) { process.stdout.write(JSON.stringify({ error: e.message, notFound: e instanceof m.BrowserNotFoundError })); }`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...env, [BROWSER_CHANNEL]: '' },
    encoding: 'utf8',
    timeout: 300_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let parsed: { choice?: BrowserChoice; error?: string; notFound?: boolean } = {};
  try {
    parsed = JSON.parse(r.stdout) as typeof parsed;
  } catch {
    parsed = { error: (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n')[0] };
  }
  if (parsed.choice) return parsed.choice;
  throw new BrowserNotFoundError(parsed.error ?? 'the bundled Chromium could not be unpacked');
}

/** Playwright `launchOptions` for a choice (the browser's own variables on top of the harness's). */
export function launchOptions(choice: BrowserChoice): {
  executablePath: string | undefined;
  args: string[];
  env?: Record<string, string>;
} {
  const options: { executablePath: string | undefined; args: string[]; env?: Record<string, string> } = {
    executablePath: choice.executablePath,
    args: choice.args,
  };
  if (choice.env) {
    const base = Object.fromEntries(
      Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined),
    );
    options.env = { ...base, ...choice.env };
  }
  return options;
}

/** The executable Playwright will start for a choice (its own Chromium when `executablePath` is unset). */
export function browserExecutable(choice: BrowserChoice): string | undefined {
  if (choice.executablePath) return choice.executablePath;
  try {
    return playwrightChromium().executablePath();
  } catch {
    return undefined;
  }
}

/** `Chromium 153.0.8010.0`, from the executable's `--version`; undefined when it will not say. */
export function browserVersion(choice: BrowserChoice): string | undefined {
  const executable = browserExecutable(choice);
  if (!executable) return undefined;
  try {
    const out = execFileSync(executable, ['--version'], {
      encoding: 'utf8',
      env: { ...process.env, ...choice.env },
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 15_000,
    });
    const line = /(?:Chromium|Google Chrome|Chrome|HeadlessChrome)[^\n]*?\d+(?:\.\d+)+/.exec(out)?.[0];
    return line?.trim();
  } catch {
    return undefined;
  }
}

/**
 * Which browser discovery would pick, without unpacking anything (for `--version`): the choice,
 * or a line saying the bundled Chromium will be unpacked on first use, or why none is usable.
 */
export function peekBrowser(env: NodeJS.ProcessEnv = process.env): string {
  try {
    const passed = fromChannel(env);
    if (passed) return passed.description;
    const args = [...CHROMIUM_ARGS, ...rootArgs()];
    const steps = discoverySteps(env);
    const skipped: string[] = [];
    for (const step of steps) {
      const r = syncStep(step, env, args);
      if (r.choice) {
        const version = browserVersion(r.choice);
        return version ? `${r.choice.description} (${version})` : r.choice.description;
      }
      if (r.needsUnpack) {
        return `bundled Chromium (${BUNDLED_PACKAGE} ${r.needsUnpack.version}), unpacked into ${bundledDir(r.needsUnpack, env)} on first use`;
      }
      if (r.skipped) skipped.push(r.skipped);
    }
    return notFound(steps, skipped).message;
  } catch (e) {
    return (e as Error).message;
  }
}

/**
 * The browser `so-preflight check` chose for this run (from the `PREFLIGHT_BROWSER` channel), for
 * the report; undefined outside a CLI run.
 */
export function browserOfRun(env: NodeJS.ProcessEnv = process.env): BrowserChoice | undefined {
  return fromChannel(env);
}
