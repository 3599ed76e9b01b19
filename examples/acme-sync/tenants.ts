/**
 * Installed tenants and what Acme Sync knows about them. In memory for the example; a real
 * deployment keeps this in its database, with the system token encrypted at rest.
 */
import type { SystemUserTicket } from './superoffice.ts';

export const CHANGE_TYPES = ['Upgrade', 'BackupRestored', 'Suspend', 'Resume', 'Delete', 'Move'] as const;
export type ChangeType = (typeof CHANGE_TYPES)[number];

export interface Tenant {
  ctx: string;
  /** Installation data from the administrator's id_token; absent until an administrator signs in. */
  install?: { serial: string; systemToken: string; webapiUrl: string; installedAt: string };
  active: boolean;
  /** Why the tenant is inactive (the last Suspend/Delete notification). */
  reason?: string;
  lastChange?: { type: ChangeType; at: string; version?: string };
  publicEndpoint?: string;
  lastSync?: { at: string; contacts: number };
  ticket?: SystemUserTicket;
  ticketRequest?: Promise<SystemUserTicket>;
  systemUserExchanges: number;
  /**
   * The webhook Acme Sync registered for contact events: the secret SuperOffice signs deliveries
   * with (known only to SuperOffice and this app, never shown or logged) and, once saved, its id.
   */
  webhook?: { secret: string; id?: number };
  /** The "ERP copy": contacts fetched through the API after SuperOffice said they changed. */
  erpContacts: Map<number, ErpContact>;
}

export interface ErpContact {
  name: string;
  updated: string;
}

export class TenantStore {
  readonly #tenants = new Map<string, Tenant>();

  get(ctx: string): Tenant | undefined {
    return this.#tenants.get(ctx);
  }

  getOrCreate(ctx: string): Tenant {
    let tenant = this.#tenants.get(ctx);
    if (!tenant) {
      tenant = { ctx, active: true, systemUserExchanges: 0, erpContacts: new Map() };
      this.#tenants.set(ctx, tenant);
    }
    return tenant;
  }

  /** The only installed tenant, when there is exactly one. */
  single(): Tenant | undefined {
    const installed = [...this.#tenants.values()].filter((t) => t.install);
    return installed.length === 1 ? installed[0] : undefined;
  }

  /** What may be shown about a tenant: never the system token, ticket or webhook secret. */
  static describe(tenant: Tenant | undefined, ctx: string): Record<string, unknown> {
    if (!tenant) return { ctx, installed: false, active: false };
    return {
      ctx: tenant.ctx,
      installed: tenant.install !== undefined,
      installedAt: tenant.install?.installedAt,
      active: tenant.active,
      reason: tenant.reason,
      lastChange: tenant.lastChange,
      publicEndpoint: tenant.publicEndpoint,
      lastSync: tenant.lastSync,
      hasTicket: tenant.ticket !== undefined,
      systemUserExchanges: tenant.systemUserExchanges,
      webhook: tenant.webhook?.id !== undefined,
      erpContacts: tenant.erpContacts.size,
    };
  }
}
