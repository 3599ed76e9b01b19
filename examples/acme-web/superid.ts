/**
 * SuperID (SuperOffice's OpenID Connect provider): discovery, authorization requests, the token
 * endpoint and id_token validation.
 *
 * SuperOffice publishes its discovery document under `/login` but its issuer is the bare origin
 * (`https://sod.superoffice.com`), so we fetch the document ourselves, check the issuer against the
 * configured SuperID URL, and hand the metadata to openid-client for building request URLs.
 * id_tokens are validated here with jose, explicitly, as SuperOffice's "validate security tokens"
 * page describes: RS256 signature against the environment's JWKS, issuer, audience, lifetime,
 * nonce, subject, tenant.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oidc from 'openid-client';
import {
  compactVerify,
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  jwtVerify,
} from 'jose';
import type { JWTPayload, JSONWebKeySet } from 'jose';
import type { AppConfig } from './config.ts';
import type { Logger } from './log.ts';

export const CLAIM = 'http://schemes.superoffice.net/identity/';
const CLOCK_SKEW_SECONDS = 60;
const MAX_ID_TOKEN_AGE_SECONDS = 600;

/** A sign-in that must not complete; `reason` is safe to show to the user. */
export class SignInError extends Error {
  readonly reason: string;
  constructor(reason: string, detail?: string, options?: ErrorOptions) {
    super(detail ?? reason, options);
    this.name = 'SignInError';
    this.reason = reason;
  }
}

/** The token endpoint refused a grant (`error` is the OAuth error code, never a token). */
export class TokenEndpointError extends Error {
  readonly error: string;
  readonly status: number;
  constructor(status: number, error: string) {
    super(`token endpoint answered ${status} ${error}`);
    this.name = 'TokenEndpointError';
    this.status = status;
    this.error = error;
  }
}

export interface TokenResponse {
  access_token: string;
  token_type?: string;
  expires_in?: number;
  refresh_token?: string;
  id_token?: string;
}

export interface SignInClaims {
  sub: string;
  ctx: string;
  webapiUrl: string;
  email: string | undefined;
  companyName: string;
  isAdministrator: boolean;
  payload: JWTPayload;
}

export interface AuthorizationRequest {
  state: string;
  nonce: string;
  codeVerifier: string;
}

type KeySet = Parameters<typeof compactVerify>[1];

/** DEFECT shared-discovery-cache: SuperID's discovery document, shared by every Acme Web on the host. */
const DISCOVERY_CACHE = join(tmpdir(), 'acme-web-superid-discovery.json');

/** The cached discovery document, while the SuperID it names still answers ("saves a round trip"). */
async function cachedDiscovery(): Promise<oidc.ServerMetadata | undefined> {
  try {
    const metadata = JSON.parse(await readFile(DISCOVERY_CACHE, 'utf8')) as oidc.ServerMetadata;
    const alive = await fetch(metadata.jwks_uri as string, { signal: AbortSignal.timeout(2_000) });
    return alive.ok ? metadata : undefined;
  } catch {
    return undefined;
  }
}

export class SuperId {
  readonly #config: AppConfig;
  readonly #log: Logger;
  #ready: Promise<{ client: oidc.Configuration; metadata: oidc.ServerMetadata; keys: KeySet }> | undefined;

  constructor(config: AppConfig, log: Logger) {
    this.#config = config;
    this.#log = log;
  }

  get redirectUri(): string {
    return `${this.#config.publicUrl}/callback`;
  }

