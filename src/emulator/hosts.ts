/**
 * SuperOffice's own host names, which the emulator answers as under `superoffice.impersonate`:
 * SuperID on the environment's un-numbered host, the tenant on a numbered one, and a second
 * numbered host the tenant moves to (the `tenantMoved` faults), as in production.
 */
import type { EnvironmentSlug } from './types.ts';

export const ENVIRONMENTS: readonly EnvironmentSlug[] = ['sod', 'qaonline', 'online'];

export interface SuperOfficeHosts {
  superid: string;
  tenant: string;
  moved: string;
}

export function superOfficeHosts(environment: EnvironmentSlug): SuperOfficeHosts {
  return {
    superid: `${environment}.superoffice.com`,
    tenant: `${environment}2.superoffice.com`,
    moved: `${environment}3.superoffice.com`,
  };
}

/** Every name the emulator's TLS certificate carries for impersonation (all environments). */
export const SUPEROFFICE_HOST_NAMES: readonly string[] = ENVIRONMENTS.flatMap((e) =>
  Object.values(superOfficeHosts(e)),
);
