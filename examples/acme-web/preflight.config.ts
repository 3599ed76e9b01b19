/**
 * so-preflight configuration for Acme Web. The harness starts the app itself and hands it the
 * emulator's SuperID URL and client credentials through the placeholders below; seeded defects
 * are switched on with DEFECTS=name,name in the environment (see defects.json). As a standard
 * app it serves every tenant that signs in (no SUPEROFFICE_TENANT), so the checks that change a
 * tenant run on tenants of their own, beside the others.
 */
import { defineConfig } from 'so-preflight';

export default defineConfig({
  app: {
    name: 'Acme Web',
    vendor: 'Acme AS',
    type: 'web',
    certification: 'standard',
    baseURL: 'http://127.0.0.1:${app.port}',
    start: {
      command: 'node server.ts',
      cwd: '.',
      env: {
        PORT: '${app.port}',
        PUBLIC_URL: 'http://127.0.0.1:${app.port}',
        SUPEROFFICE_URL: '${superid.url}',
        SUPEROFFICE_CLIENT_ID: '${client.id}',
        SUPEROFFICE_CLIENT_SECRET: '${client.secret}',
        // The newsletter's mail service: so-preflight's mail sink records what would be sent.
        MAIL_API: '${mail.url}',
        // The web panel may be framed by SuperOffice's web client, on the tenant's host.
        PANEL_FRAME_ANCESTORS: '${tenant.origin}',
      },
      ready: '/healthz',
      timeout: 15_000,
    },
    signIn: { path: '/login' },
    session: { path: '/session', expect: { status: 200 } },
    apiAction: { path: '/contacts' },
    // The company search (API-SEARCH-MIN3 types 1, 2 and 3 letters into it).
    search: [{ path: '/contacts/search', input: '#company-search' }],
    // What users do with the app; run signed in, judged by the API traffic they cause.
    journeys: ['preflight/journeys'],
    signOut: { path: '/logout' },
    // The install URL sets up a web panel; an administrator removes it again at uninstall.
    provisioning: {
      install: { path: '/install' },
      webPanels: ['acme-web.contacts'],
      uninstall: { path: '/admin/uninstall', click: 'role=button[name="Uninstall Acme Web"]' },
    },
    returnParams: ['returnUrl'],
    redirectUris: ['http://127.0.0.1:${app.port}/callback'],
    postLogoutRedirectUris: ['http://127.0.0.1:${app.port}/'],
    stateChangeUrl: 'http://127.0.0.1:${app.port}/webhook',
  },
  superoffice: { environment: 'sod', tenant: 'Cust12345' },
});
