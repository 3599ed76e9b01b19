/**
 * acme-cli: signs a user in to SuperOffice CRM Online from the command line, the way RFC 8252 and
 * SuperOffice's native-app guide describe (system browser, loopback redirect on 127.0.0.1 with a
 * random port, PKCE S256, no client secret), keeps the tokens in a private file, and tells who is
 * signed in.
 *
 *   SUPEROFFICE_URL=https://sod.superoffice.com SUPEROFFICE_CLIENT_ID=... node cli.ts          # sign in
 *   SUPEROFFICE_URL=https://sod.superoffice.com SUPEROFFICE_CLIENT_ID=... node cli.ts whoami   # saved sign-in
 *
 * Tokens: `{config dir}/acme-cli/tokens.json` (config dir: `$XDG_CONFIG_HOME`, else `$HOME/.config`;
 * `%APPDATA%` on Windows), folder 0700, file 0600.
 *
 * Exit code 0 when signed in, 1 with a one-line error otherwise.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import * as oidc from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { JWTPayload } from 'jose';

const CLAIM = 'http://schemes.superoffice.net/identity/';
const KNOWN_DEFECTS = [
  'no-pkce',
  'plain-pkce',
  'localhost-redirect',
  'api-host-from-superid',
  'no-refresh',
  'retry-storm',
  'ignore-tenant-state',
  'token-file-world-readable',
  'loops-after-revoke',
] as const;
type Defect = (typeof KNOWN_DEFECTS)[number];
const COMMANDS = ['login', 'whoami'] as const;
type Command = (typeof COMMANDS)[number];

const NOT_SIGNED_IN = 'not signed in; run acme-cli to sign in';
const ACCESS_LOST = 'access to SuperOffice was revoked or expired; run acme-cli to sign in again';
const BUSY = 'SuperOffice is busy, please try again later';
/** Longest Retry-After (seconds) worth waiting for in a command-line program. */
const MAX_RETRY_AFTER_SECONDS = 5;

class CliError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CliError';
  }
}

interface Settings {
  command: Command;
  superOfficeUrl: string;
  clientId: string;
  tenant: string | undefined;
  browser: string | undefined;
  timeoutMs: number;
  tokenFile: string;
  defects: Set<Defect>;
}

/** What `tokens.json` holds. `expires_at`: seconds since the epoch. */
interface StoredTokens {
  superoffice_url: string;
  ctx: string;
  webapi_url: string;
  access_token: string;
  refresh_token?: string;
  expires_at?: number;
}

interface Discovery {
  client: oidc.Configuration;
  metadata: oidc.ServerMetadata;
}

/** The tokens in use, and SuperID's metadata once discovered (only needed to sign in or refresh). */
interface Session {
  tokens: StoredTokens;
  discovery?: Discovery;
}

/** `$XDG_CONFIG_HOME`, else `$HOME/.config`; `%APPDATA%` on Windows. */
function configDir(env: NodeJS.ProcessEnv): string {
  if (process.platform === 'win32') {
    const appData = env['APPDATA']?.trim();
    if (appData && isAbsolute(appData)) return appData;
  } else {
    const xdg = env['XDG_CONFIG_HOME']?.trim();
    // The XDG base directory spec says to ignore relative paths.
    if (xdg && isAbsolute(xdg)) return xdg;
  }
  const home = env['HOME']?.trim() || env['USERPROFILE']?.trim() || homedir();
  if (!home || !isAbsolute(home)) throw new CliError('cannot find your home folder (set HOME)');
  return process.platform === 'win32' ? join(home, 'AppData', 'Roaming') : join(home, '.config');
}

