/**
 * Everything Acme Sync exchanges with SuperOffice: the administrator's sign-in (code flow + PKCE),
 * the system-user ticket (signed system token -> PartnerSystemUser -> validated JWT), tenant
 * state, state-change notification tokens, webhook signatures, and the tenant REST API with a
 * system-user ticket.
 */
import { createHmac, createSign, timingSafeEqual } from 'node:crypto';
import * as oidc from 'openid-client';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import type { JWTPayload } from 'jose';
import type { AppConfig } from './config.ts';
import type { Logger } from './log.ts';

export const CLAIM = 'http://schemes.superoffice.net/identity/';
const CLOCK_SKEW_SECONDS = 60;
const SYSTEM_USER_ISSUER = 'SuperOffice AS';

export class SignInError extends Error {
  readonly reason: string;
  constructor(reason: string, detail?: string, options?: ErrorOptions) {
    super(detail ?? reason, options);
    this.name = 'SignInError';
    this.reason = reason;
  }
}

/** A token from SuperOffice failed validation; nothing derived from it may be used. */
export class InvalidTokenError extends Error {
  constructor(what: string, options?: ErrorOptions) {
    super(`invalid ${what}`, options);
    this.name = 'InvalidTokenError';
  }
}

export class SystemUserError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SystemUserError';
  }
}

export interface TenantStatus {
  ContextIdentifier: string;
  Endpoint?: string;
  State: string;
  IsRunning: boolean;
  ValidUntil?: string;
}

export interface AdminClaims {
  sub: string;
  ctx: string;
  serial: string;
  webapiUrl: string;
  systemToken: string | undefined;
  isAdministrator: boolean;
  email: string | undefined;
}

export interface SystemUserTicket {
  ticket: string;
  webapiUrl: string | undefined;
  /** When SuperOffice said the JWT expires; the ticket itself slides (6 h), we re-authenticate on 401. */
  obtainedAt: number;
}

/** A call to the tenant API beyond a plain GET. */
export interface SystemUserRequest {
  method?: string;
  /** Sent as JSON (`Content-Type: application/json`). */
  body?: unknown;
  /** Ends the call early (on top of the 15 s every call gets). */
  signal?: AbortSignal;
}

