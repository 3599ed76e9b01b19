/**
 * Calls to the user's SuperOffice tenant (NetServer REST API), done the way SuperOffice's best
 * practices ask: check the tenant state first (cached until `ValidUntil`, at most 60 s), use the
 * `webapi_url` claim as the base (or the state API's `Endpoint` after a move), refresh the
 * access token once on 401, re-resolve the host once on 421, honour Retry-After on 429.
 */
import { clientId, clientSecret, hasDefect, stateCacheSeconds } from './config.js';
import { log } from './log.js';
import { STATE_API_URL, TOKEN_URL } from './superoffice.js';

/** The tenant is not running (maintenance, suspended, ...); no API call was made. */
export class TenantUnavailableError extends Error {
  constructor(state) {
    super(`tenant state ${state}`);
    this.name = 'TenantUnavailableError';
    this.state = state;
  }
}

/** SuperOffice throttles us; the user should retry after `retryAfterSeconds`. */
export class BusyError extends Error {
  constructor(retryAfterSeconds) {
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
  constructor(status, path) {
    super(`SuperOffice API answered ${status} for ${path}`);
    this.name = 'ApiError';
    this.status = status;
  }
}

const MAX_WAIT_SECONDS = 5;

// Shared by every route bundle (see token-store.js).
const shared = (globalThis.__acmeNextTenants ??= {
  /** ctx -> { status, until } */
  states: new Map(),
  /** ctx -> state name, for tenants SuperOffice told us (webhook) are suspended or deleted */
  stopped: new Map(),
});

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function retryAfterSeconds(header) {
  if (header === null || header === undefined) return 30;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const date = Date.parse(header);
  return Number.isNaN(date) ? 30 : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/** SuperOffice's tenant state API for `ctx` (no authentication), cached until ValidUntil. */
export async function tenantStatus(ctx, fresh = false) {
  const cached = shared.states.get(ctx);
  if (!fresh && cached && cached.until > Date.now()) return cached.status;
  const res = await fetch(`${STATE_API_URL}/${encodeURIComponent(ctx)}`, {
    headers: { accept: 'application/json' },
    signal: AbortSignal.timeout(10_000),
    cache: 'no-store',
  });
  if (!res.ok) {
    await res.body?.cancel();
    log('tenant.state.unavailable', { ctx, status: res.status });
    throw new TenantUnavailableError('Unknown');
  }
  const status = await res.json();
  const validUntil = Date.parse(status.ValidUntil ?? '');
  const max = Date.now() + stateCacheSeconds() * 1000;
  shared.states.set(ctx, {
    status,
    until: Number.isNaN(validUntil) ? Date.now() : Math.min(validUntil, max),
  });
  log('tenant.state', { ctx, state: status.State });
  return status;
}

/** A validated state-change notification: stop or resume calling the tenant, forget its state. */
export function notifyStateChange(ctx, change) {
  shared.states.delete(ctx);
  if (change === 'Suspend' || change === 'Delete')
    shared.stopped.set(ctx, change === 'Suspend' ? 'Suspended' : 'Deleted');
  else if (change === 'Resume') shared.stopped.delete(ctx);
}

/** Where to send API calls for this session; throws {@link TenantUnavailableError}. */
async function apiBase(session, fresh) {
  const ctx = session.ctx;
  const stopped = shared.stopped.get(ctx);
  if (stopped) throw new TenantUnavailableError(stopped);
  if (hasDefect('no-state-api')) {
    // DEFECT no-state-api: "the claim tells us where the tenant is", so the state API is never asked.
    return session.webapiUrl;
  }
  const status = await tenantStatus(ctx, fresh);
  if (!status.IsRunning) throw new TenantUnavailableError(status.State);
  // The claim is the base; after a tenant move the state API names the new endpoint.
  if (status.Endpoint && URL.canParse(status.Endpoint)) {
    const endpoint = status.Endpoint.replace(/\/+$/, '');
    if (new URL(endpoint).origin !== new URL(session.webapiUrl).origin) return `${endpoint}/api/`;
  }
  return session.webapiUrl;
}

/** One refresh at a time per session; the new tokens replace the old ones in the store. */
function refresh(session) {
  session.refreshing ??= (async () => {
    try {
      if (!session.refreshToken) throw new SessionExpiredError('no refresh token');
      const res = await fetch(TOKEN_URL, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: session.refreshToken,
          client_id: clientId(),
          client_secret: clientSecret(),
        }),
        signal: AbortSignal.timeout(15_000),
        cache: 'no-store',
      });
      const body = await res.json().catch(() => ({}));
      if (!res.ok || typeof body.access_token !== 'string') {
        log('session.refresh.refused', {
          ctx: session.ctx,
          status: res.status,
          error: typeof body.error === 'string' ? body.error : 'invalid_response',
        });
        throw new SessionExpiredError();
      }
      session.accessToken = body.access_token;
      session.expiresAt = Date.now() + (Number(body.expires_in) || 3600) * 1000;
      if (typeof body.refresh_token === 'string') session.refreshToken = body.refresh_token;
      log('session.refreshed', { ctx: session.ctx });
    } catch (err) {
      if (!(err instanceof SessionExpiredError))
        log('session.refresh.failed', { ctx: session.ctx, error: err?.name ?? 'unknown' });
      throw err instanceof SessionExpiredError ? err : new SessionExpiredError();
    } finally {
      session.refreshing = undefined;
    }
  })();
  return session.refreshing;
}

