/**
 * `so-preflight doctor [--config FILE]`: is this machine ready to run a check? One line per
 * item (Node, browser, loopback ports, the CA trust each runtime of the app reads, the config,
 * the app when the harness does not start it), then exit 0 when nothing blocks a check; 2 when
 * the config (or usage) is the problem; 3 when something else blocks (browser, ports, app, Node).
 * It explains the CA variables; it never sets anything.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/load.ts';
import type { ResolvedConfig } from '../config/schema.ts';
import {
  BrowserNotFoundError,
  browserVersion,
  discoverBrowser,
  discoverySteps,
  DISCOVERY_STEPS,
  launchOptions,
  playwrightChromium,
  type BrowserChoice,
} from '../browser.ts';
import { probeUrl } from '../target/process.ts';
import { clearedProxyVars, nodeIgnoringProxy, runtimeHint } from '../target/proxy-hint.ts';

type Status = 'ok' | 'FAIL' | 'note';

interface Line {
  status: Status;
  topic: string;
  text: string;
  /** For FAIL lines: exit 2 (config) rather than 3. */
  usage?: boolean;
}

/** `engines.node` of package.json as [major, minor], e.g. ">=22.18" → [22, 18]. */
export function requiredNode(): [number, number] {
  const pkgFile = [
    new URL('../../package.json', import.meta.url),
    new URL('../../../package.json', import.meta.url),
  ];
  for (const url of pkgFile) {
    try {
      const pkg = JSON.parse(readFileSync(url, 'utf8')) as { name?: string; engines?: { node?: string } };
      if (pkg.name !== 'so-preflight') continue;
      const m = /(\d+)(?:\.(\d+))?/.exec(pkg.engines?.node ?? '');
      if (m) return [Number(m[1]), Number(m[2] ?? 0)];
    } catch {
      // try the next candidate
    }
  }
  return [22, 18];
}

