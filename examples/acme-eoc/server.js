// Acme EOC: a SuperOffice CRM Online web app on Express 5 and Auth0's express-openid-connect,
// signing users in at SuperOffice's development environment (SOD). `node server.js`; the
// environment variables are listed in README.md.

import './diagnostics.js';
import { pathToFileURL } from 'node:url';
import express from 'express';
import { SettingsError, readSettings } from './settings.js';
import { createLog } from './log.js';
import { CSS, problem } from './pages.js';
import { MemorySessionStore } from './session-store.js';
import { signInWithSuperOffice } from './oidc.js';
import { createTenantApi } from './netserver.js';
import { signInRoutes } from './routes/signin.js';
import { homeRoutes } from './routes/home.js';
import { contactRoutes } from './routes/contacts.js';
import { webhookRoutes } from './routes/webhook.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

function securityHeaders(publicOrigin) {
  const headers = {
    'Content-Security-Policy':
      "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cache-Control': 'no-store',
  };
  if (publicOrigin.protocol === 'https:') headers['Strict-Transport-Security'] = 'max-age=31536000';
  return (_req, res, next) => {
    res.set(headers);
    next();
  };
}

/** What a failed request shows: a status and a page, never the error's own text. */
function failurePage(req, err) {
  const status = Number.isInteger(err?.status) && err.status >= 400 && err.status < 500 ? err.status : 500;
  if (req.path === '/callback' && status < 500) {
    const declined = err.error === 'access_denied';
    return {
      status: 400,
      body: problem(
        'Sign-in failed',
        declined
          ? 'Acme EOC was not approved in SuperOffice, so you are not signed in. An administrator of your SuperOffice company has to approve Acme EOC first.'
          : 'SuperOffice could not sign you in to Acme EOC, or the sign-in link is no longer valid. Please sign in again.',
        { href: '/login', text: 'Sign in again' },
      ),
    };
  }
  return {
    status,
    body: problem(
      'Something went wrong',
      'Acme EOC could not complete your request. Please try again later.',
    ),
  };
}

export function createApp(settings, { log = createLog('acme-eoc') } = {}) {
  const publicOrigin = new URL(settings.publicUrl);
  const store = new MemorySessionStore();
  const tenantApi = createTenantApi({ log });
  const deps = { settings, tenantApi, log };

  const app = express();
  app.disable('x-powered-by');
  // express-openid-connect sets Secure on its cookies only when PUBLIC_URL is https (and refuses
  // `secure: true` otherwise). Browsers keep Secure cookies on https and on loopback http too, so
  // a local run gets them Secure as well.
  if (publicOrigin.protocol === 'https:' || LOOPBACK.has(publicOrigin.hostname)) {
    const setCookie = app.response.cookie;
    app.response.cookie = function secureCookie(name, value, options) {
      return setCookie.call(this, name, value, { ...options, secure: true });
    };
  }
  app.use(securityHeaders(publicOrigin));

  // Routes that have nothing to do with a user's session.
  app.get('/healthz', (_req, res) => res.type('text').send('ok'));
  app.get('/styles.css', (_req, res) =>
    res.set('Cache-Control', 'public, max-age=3600').type('css').send(CSS),
  );
  app.use(webhookRoutes(deps));

  app.use(signInWithSuperOffice({ settings, store, log }));
  app.use(signInRoutes(deps));
  app.use(homeRoutes(deps));
  app.use(contactRoutes(deps));

  app.use((_req, res) => {
    res.status(404).type('html').send(problem('Not found', 'Acme EOC has no page at this address.'));
  });
  // Four parameters: Express's error handler.
  app.use((err, req, res, _next) => {
    const { status, body } = failurePage(req, err);
    log('request.failed', { path: req.path, status, error: err?.name ?? 'Error', code: err?.error });
    if (res.headersSent) return res.end();
    res.status(status).type('html').send(body);
  });

  return { app, close: () => store.close() };
}

function main() {
  const log = createLog('acme-eoc');
  let settings;
  try {
    settings = readSettings(process.env);
  } catch (err) {
    if (!(err instanceof SettingsError)) throw err;
    console.error(`acme-eoc: ${err.message}`);
    process.exit(2);
  }
  const { app, close } = createApp(settings, { log });
  const server = app.listen(settings.port, settings.host, (err) => {
    if (err) {
      console.error(
        `acme-eoc: cannot listen on ${settings.host}:${settings.port} (${err.code ?? err.message})`,
      );
      process.exit(2);
    }
    log('listening', {
      address: `${settings.host}:${server.address().port}`,
      public: settings.publicUrl,
      defects: [...settings.defects].join(',') || 'none',
    });
  });
  // On SIGTERM/SIGINT: stop taking requests, drop idle keep-alive connections, and give the rest
  // two seconds.
  for (const signal of ['SIGTERM', 'SIGINT']) {
    process.once(signal, () => {
      log('stopping', { signal });
      close();
      server.close(() => process.exit(0));
      server.closeIdleConnections();
      setTimeout(() => process.exit(0), 2_000).unref();
    });
  }
}

// Run as a program, not when imported (Node 20 has no import.meta.main).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
