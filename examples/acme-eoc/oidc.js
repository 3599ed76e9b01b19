// Sign-in with SuperID through express-openid-connect: the library's auth() router with the
// settings SuperID needs, plus what the library leaves to the app.
//
// - response_type: the library's default is `id_token` by form_post (the implicit flow, which
//   SuperOffice deprecates); Acme EOC asks for `code` by query, so the library adds PKCE (S256)
//   and redeems the code with the client secret.
// - scope: the library's default adds `profile email`; SuperID knows only `openid`.
// - state: the library's default state is only the return path (base64url JSON), the same for
//   every sign-in to the same page; Acme EOC adds a random value, so every state is fresh.
// - the id_token: openid-client checks issuer, audience, lifetime and nonce of an id_token that
//   comes from the token endpoint, but not its signature; afterCallback verifies it with jose.
// - sessions: kept server-side in a store; the cookie holds a signed random id.
// - sign-out: SuperID's end_session_endpoint (/login/logout), without the id_token in the URL.

import { randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import openidConnect from 'express-openid-connect';
import { SUPERID, RejectedToken, accountFrom, verifyIdToken } from './superoffice.js';
import { AccessEnded } from './netserver.js';

const { auth } = openidConnect;

export const SESSION_COOKIE = 'acme_eoc';
const SIGN_IN_COOKIE = 'acme_eoc_signin';

/** A path on this site to come back to after sign-in; anything else becomes "/". */
export function localPath(value) {
  if (typeof value !== 'string' || value === '' || value.length > 512) return '/';
  // eslint-disable-next-line no-control-regex -- control characters are refused on purpose
  if (/[\\\u0000-\u001f\u007f]/.test(value) || !value.startsWith('/') || value.startsWith('//')) return '/';
  const base = 'https://acme-eoc.invalid';
  const target = new URL(value, base);
  return target.origin === base ? `${target.pathname}${target.search}` : '/';
}

/** The claims as the library decoded them, with no checks of Acme EOC's own. */
function accountAsDecoded(idToken) {
  try {
    return accountFrom(decodeJwt(idToken));
  } catch (err) {
    throw err instanceof RejectedToken ? err : new RejectedToken('id_token unreadable');
  }
}

export function signInWithSuperOffice({ settings, store, log }) {
  const { clientId, clientSecret, publicUrl, defects } = settings;
  const trustLibrary = defects.has('trust-library-validation');

  return auth({
    // The discovery document itself: see superoffice.js for why not the issuer.
    issuerBaseURL: SUPERID.discoveryDocument,
    baseURL: publicUrl,
    clientID: clientId,
    clientSecret,
    clientAuthMethod: 'client_secret_post',
    secret: settings.sessionSecret,
    authRequired: false,
    idpLogout: true,
    enableTelemetry: false,
    httpTimeout: 10_000,
    clockTolerance: 60,
    legacySameSiteCookie: false,
    authorizationParams: { response_type: 'code', response_mode: 'query', scope: 'openid' },
    routes: { login: false, logout: false, callback: '/callback', postLogoutRedirect: '/' },
    session: {
      name: SESSION_COOKIE,
      store,
      signSessionStoreCookie: true,
      requireSignedSessionStoreCookie: true,
      rolling: true,
      rollingDuration: 8 * 3600,
      absoluteDuration: 24 * 3600,
      cookie: { httpOnly: true, sameSite: 'Lax' },
    },
    transactionCookie: { name: SIGN_IN_COOKIE, sameSite: 'Lax' },
    // DEFECT library-default-state: the library's own state, `{"returnTo":"/"}` for every sign-in.
    ...(defects.has('library-default-state')
      ? {}
      : {
          getLoginState: (_req, options) => ({
            returnTo: localPath(options.returnTo),
            attempt: randomBytes(18).toString('base64url'),
          }),
        }),
    afterCallback: async (_req, _res, session) => {
      // DEFECT trust-library-validation: "express-openid-connect validates the ID token".
      const account = trustLibrary
        ? accountAsDecoded(session.id_token)
        : await verifyIdToken(session.id_token, clientId);
      if (typeof session.access_token !== 'string' || session.access_token === '')
        throw new RejectedToken('no access token');
      log('signin.ok', { ctx: account.ctx, admin: account.admin });
      return { ...session, account };
    },
  });
}

/** The signed-in user's SuperOffice account (from afterCallback), or undefined. */
export function accountOf(req) {
  return req.oidc?.isAuthenticated() ? req[SESSION_COOKIE]?.account : undefined;
}

/** Forgets the session of this request (the cookie is cleared when the response goes out). */
export function endSession(req) {
  req[SESSION_COOKIE] = undefined;
}

/**
 * The tokens of this request's session for NetServer calls: the access token, and one way to
 * renew it with the refresh token (the library's refresh(), whose new id_token is verified too).
 */
export function sessionCredentials(req, { settings, log }) {
  const session = req[SESSION_COOKIE];
  return {
    accessToken: () => session.access_token,
    renew: async () => {
      const token = req.oidc.accessToken;
      if (!session.refresh_token || !token) throw new AccessEnded('no refresh token');
      const before = session.id_token;
      try {
        await token.refresh();
      } catch (err) {
        // openid-client's ResponseBodyError carries the OAuth error (invalid_grant, ...).
        log('session.renew_failed', { ctx: session.account.ctx, error: err.error ?? err.name });
        if (typeof err.error === 'string') throw new AccessEnded(`refresh refused (${err.error})`);
        throw err;
      }
      if (session.id_token !== before && !settings.defects.has('trust-library-validation')) {
        const renewed = await verifyIdToken(session.id_token, settings.clientId).catch(() => undefined);
        if (!renewed || renewed.sub !== session.account.sub || renewed.ctx !== session.account.ctx)
          throw new AccessEnded('renewed id_token not accepted');
      }
      log('session.renewed', { ctx: session.account.ctx });
    },
  };
}
