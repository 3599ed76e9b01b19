/**
 * Calls to the user's SuperOffice tenant (NetServer REST API), done the way SuperOffice's best
 * practices ask: check the tenant state first (cached until `ValidUntil`), use the `webapi_url`
 * claim as the base, refresh the access token once on 401, back off on 429.
 */
import type { AppConfig } from './config.ts';
import type { Logger } from './log.ts';
import type { Session } from './sessions.ts';
import type { SuperId } from './superid.ts';

export interface TenantStatus {
  ContextIdentifier: string;
  Endpoint?: string;
  State: string;
  IsRunning: boolean;
  ValidUntil?: string;
}

/** The tenant is not running (maintenance, suspended, ...); no API call was made. */
export class TenantUnavailableError extends Error {
  readonly state: string;
  constructor(state: string) {
    super(`tenant state ${state}`);
    this.name = 'TenantUnavailableError';
    this.state = state;
  }
}

/** SuperOffice throttles us; the user should retry after `retryAfterSeconds`. */
export class BusyError extends Error {
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number) {
    super(`throttled, retry after ${retryAfterSeconds} s`);
    this.name = 'BusyError';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The session's credentials are no longer accepted and could not be renewed. */
export class SessionExpiredError extends Error {
  constructor(message = 'SuperOffice no longer accepts this session') {
    super(message);
    this.name = 'SessionExpiredError';
  }
}

export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, path: string) {
    super(`SuperOffice API answered ${status} for ${path}`);
    this.name = 'ApiError';
    this.status = status;
  }
}

