/**
 * acme-cli: signs a user in to SuperOffice CRM Online from the command line, the way RFC 8252 and
 * SuperOffice's native-app guide describe (system browser, loopback redirect on 127.0.0.1 with a
 * random port, PKCE S256, no client secret), then prints who is signed in.
 *
 *   SUPEROFFICE_URL=https://sod.superoffice.com SUPEROFFICE_CLIENT_ID=... node cli.ts
 *
 * Exit code 0 when signed in, 1 with a one-line error otherwise.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { spawn } from 'node:child_process';
import * as oidc from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { JWTPayload } from 'jose';

const CLAIM = 'http://schemes.superoffice.net/identity/';
const KNOWN_DEFECTS = ['no-pkce', 'plain-pkce', 'localhost-redirect'] as const;
type Defect = (typeof KNOWN_DEFECTS)[number];

class CliError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CliError';
  }
}

interface Settings {
  superOfficeUrl: string;
  clientId: string;
  tenant: string | undefined;
  browser: string | undefined;
  timeoutMs: number;
  defects: Set<Defect>;
}

function settings(env: NodeJS.ProcessEnv): Settings {
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
    superOfficeUrl: new URL(superOfficeUrl).origin,
    clientId,
    tenant: env['SUPEROFFICE_TENANT']?.trim() || undefined,
    browser: env['BROWSER']?.trim() || undefined,
    timeoutMs:
      (Number.isFinite(timeoutSeconds) && timeoutSeconds > 0 ? Math.min(timeoutSeconds, 600) : 120) * 1000,
    defects,
  };
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

async function discover(s: Settings): Promise<{ client: oidc.Configuration; metadata: oidc.ServerMetadata }> {
  const res = await fetch(`${s.superOfficeUrl}/login/.well-known/openid-configuration`, {
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new CliError(`SuperOffice sign-in service answered ${res.status}`);
  const metadata = (await res.json()) as oidc.ServerMetadata;
  if (metadata.issuer !== s.superOfficeUrl)
    throw new CliError('SuperOffice sign-in service names an unexpected issuer');
  for (const endpoint of ['authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const) {
    const value = metadata[endpoint];
    if (typeof value !== 'string' || new URL(value).origin !== s.superOfficeUrl)
      throw new CliError(`SuperOffice discovery: bad ${endpoint}`);
  }
  return {
    client: new oidc.Configuration(metadata, s.clientId, { token_endpoint_auth_method: 'none' }, oidc.None()),
    metadata,
  };
}

/** Waits for the browser to come back to the loopback listener; validates before answering it. */
async function signIn(s: Settings): Promise<{ accessToken: string; claims: JWTPayload }> {
  const { client, metadata } = await discover(s);
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

    const result = new Promise<{ accessToken: string; claims: JWTPayload }>((resolve, reject) => {
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
            const tokenRes = await fetch(metadata.token_endpoint as string, {
              method: 'POST',
              headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
              body: new URLSearchParams({
                grant_type: 'authorization_code',
                client_id: s.clientId,
                code: q.get('code') ?? '',
                redirect_uri: redirectUri,
                ...(s.defects.has('no-pkce') ? {} : { code_verifier: codeVerifier }),
              }),
              signal: AbortSignal.timeout(15_000),
            });
            body = (await tokenRes.json().catch(() => ({}))) as Record<string, unknown>;
            if (!tokenRes.ok || typeof body['access_token'] !== 'string')
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
          resolve({ accessToken: body['access_token'] as string, claims });
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

async function currentPrincipal(
  s: Settings,
  accessToken: string,
  claims: JWTPayload,
): Promise<{ FullName?: string }> {
  const ctx = claims[`${CLAIM}ctx`] as string;
  const webapiUrl = claims[`${CLAIM}webapi_url`];
  if (typeof webapiUrl !== 'string' || !URL.canParse(webapiUrl))
    throw new CliError('acme-cli has no access to the SuperOffice web API');
  const stateRes = await fetch(`${s.superOfficeUrl}/api/state/${encodeURIComponent(ctx)}`, {
    signal: AbortSignal.timeout(10_000),
  });
  const state = (await stateRes.json().catch(() => ({}))) as { IsRunning?: boolean; State?: string };
  if (!stateRes.ok || state.IsRunning !== true)
    throw new CliError(`your SuperOffice tenant is unavailable (${state.State ?? 'Unknown'})`);
  const base = webapiUrl.endsWith('/') ? webapiUrl : `${webapiUrl}/`;
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(new URL('v1/User/currentPrincipal', base), {
      headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
      signal: AbortSignal.timeout(15_000),
    });
    if (res.ok) return (await res.json()) as { FullName?: string };
    await res.body?.cancel();
    const retryAfter = Number(res.headers.get('retry-after'));
    if (res.status === 429 && attempt === 0 && Number.isFinite(retryAfter) && retryAfter <= 5) {
      await new Promise((r) => setTimeout(r, retryAfter * 1000));
      continue;
    }
    throw new CliError(
      res.status === 429
        ? 'SuperOffice is busy, please try again later'
        : `SuperOffice answered ${res.status}`,
    );
  }
}

export async function run(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const s = settings(env);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CliError(`no sign-in within ${s.timeoutMs / 1000} s`)), s.timeoutMs);
  });
  try {
    return await Promise.race([
      (async () => {
        const { accessToken, claims } = await signIn(s);
        const principal = await currentPrincipal(s, accessToken, claims);
        return `Signed in as ${principal.FullName ?? String(claims.sub)} (${String(claims[`${CLAIM}ctx`])})`;
      })(),
      timeout,
    ]);
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
