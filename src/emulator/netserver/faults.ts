/**
 * Why an authenticated call still fails: the tenant is not running, or a fault armed on the
 * caller's flow (unavailable, throttled, server error, access token expired after N calls), or
 * system-user calls throttled for the whole run.
 */
import type { EmulatorCore } from '../core.ts';
import type { Caller } from './auth.ts';
import type { Reply } from './context.ts';
import { err } from './context.ts';

/** What the recorder notes on a call answered 503 inside a flow's maintenance window. */
export const MAINTENANCE_NOTE = 'fault: maintenance window';

export function faultReply(
  core: EmulatorCore,
  tenant: string,
  caller: Caller,
  meta: { notes: string[] },
  method = 'GET',
): Reply | undefined {
  const state = core.tenantState(tenant);
  if (state !== 'Running' && state !== 'OnlineMaintenance') {
    meta.notes.push(`tenant state ${state}`);
    return err(503, `Tenant ${tenant} is not available (state ${state})`, 'TenantUnavailable', {
      'Retry-After': '60',
    });
  }
  const throttle = core.faults.systemUserThrottle;
  if (caller.kind === 'ticket' && throttle && core.systemThrottleLeft > 0) {
    core.systemThrottleLeft--;
    meta.notes.push('fault: throttled');
    return err(429, 'Too many requests', 'TooManyRequests', {
      'Retry-After': String(throttle.retryAfterSeconds),
    });
  }
  const flow = caller.flow;
  if (flow) {
    const f = flow.options.api;
    const m = f?.maintenance;
    if (m) {
      const write = !['GET', 'HEAD', 'OPTIONS'].includes(method.toUpperCase());
      if (write && flow.maintenanceUntil === 0 && flow.writes >= m.afterWrites)
        flow.maintenanceUntil = Date.now() + m.windowMs;
      if (write && Date.now() < flow.maintenanceUntil) {
        meta.notes.push(MAINTENANCE_NOTE);
        return err(503, 'The tenant is being upgraded; try again later', 'ServiceUnavailable', {
          'Retry-After': String(m.retryAfterSeconds),
        });
      }
    }
    if (flow.unavailableLeft > 0) {
      flow.unavailableLeft--;
      meta.notes.push('fault: unavailable');
      return err(503, 'Service unavailable', 'ServiceUnavailable');
    }
    if (flow.throttleLeft > 0) {
      flow.throttleLeft--;
      meta.notes.push('fault: throttled');
      return err(429, 'Too many requests', 'TooManyRequests', {
        'Retry-After': String(f?.throttle?.retryAfterSeconds ?? 1),
      });
    }
    if (f?.serverError) {
      meta.notes.push('fault: server error');
      return err(500, 'An error occurred in NetServer (emulated fault)', 'SoException');
    }
    if (
      f?.accessTokenExpiresAfterCalls !== undefined &&
      caller.kind === 'bearer' &&
      !caller.access?.fromRefresh &&
      (caller.access?.calls ?? 0) >= f.accessTokenExpiresAfterCalls
    ) {
      meta.notes.push('fault: access token expired');
      return err(401, 'The access token has expired', 'Unauthorized', {
        'WWW-Authenticate': 'Bearer error="invalid_token", error_description="expired"',
      });
    }
  }
  return undefined;
}
