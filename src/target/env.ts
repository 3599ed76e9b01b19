/**
 * The environment the harness gives the app under test (docs/architecture.md, config contract): the
 * harness's own environment, the `SO_PREFLIGHT_*` variables, CA trust for common runtimes, the
 * impersonation proxy when SuperOffice's hosts are impersonated, and `app.start.env` with
 * placeholders expanded (so a config can still override any of them).
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
  /** The mail sink's base URL (`${mail.url}`). */
  mailUrl: string;
  /** The tenant's host, where its web client frames web panels (`${tenant.origin}`). */
  tenantOrigin: string;
  /** The impersonation proxy for the app (`superoffice.impersonate`), e.g. `http://127.0.0.1:41000`. */
  proxyUrl?: string | undefined;
}

/** Hosts the app reaches directly even through the impersonation proxy: its own, on loopback. */
export const NO_PROXY = 'localhost,127.0.0.1,127.0.0.2,::1,[::1]';

/**
 * What makes common runtimes send their HTTPS through the impersonation proxy and trust the
 * emulator's CA (docs/impersonation.md): the proxy variables in both spellings, Node's opt-in
 * (Node 22.21+ and 24.5+ honour them for fetch and https with NODE_USE_ENV_PROXY=1), and for
 * Java the system properties (its trust store is the partner's to set).
 */
export function proxyEnv(proxyUrl: string, inherited: NodeJS.ProcessEnv): Record<string, string> {
  const { hostname, port } = new URL(proxyUrl);
  const java = `-Dhttps.proxyHost=${hostname} -Dhttps.proxyPort=${port} -Dhttp.proxyHost=${hostname} -Dhttp.proxyPort=${port} -Dhttp.nonProxyHosts=localhost|127.0.0.1|127.0.0.2`;
  return {
    HTTPS_PROXY: proxyUrl,
    https_proxy: proxyUrl,
    HTTP_PROXY: proxyUrl,
    http_proxy: proxyUrl,
    NO_PROXY,
    no_proxy: NO_PROXY,
    NODE_USE_ENV_PROXY: '1',
    JAVA_TOOL_OPTIONS: [inherited['JAVA_TOOL_OPTIONS'], java].filter(Boolean).join(' '),
  };
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
    'mail.url': facts.mailUrl,
    'tenant.origin': facts.tenantOrigin,
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
  env['SO_PREFLIGHT_MAIL_URL'] = facts.mailUrl;
  env['SO_PREFLIGHT_TENANT_ORIGIN'] = facts.tenantOrigin;
  if (facts.privateKeyFile !== undefined) env['SO_PREFLIGHT_PRIVATE_KEY_FILE'] = facts.privateKeyFile;
  env['NODE_EXTRA_CA_CERTS'] = facts.caFile;
  env['SSL_CERT_FILE'] = facts.caFile;
  env['REQUESTS_CA_BUNDLE'] = facts.caFile;
  if (facts.proxyUrl) Object.assign(env, proxyEnv(facts.proxyUrl, env));
  const values = placeholderValues(facts, appPort);
  for (const [key, value] of Object.entries(config.app.start?.env ?? {})) {
    env[key] = expandPlaceholders(value, values);
  }
  Object.assign(env, extra);
  return env;
}
