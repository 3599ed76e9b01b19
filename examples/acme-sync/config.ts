/**
 * Acme Sync configuration: environment variables only, read once at start.
 */
import { readFileSync } from 'node:fs';
import { createPrivateKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

export const KNOWN_DEFECTS = [
  'skip-sysuser-validation',
  'no-ticket-cache',
  'skip-webhook-validation',
  'retry-storm',
  'purge-stale',
  'polls-transaction-log',
] as const;
export type Defect = (typeof KNOWN_DEFECTS)[number];

export interface AppConfig {
  host: string;
  port: number;
  publicUrl: string;
  /** SuperID, e.g. https://sod.superoffice.com (the issuer). */
  superOfficeUrl: string;
  clientId: string;
  clientSecret: string;
  /** The RSA key registered with SuperOffice ("New certificate"), used to sign system-user tokens. */
  privateKey: KeyObject;
  /** Tenant /sync and /tenant use when the request names none (optional). */
  defaultTenant: string | undefined;
  stateCacheSeconds: number;
  defects: ReadonlySet<Defect>;
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new Error(`${name} is not set (see examples/acme-sync/README.md)`);
  return value;
}

export function parseDefects(raw: string | undefined): Set<Defect> {
  const defects = new Set<Defect>();
  for (const name of (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (!(KNOWN_DEFECTS as readonly string[]).includes(name)) {
      throw new Error(`DEFECTS: unknown defect "${name}"; known: ${KNOWN_DEFECTS.join(', ')}`);
    }
    defects.add(name as Defect);
  }
  return defects;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const port = Number(env['PORT'] ?? '3001');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('PORT must be a port number');
  const host = env['HOST']?.trim() || '127.0.0.1';
  const keyFile = required(env, 'SUPEROFFICE_PRIVATE_KEY_FILE');
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(readFileSync(keyFile));
  } catch {
    throw new Error('SUPEROFFICE_PRIVATE_KEY_FILE is not a readable PEM private key');
  }
  if (privateKey.asymmetricKeyType !== 'rsa')
    throw new Error('SUPEROFFICE_PRIVATE_KEY_FILE must hold an RSA key');
  const defaultTenant = env['SUPEROFFICE_TENANT']?.trim() || undefined;
  if (defaultTenant !== undefined && !/^Cust\d+$/.test(defaultTenant))
    throw new Error('SUPEROFFICE_TENANT must look like Cust12345');
  return {
    host,
    port,
    publicUrl: (env['PUBLIC_URL']?.trim() || `http://${host}:${port}`).replace(/\/+$/, ''),
    superOfficeUrl: new URL(required(env, 'SUPEROFFICE_URL')).origin,
    clientId: required(env, 'SUPEROFFICE_CLIENT_ID'),
    clientSecret: required(env, 'SUPEROFFICE_CLIENT_SECRET'),
    privateKey,
    defaultTenant,
    stateCacheSeconds: Math.min(Number(env['TENANT_STATE_CACHE_SECONDS'] ?? '60') || 60, 300),
    defects: parseDefects(env['DEFECTS']),
  };
}
