// Everything Acme Passport knows about SuperID, SuperOffice's OpenID Connect provider, for the
// SOD (development) environment: its fixed URLs, the Passport strategy with PKCE added, and the
// id_token checks passport-openidconnect 0.1.2 leaves out.
//
// What passport-openidconnect does by itself: a random state kept in the session, a nonce
// (option `nonce`), the code exchange, and a look at the id_token's payload (iss, aud/azp, exp
// without clock skew, nonce). It never verifies the token's signature, ignores nbf and iat and
// does not speak PKCE, so this module verifies every id_token with jose against SuperID's keys.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import OpenIDConnectStrategy from 'passport-openidconnect';
import { createRemoteJWKSet, jwtVerify } from 'jose';

const SUPERID = 'https://sod.superoffice.com';

export const SUPEROFFICE = Object.freeze({
  issuer: SUPERID,
  authorizationURL: `${SUPERID}/login/common/oauth/authorize`,
  tokenURL: `${SUPERID}/login/common/oauth/tokens`,
  jwksURL: `${SUPERID}/login/.well-known/jwks`,
  logoutURL: `${SUPERID}/login/logout`,
  tenantStateURL: (ctx) => `${SUPERID}/api/state/${encodeURIComponent(ctx)}`,
});

const CLAIM = 'http://schemes.superoffice.net/identity/';
const SKEW_SECONDS = 60;
const SIGN_IN_TTL_MS = 10 * 60_000;

/** SuperID's signing keys: fetched on first use, fetched again when a token names an unknown kid. */
const superIdKeys = createRemoteJWKSet(new URL(SUPEROFFICE.jwksURL), {
  timeoutDuration: 5_000,
  cooldownDuration: 5_000,
  cacheMaxAge: 10 * 60_000,
});

/** A token from SuperOffice that must not be trusted; `why` is for the log, never for users. */
export class UntrustedToken extends Error {
  constructor(why) {
    super(why);
    this.name = 'UntrustedToken';
  }
}

/** SuperID refused our refresh token: the app lost its access (revoked, uninstalled, expired). */
export class AccessRevoked extends Error {
  constructor(code) {
    super(`refresh refused (${code})`);
    this.name = 'AccessRevoked';
  }
}

function sameString(a, b) {
  if (typeof a !== 'string' || typeof b !== 'string') return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** OIDC at_hash / c_hash: base64url of the left half of the SHA-256 of the value. */
function leftHalfHash(value) {
  const digest = createHash('sha256').update(value, 'ascii').digest();
  return digest.subarray(0, 16).toString('base64url');
}

/** The SuperOffice claims the app works with; throws UntrustedToken when they are unusable. */
function superOfficeClaims(payload) {
  const ctx = payload[`${CLAIM}ctx`];
  if (typeof ctx !== 'string' || !/^Cust\d{1,10}$/.test(ctx)) throw new UntrustedToken('ctx claim');
  const webapi = payload[`${CLAIM}webapi_url`];
  if (typeof webapi !== 'string' || !URL.canParse(webapi) || new URL(webapi).protocol !== 'https:')
    throw new UntrustedToken('webapi_url claim');
  const text = (name) => (typeof payload[`${CLAIM}${name}`] === 'string' ? payload[`${CLAIM}${name}`] : '');
  return {
    sub: payload.sub,
    ctx,
    webapiUrl: webapi.endsWith('/') ? webapi : `${webapi}/`,
    email: text('email'),
    companyName: text('company_name'),
    isAdministrator: text('is_administrator') === 'True',
  };
}

/**
 * Verifies an id_token from SuperID: RS256 signature by a key from SuperID's JWKS, the exact
 * issuer, our client id as the only audience, exp/nbf/iat with 60 s skew, subject, nonce (when one
 * was sent) and, when the token carries them, at_hash/c_hash against what came with it.
 */
export async function verifyIdToken(idToken, { clientId, nonce, accessToken, code }) {
  if (typeof idToken !== 'string' || idToken.length === 0) throw new UntrustedToken('no id_token');
  let payload;
  try {
    ({ payload } = await jwtVerify(idToken, superIdKeys, {
      algorithms: ['RS256'],
      issuer: SUPEROFFICE.issuer,
      audience: clientId,
      clockTolerance: SKEW_SECONDS,
      maxTokenAge: '15m',
      requiredClaims: ['sub', 'iat', 'exp'],
    }));
  } catch (err) {
    throw new UntrustedToken(`id_token rejected by jose (${err.code ?? err.name})`);
  }
  // jose accepts any audience list that contains ours; SuperID issues tokens for one client only.
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (audiences.length === 0 || audiences.some((aud) => aud !== clientId)) throw new UntrustedToken('aud');
  if (payload.azp !== undefined && payload.azp !== clientId) throw new UntrustedToken('azp');
  if (typeof payload.sub !== 'string' || payload.sub.trim() === '') throw new UntrustedToken('sub');
  if (nonce !== undefined && !sameString(payload.nonce, nonce)) throw new UntrustedToken('nonce');
  if (
    payload.at_hash !== undefined &&
    (typeof accessToken !== 'string' || payload.at_hash !== leftHalfHash(accessToken))
  )
    throw new UntrustedToken('at_hash');
  if (payload.c_hash !== undefined && (typeof code !== 'string' || payload.c_hash !== leftHalfHash(code)))
    throw new UntrustedToken('c_hash');
  return superOfficeClaims(payload);
}

/**
 * DEFECT library-default-validation: "passport-openidconnect already checked the token", so the
 * payload is only decoded, the way the library itself reads it.
 */
export function claimsAsLibraryDecoded(idToken) {
  try {
    const payload = JSON.parse(Buffer.from(String(idToken).split('.')[1] ?? '', 'base64').toString('utf8'));
    if (typeof payload !== 'object' || payload === null) throw new Error('not an object');
    return superOfficeClaims(payload);
  } catch (err) {
    if (err instanceof UntrustedToken) throw err;
    throw new UntrustedToken('id_token payload unreadable');
  }
}

/**
 * Verifies the Token of a tenant state-change notification: signed by SuperID, issued by SuperID
 * for our client id, not expired, and about the tenant the notification names.
 */
export async function verifyNotificationToken(token, { clientId, ctx }) {
  if (typeof token !== 'string' || token.length === 0) throw new UntrustedToken('no notification token');
  let payload;
  try {
    ({ payload } = await jwtVerify(token, superIdKeys, {
      algorithms: ['RS256'],
      issuer: SUPEROFFICE.issuer,
      audience: clientId,
      clockTolerance: SKEW_SECONDS,
      requiredClaims: ['exp'],
    }));
  } catch (err) {
    throw new UntrustedToken(`notification token rejected by jose (${err.code ?? err.name})`);
  }
  if (payload[`${CLAIM}ctx`] !== ctx) throw new UntrustedToken('notification names another tenant');
}

/**
 * Exchanges the refresh token for a new access token (form body, never the URL). Throws
 * AccessRevoked when SuperID refuses the grant.
 */
export async function refreshTokens({ clientId, clientSecret, refreshToken }) {
  if (!refreshToken) throw new AccessRevoked('no_refresh_token');
  const res = await fetch(SUPEROFFICE.tokenURL, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: clientId,
      client_secret: clientSecret,
    }),
    signal: AbortSignal.timeout(15_000),
  });
  const answer = await res.json().catch(() => ({}));
  if (res.status === 400 || res.status === 401) throw new AccessRevoked(String(answer.error ?? res.status));
  if (!res.ok || typeof answer.access_token !== 'string')
    throw new Error(`token endpoint answered ${res.status}`);
  return answer;
}