const MAX_WAIT_SECONDS = 5;
const RETRY_STORM_ATTEMPTS = 30;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function retryAfterSeconds(header: string | null): number {
  if (header === null) return 30;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const date = Date.parse(header);
  return Number.isNaN(date) ? 30 : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

export class TenantApi {
  readonly #config: AppConfig;
  readonly #superId: SuperId;
  readonly #log: Logger;
  readonly #states = new Map<string, { status: TenantStatus; until: number }>();
  /** Tenants SuperOffice told us (state-change webhook) are suspended or deleted. */
  readonly #stopped = new Map<string, string>();

  constructor(config: AppConfig, superId: SuperId, log: Logger) {
    this.#config = config;
    this.#superId = superId;
    this.#log = log;
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
      this.#log('tenant.state.unavailable', { ctx, status: res.status });
      throw new TenantUnavailableError('Unknown');
    }
    const status = (await res.json()) as TenantStatus;
    const validUntil = Date.parse(status.ValidUntil ?? '');
    const max = Date.now() + this.#config.stateCacheSeconds * 1000;
    this.#states.set(ctx, {
      status,
      until: Number.isNaN(validUntil) ? Date.now() : Math.min(validUntil, max),
    });
    this.#log('tenant.state', { ctx, state: status.State });
    return status;
  }

  /** A validated state-change notification: stop or resume calling the tenant. */
  notify(ctx: string, change: 'Suspend' | 'Delete' | 'Resume' | 'Other'): void {
    this.#states.delete(ctx);
    if (change === 'Suspend' || change === 'Delete')
      this.#stopped.set(ctx, change === 'Suspend' ? 'Suspended' : 'Deleted');
    else if (change === 'Resume') this.#stopped.delete(ctx);
  }

  /** Where to send API calls for this session; throws {@link TenantUnavailableError}. */
  async #base(session: Session, fresh: boolean): Promise<string> {
    const ctx = session.user.ctx;
    const stopped = this.#stopped.get(ctx);
    if (stopped) throw new TenantUnavailableError(stopped);
    let status: TenantStatus | undefined;
    if (!this.#config.defects.has('ignore-tenant-state')) {
      status = await this.tenantStatus(ctx, fresh);
      if (!status.IsRunning) throw new TenantUnavailableError(status.State);
    }
    if (this.#config.defects.has('hardcoded-tenant-url')) {
      // DEFECT hardcoded-tenant-url: "the tenant lives on the same host we sign in on".
      return `${this.#config.superOfficeUrl}/${ctx}/api/`;
    }
    // The claim is the base; after a tenant move the state API names the new endpoint.
    if (status?.Endpoint && URL.canParse(status.Endpoint)) {
      const endpoint = status.Endpoint.replace(/\/+$/, '');
      if (new URL(endpoint).origin !== new URL(session.webapiUrl).origin) return `${endpoint}/api/`;
    }
    return session.webapiUrl;
  }

  async #refresh(session: Session): Promise<void> {
    session.refreshing ??= (async () => {
      try {
        if (!session.refreshToken) throw new SessionExpiredError('no refresh token');
        const tokens = await this.#superId.refresh(session.refreshToken);
        if (tokens.id_token !== undefined) {
          const claims = await this.#superId.validateIdToken(tokens.id_token, {});
          if (claims.sub !== session.user.sub || claims.ctx !== session.user.ctx)
            throw new SessionExpiredError('refreshed identity differs');
        }
        session.accessToken = tokens.access_token;
        session.accessTokenExpiresAt = Date.now() + (Number(tokens.expires_in) || 3600) * 1000;
        if (tokens.refresh_token) session.refreshToken = tokens.refresh_token;
        this.#log('session.refreshed', { ctx: session.user.ctx });
      } catch (err) {
        this.#log('session.refresh.failed', {
          ctx: session.user.ctx,
          error: err instanceof Error ? err.name : 'unknown',
        });
        throw err instanceof SessionExpiredError ? err : new SessionExpiredError();
      } finally {
        session.refreshing = undefined;
      }
    })();
    return session.refreshing;
  }

  /**
   * DEFECT soap-and-rest: one "legacy" SOAP call (ContactAgent.GetContact) next to the REST API,
   * the way apps grown from old NetServer samples do. Failures are logged and ignored.
   */
  async legacySoapGetContact(session: Session, contactId: number): Promise<void> {
    const base = await this.#base(session, false);
    const url = new URL('../Remote/Services88/Contact.svc', base);
    const envelope = `<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><GetContact xmlns="http://www.superoffice.net/ws/crm/NetServer/Services88"><ContactId>${contactId}</ContactId></GetContact></s:Body></s:Envelope>`;
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${session.accessToken}`,
        'content-type': 'text/xml; charset=utf-8',
        soapaction: 'http://www.superoffice.net/ws/crm/NetServer/Services88/Contact/GetContact',
      },
      body: envelope,
      signal: AbortSignal.timeout(15_000),
    }).catch(() => undefined);
    await res?.body?.cancel();
    if (!res?.ok) this.#log('soap.error', { ctx: session.user.ctx, status: res?.status ?? 0 });
  }

  /** GET `relativePath` (e.g. `v1/User/currentPrincipal`) as the signed-in user. */
  get<T>(session: Session, relativePath: string): Promise<T> {
    return this.send<T>(session, 'GET', relativePath);
  }

  /** `method` with a JSON body (POST a new entity, PATCH changed fields) as the signed-in user. */
  async send<T>(session: Session, method: string, relativePath: string, body?: unknown): Promise<T> {
    const defects = this.#config.defects;
    let base = await this.#base(session, false);
    let refreshed = false;
    let waited = false;
    let rerouted = false;
    let stormAttempts = 0;
    let misdirected = 0;
    for (;;) {
      const url = new URL(relativePath, base);
      const res = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${session.accessToken}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(15_000),
      });
      if (res.ok) return (res.status === 204 ? undefined : await res.json()) as T;
      await res.body?.cancel();
      this.#log('api.error', { ctx: session.user.ctx, status: res.status, path: url.pathname });
      if (res.status === 401) {
        if (defects.has('no-refresh') || refreshed) throw new SessionExpiredError();
        await this.#refresh(session);
        refreshed = true;
        continue;
      }
      if (res.status === 429) {
        if (defects.has('retry-storm') && stormAttempts < RETRY_STORM_ATTEMPTS) {
          // DEFECT retry-storm: "just try again", straight away.
          stormAttempts++;
          continue;
        }
        const seconds = retryAfterSeconds(res.headers.get('retry-after'));
        if (!waited && seconds <= MAX_WAIT_SECONDS) {
          waited = true;
          await sleep(seconds * 1000);
          continue;
        }
        throw new BusyError(seconds);
      }
      // DEFECT retries-421: "a flaky load balancer, try the same host again" before re-resolving.
      if (res.status === 421 && defects.has('retries-421') && misdirected++ < 10) continue;
      if (res.status === 421 && !rerouted) {
        // Wrong host: the tenant moved. Ask the state API again, once.
        rerouted = true;
        base = await this.#base(session, true);
        continue;
      }
      if (res.status === 503) {
        // Maintenance or a state change since we last asked: tell the user what the state API says.
        const status = defects.has('ignore-tenant-state')
          ? undefined
          : await this.tenantStatus(session.user.ctx, true).catch(() => undefined);
        throw new TenantUnavailableError(status && !status.IsRunning ? status.State : 'Unavailable');
      }
      throw new ApiError(res.status, url.pathname);
    }
  }
}
