/**
 * One line per event on stdout: `time event key=value ...`. Callers pass event names and
 * non-secret facts only (never tokens, codes, secrets or claim values beyond the tenant id).
 */
export type Logger = (event: string, fields?: Record<string, string | number | boolean>) => void;

export function createLogger(app: string): Logger {
  return (event, fields = {}) => {
    const parts = Object.entries(fields).map(([k, v]) => `${k}=${String(v).replace(/\s+/g, '_')}`);
    console.log([new Date().toISOString(), app, event, ...parts].join(' '));
  };
}