/** Where SuperID sends the browser after signing out of SuperOffice. */
export function signOutUrl({ clientId, returnTo }) {
  const url = new URL(SUPEROFFICE.logoutURL);
  url.searchParams.set('client_id', clientId);
  url.searchParams.set('post_logout_redirect_uri', returnTo);
  return url.href;
}

/**
 * passport-openidconnect's state store, replaced so one pending sign-in per browser session holds
 * state, nonce, PKCE verifier and where to return, for at most ten minutes and for one use.
 */
class PendingSignIns {
  store(req, ctx, appState, _meta, cb) {
    if (!req.session) return cb(new Error('sessions are not set up'));
    const handle = randomBytes(32).toString('base64url');
    req.session.superofficeSignIn = {
      handle,
      nonce: ctx.nonce,
      verifier: appState.verifier,
      returnTo: appState.returnTo,
      startedAt: Date.now(),
    };
    return cb(null, handle);
  }

  verify(req, handle, cb) {
    const pending = req.session?.superofficeSignIn;
    if (req.session) delete req.session.superofficeSignIn;
    if (!pending || Date.now() - pending.startedAt > SIGN_IN_TTL_MS || !sameString(handle, pending.handle))
      return cb(null, false, { message: 'state' });
    // The verify callback and the token request of this same request read it from here.
    req.superofficeSignIn = pending;
    return cb(null, { nonce: pending.nonce }, { returnTo: pending.returnTo });
  }
}

/** passport-openidconnect with PKCE (S256): a challenge on the way out, the verifier on the way back. */
export class SuperOfficeStrategy extends OpenIDConnectStrategy {
  constructor(options, verify) {
    super({ ...options, store: new PendingSignIns() }, verify);
    this.name = 'superoffice';
  }

  authorizationParams(options) {
    return options.codeChallenge
      ? { code_challenge: options.codeChallenge, code_challenge_method: 'S256' }
      : {};
  }

  // Passport calls this on a per-request copy of the strategy, so the per-request OAuth2 client
  // set here is never shared between requests.
  authenticate(req, options = {}) {
    if (typeof req.query?.code === 'string') {
      const shared = this._oauth2;
      const client = Object.create(shared);
      client.getOAuthAccessToken = (code, params, done) => {
        const verifier = req.superofficeSignIn?.verifier;
        return shared.getOAuthAccessToken.call(
          client,
          code,
          verifier ? { ...params, code_verifier: verifier } : params,
          done,
        );
      };
      this._oauth2 = client;
      return super.authenticate(req, options);
    }
    const verifier = randomBytes(48).toString('base64url');
    const codeChallenge = createHash('sha256').update(verifier).digest('base64url');
    return super.authenticate(req, { ...options, codeChallenge, state: { ...options.state, verifier } });
  }
}
