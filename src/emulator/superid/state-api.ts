/** The tenant state API (`/api/state/{ctx}`): where a tenant runs and whether it is up. */
import type { EmulatorCore } from '../core.ts';
import { TENANT_STATES } from '../types.ts';
import type { Ctx } from './context.ts';

export const NETSERVER_LABEL = 'Release_11.10_2026.02.24-02';

export function handleStateApi(core: EmulatorCore, ctx: Ctx, tenant: string): void {
  const state = core.tenantState(tenant);
  const origin = core.currentTenantOrigin(tenant);
  const known = core.tenants.has(tenant);
  ctx.set('Cache-Control', 'no-store');
  ctx.body = {
    ContextIdentifier: tenant,
    Endpoint: known ? `${origin}/${tenant}` : null,
    State: state,
    IsRunning: state === 'Running' || state === 'OnlineMaintenance',
    ValidUntil: new Date(Date.now() + (core.options.stateValidSeconds ?? 600) * 1000).toISOString(),
    Api: known ? `${origin}/${tenant}/api` : null,
    Version: known ? NETSERVER_LABEL : null,
  };
  ctx.state.rec.notes.push(`state=${state} (${TENANT_STATES[state]})`);
  // A silent move: this answer still names the old host, the tenant moves right after it, so an
  // app that trusts its cached answer meets the 421 (as in production until ValidUntil).
  const faults = core.faultsOf(tenant);
  if (known && faults.tenantMovesAfterStateCheck && !faults.tenantMoved) {
    core.moveNow(tenant);
    ctx.state.rec.notes.push(TENANT_MOVED_NOTE);
  }
}

/** Note on the state answer after which a silent move took effect. */
export const TENANT_MOVED_NOTE = 'tenant moved after this answer';