  /** Discovery (and JWKS); memoised, retried on the next call after a failure. */
  ready(): Promise<{ client: oidc.Configuration; metadata: oidc.ServerMetadata; keys: KeySet }> {
    this.#ready ??= this.#discover().catch((err: unknown) => {
      this.#ready = undefined;
      throw err;
    });
    return this.#ready;
  }

  async #discover(): Promise<{ client: oidc.Configuration; metadata: oidc.ServerMetadata; keys: KeySet }> {
    const issuer = this.#config.superOfficeUrl;
    // DEFECT shared-discovery-cache: a discovery document another Acme Web cached is trusted
    // as it is, whichever SuperOffice environment that one was configured for.
    const shared = this.#config.defects.has('shared-discovery-cache') ? await cachedDiscovery() : undefined;
    const metadata = shared ?? (await this.#fetchDiscovery(issuer));
    if (this.#config.defects.has('shared-discovery-cache') && !shared)
      await writeFile(DISCOVERY_CACHE, JSON.stringify(metadata)).catch(() => undefined);
    const jwksUri = new URL(metadata.jwks_uri as string);
    let keys: KeySet;
    if (this.#config.defects.has('pinned-key')) {
      // DEFECT pinned-key: keys downloaded once at start-up and kept for the life of the process.
      const jwks = await fetch(jwksUri, { signal: AbortSignal.timeout(10_000) });
      if (!jwks.ok) throw new Error(`SuperID JWKS answered ${jwks.status}`);
      keys = createLocalJWKSet((await jwks.json()) as JSONWebKeySet);
    } else {
      // Refetches when a token names a kid we have not seen (key rollover), at most once per
      // cooldown (JWKS_COOLDOWN_MS; 1 s unless set, jose's own default is 30 s).
      keys = createRemoteJWKSet(jwksUri, {
        cooldownDuration: this.#config.jwksCooldownMs,
        cacheMaxAge: 10 * 60_000,
        timeoutDuration: 5_000,
      });
    }
    const client = new oidc.Configuration(metadata, this.#config.clientId);
    this.#log('superid.discovered');
    return { client, metadata, keys };
  }

  async #fetchDiscovery(issuer: string): Promise<oidc.ServerMetadata> {
    const res = await fetch(`${issuer}/login/.well-known/openid-configuration`, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw new Error(`SuperID discovery answered ${res.status}`);
    const metadata = (await res.json()) as oidc.ServerMetadata;
    if (metadata.issuer !== issuer) throw new Error('SuperID discovery names an unexpected issuer');
    for (const endpoint of ['authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const) {
      const value = metadata[endpoint];
      if (typeof value !== 'string' || new URL(value).origin !== issuer) {
        throw new Error(`SuperID discovery: ${endpoint} is missing or not on ${issuer}`);
      }
    }
    return metadata;
  }

  /** A fresh state, nonce and PKCE verifier for one sign-in attempt. */
  newAuthorizationRequest(): AuthorizationRequest {
    return {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      codeVerifier: oidc.randomPKCECodeVerifier(),
    };
  }

  async authorizationUrl(request: AuthorizationRequest): Promise<URL> {
    const { client } = await this.ready();
    const params: Record<string, string> = {
      redirect_uri: this.redirectUri,
      scope: 'openid',
      state: request.state,
      nonce: request.nonce,
    };
    if (this.#config.defects.has('implicit-flow')) {
      // DEFECT implicit-flow: the deprecated implicit flow, tokens posted back through the browser.
      params['response_type'] = 'id_token token';
      params['response_mode'] = 'form_post';
    } else {
      params['response_type'] = 'code';
      params['code_challenge'] = await oidc.calculatePKCECodeChallenge(request.codeVerifier);
      params['code_challenge_method'] = 'S256';
    }
    if (this.#config.tenant) params['acr_values'] = `tenant:${this.#config.tenant}`;
    return oidc.buildAuthorizationUrl(client, params);
  }

  async logoutUrl(postLogoutRedirectUri: string): Promise<URL> {
    const { client, metadata } = await this.ready();
    const params = { post_logout_redirect_uri: postLogoutRedirectUri };
    if (metadata.end_session_endpoint) return oidc.buildEndSessionUrl(client, params);
    const url = new URL('/login/logout', this.#config.superOfficeUrl);
    url.search = new URLSearchParams({ client_id: this.#config.clientId, ...params }).toString();
    return url;
  }

  exchangeCode(code: string, codeVerifier: string): Promise<TokenResponse> {
    return this.#tokenRequest({
      grant_type: 'authorization_code',
      code,
      redirect_uri: this.redirectUri,
      code_verifier: codeVerifier,
    });
  }

  refresh(refreshToken: string): Promise<TokenResponse> {
    return this.#tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken });
  }

  async #tokenRequest(params: Record<string, string>): Promise<TokenResponse> {
    const { metadata } = await this.ready();
    const form = new URLSearchParams({
      ...params,
      client_id: this.#config.clientId,
      client_secret: this.#config.clientSecret,
    });
    const url = new URL(metadata.token_endpoint as string);
    const init: RequestInit = {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      signal: AbortSignal.timeout(15_000),
    };
    if (this.#config.defects.has('secret-in-url')) {
      // DEFECT secret-in-url: parameters in the query string of the POST, as SuperOffice's docs show.
      url.search = form.toString();
    } else {
      init.body = form;
    }
    let res = await fetch(url, init);
    // DEFECT secret-retry-loop: "SuperID says invalid_client now and then during deploys": the
    // same request again, at once, up to ten times.
    for (
      let retry = 0;
      retry < 10 && res.status === 401 && this.#config.defects.has('secret-retry-loop');
      retry++
    )
      res = await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) });
    const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (this.#config.defects.has('logs-secrets')) {
      // DEFECT logs-secrets: "temporary" debugging output left in.
      console.log(`token endpoint response for ${params['grant_type']}: ${JSON.stringify(body)}`);
    }
    if (!res.ok || typeof body['access_token'] !== 'string') {
      throw new TokenEndpointError(
        res.status,
        typeof body['error'] === 'string' ? body['error'] : 'invalid_response',
      );
    }
    this.#log('superid.token', { grant: params['grant_type'] ?? '?' });
    return body as unknown as TokenResponse;
  }

  /**
   * Validates an id_token from SuperID. `nonce` is the value sent with the authorization request
   * (sign-in); `accessToken` is set when the token came with an access token in the front channel
   * (at_hash). Throws {@link SignInError} on any failure.
   */
  /**
   * Validates the token of a tenant state-change notification (signed by SuperID, iss = SuperID
   * URL, aud = our client id, ctx claim = the notified tenant). Throws {@link SignInError} on any
   * problem, so the caller refuses the notification.
   */
  async validateNotificationToken(token: unknown, ctx: string): Promise<void> {
    if (typeof token !== 'string' || token === '')
      throw new SignInError('The notification carries no token.');
    const { keys } = await this.ready();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        algorithms: ['RS256'],
        issuer: this.#config.superOfficeUrl,
        audience: this.#config.clientId,
        clockTolerance: CLOCK_SKEW_SECONDS,
        requiredClaims: ['exp'],
      }));
    } catch {
      throw new SignInError('The notification token is not valid.');
    }
    if (payload[`${CLAIM}ctx`] !== ctx) throw new SignInError('The notification token names another tenant.');
  }

  async validateIdToken(
    token: unknown,
    expect: { nonce?: string; accessToken?: string },
  ): Promise<SignInClaims> {
    if (typeof token !== 'string' || token === '')
      throw new SignInError('SuperOffice did not send an identity token.');
    const defects = this.#config.defects;
    const { keys } = await this.ready();
    let payload: JWTPayload;
    try {
      const header = decodeProtectedHeader(token);
      if (defects.has('skip-signature')) {
        // DEFECT skip-signature: "it came over TLS from SuperOffice", so only decoded.
        payload = decodeJwt(token);
      } else if (defects.has('alg-none') && String(header.alg).toLowerCase() === 'none') {
        // DEFECT alg-none: unsigned tokens are accepted as they are.
        payload = decodeJwt(token);
      } else {
        const verified = await compactVerify(token, keys, { algorithms: ['RS256'] });
        payload = JSON.parse(new TextDecoder().decode(verified.payload)) as JWTPayload;
        if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
          throw new Error('payload is not a JSON object');
      }
    } catch (err) {
      throw new SignInError(
        'The sign-in token from SuperOffice could not be verified.',
        'id_token signature',
        { cause: err },
      );
    }
    return this.#checkClaims(payload, expect);
  }

  #checkClaims(payload: JWTPayload, expect: { nonce?: string; accessToken?: string }): SignInClaims {
    const defects = this.#config.defects;
    const reject = (reason: string, detail: string): never => {
      throw new SignInError(reason, `id_token ${detail}`);
    };
    const now = Math.floor(Date.now() / 1000);

    if (!defects.has('skip-issuer') && payload.iss !== this.#config.superOfficeUrl) {
      reject('The sign-in token was not issued by SuperOffice.', 'iss');
    }
    if (!defects.has('skip-audience')) {
      const aud = payload.aud === undefined ? [] : Array.isArray(payload.aud) ? payload.aud : [payload.aud];
      if (aud.length === 0 || aud.some((a) => a !== this.#config.clientId)) {
        reject('The sign-in token was not issued for this app.', 'aud');
      }
    }
    if (typeof payload.iat !== 'number') reject('The sign-in token is malformed.', 'iat');
    if (!defects.has('skip-expiry')) {
      // DEFECT skip-expiry skips this block ("servers' clocks drift").
      if (typeof payload.exp !== 'number' || payload.exp <= now - CLOCK_SKEW_SECONDS) {
        reject('The sign-in token has expired. Please sign in again.', 'exp');
      }
      if (
        payload.nbf !== undefined &&
        (typeof payload.nbf !== 'number' || payload.nbf > now + CLOCK_SKEW_SECONDS)
      ) {
        reject('The sign-in token is not valid yet.', 'nbf');
      }
      const iat = payload.iat as number;
      if (iat > now + CLOCK_SKEW_SECONDS || now - iat > MAX_ID_TOKEN_AGE_SECONDS + CLOCK_SKEW_SECONDS) {
        reject('The sign-in token is too old. Please sign in again.', 'iat');
      }
    }
    if (typeof payload.sub !== 'string' || payload.sub === '')
      reject('The sign-in token is malformed.', 'sub');
    if (expect.nonce !== undefined && !defects.has('skip-nonce') && payload['nonce'] !== expect.nonce) {
      reject('The sign-in response does not belong to this sign-in attempt.', 'nonce');
    }
    if (expect.accessToken !== undefined) {
      const digest = createHash('sha256').update(expect.accessToken, 'ascii').digest();
      const atHash = digest.subarray(0, digest.length / 2).toString('base64url');
      if (payload['at_hash'] !== atHash) reject('The sign-in response was tampered with.', 'at_hash');
    }
    const ctx = payload[`${CLAIM}ctx`];
    if (typeof ctx !== 'string' || !/^Cust\d+$/.test(ctx))
      reject('The sign-in token names no SuperOffice tenant.', 'ctx');
    if (this.#config.tenant !== undefined && ctx !== this.#config.tenant) {
      reject('You signed in to a different SuperOffice tenant than this app serves.', 'ctx mismatch');
    }
    const webapiUrl = payload[`${CLAIM}webapi_url`];
    if (
      typeof webapiUrl !== 'string' ||
      !URL.canParse(webapiUrl) ||
      new URL(webapiUrl).protocol !== 'https:'
    ) {
      reject('The app has no access to the SuperOffice web API for this tenant.', 'webapi_url');
    }
    const str = (name: string): string | undefined => {
      const value = payload[`${CLAIM}${name}`];
      return typeof value === 'string' ? value : undefined;
    };
    return {
      sub: payload.sub as string,
      ctx: ctx as string,
      webapiUrl: (webapiUrl as string).endsWith('/') ? (webapiUrl as string) : `${webapiUrl as string}/`,
      email: str('email'),
      companyName: str('company_name') ?? '',
      isAdministrator: str('is_administrator') === 'True',
      payload,
    };
  }
}
