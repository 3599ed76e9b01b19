/**
 * so-preflight configuration for Acme Py (Python 3 / Flask / Authlib). The harness starts the app
 * with Debian's Python and hands it the emulator's SuperID URL, client credentials, tenant and CA
 * file through the placeholders below; seeded defects are switched on with DEFECTS=name,name in
 * the environment (see defects.json).
 */
import { defineConfig } from 'so-preflight';

export default defineConfig({
  app: {
    name: 'Acme Py',
    vendor: 'Acme AS',
    type: 'web',
    certification: 'standard',
    baseURL: 'http://127.0.0.1:${app.port}',
    start: {
      // Debian's interpreter: python3-flask, python3-authlib and python3-requests live there.
      command: '/usr/bin/python3 app.py',
      cwd: '.',
      env: {
        PORT: '${app.port}',
        PUBLIC_URL: 'http://127.0.0.1:${app.port}',
        SUPEROFFICE_URL: '${superid.url}',
        SUPEROFFICE_CLIENT_ID: '${client.id}',
        SUPEROFFICE_CLIENT_SECRET: '${client.secret}',
        SUPEROFFICE_TENANT: '${tenant.id}',
        // requests (and so Authlib) trusts exactly this CA bundle: the emulator's.
        REQUESTS_CA_BUNDLE: '${ca.file}',
        PYTHONDONTWRITEBYTECODE: '1',
      },
      ready: '/healthz',
      timeout: 15_000,
    },
    signIn: { path: '/login' },
    session: { path: '/session', expect: { status: 200 } },
    apiAction: { path: '/contacts' },
    // The company search box on the contacts page (searches as you type).
    search: [{ path: '/contacts', input: '#contact-search' }],
    signOut: { path: '/logout' },
    returnParams: ['returnUrl'],
    redirectUris: ['http://127.0.0.1:${app.port}/callback'],
    postLogoutRedirectUris: ['http://127.0.0.1:${app.port}/'],
    stateChangeUrl: 'http://127.0.0.1:${app.port}/webhook',
  },
  superoffice: { environment: 'sod', tenant: 'Cust12345' },
});
