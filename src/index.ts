/**
 * so-preflight's public API for config files and tools built on it.
 *
 * @example
 * ```ts
 * import { defineConfig } from 'so-preflight';
 * export default defineConfig({ app: { ... }, superoffice: { environment: 'sod' } });
 * ```
 */
import type { PreflightConfig } from './config/schema.ts';

export type { PreflightConfig, ResolvedConfig } from './config/schema.ts';
export type { ReadinessReport, RuleResult, RuleStatus, Verdict } from './report/model.ts';
export type { Finding } from './findings.ts';

/** Identity function that gives a config file its types. */
export function defineConfig(config: PreflightConfig): PreflightConfig {
  return config;
}