/** GET `relativePath` (e.g. `v1/User/currentPrincipal`) as the signed-in user. */
export async function apiGet(session, relativePath) {
  let base = await apiBase(session, false);
  let refreshed = false;
  let waited = false;
  let rerouted = false;
  for (;;) {
    const url = new URL(relativePath, base);
    const res = await fetch(url, {
      headers: { authorization: `Bearer ${session.accessToken}`, accept: 'application/json' },
      signal: AbortSignal.timeout(15_000),
      cache: 'no-store',
    });
    if (res.ok) return res.json();
    await res.body?.cancel();
    log('api.error', { ctx: session.ctx, status: res.status, path: url.pathname });
    if (res.status === 401) {
      if (refreshed) throw new SessionExpiredError();
      await refresh(session);
      refreshed = true;
      continue;
    }
    if (res.status === 429) {
      const seconds = retryAfterSeconds(res.headers.get('retry-after'));
      if (!waited && seconds <= MAX_WAIT_SECONDS) {
        waited = true;
        await sleep(seconds * 1000);
        continue;
      }
      throw new BusyError(seconds);
    }
    if (res.status === 421 && !rerouted) {
      // Wrong host: the tenant moved. Ask the state API again, once.
      rerouted = true;
      base = await apiBase(session, true);
      continue;
    }
    if (res.status === 503) {
      // Maintenance or a state change since we last asked: tell the user what the state API says.
      const status = hasDefect('no-state-api')
        ? undefined
        : await tenantStatus(session.ctx, true).catch(() => undefined);
      throw new TenantUnavailableError(status && !status.IsRunning ? status.State : 'Unavailable');
    }
    throw new ApiError(res.status, url.pathname);
  }
}

/** How long the current principal is reused before it is fetched again. */
const PRINCIPAL_TTL_MS = 10 * 60_000;

/**
 * The signed-in user as SuperOffice knows them (`v1/User/currentPrincipal`): it changes rarely,
 * so it is kept with the session's tokens and reused; `fresh` asks SuperOffice again.
 */
export async function currentPrincipal(session, fresh = false) {
  const cached = session.principal;
  if (!fresh && cached && Date.now() - cached.fetchedAt < PRINCIPAL_TTL_MS) return cached.value;
  const value = await apiGet(session, 'v1/User/currentPrincipal');
  session.principal = { value, fetchedAt: Date.now() };
  return value;
}
