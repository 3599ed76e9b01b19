/**
 * The environment the harness gives the app under test (docs/architecture.md, config contract): the
 * harness's own environment, the `SO_PREFLIGHT_*` variables, CA trust for common runtimes, and
 * `app.start.env` with placeholders expanded.
 */
import type { ResolvedConfig } from '../config/schema.ts';
import { expandPlaceholders, type Placeholder } from '../config/load.ts';

export interface EmulatorFacts {
  superidUrl: string;
  clientId: string;
  clientSecret: string | undefined;
  tenant: string;
  caFile: string;
  privateKeyFile: string | undefined;
}

export function placeholderValues(
  facts: EmulatorFacts,
  appPort: string,
): Partial<Record<Placeholder, string>> {
  const values: Partial<Record<Placeholder, string>> = {
    'superid.url': facts.superidUrl,
    'client.id': facts.clientId,
    'tenant.id': facts.tenant,
    'ca.file': facts.caFile,
    'app.port': appPort,
  };
  if (facts.clientSecret !== undefined) values['client.secret'] = facts.clientSecret;
  if (facts.privateKeyFile !== undefined) values['privateKey.file'] = facts.privateKeyFile;
  return values;
}

export function buildAppEnv(
  config: ResolvedConfig,
  facts: EmulatorFacts,
  appPort: string,
  extra: Record<string, string> = {},
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Our own test-runner variables are not the app's business.
  for (const key of Object.keys(env)) {
    if (
      key.startsWith('PREFLIGHT_') ||
      key.startsWith('PLAYWRIGHT_') ||
      key === 'TEST_WORKER_INDEX' ||
      key === 'TEST_PARALLEL_INDEX'
    ) {
      delete env[key];
    }
  }
  env['SO_PREFLIGHT_SUPERID_URL'] = facts.superidUrl;
  env['SO_PREFLIGHT_CLIENT_ID'] = facts.clientId;
  if (facts.clientSecret !== undefined) env['SO_PREFLIGHT_CLIENT_SECRET'] = facts.clientSecret;
  else delete env['SO_PREFLIGHT_CLIENT_SECRET'];
  env['SO_PREFLIGHT_TENANT'] = facts.tenant;
  env['SO_PREFLIGHT_CA_FILE'] = facts.caFile;
  if (facts.privateKeyFile !== undefined) env['SO_PREFLIGHT_PRIVATE_KEY_FILE'] = facts.privateKeyFile;
  env['NODE_EXTRA_CA_CERTS'] = facts.caFile;
  env['SSL_CERT_FILE'] = facts.caFile;
  env['REQUESTS_CA_BUNDLE'] = facts.caFile;
  const values = placeholderValues(facts, appPort);
  for (const [key, value] of Object.entries(config.app.start?.env ?? {})) {
    env[key] = expandPlaceholders(value, values);
  }
  Object.assign(env, extra);
  return env;
}
