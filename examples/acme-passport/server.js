// Acme Passport: a SuperOffice CRM Online web app in plain JavaScript, Express 5, express-session
// and Passport (passport-openidconnect), signing users in at SuperOffice's development
// environment (SOD). Start it with `node server.js`; the environment variables are in README.md.

import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import express from 'express';
import session from 'express-session';
import passport from 'passport';
import {
  SUPEROFFICE,
  SuperOfficeStrategy,
  UntrustedToken,
  AccessRevoked,
  claimsAsLibraryDecoded,
  refreshTokens,
  signOutUrl,
  verifyIdToken,
  verifyNotificationToken,
} from './superoffice.js';
import { AccessLost, TenantClient, TenantUnavailable, Throttled, TenantApiError } from './tenant.js';
import { STYLESHEET, layout, markup, problemPage } from './views.js';

export const KNOWN_DEFECTS = ['library-default-validation', 'telemetry-token'];

const SESSION_COOKIE = 'acme_passport.sid';
const SESSION_HOURS = 8;
const CONTACT_LIST = 'v1/Contact?$select=contactId,name,department&$orderby=contactId&$top=20';
const TELEMETRY_URL = 'https://telemetry.acme-analytics.example/collect';

// ---------------------------------------------------------------------------------------------
// Settings and logging

function fail(message) {
  console.error(`acme-passport: ${message}`);
  process.exit(2);
}

function readSettings(env) {
  const port = Number(env.PORT ?? '5058');
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail('PORT must be a port number');
  const clientId = env.SUPEROFFICE_CLIENT_ID?.trim();
  const clientSecret = env.SUPEROFFICE_CLIENT_SECRET?.trim();
  if (!clientId) fail('SUPEROFFICE_CLIENT_ID is not set (the Application ID from the Developer Portal)');
  if (!clientSecret)
    fail('SUPEROFFICE_CLIENT_SECRET is not set (the client secret from the Developer Portal)');
  const publicUrl = (env.PUBLIC_URL?.trim() || 'http://127.0.0.1:5058').replace(/\/+$/, '');
  if (!URL.canParse(publicUrl)) fail('PUBLIC_URL must be an absolute URL, e.g. https://acme.example.com');
  const defects = new Set();
  for (const name of (env.DEFECTS ?? '').split(',').map((s) => s.trim())) {
    if (!name) continue;
    if (!KNOWN_DEFECTS.includes(name))
      fail(`DEFECTS: unknown defect "${name}" (known: ${KNOWN_DEFECTS.join(', ')})`);
    defects.add(name);
  }
  return {
    host: env.HOST?.trim() || '127.0.0.1',
    port,
    publicUrl,
    clientId,
    clientSecret,
    sessionSecret: env.SESSION_SECRET?.trim() || randomBytes(32).toString('hex'),
    defects,
  };
}

/** One line per event: names and harmless facts (tenant id, status codes), never token values. */
function log(event, facts = {}) {
  const pairs = Object.entries(facts).map(([k, v]) => `${k}=${String(v).replace(/\s+/g, '_')}`);
  console.log([new Date().toISOString(), 'acme-passport', event, ...pairs].join(' '));
}

/** A path on this site to return to after sign-in; anything else becomes "/". */
function localReturnPath(value) {
  if (typeof value !== 'string' || value.length > 500) return '/';
  // eslint-disable-next-line no-control-regex -- control characters are refused on purpose
  if (!value.startsWith('/') || value.startsWith('//') || /[\\\u0000-\u001f\u007f]/.test(value)) return '/';
  const resolved = new URL(value, 'http://acme-passport.invalid');
  if (resolved.origin !== 'http://acme-passport.invalid') return '/';
  return resolved.pathname + resolved.search;
}

// ---------------------------------------------------------------------------------------------
// The app