function nodeLine(): Line {
  const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
  const [needMajor, needMinor] = requiredNode();
  const ok = major > needMajor || (major === needMajor && minor >= needMinor);
  return ok
    ? {
        status: 'ok',
        topic: 'node',
        text: `Node ${process.versions.node} (so-preflight needs ${needMajor}.${needMinor} or newer)`,
      }
    : {
        status: 'FAIL',
        topic: 'node',
        text: `Node ${process.versions.node} is too old; so-preflight needs Node ${needMajor}.${needMinor} or newer`,
      };
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms / 1000} s`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Launches the browser headless and runs a script in a page: the proof that checks can drive it. */
async function launchProbe(choice: BrowserChoice): Promise<number> {
  const started = Date.now();
  const browser = await withTimeout(
    playwrightChromium().launch({ ...launchOptions(choice), headless: true }),
    60_000,
    'launching',
  );
  try {
    const page = await browser.newPage();
    await page.setContent('<title>-</title><script>document.title = String(6 * 7)</script>');
    const title = await page.title();
    if (title !== '42') throw new Error(`a page script did not run (title ${JSON.stringify(title)})`);
  } finally {
    await browser.close();
  }
  return Date.now() - started;
}

async function browserLine(): Promise<Line> {
  const steps = discoverySteps();
  const limited =
    steps.length < DISCOVERY_STEPS.length
      ? `; PREFLIGHT_BROWSER_DISCOVERY limits discovery to ${steps.join(', ')}`
      : '';
  let choice: BrowserChoice;
  try {
    choice = await discoverBrowser();
  } catch (e) {
    if (e instanceof BrowserNotFoundError) return { status: 'FAIL', topic: 'browser', text: e.message };
    throw e;
  }
  const version = browserVersion(choice);
  const what = `${choice.description}${version ? `, ${version}` : ''}`;
  try {
    const ms = await launchProbe(choice);
    return {
      status: 'ok',
      topic: 'browser',
      text: `${what}; launched headless and ran a page script in ${(ms / 1000).toFixed(1)} s${limited}`,
    };
  } catch (e) {
    const first = ((e as Error).message ?? String(e)).split('\n').find((l) => l.trim()) ?? 'unknown error';
    return {
      status: 'FAIL',
      topic: 'browser',
      text: `${what} does not start: ${first.trim()}; install a working Chromium or set PREFLIGHT_CHROMIUM to one${limited}`,
    };
  }
}

/** Binds host:port (0: any) and closes again; the error code when that fails. */
function tryBind(port: number, host = '127.0.0.1'): Promise<string | undefined> {
  return new Promise((resolveBind) => {
    const server = createServer();
    server.once('error', (e: NodeJS.ErrnoException) => resolveBind(e.code ?? e.message));
    server.listen(port, host, () => server.close(() => resolveBind(undefined)));
  });
}

/**
 * Where the emulator listens, as the harness picks it (fixtures/harness.ts): on another site than
 * the app, 127.0.0.2 on Linux (all of 127.0.0.0/8 answers there), else 127.0.0.1.
 */
function emulatorHost(config: ResolvedConfig | undefined): string {
  const base = config?.app.baseURL;
  const appHost = base && URL.canParse(base) ? new URL(base).hostname : '127.0.0.1';
  return process.platform === 'linux' && appHost !== '127.0.0.2' ? '127.0.0.2' : '127.0.0.1';
}

async function portsLine(config: ResolvedConfig | undefined): Promise<Line> {
  const emulator = emulatorHost(config);
  const hosts = [...new Set(['127.0.0.1', emulator])];
  for (const host of hosts) {
    const err = await tryBind(0, host);
    if (err) {
      const role = host === emulator ? 'the emulator' : 'the app';
      return {
        status: 'FAIL',
        topic: 'ports',
        text: `cannot listen on ${host} (${err}); ${role} needs loopback ports there`,
      };
    }
  }
  const fixed: Array<[number, string, string]> = [];
  if (config?.harness.superidPort) fixed.push([config.harness.superidPort, emulator, 'harness.superidPort']);
  if (config?.harness.tenantPort) fixed.push([config.harness.tenantPort, emulator, 'harness.tenantPort']);
  if (config?.app.start && config.app.baseURL && !config.usesAppPort && config.app.type !== 'native') {
    const url = new URL(config.app.baseURL);
    if (['127.0.0.1', '127.0.0.2', 'localhost'].includes(url.hostname)) {
      const host = url.hostname === 'localhost' ? '127.0.0.1' : url.hostname;
      fixed.push([
        Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
        host,
        'the port of app.baseURL',
      ]);
    }
  }
  const busy: string[] = [];
  for (const [port, host, what] of fixed) {
    const err = await tryBind(port, host);
    if (err) busy.push(`${host}:${port} (${what}: ${err === 'EADDRINUSE' ? 'in use' : err})`);
  }
  if (busy.length) {
    return {
      status: 'FAIL',
      topic: 'ports',
      text: `port ${busy.join(', ')}; stop what holds it or use \${app.port} and port 0`,
    };
  }
  const named = fixed.length ? `; fixed ports free: ${fixed.map(([p, h]) => `${h}:${p}`).join(', ')}` : '';
  return {
    status: 'ok',
    topic: 'ports',
    text: `free ports on ${hosts.join(' and ')} for the app and the emulator${named}`,
  };
}

/** What each runtime of the app reads to trust the emulator's CA; explained, never set. */
function caLines(config: ResolvedConfig | undefined): Line[] {
  const started = !!config?.app.start;
  const sets = (what: string) =>
    started
      ? `the harness sets ${what} to the emulator's CA file for the app it starts`
      : `your app is not started by the harness: set ${what} to the CA file "so-preflight emulator" prints`;
  const lines: Line[] = [
    {
      status: 'note',
      topic: 'ca/node',
      text: `Node reads NODE_EXTRA_CA_CERTS (a PEM file added to its CAs when it starts); ${sets('it')}`,
    },
    {
      status: 'note',
      topic: 'ca/python',
      text: `Python requests reads REQUESTS_CA_BUNDLE, ssl/urllib/httpx read SSL_CERT_FILE (each replaces the CA list); ${sets('both')}`,
    },
    {
      status: 'note',
      topic: 'ca/dotnet',
      text: `.NET on Linux reads SSL_CERT_FILE / SSL_CERT_DIR (OpenSSL; ${started ? 'the harness sets SSL_CERT_FILE' : 'set SSL_CERT_FILE'}); on Windows and macOS only the OS certificate store counts: import the CA file there`,
    },
    {
      status: 'note',
      topic: 'ca/java',
      text: 'Java reads no variable: in start.command, keytool -importcert -file "$SO_PREFLIGHT_CA_FILE" into a truststore, then pass -Djavax.net.ssl.trustStore=... (e.g. in JAVA_TOOL_OPTIONS)',
    },
  ];
  // A start.env value that points a CA variable elsewhere hides the emulator's CA from the app.
  for (const name of ['NODE_EXTRA_CA_CERTS', 'REQUESTS_CA_BUNDLE', 'SSL_CERT_FILE']) {
    const value = config?.app.start?.env[name];
    if (value !== undefined && !value.includes('${ca.file}')) {
      lines.push({
        status: 'note',
        topic: 'ca',
        text: `app.start.env sets ${name} to ${JSON.stringify(value)}, not \${ca.file}: the app will not trust the emulator through it`,
      });
    }
  }
  return lines;
}

