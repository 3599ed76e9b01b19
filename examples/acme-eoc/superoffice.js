// SuperID, SuperOffice's OpenID Connect provider, as Acme EOC uses it. The app is registered in
// SuperOffice's development environment (SOD), so the addresses below are SOD's, written out.
//
// SuperID's issuer is the bare origin, while its discovery document lives under /login:
//   issuer     https://sod.superoffice.com
//   discovery  https://sod.superoffice.com/login/.well-known/openid-configuration
// express-openid-connect hands `issuerBaseURL` to openid-client's discovery(). Given an issuer,
// openid-client appends /.well-known/openid-configuration and then insists that the document's
// `issuer` equals the URL it started from; so neither the bare origin (no document there) nor
// .../login (issuer mismatch) works. Given a URL that already contains /.well-known/, it fetches
// that URL as it is and takes the issuer from the document. So issuerBaseURL is the discovery
// document's own URL, and every id_token is still checked against the issuer the document names.

import { createRemoteJWKSet, jwtVerify } from 'jose';

const SOD = 'https://sod.superoffice.com';

export const SUPERID = Object.freeze({
  issuer: SOD,
  discoveryDocument: `${SOD}/login/.well-known/openid-configuration`,
  keys: `${SOD}/login/.well-known/jwks`,
  tenantState: (ctx) => `${SOD}/api/state/${encodeURIComponent(ctx)}`,
});

const SO_CLAIM = 'http://schemes.superoffice.net/identity/';
const CLOCK_TOLERANCE_SECONDS = 60;

/** Refetched when a token names a key we have not seen (SuperID rolls its keys over). */
const signingKeys = createRemoteJWKSet(new URL(SUPERID.keys), {
  timeoutDuration: 5_000,
  cooldownDuration: 10_000,
  cacheMaxAge: 15 * 60_000,
});

/** A token SuperOffice did not issue for us, or not now; the message is for the log only. */
export class RejectedToken extends Error {
  constructor(why) {
    super(why);
    this.name = 'RejectedToken';
    this.status = 400;
  }
}

/** The SuperOffice facts Acme EOC keeps about a signed-in user, from id_token claims. */
export function accountFrom(claims) {
  const text = (name) => {
    const value = claims[SO_CLAIM + name];
    return typeof value === 'string' ? value : '';
  };
  const ctx = text('ctx');
  if (!/^Cust\d{1,10}$/.test(ctx)) throw new RejectedToken('no usable ctx claim');
  let webapi;
  try {
    webapi = new URL(text('webapi_url'));
  } catch {
    throw new RejectedToken('no usable webapi_url claim');
  }
  if (webapi.protocol !== 'https:') throw new RejectedToken('webapi_url is not https');
  if (typeof claims.sub !== 'string' || claims.sub.trim() === '') throw new RejectedToken('no sub claim');
  return {
    sub: claims.sub,
    ctx,
    apiBase: webapi.href.endsWith('/') ? webapi.href : `${webapi.href}/`,
    email: text('email'),
    company: text('company_name'),
    admin: text('is_administrator') === 'True',
  };
}

async function verified(token, { clientId, what, options }) {
  if (typeof token !== 'string' || token === '') throw new RejectedToken(`no ${what}`);
  const expected = {
    algorithms: ['RS256'],
    issuer: SUPERID.issuer,
    audience: clientId,
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
    ...options,
  };
  const { payload } = await jwtVerify(token, signingKeys, expected).catch((err) => {
    throw new RejectedToken(`${what} failed verification (${err.code ?? err.name})`);
  });
  // jose accepts an audience list that merely contains ours; SuperID names exactly one client.
  const audience = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (audience.length !== 1 || audience[0] !== clientId) throw new RejectedToken(`${what} audience`);
  if (payload.azp !== undefined && payload.azp !== clientId) throw new RejectedToken(`${what} azp`);
  return payload;
}

/**
 * Checks an id_token the way openid-client does not for token-endpoint answers: its RS256
 * signature against SuperID's published keys, besides issuer, audience, lifetime and subject.
 */
export async function verifyIdToken(idToken, clientId) {
  const claims = await verified(idToken, {
    clientId,
    what: 'id_token',
    options: { requiredClaims: ['sub', 'iat', 'exp'], maxTokenAge: '1h' },
  });
  return accountFrom(claims);
}

/** The Token of a tenant state-change notification must be SuperID's, for us, about `ctx`. */
export async function verifyNotificationToken(token, { clientId, ctx }) {
  const claims = await verified(token, {
    clientId,
    what: 'notification token',
    options: { requiredClaims: ['exp'] },
  });
  if (claims[`${SO_CLAIM}ctx`] !== ctx) throw new RejectedToken('notification token names another tenant');
}
