// Calls to a user's SuperOffice tenant (the NetServer REST API), following SuperOffice's best
// practices for online tenants:
// - ask the tenant state API (/api/state/{ctx}) before calling, and keep its answer until
//   ValidUntil but never longer than a minute;
// - call the host the tenant lives on now: the state API's Endpoint, else the webapi_url claim;
// - 401: renew the access token with the refresh token, once, then give up;
// - 421 (the tenant moved): ask the state API again, once;
// - 429: wait out a short Retry-After once, else tell the user when to come back;
// - 503, or a tenant that is not running: stop and say so.

import { setTimeout as wait } from 'node:timers/promises';
import { SUPERID } from './superoffice.js';

const STATE_KEPT_AT_MOST_MS = 60_000;
const LONGEST_INLINE_WAIT_S = 5;
const CALL_TIMEOUT_MS = 15_000;

export class TenantDown extends Error {
  constructor(state) {
    super(`tenant is ${state}`);
    this.name = 'TenantDown';
    this.state = state;
  }
}

export class TenantBusy extends Error {
  constructor(retryAfter) {
    super(`tenant throttles, retry after ${retryAfter} s`);
    this.name = 'TenantBusy';
    this.retryAfter = retryAfter;
  }
}

/** SuperOffice no longer takes this user's tokens (consent revoked, user removed, refresh refused). */
export class AccessEnded extends Error {
  constructor(why) {
    super(why);
    this.name = 'AccessEnded';
  }
}

export class TenantRefused extends Error {
  constructor(status) {
    super(`tenant answered ${status}`);
    this.name = 'TenantRefused';
    this.status = status;
  }
}

function secondsToWait(header) {
  const value = header?.trim() ?? '';
  if (/^\d{1,6}$/.test(value)) return Number(value);
  const at = Date.parse(value);
  return Number.isNaN(at) ? 30 : Math.max(1, Math.ceil((at - Date.now()) / 1000));
}

// ChangeType of a tenant state-change notification (0 Upgrade, 1 BackupRestored, 5 Move, ...).
const SUSPEND = 2;
const RESUME = 3;
const DELETE = 4;

/**
 * `credentials` is per request: `{ accessToken(): string, renew(): Promise<void> }`; `renew`
 * throws AccessEnded when SuperID refuses the refresh token.
 */
export function createTenantApi({ log }) {
  const stateByTenant = new Map(); // ctx -> { answer, keepUntil }
  const haltedTenants = new Map(); // ctx -> state named by a notification

  async function tenantState(ctx, { fresh = false } = {}) {
    const kept = stateByTenant.get(ctx);
    if (kept && !fresh && kept.keepUntil > Date.now()) return kept.answer;
    let res;
    try {
      res = await fetch(SUPERID.tenantState(ctx), {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
      });
    } catch (err) {
      log('tenant.state.unreachable', { ctx, error: err.name });
      throw new TenantDown('unreachable');
    }
    if (!res.ok) {
      await res.arrayBuffer().catch(() => undefined);
      log('tenant.state.failed', { ctx, status: res.status });
      throw new TenantDown('unknown');
    }
    const answer = await res.json();
    const validUntil = Date.parse(answer?.ValidUntil ?? '');
    const keepUntil = Math.min(Number.isNaN(validUntil) ? 0 : validUntil, Date.now() + STATE_KEPT_AT_MOST_MS);
    stateByTenant.set(ctx, { answer, keepUntil });
    log('tenant.state', { ctx, state: answer?.State, running: answer?.IsRunning });
    return answer;
  }

  /** The base URL for REST calls to the tenant right now. */
  async function apiBase(account, { fresh = false } = {}) {
    const halted = haltedTenants.get(account.ctx);
    if (halted) throw new TenantDown(halted);
    const state = await tenantState(account.ctx, { fresh });
    if (state?.IsRunning !== true) throw new TenantDown(String(state?.State ?? 'unknown'));
    if (typeof state.Endpoint === 'string') {
      try {
        const endpoint = new URL(state.Endpoint.replace(/\/+$/, ''));
        const lastSegment = endpoint.pathname.split('/').pop();
        if (endpoint.protocol === 'https:' && lastSegment === account.ctx) return `${endpoint.href}/api/`;
      } catch {
        // not a URL: fall back to the claim
      }
    }
    return account.apiBase;
  }

  async function get(account, credentials, path) {
    let base = await apiBase(account);
    const done = { renewed: false, relocated: false, waited: false };
    for (;;) {
      const url = new URL(path, base);
      const res = await fetch(url, {
        headers: { authorization: `Bearer ${credentials.accessToken()}`, accept: 'application/json' },
        signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
      });
      if (res.ok) return res.json();
      await res.arrayBuffer().catch(() => undefined);
      log('tenant.api', { ctx: account.ctx, status: res.status, path: url.pathname });
      if (res.status === 401 && !done.renewed) {
        done.renewed = true;
        await credentials.renew();
        continue;
      }
      if (res.status === 401) throw new AccessEnded('401 after renewing the access token');
      if (res.status === 421 && !done.relocated) {
        done.relocated = true;
        base = await apiBase(account, { fresh: true });
        continue;
      }
      if (res.status === 429) {
        const seconds = secondsToWait(res.headers.get('retry-after'));
        if (done.waited || seconds > LONGEST_INLINE_WAIT_S) throw new TenantBusy(seconds);
        done.waited = true;
        await wait(seconds * 1000);
        continue;
      }
      if (res.status === 503) {
        const state = await tenantState(account.ctx, { fresh: true }).catch(() => undefined);
        throw new TenantDown(state && state.IsRunning !== true ? String(state.State) : 'unavailable');
      }
      throw new TenantRefused(res.status);
    }
  }

  /** A verified state-change notification for `ctx`. */
  function stateChanged(ctx, changeType) {
    stateByTenant.delete(ctx);
    if (changeType === SUSPEND) haltedTenants.set(ctx, 'Suspended');
    else if (changeType === DELETE) haltedTenants.set(ctx, 'Deleted');
    else if (changeType === RESUME) haltedTenants.delete(ctx);
    // UPGRADE and the rest: the state API, asked afresh on the next call, says what holds now.
  }

  return { get, stateChanged };
}