/** Under `superoffice.impersonate`: how the app will reach SuperOffice's hosts, and what stops it. */
function proxyLines(config: ResolvedConfig | undefined): Line[] {
  if (!config?.superoffice.impersonate) return [];
  const host = `https://${config.superoffice.environment}.superoffice.com`;
  const start = config.app.start;
  if (!start)
    return [
      {
        status: 'FAIL',
        topic: 'proxy',
        usage: true,
        text: `superoffice.impersonate needs app.start: the harness gives the app it starts the proxy that answers as ${host}`,
      },
    ];
  const cleared = clearedProxyVars(config);
  if (cleared.length)
    return [
      {
        status: 'FAIL',
        topic: 'proxy',
        usage: true,
        text: `app.start.env sets ${cleared.join(' and ')} to nothing: the app would call the real ${host}; remove ${cleared.length > 1 ? 'them' : 'it'}`,
      },
    ];
  const cwd = resolve(config.configDir, start.cwd ?? '.');
  const env = { ...process.env, ...(start.env['PATH'] ? { PATH: start.env['PATH'] } : {}) };
  const v = nodeIgnoringProxy(start.command, env, cwd);
  if (v)
    return [
      {
        status: 'FAIL',
        topic: 'proxy',
        text: `the app would run on Node ${v}, which ignores HTTPS_PROXY, so it cannot reach the emulated ${host}: put Node 22.21+ or 24.5+ first on its PATH (app.start.env.PATH) or give its HTTP client a proxy agent`,
      },
    ];
  return [
    {
      status: 'note',
      topic: 'proxy',
      text: `the app reaches the emulated ${host} through so-preflight's HTTPS proxy (HTTPS_PROXY, NODE_USE_ENV_PROXY=1, JAVA_TOOL_OPTIONS); ${runtimeHint(start.command, env, cwd)}`,
    },
  ];
}

async function configLine(file: string | undefined): Promise<{ line: Line; config?: ResolvedConfig }> {
  try {
    const config = await loadConfig(file);
    const where = relative(process.cwd(), config.configFile) || config.configFile;
    const app = config.app;
    const how = app.start
      ? `started with "${app.start.command}"`
      : app.baseURL
        ? `at ${app.baseURL}`
        : 'not started';
    return {
      config,
      line: {
        status: 'ok',
        topic: 'config',
        text: `${where} is valid: ${app.type} app "${app.name}", ${app.certification} certification, ${how}`,
      },
    };
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    const more =
      e.problems.length > 1 ? ` (and ${e.problems.length - 1} more; "so-preflight check" lists them)` : '';
    return {
      line: { status: 'FAIL', topic: 'config', text: `${e.file}: ${e.problems[0]}${more}`, usage: true },
    };
  }
}

async function appLine(config: ResolvedConfig): Promise<Line | undefined> {
  if (config.app.start || !config.app.baseURL || config.app.type === 'native') return undefined;
  const status = await probeUrl(config.app.baseURL, 5_000);
  return status === undefined
    ? {
        status: 'FAIL',
        topic: 'app',
        text: `${config.app.baseURL} does not answer; start the app first or add app.start`,
      }
    : { status: 'ok', topic: 'app', text: `${config.app.baseURL} answers (HTTP ${status})` };
}

export async function runDoctor(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string' } }, strict: true });
  const lines: Line[] = [];
  const print = (l: Line) => {
    lines.push(l);
    console.log(`${l.status.padEnd(4)}  ${l.topic.padEnd(9)} ${l.text}`);
  };
  print(nodeLine());
  const { line: config, config: resolved } = await configLine(values.config);
  print(await browserLine());
  print(await portsLine(resolved));
  for (const l of caLines(resolved)) print(l);
  for (const l of proxyLines(resolved)) print(l);
  print(config);
  if (resolved) {
    const app = await appLine(resolved);
    if (app) print(app);
  }
  const failed = lines.filter((l) => l.status === 'FAIL');
  if (failed.length === 0) return 0;
  console.error(
    `so-preflight: doctor: ${failed.map((l) => l.topic).join(', ')} ${failed.length === 1 ? 'blocks' : 'block'} a check; fix the FAIL line${failed.length === 1 ? '' : 's'} above and run doctor again`,
  );
  return failed.some((l) => !l.usage) ? 3 : 2;
}
