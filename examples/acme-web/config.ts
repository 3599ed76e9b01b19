/**
 * Acme Web configuration: environment variables only, read once at start.
 *
 * The same build runs against SuperOffice's development environment (SUPEROFFICE_URL =
 * https://sod.superoffice.com), stage, production, or the so-preflight emulator.
 */

export const KNOWN_DEFECTS = [
  'skip-signature',
  'alg-none',
  'skip-issuer',
  'skip-audience',
  'skip-expiry',
  'skip-nonce',
  'skip-state',
  'pinned-key',
  'implicit-flow',
  'secret-in-browser',
  'secret-in-url',
  'refresh-token-in-browser',
  'insecure-cookie',
  'stack-traces',
  'xss-claims',
  'logs-secrets',
  'secret-retry-loop',
  'panel-signin-in-frame',
  'open-redirect',
  'hardcoded-tenant-url',
  'ignore-tenant-state',
  'no-refresh',
  'retry-storm',
  'retries-421',
  'heavy-queries',
  'soap-and-rest',
  'fan-out',
  'no-default-entity',
  'renames-owner-company',
  'no-principal-cache',
  'search-from-first-key',
  'moves-associates',
  'team-recent-companies',
  'person-without-source',
  'sync-skips-failures',
  'panel-passes-usec',
  'panel-unnamed',
  'panel-trusts-ctx',
  'uninstall-keeps-panels',
  'list-item-one-language',
  'copy-drops-visibility',
  'mail-without-consent',
  'shared-discovery-cache',
  'panel-set-up-by-hand',
  'system-message-kept',
  'admin-only-sign-in',
] as const;
export type Defect = (typeof KNOWN_DEFECTS)[number];

export interface AppConfig {
  host: string;
  port: number;
  /** Where browsers reach this app, without trailing slash; the redirect URI is `${publicUrl}/callback`. */
  publicUrl: string;
  /** SuperID, e.g. https://sod.superoffice.com: the issuer, without trailing slash. */
  superOfficeUrl: string;
  clientId: string;
  clientSecret: string;
  /** Optional: a single-tenant (custom) installation pins its tenant. */
  tenant: string | undefined;
  /** Upper bound for caching the tenant state API answer, in seconds. */
  stateCacheSeconds: number;
  /**
   * The privacy source new persons get: a key from the customer's consent source list; by
   * default "Other integration" (API).
   */
  privacySource: string;
  /**
   * The mail service's HTTP API (`POST {mailApi}/messages`), for the newsletter; without it the
   * newsletter page says mail is not set up.
   */
  mailApi: string | undefined;
  /**
   * Who may frame the web panel (CSP `frame-ancestors`): SuperOffice's web client, on the
   * tenant's host. Default `https://*.superoffice.com`.
   */
  panelFrameAncestors: string;
  /**
   * How long storing a new session takes, in ms (default 0): an app that writes its sessions to
   * a database answers its sign-in callback that much later.
   */
  sessionWriteDelayMs: number;
  /** How long after a JWKS fetch a token with an unknown kid may fetch it again (jose's cooldownDuration). */
  jwksCooldownMs: number;
  defects: ReadonlySet<Defect>;
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new Error(`${name} is not set (see examples/acme-web/README.md)`);
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

function privacySource(raw: string | undefined): string {
  const key = raw?.trim().toUpperCase() || 'API';
  if (!/^[A-Z0-9_]{1,40}$/.test(key))
    throw new Error('PRIVACY_SOURCE must be a consent source key from your SuperOffice list, e.g. API');
  return key;
}

/** `PANEL_FRAME_ANCESTORS`: space-separated origins (wildcard hosts allowed), https only. */
function frameAncestors(raw: string | undefined): string {
  const list = (raw ?? '').split(/[\s,]+/).filter(Boolean);
  if (list.length === 0) return 'https://*.superoffice.com';
  for (const origin of list)
    if (!/^https:\/\/(\*\.)?[a-z0-9.-]+(:\d{1,5})?$/i.test(origin))
      throw new Error(
        `PANEL_FRAME_ANCESTORS: "${origin}" is not an https origin such as https://*.superoffice.com`,
      );
  return list.join(' ');
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const port = Number(env['PORT'] ?? '3000');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('PORT must be a port number');
  const host = env['HOST']?.trim() || '127.0.0.1';
  const superOfficeUrl = new URL(required(env, 'SUPEROFFICE_URL')).origin;
  const tenant = env['SUPEROFFICE_TENANT']?.trim() || undefined;
  if (tenant !== undefined && !/^Cust\d+$/.test(tenant))
    throw new Error('SUPEROFFICE_TENANT must look like Cust12345');
  return {
    host,
    port,
    publicUrl: (env['PUBLIC_URL']?.trim() || `http://${host}:${port}`).replace(/\/+$/, ''),
    superOfficeUrl,
    clientId: required(env, 'SUPEROFFICE_CLIENT_ID'),
    clientSecret: required(env, 'SUPEROFFICE_CLIENT_SECRET'),
    tenant,
    stateCacheSeconds: Math.min(Number(env['TENANT_STATE_CACHE_SECONDS'] ?? '60') || 60, 300),
    privacySource: privacySource(env['PRIVACY_SOURCE']),
    mailApi: env['MAIL_API']?.trim().replace(/\/+$/, '') || undefined,
    panelFrameAncestors: frameAncestors(env['PANEL_FRAME_ANCESTORS']),
    sessionWriteDelayMs: Math.min(Math.max(Number(env['SESSION_WRITE_DELAY_MS'] ?? '0') || 0, 0), 10_000),
    jwksCooldownMs: Math.min(Math.max(Number(env['JWKS_COOLDOWN_MS'] ?? '1000') || 0, 0), 120_000),
    defects: parseDefects(env['DEFECTS']),
  };
}
