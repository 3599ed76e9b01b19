/**
 * so-preflight configuration for acme-cli (native app, public client). The harness runs the CLI
 * with BROWSER set; the CLI opens the authorize URL through it and listens on a random loopback
 * port. The localhost pattern is registered too, so the `localhost-redirect` defect can sign in
 * (and be judged) instead of being stopped by SuperID. Seeded defects: DEFECTS=name,name.
 */
import { defineConfig } from 'so-preflight';

export default defineConfig({
  app: {
    name: 'Acme CLI',
    vendor: 'Acme AS',
    type: 'native',
    certification: 'standard',
    start: {
      command: 'node cli.ts',
      cwd: '.',
      env: {
        SUPEROFFICE_URL: '${superid.url}',
        SUPEROFFICE_CLIENT_ID: '${client.id}',
        SUPEROFFICE_TENANT: '${tenant.id}',
        ACME_CLI_TIMEOUT_SECONDS: '120',
      },
    },
    signIn: { browserEnv: true },
    // After a sign-in, the harness runs this in the same environment and home folder.
    apiAction: { command: 'node cli.ts whoami' },
    tokenStore: '.config/acme-cli/tokens.json',
    redirectUris: ['^http://127\\.0\\.0\\.1:\\d{2,5}/$', '^http://localhost:\\d{2,5}/$'],
  },
  superoffice: { environment: 'sod', tenant: 'Cust12345' },
});
