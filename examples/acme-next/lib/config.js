/**
 * Acme Next settings: environment variables, read when first needed (never at build time).
 *
 * SuperOffice's own URLs are not settings: the app is written for SuperOffice's development
 * environment and hard-codes https://sod.superoffice.com (lib/superoffice.js).
 */

export const KNOWN_DEFECTS = [
  'tokens-in-client-session',
  'no-state-api',
  'nextauth-debug',
  'denied-as-empty',
];

export const DEFAULT_PORT = 5070;

export function parseDefects(raw) {
  const defects = new Set();
  for (const name of (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (!KNOWN_DEFECTS.includes(name)) {
      throw new Error(`DEFECTS: unknown defect "${name}"; known: ${KNOWN_DEFECTS.join(', ')}`);
    }
    defects.add(name);
  }
  return defects;
}

let defects;
/** Seeded defects for so-preflight's own tests (`DEFECTS=a,b`); empty in normal use. */
export function hasDefect(name) {
  defects ??= parseDefects(process.env.DEFECTS);
  return defects.has(name);
}

function required(name) {
  const value = process.env[name]?.trim();
  if (!value) throw new Error(`${name} is not set (see examples/acme-next/README.md)`);
  return value;
}

export function clientId() {
  return required('SUPEROFFICE_CLIENT_ID');
}

export function clientSecret() {
  return required('SUPEROFFICE_CLIENT_SECRET');
}

/** Where browsers reach the app, without trailing slash (start.js sets NEXTAUTH_URL from it). */
export function publicUrl() {
  return (
    process.env.NEXTAUTH_URL?.trim() ||
    process.env.PUBLIC_URL?.trim() ||
    `http://127.0.0.1:${process.env.PORT || DEFAULT_PORT}`
  ).replace(/\/+$/, '');
}

/** Upper bound for caching the tenant state API answer, in seconds. */
export function stateCacheSeconds() {
  return Math.min(Number(process.env.TENANT_STATE_CACHE_SECONDS ?? '60') || 60, 300);
}

/** Variables the app cannot start without (checked by start.js before `next start`). */
export const REQUIRED_ENV = ['SUPEROFFICE_CLIENT_ID', 'SUPEROFFICE_CLIENT_SECRET', 'NEXTAUTH_SECRET'];