export function buildApp(settings) {
  const { clientId, clientSecret, publicUrl, defects } = settings;
  const publicOrigin = new URL(publicUrl);
  // Browsers keep Secure cookies for https origins and for http on loopback (a local run).
  const browserOriginIsSecure =
    publicOrigin.protocol === 'https:' || ['127.0.0.1', 'localhost', '[::1]'].includes(publicOrigin.hostname);

  /** Signed-in users by id; the session cookie only carries express-session's id. */
  const users = new Map();
  const sweep = setInterval(() => {
    const oldest = Date.now() - SESSION_HOURS * 3600_000;
    for (const [id, user] of users) if (user.signedInAt < oldest) users.delete(id);
  }, 60_000);
  sweep.unref();

  async function renewAccess(user) {
    user.refreshing ??= (async () => {
      try {
        const answer = await refreshTokens({ clientId, clientSecret, refreshToken: user.refreshToken });
        if (answer.id_token !== undefined && !defects.has('library-default-validation')) {
          const claims = await verifyIdToken(answer.id_token, { clientId, accessToken: answer.access_token });
          if (claims.sub !== user.sub || claims.ctx !== user.ctx) throw new AccessRevoked('identity_changed');
        }
        user.accessToken = answer.access_token;
        if (typeof answer.refresh_token === 'string') user.refreshToken = answer.refresh_token;
        log('session.refreshed', { ctx: user.ctx });
      } catch (err) {
        log('session.refresh_failed', { ctx: user.ctx, error: err.name });
        throw err instanceof UntrustedToken ? new AccessRevoked('untrusted_id_token') : err;
      } finally {
        user.refreshing = undefined;
      }
    })();
    return user.refreshing;
  }

  const tenant = new TenantClient({ refresh: renewAccess, log });

  /** After SuperID answered the code exchange (passport-openidconnect calls this). */
  async function acceptSignIn(req, idToken, accessToken, refreshToken) {
    const pending = req.superofficeSignIn;
    if (!pending) throw new UntrustedToken('no pending sign-in');
    if (typeof accessToken !== 'string' || accessToken === '') throw new UntrustedToken('no access token');
    const claims = defects.has('library-default-validation')
      ? claimsAsLibraryDecoded(idToken)
      : await verifyIdToken(idToken, {
          clientId,
          nonce: pending.nonce,
          accessToken,
          code: typeof req.query.code === 'string' ? req.query.code : undefined,
        });
    const user = {
      id: randomBytes(24).toString('base64url'),
      sub: claims.sub,
      name: claims.email || claims.sub,
      ctx: claims.ctx,
      companyName: claims.companyName,
      isAdministrator: claims.isAdministrator,
      webapiUrl: claims.webapiUrl,
      accessToken,
      refreshToken: typeof refreshToken === 'string' && refreshToken ? refreshToken : undefined,
      signedInAt: Date.now(),
    };
    users.set(user.id, user);
    return user;
  }

  passport.use(
    new SuperOfficeStrategy(
      {
        issuer: SUPEROFFICE.issuer,
        authorizationURL: SUPEROFFICE.authorizationURL,
        tokenURL: SUPEROFFICE.tokenURL,
        clientID: clientId,
        clientSecret,
        callbackURL: `${publicUrl}/callback`,
        nonce: true,
        skipUserProfile: true, // SuperID has no userinfo endpoint
        passReqToCallback: true,
      },
      // passport-openidconnect picks the arguments by the number of parameters: keep all nine.
      function verified(req, _issuer, _profile, _context, idToken, accessToken, refreshToken, _params, done) {
        acceptSignIn(req, idToken, accessToken, refreshToken).then(
          (user) => done(null, user),
          (err) => (err instanceof UntrustedToken ? done(null, false, { message: err.message }) : done(err)),
        );
      },
    ),
  );
  passport.serializeUser((user, done) => done(null, user.id));
  passport.deserializeUser((id, done) => done(null, users.get(id) ?? false));

  const cookie = { path: '/', httpOnly: true, secure: true, sameSite: 'lax' };
  const forget = (req, res, then) => {
    if (req.user) users.delete(req.user.id);
    req.session.destroy(() => {
      res.clearCookie(SESSION_COOKIE, cookie);
      then();
    });
  };

  const app = express();
  app.disable('x-powered-by');
  Object.defineProperty(app.request, 'secure', { configurable: true, get: () => browserOriginIsSecure });

  app.use((_req, res, next) => {
    res.set({
      'Content-Security-Policy':
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-store',
    });
    if (publicOrigin.protocol === 'https:') res.set('Strict-Transport-Security', 'max-age=31536000');
    next();
  });

  app.get('/healthz', (_req, res) => res.type('text').send('ok'));
  app.get('/app.css', (_req, res) =>
    res.set('Cache-Control', 'public, max-age=3600').type('css').send(STYLESHEET),
  );

  app.use(
    session({
      name: SESSION_COOKIE,
      secret: settings.sessionSecret,
      resave: false,
      saveUninitialized: false,
      cookie: { ...cookie, maxAge: SESSION_HOURS * 3600_000 },
    }),
  );
  app.use(passport.initialize());
  app.use(passport.session());

  app.get('/', (req, res) => {
    const user = req.user;
    const body = user
      ? markup`<h1>Welcome, ${user.name}</h1>
<p>You are signed in to the SuperOffice tenant ${user.ctx} (${user.companyName}).</p>
<p><a class="action" href="/contacts">Contacts</a> <a href="/logout">Sign out</a></p>`
      : markup`<h1>Acme Passport</h1>
<p>Acme Passport lists the companies in your SuperOffice CRM Online.</p>
<p><a class="action" href="/login">Sign in with SuperOffice</a></p>`;
    res.type('html').send(layout('Start', body));
  });

  app.get('/login', (req, res, next) => {
    const returnTo = localReturnPath(req.query.returnUrl);
    log('signin.start');
    passport.authenticate('superoffice', { state: { returnTo } })(req, res, next);
  });

  const signInFailed = (res, explanation) =>
    res
      .status(400)
      .type('html')
      .send(problemPage('Sign-in failed', explanation, { href: '/login', label: 'Sign in again' }));

  app.get('/callback', (req, res, next) => {
    const { code, state, error } = req.query;
    if (typeof error === 'string') {
      if (req.session) delete req.session.superofficeSignIn;
      log('signin.refused', { error: /^[a-z_]{1,40}$/.test(error) ? error : 'other' });
      return signInFailed(
        res,
        error === 'access_denied'
          ? 'You did not approve Acme Passport in SuperOffice, so you are not signed in.'
          : 'SuperOffice could not sign you in. Please try again.',
      );
    }
    if (typeof code !== 'string' || code === '' || code.length > 2048 || typeof state !== 'string') {
      if (req.session) delete req.session.superofficeSignIn;
      log('signin.rejected', { why: 'incomplete callback' });
      return signInFailed(res, 'This sign-in link is incomplete or has expired. Please sign in again.');
    }
    passport.authenticate('superoffice', (err, user, info) => {
      if (err) {
        log('signin.failed', { error: err.name, code: err.code ?? '-' });
        return signInFailed(res, 'SuperOffice did not complete the sign-in. Please try again.');
      }
      if (!user) {
        log('signin.rejected', { why: info?.message ?? 'unknown' });
        return signInFailed(
          res,
          info?.message === 'state'
            ? 'This answer from SuperOffice does not belong to a sign-in started in this browser.'
            : 'The sign-in could not be verified. Please sign in again.',
        );
      }
      req.logIn(user, (loginErr) => {
        if (loginErr) return next(loginErr);
        log('signin.ok', { ctx: user.ctx, admin: user.isAdministrator });
        res.redirect(302, info?.state?.returnTo ?? '/');
      });
    })(req, res, next);
  });

  // DEFECT telemetry-token: "usage analytics" with the whole session, access token included,
  // sent in the background; failures never reach the user.
  const reportSessionView = (user) => {
    fetch(TELEMETRY_URL, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        event: 'session.view',
        tenant: user.ctx,
        user: user.sub,
        accessToken: user.accessToken,
        at: new Date().toISOString(),
      }),
      signal: AbortSignal.timeout(5_000),
    })
      .then((res) => res.body?.cancel())
      .catch(() => {});
  };

  // Who is signed in: 200 with the user's SuperOffice name, or 401.
  app.get('/session', async (req, res) => {
    const user = req.user;
    if (!user) return res.status(401).json({ signedIn: false });
    if (defects.has('telemetry-token')) reportSessionView(user);
    let name = user.name;
    let superoffice = 'connected';
    try {
      const me = await tenant.get(user, 'v1/User/currentPrincipal');
      name = me?.FullName || me?.UserName || name;
    } catch (err) {
      if (err instanceof AccessLost) {
        log('session.access_lost', { ctx: user.ctx });
        return forget(req, res, () =>
          res.status(401).json({ signedIn: false, reason: 'SuperOffice access ended' }),
        );
      }
      superoffice =
        err instanceof TenantUnavailable ? 'unavailable' : err instanceof Throttled ? 'busy' : 'error';
      log('session.principal_failed', { ctx: user.ctx, error: err.name });
    }
    res.json({ signedIn: true, user: { name, tenant: user.ctx }, superoffice });
  });

  app.get('/contacts', async (req, res) => {
    const user = req.user;
    if (!user) return res.redirect(302, `/login?returnUrl=${encodeURIComponent('/contacts')}`);
    try {
      const list = await tenant.get(user, CONTACT_LIST);
      const rows = Array.isArray(list?.value) ? list.value : [];
      res.type('html').send(
        layout(
          'Contacts',
          markup`<h1>Contacts</h1>
<p>${user.name} at ${user.companyName} (${user.ctx})</p>
<table id="contacts">
<thead><tr><th>Company</th><th>Department</th></tr></thead>
<tbody>${rows.map((row) => markup`<tr><td>${row.name ?? ''}</td><td>${row.department ?? ''}</td></tr>`)}</tbody>
</table>
<p><a href="/">Start page</a> &middot; <a href="/logout">Sign out</a></p>`,
        ),
      );
    } catch (err) {
      log('contacts.failed', { ctx: user.ctx, error: err.name });
      if (err instanceof TenantUnavailable) {
        return res
          .status(503)
          .type('html')
          .send(
            problemPage(
              'SuperOffice is not available',
              `Your SuperOffice tenant is not available right now (${err.state}). Please try again later.`,
            ),
          );
      }
      if (err instanceof Throttled) {
        return res
          .status(503)
          .set('Retry-After', String(err.seconds))
          .type('html')
          .send(
            problemPage(
              'SuperOffice is busy',
              `SuperOffice is busy. Please try again in ${err.seconds} seconds.`,
              {
                href: '/contacts',
                label: 'Try again',
              },
            ),
          );
      }
      if (err instanceof AccessLost) {
        return forget(req, res, () =>
          res
            .status(401)
            .type('html')
            .send(
              problemPage(
                'Acme Passport lost its access to SuperOffice',
                'SuperOffice no longer accepts Acme Passport for your account: an administrator may have removed the app, or your sign-in has ended. Sign in again to reconnect.',
                { href: '/login?returnUrl=%2Fcontacts', label: 'Sign in again' },
              ),
            ),
        );
      }
      if (err instanceof TenantApiError && err.status === 403) {
        return res
          .status(403)
          .type('html')
          .send(problemPage('No access', 'Your SuperOffice user may not see these contacts.'));
      }
      res
        .status(502)
        .type('html')
        .send(
          problemPage(
            'SuperOffice could not answer',
            'SuperOffice could not answer right now. Please try again later.',
          ),
        );
    }
  });

  // Tenant state-change notifications (the app's State Change URL in the Developer Portal).
  app.post('/webhook', express.json({ limit: '32kb' }), async (req, res, next) => {
    try {
      const message = req.body ?? {};
      const { ChangeType: changeType, ContextIdentifier: ctx, Token: token } = message;
      if (
        !Number.isInteger(changeType) ||
        changeType < 0 ||
        changeType > 5 ||
        typeof ctx !== 'string' ||
        !/^Cust\d{1,10}$/.test(ctx)
      )
        return res.status(400).json({ accepted: false });
      try {
        await verifyNotificationToken(token, { clientId, ctx });
      } catch (err) {
        if (!(err instanceof UntrustedToken)) throw err;
        log('webhook.rejected', { ctx, why: err.message });
        return res.status(401).json({ accepted: false });
      }
      tenant.notified(ctx, changeType);
      log('webhook.accepted', { ctx, changeType });
      res.json({ accepted: true });
    } catch (err) {
      next(err);
    }
  });

  app.get('/logout', (req, res) => {
    forget(req, res, () => {
      log('signout');
      res.redirect(302, signOutUrl({ clientId, returnTo: `${publicUrl}/` }));
    });
  });

  app.use((_req, res) => {
    res.status(404).type('html').send(problemPage('Page not found', 'Acme Passport has no such page.'));
  });

  // Express 5 recognises error handlers by their four parameters.
  app.use((err, _req, res, _next) => {
    const status = Number.isInteger(err?.status) && err.status >= 400 && err.status < 500 ? err.status : 500;
    log('request.failed', { status, error: err?.name ?? 'Error' });
    if (res.headersSent) return res.end();
    res
      .status(status)
      .type('html')
      .send(
        problemPage(
          'Something went wrong',
          'Acme Passport could not complete your request. Please try again later.',
        ),
      );
  });

  return { app, close: () => clearInterval(sweep) };
}

function main() {
  const settings = readSettings(process.env);
  const { app, close } = buildApp(settings);
  const server = app.listen(settings.port, settings.host, (err) => {
    if (err) fail(`cannot listen on ${settings.host}:${settings.port} (${err.code ?? err.message})`);
    log('listening', {
      url: `http://${settings.host}:${server.address().port}`,
      public: settings.publicUrl,
      defects: [...settings.defects].join(',') || 'none',
    });
  });
  const stop = () => {
    log('stopping');
    close();
    server.close(() => process.exit(0));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 2_000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

// Started as a program (not imported): Node 20 has no import.meta.main.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