async function settings(args: readonly string[], env: NodeJS.ProcessEnv): Promise<Settings> {
  if (args.length > 1 || (args[0] !== undefined && !(COMMANDS as readonly string[]).includes(args[0])))
    throw new CliError(`unknown command "${args.join(' ')}" (use: acme-cli [whoami])`);
  const command = (args[0] ?? 'login') as Command;
  const superOfficeUrl = env['SUPEROFFICE_URL']?.trim();
  const clientId = env['SUPEROFFICE_CLIENT_ID']?.trim();
  if (!superOfficeUrl || !URL.canParse(superOfficeUrl))
    throw new CliError('SUPEROFFICE_URL is not set (e.g. https://sod.superoffice.com)');
  if (!clientId) throw new CliError('SUPEROFFICE_CLIENT_ID is not set');
  const defects = new Set<Defect>();
  for (const name of (env['DEFECTS'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (!(KNOWN_DEFECTS as readonly string[]).includes(name))
      throw new CliError(`DEFECTS: unknown defect "${name}"`);
    defects.add(name as Defect);
  }
  const timeoutSeconds = Number(env['ACME_CLI_TIMEOUT_SECONDS'] ?? '120');
  return {
    command,
    superOfficeUrl: new URL(superOfficeUrl).origin,
    clientId,
    tenant: env['SUPEROFFICE_TENANT']?.trim() || undefined,
    browser: env['BROWSER']?.trim() || undefined,
    timeoutMs:
      (Number.isFinite(timeoutSeconds) && timeoutSeconds > 0 ? Math.min(timeoutSeconds, 600) : 120) * 1000,
    tokenFile: join(configDir(env), 'acme-cli', 'tokens.json'),
    defects,
  };
}

/** Terminal-safe text: no control characters (escape sequences) from server data. */
function printable(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

function escapeHtml(value: string): string {
  return value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

function answer(res: ServerResponse, status: number, message: string): Promise<void> {
  const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>acme-cli</title></head><body><h1>${escapeHtml(message)}</h1></body></html>`;
  return new Promise((resolve) => {
    res.writeHead(status, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      connection: 'close',
    });
    res.end(body, () => resolve());
  });
}

/** Opens the system browser: `$BROWSER <url>` (no shell), else xdg-open / open / start. */
function openBrowser(url: string, browser: string | undefined): void {
  const [command, args] = browser
    ? [browser, [url]]
    : process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['rundll32', ['url.dll,FileProtocolHandler', url]]
        : ['xdg-open', [url]];
  const child = spawn(command, args, { stdio: 'ignore', detached: true, shell: false });
  child.on('error', () => {
    process.stderr.write(`acme-cli: could not start a browser; open this URL yourself:\n${url}\n`);
  });
  child.unref();
}

/** fetch with a per-request timeout; a network failure becomes a one-line error about `what`. */
async function send(url: string | URL, init: RequestInit, what: string): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) });
  } catch (err) {
    throw new CliError(`${what} could not be reached`, { cause: err });
  }
}

async function readJson(res: Response, what: string): Promise<unknown> {
  try {
    return await res.json();
  } catch (err) {
    throw new CliError(`${what} sent an unreadable answer`, { cause: err });
  }
}

async function discover(s: Settings): Promise<Discovery> {
  const what = 'SuperOffice sign-in service';
  const res = await send(`${s.superOfficeUrl}/login/.well-known/openid-configuration`, {}, what);
  if (!res.ok) {
    await res.body?.cancel();
    throw new CliError(`${what} answered ${res.status}`);
  }
  const metadata = (await readJson(res, what)) as oidc.ServerMetadata;
  if (metadata.issuer !== s.superOfficeUrl)
    throw new CliError('SuperOffice sign-in service names an unexpected issuer');
  for (const endpoint of ['authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const) {
    const value = metadata[endpoint];
    if (typeof value !== 'string' || !URL.canParse(value) || new URL(value).origin !== s.superOfficeUrl)
      throw new CliError(`SuperOffice discovery: bad ${endpoint}`);
  }
  return {
    client: new oidc.Configuration(metadata, s.clientId, { token_endpoint_auth_method: 'none' }, oidc.None()),
    metadata,
  };
}

async function tokenEndpoint(s: Settings, session: Session): Promise<string> {
  session.discovery ??= await discover(s);
  return session.discovery.metadata.token_endpoint as string;
}

/** POSTs a grant to SuperID's token endpoint as a public client (client_id, no secret). */
async function tokenRequest(
  s: Settings,
  endpoint: string,
  params: Record<string, string>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const form = new URLSearchParams({ ...params, client_id: s.clientId });
  const res = await send(
    endpoint,
    {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form,
    },
    'SuperOffice sign-in service',
  );
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  return { status: res.status, body: body && typeof body === 'object' ? body : {} };
}

/** The stored form of a token response; keeps the previous refresh token when none is sent. */
function storedTokens(
  base: Pick<StoredTokens, 'superoffice_url' | 'ctx' | 'webapi_url' | 'refresh_token'>,
  body: Record<string, unknown>,
): StoredTokens {
  const expiresIn = Number(body['expires_in']);
  const refreshToken = typeof body['refresh_token'] === 'string' ? body['refresh_token'] : base.refresh_token;
  return {
    superoffice_url: base.superoffice_url,
    ctx: base.ctx,
    webapi_url: base.webapi_url,
    access_token: body['access_token'] as string,
    ...(refreshToken ? { refresh_token: refreshToken } : {}),
    ...(Number.isFinite(expiresIn) && expiresIn > 0
      ? { expires_at: Math.floor(Date.now() / 1000) + Math.floor(expiresIn) }
      : {}),
  };
}

/**
 * Writes the token store atomically: a new file created with its final mode (0600, in a 0700
 * folder), then renamed over the old one, so the tokens are never readable by others, not even
 * for a moment.
 */
async function saveTokens(s: Settings, tokens: StoredTokens): Promise<void> {
  // DEFECT token-file-world-readable: 0644 in a 0755 folder (what plain writeFile/mkdir give under
  // the usual umask), readable by every local user.
  const loose = s.defects.has('token-file-world-readable');
  const dir = dirname(s.tokenFile);
  const tmp = join(dir, `.tokens.${randomBytes(8).toString('hex')}.tmp`);
  try {
    await mkdir(dirname(dir), { recursive: true });
    await mkdir(dir, { mode: loose ? 0o755 : 0o700 }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
    if (!loose && process.platform !== 'win32') {
      const info = await stat(dir);
      if ((info.mode & 0o077) !== 0 && info.uid === process.getuid?.()) await chmod(dir, 0o700);
    }
    const file = await open(tmp, 'wx', loose ? 0o644 : 0o600);
    try {
      await file.writeFile(`${JSON.stringify(tokens, null, 2)}\n`);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, s.tokenFile);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => {});
    throw new CliError(`could not save your sign-in in ${s.tokenFile}`, { cause: err });
  }
}

/** The saved sign-in for this SuperOffice (and tenant, when one is configured). */
async function loadTokens(s: Settings): Promise<StoredTokens> {
  let tokens: Partial<StoredTokens>;
  try {
    tokens = JSON.parse(await readFile(s.tokenFile, 'utf8')) as Partial<StoredTokens>;
  } catch (err) {
    throw new CliError(NOT_SIGNED_IN, { cause: err });
  }
  if (
    !tokens ||
    typeof tokens !== 'object' ||
    tokens.superoffice_url !== s.superOfficeUrl ||
    typeof tokens.ctx !== 'string' ||
    !/^Cust\d+$/.test(tokens.ctx) ||
    (s.tenant !== undefined && tokens.ctx !== s.tenant) ||
    typeof tokens.webapi_url !== 'string' ||
    !URL.canParse(tokens.webapi_url) ||
    typeof tokens.access_token !== 'string' ||
    !tokens.access_token ||
    (tokens.refresh_token !== undefined && typeof tokens.refresh_token !== 'string') ||
    (tokens.expires_at !== undefined && typeof tokens.expires_at !== 'number')
  )
    throw new CliError(NOT_SIGNED_IN);
  return tokens as StoredTokens;
}

/** The sign-in can no longer be used: forget it and tell the user to sign in again. */
async function accessLost(s: Settings): Promise<never> {
  await rm(s.tokenFile, { force: true }).catch(() => {});
  throw new CliError(ACCESS_LOST);
}

/**
 * The tenant state API; throws unless the tenant is running. Answers with the state, whose `Api`
 * tells where the tenant's web API is now.
 */
async function checkTenant(
  s: Settings,
  ctx: string,
): Promise<{ IsRunning?: boolean; State?: string; Api?: string }> {
  const res = await send(`${s.superOfficeUrl}/api/state/${encodeURIComponent(ctx)}`, {}, 'SuperOffice');
  const state = (await res.json().catch(() => ({}))) as { IsRunning?: boolean; State?: string; Api?: string };
  if (!res.ok || state?.IsRunning !== true)
    throw new CliError(
      `your SuperOffice tenant is unavailable (${printable(String(state?.State ?? 'Unknown'))})`,
    );
  return state;
}

/** Checks the tenant state before acting on the tenant. */
async function ensureTenantRunning(s: Settings, ctx: string): Promise<void> {
  // DEFECT ignore-tenant-state: goes straight to the API.
  if (s.defects.has('ignore-tenant-state')) return;
  await checkTenant(s, ctx);
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

function apiBase(s: Settings, tokens: StoredTokens): string {
  // DEFECT api-host-from-superid: the tenant's API "must be" under the SuperOffice host.
  if (s.defects.has('api-host-from-superid')) return `${s.superOfficeUrl}/${tokens.ctx}/api/`;
  return withSlash(tokens.webapi_url);
}

function retryAfterSeconds(value: string | null): number | undefined {
  if (value === null) return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, (at - Date.now()) / 1000);
}

/**
 * Redeems the refresh token and saves the new tokens. `refused`: SuperID will not renew this
 * sign-in (e.g. `invalid_grant` after the consent was revoked); other failures throw.
 */
async function refreshTokens(s: Settings, session: Session): Promise<'renewed' | 'refused'> {
  const refreshToken = session.tokens.refresh_token;
  if (refreshToken === undefined) return 'refused';
  const { status, body } = await tokenRequest(s, await tokenEndpoint(s, session), {
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
  });
  if (status === 200 && typeof body['access_token'] === 'string' && body['access_token']) {
    session.tokens = storedTokens(session.tokens, body);
    await saveTokens(s, session.tokens);
    return 'renewed';
  }
  if (status === 400 || status === 401) return 'refused';
  throw new CliError(`SuperOffice could not renew your sign-in (${status})`);
}

/**
 * GET `{webapi_url}{path}` with the session's access token. Refreshes first when the token has
 * expired, or once after a 401, and retries; waits out one short 429; after a 421 (tenant moved)
 * asks the state API where the tenant is now and retries once.
 */
async function callApi<T>(s: Settings, session: Session, path: string): Promise<T> {
  const get = (): Promise<Response> =>
    send(
      new URL(path, apiBase(s, session.tokens)),
      { headers: { authorization: `Bearer ${session.tokens.access_token}`, accept: 'application/json' } },
      'SuperOffice',
    );
  let refreshed = false;
  const renew = async (): Promise<void> => {
    refreshed = true;
    let outcome = await refreshTokens(s, session);
    // DEFECT loops-after-revoke: keeps hammering the API and the token endpoint.
    for (let i = 0; outcome === 'refused' && s.defects.has('loops-after-revoke') && i < 20; i++) {
      await (await get()).body?.cancel();
      outcome = await refreshTokens(s, session);
    }
    if (outcome === 'refused') await accessLost(s);
  };

  const expiresAt = session.tokens.expires_at;
  if (!s.defects.has('no-refresh') && expiresAt !== undefined && Date.now() / 1000 >= expiresAt)
    await renew();
  let throttled = 0;
  let relocated = false;
  for (;;) {
    const res = await get();
    if (res.ok) return (await readJson(res, 'SuperOffice')) as T;
    await res.body?.cancel();
    if (res.status === 401) {
      // DEFECT no-refresh: a 401 is the end of it.
      if (s.defects.has('no-refresh')) throw new CliError('SuperOffice answered 401');
      // A fresh token that is refused too: this sign-in no longer gives access.
      if (refreshed) await accessLost(s);
      await renew();
      continue;
    }
    if (res.status === 429) {
      // DEFECT retry-storm: tries again at once, whatever Retry-After says.
      if (s.defects.has('retry-storm')) {
        if (throttled++ < 30) continue;
        throw new CliError(BUSY);
      }
      const wait = retryAfterSeconds(res.headers.get('retry-after'));
      if (throttled++ === 0 && wait !== undefined && wait <= MAX_RETRY_AFTER_SECONDS) {
        await new Promise((r) => setTimeout(r, wait * 1000));
        continue;
      }
      throw new CliError(BUSY);
    }
    if (res.status === 421 && !relocated && !s.defects.has('ignore-tenant-state')) {
      relocated = true;
      const api = (await checkTenant(s, session.tokens.ctx)).Api;
      const moved = typeof api === 'string' && URL.canParse(api) ? withSlash(api) : undefined;
      if (moved !== undefined && moved !== withSlash(session.tokens.webapi_url)) {
        session.tokens = { ...session.tokens, webapi_url: moved };
        await saveTokens(s, session.tokens);
        continue;
      }
    }
    throw new CliError(
      res.status === 503
        ? 'SuperOffice is unavailable right now, please try again later'
        : `SuperOffice answered ${res.status}`,
    );
  }
}

/** Waits for the browser to come back to the loopback listener; validates before answering it. */
async function signIn(
  s: Settings,
  { client, metadata }: Discovery,
): Promise<{ body: Record<string, unknown>; claims: JWTPayload }> {
  const keys = createRemoteJWKSet(new URL(metadata.jwks_uri as string), {
    cooldownDuration: 1_000,
    timeoutDuration: 5_000,
  });
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const codeVerifier = oidc.randomPKCECodeVerifier();

  let onRequest: (req: IncomingMessage, res: ServerResponse) => void = () => {};
  const server = createServer((req, res) => onRequest(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  // DEFECT localhost-redirect: `localhost` instead of the loopback IP literal.
  const redirectUri = s.defects.has('localhost-redirect')
    ? `http://localhost:${port}/`
    : `http://127.0.0.1:${port}/`;

  try {
    const params: Record<string, string> = {
      redirect_uri: redirectUri,
      scope: 'openid',
      response_type: 'code',
      state,
      nonce,
    };
    if (s.defects.has('plain-pkce')) {
      // DEFECT plain-pkce: the verifier itself is sent as the challenge.
      params['code_challenge'] = codeVerifier;
      params['code_challenge_method'] = 'plain';
    } else if (!s.defects.has('no-pkce')) {
      params['code_challenge'] = await oidc.calculatePKCECodeChallenge(codeVerifier);
      params['code_challenge_method'] = 'S256';
    }
    if (s.tenant) params['acr_values'] = `tenant:${s.tenant}`;
    const authorizationUrl = oidc.buildAuthorizationUrl(client, params);

    const result = new Promise<{ body: Record<string, unknown>; claims: JWTPayload }>((resolve, reject) => {
      let busy = false;
      onRequest = (req, res) => {
        const url = new URL(req.url ?? '/', redirectUri);
        if (req.method !== 'GET' || url.pathname !== '/' || busy) {
          res.writeHead(404, { connection: 'close' }).end();
          return;
        }
        const q = url.searchParams;
        if (!q.has('code') && !q.has('error')) {
          res.writeHead(404, { connection: 'close' }).end();
          return;
        }
        busy = true;
        const fail = (reason: string, err?: unknown): void => {
          void answer(res, 400, `Sign-in failed: ${reason}`).then(() =>
            reject(new CliError(`sign-in failed: ${reason}`, { cause: err })),
          );
        };
        if (q.get('state') !== state) return fail('the answer does not match this sign-in attempt');
        if (q.has('error'))
          return fail(
            q.get('error') === 'access_denied'
              ? 'you did not approve acme-cli'
              : 'SuperOffice could not sign you in',
          );
        void (async () => {
          let body: Record<string, unknown>;
          try {
            let status: number;
            ({ status, body } = await tokenRequest(s, metadata.token_endpoint as string, {
              grant_type: 'authorization_code',
              code: q.get('code') ?? '',
              redirect_uri: redirectUri,
              ...(s.defects.has('no-pkce') ? {} : { code_verifier: codeVerifier }),
            }));
            if (status !== 200 || typeof body['access_token'] !== 'string' || !body['access_token'])
              return fail('SuperOffice did not accept the sign-in');
          } catch (err) {
            return fail('SuperOffice could not be reached', err);
          }
          let claims: JWTPayload;
          try {
            ({ payload: claims } = await jwtVerify(String(body['id_token'] ?? ''), keys, {
              algorithms: ['RS256'],
              issuer: s.superOfficeUrl,
              audience: s.clientId,
              clockTolerance: 60,
              maxTokenAge: 660,
              requiredClaims: ['iss', 'aud', 'exp', 'iat', 'sub'],
            }));
            if (Array.isArray(claims.aud) && claims.aud.some((a) => a !== s.clientId))
              throw new Error('untrusted audience');
            if (claims['nonce'] !== nonce) throw new Error('nonce');
            if (typeof claims.sub !== 'string' || claims.sub === '') throw new Error('sub');
            const ctx = claims[`${CLAIM}ctx`];
            if (
              typeof ctx !== 'string' ||
              !/^Cust\d+$/.test(ctx) ||
              (s.tenant !== undefined && ctx !== s.tenant)
            )
              throw new Error('ctx');
          } catch (err) {
            return fail('the sign-in token from SuperOffice is not valid', err);
          }
          await answer(res, 200, 'Signed in to SuperOffice. You can close this window.');
          resolve({ body, claims });
        })();
      };
    });
    result.catch(() => {});
    openBrowser(authorizationUrl.href, s.browser);
    return await result;
  } finally {
    server.close();
    server.closeAllConnections();
  }
}

/** Checks the tenant, then asks the web API who the tokens belong to. */
async function currentUser(s: Settings, session: Session): Promise<string> {
  await ensureTenantRunning(s, session.tokens.ctx);
  const principal = await callApi<{ FullName?: unknown; UserName?: unknown }>(
    s,
    session,
    'v1/User/currentPrincipal',
  );
  const name =
    typeof principal?.FullName === 'string' && principal.FullName
      ? principal.FullName
      : typeof principal?.UserName === 'string'
        ? principal.UserName
        : 'an unnamed user';
  return `Signed in as ${printable(name)} (${session.tokens.ctx})`;
}

/** `acme-cli`: sign in through the browser, save the tokens, show the user. */
async function login(s: Settings): Promise<string> {
  const discovery = await discover(s);
  const { body, claims } = await signIn(s, discovery);
  const webapiUrl = claims[`${CLAIM}webapi_url`];
  if (typeof webapiUrl !== 'string' || !URL.canParse(webapiUrl))
    throw new CliError('acme-cli has no access to the SuperOffice web API');
  const session: Session = {
    discovery,
    tokens: storedTokens(
      { superoffice_url: s.superOfficeUrl, ctx: claims[`${CLAIM}ctx`] as string, webapi_url: webapiUrl },
      body,
    ),
  };
  await saveTokens(s, session.tokens);
  return currentUser(s, session);
}

/** `acme-cli whoami`: the saved sign-in, no browser. */
async function whoami(s: Settings): Promise<string> {
  return currentUser(s, { tokens: await loadTokens(s) });
}

export async function run(
  args: readonly string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const s = await settings(args, env);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    const seconds = s.timeoutMs / 1000;
    timer = setTimeout(
      () =>
        reject(
          new CliError(
            s.command === 'login'
              ? `no sign-in within ${seconds} s`
              : `SuperOffice did not answer within ${seconds} s`,
          ),
        ),
      s.timeoutMs,
    );
  });
  try {
    return await Promise.race([s.command === 'login' ? login(s) : whoami(s), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

if (import.meta.main) {
  try {
    console.log(await run());
    process.exit(0);
  } catch (err) {
    const message =
      err instanceof CliError
        ? err.message
        : `unexpected error (${err instanceof Error ? err.name : 'unknown'})`;
    console.error(`acme-cli: ${message}`);
    process.exit(1);
  }
}
