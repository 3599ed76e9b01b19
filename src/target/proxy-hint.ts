/**
 * The one line a run gives when the app ignores the impersonation proxy: its calls to
 * SuperOffice's hosts never arrived, so it would be "checked" against nothing. The line names the
 * setting for the app's runtime, guessed from `app.start.command` (and, for Node, the version the
 * app really runs on).
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import type { ResolvedConfig } from '../config/schema.ts';

/** Node versions whose fetch and https honour HTTPS_PROXY with NODE_USE_ENV_PROXY=1. */
export function nodeHonoursEnvProxy(version: string): boolean {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  return major > 24 || (major === 24 && minor >= 5) || (major === 22 && minor >= 21);
}

/** The version of the `node` the app's environment finds on its PATH; undefined when none answers. */
export function nodeVersion(env: NodeJS.ProcessEnv, cwd: string): string | undefined {
  try {
    const r = spawnSync('node', ['--version'], { env, cwd, timeout: 5_000, encoding: 'utf8' });
    const v = r.stdout?.trim();
    return r.status === 0 && /^v\d+\.\d+/.test(v ?? '') ? v : undefined;
  } catch {
    return undefined;
  }
}

/** The runtime `app.start.command` starts, as far as its words tell. */
export function runtimeOf(command: string): 'node' | 'python' | 'dotnet' | 'java' | 'php' | undefined {
  const c = command.toLowerCase();
  if (/\b(node|npm|npx|pnpm|yarn|next|tsx|ts-node|bun)\b/.test(c)) return 'node';
  if (/\b(python3?|flask|gunicorn|uvicorn|django-admin|manage\.py)\b/.test(c)) return 'python';
  if (/\bdotnet\b/.test(c)) return 'dotnet';
  if (/\b(java|mvn|gradle|gradlew)\b/.test(c)) return 'java';
  if (/\bphp\b/.test(c)) return 'php';
  return undefined;
}

/** The Node version `command` runs on when it is a Node app whose Node ignores HTTPS_PROXY. */
export function nodeIgnoringProxy(command: string, env: NodeJS.ProcessEnv, cwd: string): string | undefined {
  if (runtimeOf(command) !== 'node') return undefined;
  const v = nodeVersion(env, cwd);
  return v && !nodeHonoursEnvProxy(v) ? v : undefined;
}

/** The keys of `app.start.env` that set the HTTPS proxy variables to nothing. */
export function clearedProxyVars(config: ResolvedConfig): string[] {
  return ['HTTPS_PROXY', 'https_proxy'].filter((k) => config.app.start?.env[k] === '');
}

/** What to change, for the runtime `command` starts. */
export function runtimeHint(command: string, env: NodeJS.ProcessEnv, cwd: string): string {
  const runtime = runtimeOf(command);
  if (runtime === 'node') {
    const v = nodeIgnoringProxy(command, env, cwd);
    if (v)
      return `the app runs on Node ${v}, which does not honour HTTPS_PROXY; run it on Node 22.21+ or 24.5+ (app.start.env.PATH) or give its HTTP client a proxy agent`;
    return 'Node honours HTTPS_PROXY only in fetch and https (NODE_USE_ENV_PROXY=1, set by so-preflight); a client with its own agent or dispatcher needs one that uses HTTPS_PROXY';
  }
  if (runtime === 'python')
    return 'Python requests and httpx honour HTTPS_PROXY unless trust_env is turned off; a session with trust_env=False or explicit proxies={} does not';
  if (runtime === 'dotnet')
    return '.NET HttpClient honours HTTPS_PROXY unless its handler sets UseProxy=false or its own Proxy';
  if (runtime === 'java')
    return 'Java reads the proxy from JAVA_TOOL_OPTIONS (set by so-preflight) unless its HTTP client has its own';
  if (runtime === 'php')
    return "PHP's curl honours the lower-case https_proxy (set by so-preflight) unless CURLOPT_PROXY is set";
  return 'make its HTTP client use HTTPS_PROXY';
}

/**
 * Whether a start failure reads like an app that could not reach SuperOffice's hosts (rather
 * than one that is broken in its own way, whose own error must stay what the run reports).
 */
export function missedSuperOffice(text: string): boolean {
  return /superoffice\.com|ENOTFOUND|EAI_AGAIN|getaddrinfo|Name or service not known|name resolution|ECONNREFUSED|ETIMEDOUT|fetch failed|without contacting this run's SuperID/i.test(
    text,
  );
}

export function proxyIgnoredLine(config: ResolvedConfig, superidUrl: string, env: NodeJS.ProcessEnv): string {
  const command = config.app.start?.command ?? '';
  const cwd = resolve(config.configDir, config.app.start?.cwd ?? '.');
  const cleared = clearedProxyVars(config);
  const hint =
    cleared.length > 0 && !env['HTTPS_PROXY'] && !env['https_proxy']
      ? `app.start.env sets ${cleared.join(' and ')} to nothing; remove ${cleared.length > 1 ? 'them' : 'it'}`
      : runtimeHint(command, env, cwd);
  return `the app ignores so-preflight's HTTPS proxy: none of its calls to ${superidUrl} arrived, so it cannot be checked against the emulator; ${hint} (docs/impersonation.md), or give the app \${superid.url} as its SuperOffice URL and turn superoffice.impersonate off`;
}
