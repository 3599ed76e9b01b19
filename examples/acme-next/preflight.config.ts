/**
 * so-preflight configuration for Acme Next. The app hard-codes https://sod.superoffice.com, so
 * the harness impersonates SuperOffice's hosts (docs/impersonation.md): it gives the app an HTTPS
 * proxy (HTTPS_PROXY, NODE_USE_ENV_PROXY=1) and its CA (NODE_EXTRA_CA_CERTS), and only the client
 * credentials come through the placeholders below. Seeded defects are switched on with
 * DEFECTS=name,name in the environment (see defects.json).
 */
import { defineConfig } from 'so-preflight';

export default defineConfig({
  app: {
    name: 'Acme Next',
    vendor: 'Acme AS',
    type: 'web',
    certification: 'standard',
    baseURL: 'http://127.0.0.1:${app.port}',
    start: {
      // Builds once (when .next/ is missing or older than the sources), then `next start`.
      command: 'node start.js',
      cwd: '.',
      env: {
        PORT: '${app.port}',
        NEXTAUTH_URL: 'http://127.0.0.1:${app.port}',
        // A fixed value for test runs only; production takes a random secret from its vault.
        NEXTAUTH_SECRET: 'acme-next-so-preflight-test-only-session-secret',
        SUPEROFFICE_CLIENT_ID: '${client.id}',
        SUPEROFFICE_CLIENT_SECRET: '${client.secret}',
      },
      ready: '/api/healthz',
      // Time for a first `next build` when the checkout has none yet.
      timeout: 300_000,
    },
    signIn: { path: '/login' },
    session: { path: '/session', expect: { status: 200 } },
    apiAction: { path: '/contacts' },
    journeys: ['preflight/journeys'],
    signOut: { path: '/logout' },
    returnParams: ['returnUrl'],
    redirectUris: ['http://127.0.0.1:${app.port}/api/auth/callback/superoffice'],
    postLogoutRedirectUris: ['http://127.0.0.1:${app.port}/'],
    stateChangeUrl: 'http://127.0.0.1:${app.port}/api/state-change',
  },
  superoffice: { environment: 'sod', tenant: 'Cust12345', impersonate: true },
});