/** `yyyyMMddHHmm` in UTC. */
export function systemTokenTimestamp(date = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${date.getUTCFullYear()}${p(date.getUTCMonth() + 1)}${p(date.getUTCDate())}${p(date.getUTCHours())}${p(date.getUTCMinutes())}`;
}

/**
 * Whether `signature` (the `X-SuperOffice-Signature` header: base64 HMAC-SHA256 of the raw body
 * bytes, keyed with the webhook's secret) matches `body`. Compared in constant time.
 */
export function validWebhookSignature(body: Buffer, signature: unknown, secret: string): boolean {
  if (typeof signature !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(signature.trim())) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  const given = Buffer.from(signature.trim(), 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

type Jwks = ReturnType<typeof createRemoteJWKSet>;

export class SuperOffice {
  readonly #config: AppConfig;
  readonly #log: Logger;
  #ready: Promise<{ client: oidc.Configuration; metadata: oidc.ServerMetadata; keys: Jwks }> | undefined;
  readonly #states = new Map<string, { status: TenantStatus; until: number }>();

  constructor(config: AppConfig, log: Logger) {
    this.#config = config;
    this.#log = log;
  }

  get redirectUri(): string {
    return `${this.#config.publicUrl}/callback`;
  }

  ready(): Promise<{ client: oidc.Configuration; metadata: oidc.ServerMetadata; keys: Jwks }> {
    this.#ready ??= this.#discover().catch((err: unknown) => {
      this.#ready = undefined;
      throw err;
    });
    return this.#ready;
  }

  async #discover(): Promise<{ client: oidc.Configuration; metadata: oidc.ServerMetadata; keys: Jwks }> {
    const issuer = this.#config.superOfficeUrl;
    const res = await fetch(`${issuer}/login/.well-known/openid-configuration`, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw new Error(`SuperID discovery answered ${res.status}`);
    const metadata = (await res.json()) as oidc.ServerMetadata;
    if (metadata.issuer !== issuer) throw new Error('SuperID discovery names an unexpected issuer');
    for (const endpoint of ['authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const) {
      const value = metadata[endpoint];
      if (typeof value !== 'string' || new URL(value).origin !== issuer)
        throw new Error(`SuperID discovery: bad ${endpoint}`);
    }
    const keys = createRemoteJWKSet(new URL(metadata.jwks_uri as string), {
      cooldownDuration: 1_000,
      cacheMaxAge: 10 * 60_000,
      timeoutDuration: 5_000,
    });
    this.#log('superid.discovered');
    return { client: new oidc.Configuration(metadata, this.#config.clientId), metadata, keys };
  }

  // ---- administrator sign-in ------------------------------------------------------------------

  newAuthorizationRequest(): { state: string; nonce: string; codeVerifier: string } {
    return {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      codeVerifier: oidc.randomPKCECodeVerifier(),
    };
  }

  async authorizationUrl(request: { state: string; nonce: string; codeVerifier: string }): Promise<URL> {
    const { client } = await this.ready();
    return oidc.buildAuthorizationUrl(client, {
      redirect_uri: this.redirectUri,
      scope: 'openid',
      response_type: 'code',
      state: request.state,
      nonce: request.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(request.codeVerifier),
      code_challenge_method: 'S256',
    });
  }

  async logoutUrl(postLogoutRedirectUri: string): Promise<URL> {
    const { client, metadata } = await this.ready();
    if (metadata.end_session_endpoint)
      return oidc.buildEndSessionUrl(client, { post_logout_redirect_uri: postLogoutRedirectUri });
    const url = new URL('/login/logout', this.#config.superOfficeUrl);
    url.search = new URLSearchParams({
      client_id: this.#config.clientId,
      post_logout_redirect_uri: postLogoutRedirectUri,
    }).toString();
    return url;
  }

  async exchangeCode(code: string, codeVerifier: string): Promise<{ id_token?: string }> {
    const { metadata } = await this.ready();
    const res = await fetch(metadata.token_endpoint as string, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: this.redirectUri,
        code_verifier: codeVerifier,
        client_id: this.#config.clientId,
        client_secret: this.#config.clientSecret,
      }),
      signal: AbortSignal.timeout(15_000),
    });
    const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (!res.ok)
      throw new Error(
        `token endpoint answered ${res.status} ${typeof body['error'] === 'string' ? body['error'] : ''}`,
      );
    // Acme Sync works as the system user; the administrator's own tokens are not kept.
    return { ...(typeof body['id_token'] === 'string' ? { id_token: body['id_token'] } : {}) };
  }

  async validateIdToken(token: unknown, nonce: string): Promise<AdminClaims> {
    if (typeof token !== 'string' || token === '')
      throw new SignInError('SuperOffice did not send an identity token.');
    const { keys } = await this.ready();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        algorithms: ['RS256'],
        issuer: this.#config.superOfficeUrl,
        audience: this.#config.clientId,
        clockTolerance: CLOCK_SKEW_SECONDS,
        maxTokenAge: 600 + CLOCK_SKEW_SECONDS,
        requiredClaims: ['iss', 'aud', 'exp', 'iat', 'sub'],
      }));
    } catch (err) {
      throw new SignInError('The sign-in token from SuperOffice could not be verified.', 'id_token', {
        cause: err,
      });
    }
    if (Array.isArray(payload.aud) && payload.aud.some((a) => a !== this.#config.clientId)) {
      throw new SignInError('The sign-in token was not issued for this app.', 'id_token aud');
    }
    if (typeof payload.sub !== 'string' || payload.sub === '')
      throw new SignInError('The sign-in token is malformed.', 'id_token sub');
    if (payload['nonce'] !== nonce)
      throw new SignInError(
        'The sign-in response does not belong to this sign-in attempt.',
        'id_token nonce',
      );
    const claim = (name: string): string | undefined => {
      const value = payload[`${CLAIM}${name}`];
      return typeof value === 'string' && value !== '' ? value : undefined;
    };
    const ctx = claim('ctx');
    const serial = claim('serial');
    const webapiUrl = claim('webapi_url');
    if (!ctx || !/^Cust\d+$/.test(ctx) || !serial || !webapiUrl || !URL.canParse(webapiUrl)) {
      throw new SignInError(
        'The sign-in token lacks the tenant information Acme Sync needs.',
        'id_token claims',
      );
    }
    return {
      sub: payload.sub,
      ctx,
      serial,
      webapiUrl: webapiUrl.endsWith('/') ? webapiUrl : `${webapiUrl}/`,
      systemToken: claim('system_token'),
      isAdministrator: claim('is_administrator') === 'True',
      email: claim('email'),
    };
  }

  // ---- system user ----------------------------------------------------------------------------

  /** `{system_token}.{yyyyMMddHHmm}.{base64 RSA-SHA256 signature}` as SuperOffice specifies. */
  signSystemToken(systemToken: string, now = new Date()): string {
    const data = `${systemToken}.${systemTokenTimestamp(now)}`;
    const signature = createSign('RSA-SHA256').update(data, 'utf8').sign(this.#config.privateKey, 'base64');
    return `${data}.${signature}`;
  }

  /** Runs the PartnerSystemUser exchange and validates the JWT before its ticket is used. */
  async systemUserTicket(tenant: {
    ctx: string;
    serial: string;
    systemToken: string;
  }): Promise<SystemUserTicket> {
    const res = await fetch(`${this.#config.superOfficeUrl}/Login/api/PartnerSystemUser/Authenticate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({
        SignedSystemToken: this.signSystemToken(tenant.systemToken),
        ApplicationToken: this.#config.clientSecret,
        ContextIdentifier: tenant.ctx,
        ReturnTokenType: 'JWT',
      }),
      signal: AbortSignal.timeout(15_000),
    });
    const body = (await res.json().catch(() => ({}))) as {
      IsSuccessful?: boolean;
      Token?: unknown;
      ErrorMessage?: unknown;
    };
    if (!body.IsSuccessful || typeof body.Token !== 'string') {
      this.#log('sysuser.failed', { ctx: tenant.ctx, status: res.status });
      throw new SystemUserError(`PartnerSystemUser refused (${res.status})`);
    }
    let payload: JWTPayload;
    if (this.#config.defects.has('skip-sysuser-validation')) {
      // DEFECT skip-sysuser-validation: "it came straight from SuperOffice over HTTPS".
      payload = decodeJwt(body.Token);
    } else {
      const { keys } = await this.ready();
      try {
        ({ payload } = await jwtVerify(body.Token, keys, {
          algorithms: ['RS256'],
          issuer: SYSTEM_USER_ISSUER,
          audience: `spn:${tenant.serial}`,
          clockTolerance: CLOCK_SKEW_SECONDS,
          requiredClaims: ['exp'],
        }));
      } catch (err) {
        this.#log('sysuser.jwt.invalid', {
          ctx: tenant.ctx,
          error: err instanceof Error ? err.name : 'unknown',
        });
        throw new InvalidTokenError('system user token', { cause: err });
      }
      const ctx = payload[`${CLAIM}ctx`];
      if (ctx !== undefined && ctx !== tenant.ctx) throw new InvalidTokenError('system user token (tenant)');
    }
    const ticket = payload[`${CLAIM}ticket`];
    if (typeof ticket !== 'string' || ticket === '')
      throw new InvalidTokenError('system user token (no ticket)');
    const webapiUrl = payload[`${CLAIM}webapi_url`];
    this.#log('sysuser.ticket', { ctx: tenant.ctx });
    return {
      ticket,
      webapiUrl:
        typeof webapiUrl === 'string' && URL.canParse(webapiUrl)
          ? webapiUrl.endsWith('/')
            ? webapiUrl
            : `${webapiUrl}/`
          : undefined,
      obtainedAt: Date.now(),
    };
  }

  // ---- state-change notifications -------------------------------------------------------------

  /** Validates the `Token` of a state-change notification for tenant `ctx`. */
  async validateNotificationToken(token: unknown, ctx: string): Promise<void> {
    if (typeof token !== 'string' || token === '') throw new InvalidTokenError('notification token');
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
    } catch (err) {
      throw new InvalidTokenError('notification token', { cause: err });
    }
    if (payload[`${CLAIM}ctx`] !== ctx) throw new InvalidTokenError('notification token (tenant)');
  }

  // ---- tenant state and API -------------------------------------------------------------------

  forgetState(ctx: string): void {
    this.#states.delete(ctx);
  }

  async tenantStatus(ctx: string, fresh = false): Promise<TenantStatus> {
    const cached = this.#states.get(ctx);
    if (!fresh && cached && cached.until > Date.now()) return cached.status;
    const res = await fetch(`${this.#config.superOfficeUrl}/api/state/${encodeURIComponent(ctx)}`, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) {
      await res.body?.cancel();
      return { ContextIdentifier: ctx, State: 'Unknown', IsRunning: false };
    }
    const status = (await res.json()) as TenantStatus;
    const validUntil = Date.parse(status.ValidUntil ?? '');
    const max = Date.now() + this.#config.stateCacheSeconds * 1000;
    this.#states.set(ctx, {
      status,
      until: Number.isNaN(validUntil) ? Date.now() : Math.min(validUntil, max),
    });
    return status;
  }

  /**
   * One call as the system user: GET unless told, with `body` sent as JSON when given. Returns the
   * raw response (callers handle 401/429/...).
   */
  async systemUserGet(
    base: string,
    relativePath: string,
    ticket: string,
    request: SystemUserRequest = {},
  ): Promise<Response> {
    const timeout = AbortSignal.timeout(15_000);
    const json = request.body === undefined ? undefined : JSON.stringify(request.body);
    return fetch(new URL(relativePath, base), {
      method: request.method ?? 'GET',
      headers: {
        authorization: `SOTicket ${ticket}`,
        'so-apptoken': this.#config.clientSecret,
        accept: 'application/json',
        ...(json === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(json === undefined ? {} : { body: json }),
      signal: request.signal ? AbortSignal.any([request.signal, timeout]) : timeout,
    });
  }
}
