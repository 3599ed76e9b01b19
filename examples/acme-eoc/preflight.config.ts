/**
 * so-preflight configuration for Acme EOC. The app names SuperOffice's SOD host itself
 * (https://sod.superoffice.com), so so-preflight answers as that host (impersonate) and gives the
 * app only its client credentials, port and public URL. Seeded defects: DEFECTS=name,name in the
 * environment (defects.json).
 */
import { defineConfig } from 'so-preflight';

export default defineConfig({
  app: {
    name: 'Acme EOC',
    vendor: 'Acme AS',
    type: 'web',
    certification: 'standard',
    baseURL: 'http://127.0.0.1:${app.port}',
    start: {
      command: 'node server.js',
      cwd: '.',
      env: {
        PORT: '${app.port}',
        PUBLIC_URL: 'http://127.0.0.1:${app.port}',
        SUPEROFFICE_CLIENT_ID: '${client.id}',
        SUPEROFFICE_CLIENT_SECRET: '${client.secret}',
      },
      ready: '/healthz',
      timeout: 15_000,
    },
    signIn: { path: '/login' },
    session: { path: '/session', expect: { status: 200 } },
    apiAction: { path: '/contacts' },
    journeys: ['preflight/journeys'],
    signOut: { path: '/logout' },
    returnParams: ['returnUrl'],
    redirectUris: ['http://127.0.0.1:${app.port}/callback'],
    postLogoutRedirectUris: ['http://127.0.0.1:${app.port}/'],
    stateChangeUrl: 'http://127.0.0.1:${app.port}/webhook',
  },
  superoffice: { environment: 'sod', tenant: 'Cust12345', impersonate: true },
});
