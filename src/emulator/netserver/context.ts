/**
 * What every NetServer route module shares: the reply a route returns, what the exchange notes,
 * the state of one NetServer host (its origin and seeded tenant data) and the error body.
 */
import type { EmulatorCore } from '../core.ts';
import type { CredentialKind, EndpointName } from '../types.ts';
import type { TenantData } from './data.ts';

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** What the recorded exchange says besides the request and the reply. */
export interface ExchangeMeta {
  endpoint: EndpointName;
  flowId: string | undefined;
  credential: CredentialKind;
  notes: string[];
}

/** One NetServer host: made by createNetServerHandler, handed to the route modules. */
export interface NetServer {
  core: EmulatorCore;
  /** This host's origin (the tenant origin, or the one a moved tenant lives on). */
  myOrigin(): string;
  /** The seeded data of a tenant, made once per tenant and XSS setting. */
  dataFor(tenant: string, xss: boolean): TenantData;
}

export const err = (
  status: number,
  message: string,
  type = 'Error',
  headers?: Record<string, string>,
): Reply => ({
  status,
  body: { Error: message, ErrorType: type, Message: message, Source: 'NetServer (so-preflight emulator)' },
  ...(headers ? { headers } : {}),
});

export function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
