/**
 * One line per event on stdout: `time acme-next event key=value ...`. Callers pass event names
 * and non-secret facts only (never tokens, codes, secrets or claim values beyond the tenant id).
 */
export function log(event, fields = {}) {
  const parts = Object.entries(fields).map(([k, v]) => `${k}=${String(v).replace(/\s+/g, '_')}`);
  console.log([new Date().toISOString(), 'acme-next', event, ...parts].join(' '));
}
