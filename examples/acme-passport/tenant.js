// Calls to a user's SuperOffice tenant (NetServer web API), as SuperOffice's best practices ask:
// ask the tenant state API first (kept until ValidUntil, at most a minute), call the host the
// webapi_url claim or the state API names, refresh the access token once on 401, re-resolve the
// host once on 421, wait out a short Retry-After once on 429, and stop for tenants SuperOffice
// said are suspended or deleted.

import { setTimeout as sleep } from 'node:timers/promises';
import { AccessRevoked, SUPEROFFICE } from './superoffice.js';

const STATE_CACHE_MAX_MS = 60_000;
const LONGEST_WAIT_SECONDS = 5;

/** The tenant is not running (or SuperOffice told us it stopped); no API call was made. */
export class TenantUnavailable extends Error {
  constructor(state) {
    super(`tenant state ${state}`);
    this.name = 'TenantUnavailable';
    this.state = state;
  }
}

/** SuperOffice throttles this app; try again after `seconds`. */
export class Throttled extends Error {
  constructor(seconds) {
    super(`throttled for ${seconds} s`);
    this.name = 'Throttled';
    this.seconds = seconds;
  }
}

/** SuperOffice no longer accepts this user's credentials, and a refresh did not help. */
export class AccessLost extends Error {
  constructor(why) {
    super(why);
    this.name = 'AccessLost';
  }
}

/** Any other answer the app cannot use. */
export class TenantApiError extends Error {
  constructor(status) {
    super(`tenant API answered ${status}`);
    this.name = 'TenantApiError';
    this.status = status;
  }
}

function retryAfterSeconds(header) {
  if (!header) return 30;
  if (/^\d+$/.test(header.trim())) return Number(header.trim());
  const when = Date.parse(header);
  return Number.isNaN(when) ? 30 : Math.max(0, Math.ceil((when - Date.now()) / 1000));
}

export class TenantClient {
  #states = new Map(); // ctx -> { answer, until }
  #stopped = new Map(); // ctx -> state name, from state-change notifications
  #refresh;
  #log;

  /** `refresh(user)` renews `user.accessToken` (throws AccessRevoked when SuperID says no). */
  constructor({ refresh, log }) {
    this.#refresh = refresh;
    this.#log = log;
  }

  /** A validated state-change notification (ChangeType 0-5) for `ctx`. */
  notified(ctx, changeType) {
    this.#states.delete(ctx);
    if (changeType === 2) this.#stopped.set(ctx, 'Suspended');
    else if (changeType === 4) this.#stopped.set(ctx, 'Deleted');
    else if (changeType === 3) this.#stopped.delete(ctx);
  }

  async #tenantState(ctx, fresh) {
    const kept = this.#states.get(ctx);
    if (!fresh && kept && kept.until > Date.now()) return kept.answer;
    let res;
    try {
      res = await fetch(SUPEROFFICE.tenantStateURL(ctx), {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(10_000),
      });
    } catch {
      this.#log('tenant.state.unreachable', { ctx });
      throw new TenantUnavailable('Unknown');
    }
    if (!res.ok) {
      await res.body?.cancel();
      this.#log('tenant.state.failed', { ctx, status: res.status });
      throw new TenantUnavailable('Unknown');
    }
    const answer = await res.json();
    const validUntil = Date.parse(answer.ValidUntil ?? '');
    const until = Math.min(Number.isNaN(validUntil) ? 0 : validUntil, Date.now() + STATE_CACHE_MAX_MS);
    this.#states.set(ctx, { answer, until });
    this.#log('tenant.state', { ctx, state: answer.State });
    return answer;
  }

  /** The API base for this user now: the claim, or the state API's Endpoint after a move. */
  async #apiBase(user, fresh) {
    const stopped = this.#stopped.get(user.ctx);
    if (stopped) throw new TenantUnavailable(stopped);
    const state = await this.#tenantState(user.ctx, fresh);
    if (state.IsRunning !== true) throw new TenantUnavailable(String(state.State ?? 'Unknown'));
    const endpoint = typeof state.Endpoint === 'string' ? state.Endpoint.replace(/\/+$/, '') : '';
    if (URL.canParse(endpoint)) {
      const moved = new URL(endpoint);
      if (moved.protocol === 'https:' && moved.pathname.split('/').pop() === user.ctx) {
        if (moved.origin !== new URL(user.webapiUrl).origin) return `${endpoint}/api/`;
      }
    }
    return user.webapiUrl;
  }

  /** GET `path` (relative to the API base, e.g. `v1/User/currentPrincipal`) as `user`. */
  async get(user, path) {
    let base = await this.#apiBase(user, false);
    let refreshed = false;
    let resolvedAgain = false;
    let waited = false;
    for (;;) {
      const url = new URL(path, base);
      const res = await fetch(url, {
        headers: { authorization: `Bearer ${user.accessToken}`, accept: 'application/json' },
        signal: AbortSignal.timeout(15_000),
      });
      if (res.ok) return res.json();
      await res.body?.cancel();
      this.#log('tenant.api.status', { ctx: user.ctx, status: res.status, path: url.pathname });
      switch (res.status) {
        case 401:
          if (refreshed) throw new AccessLost('401 after a refresh');
          try {
            await this.#refresh(user);
          } catch (err) {
            if (err instanceof AccessRevoked) throw new AccessLost('refresh refused');
            throw err;
          }
          refreshed = true;
          continue;
        case 421:
          // The tenant moved to another host: ask the state API where it is now, once.
          if (resolvedAgain) throw new TenantApiError(421);
          resolvedAgain = true;
          base = await this.#apiBase(user, true);
          continue;
        case 429: {
          const seconds = retryAfterSeconds(res.headers.get('retry-after'));
          if (waited || seconds > LONGEST_WAIT_SECONDS) throw new Throttled(seconds);
          waited = true;
          await sleep(seconds * 1000);
          continue;
        }
        case 503: {
          const state = await this.#tenantState(user.ctx, true).catch(() => undefined);
          throw new TenantUnavailable(
            state && state.IsRunning !== true ? String(state.State) : 'Unavailable',
          );
        }
        default:
          throw new TenantApiError(res.status);
      }
    }
  }
}
