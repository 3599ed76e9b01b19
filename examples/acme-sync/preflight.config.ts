/**
 * so-preflight configuration for Acme Sync (server-to-server). An administrator installs the app
 * by signing in at /login (alias /install), which also registers a webhook for contact events
 * (delivered to /superoffice/events); /sync then works as the tenant's system user and /webhook
 * receives tenant state-change notifications. Seeded defects: DEFECTS=name,name.
 */
import { defineConfig } from 'so-preflight';

export default defineConfig({
  app: {
    name: 'Acme Sync',
    vendor: 'Acme AS',
    type: 'server-to-server',
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
        SUPEROFFICE_PRIVATE_KEY_FILE: '${privateKey.file}',
        SUPEROFFICE_TENANT: '${tenant.id}',
      },
      ready: '/healthz',
      timeout: 15_000,
    },
    signIn: { path: '/login' },
    session: { path: '/session', expect: { status: 200 } },
    apiAction: { path: '/sync' },
    // What the scheduler does; each journey's system-user traffic and writes are judged.
    journeys: ['preflight/journeys'],
    signOut: { path: '/logout' },
    returnParams: ['returnUrl'],
    redirectUris: ['http://127.0.0.1:${app.port}/callback'],
    postLogoutRedirectUris: ['http://127.0.0.1:${app.port}/'],
    stateChangeUrl: 'http://127.0.0.1:${app.port}/webhook',
  },
  superoffice: { environment: 'sod', tenant: 'Cust12345' },
});
