/**
 * SuperOffice CRM Online (development environment, "SOD") as a next-auth OAuth provider.
 *
 * SuperID publishes its discovery document under /login while its issuer is the bare origin, so
 * the provider names the discovery URL (`wellKnown`) instead of deriving it from the issuer.
 * next-auth hands the sign-in to openid-client, which validates the id_token: RS256 signature
 * against SuperID's JWKS (fetched per sign-in, so a key rollover needs no restart), issuer from
 * the discovery document, audience = our client id, exp/nbf with a small skew, sub, nonce, state
 * and the PKCE verifier.
 */
export const SUPEROFFICE_URL = 'https://sod.superoffice.com';
export const DISCOVERY_URL = `${SUPEROFFICE_URL}/login/.well-known/openid-configuration`;
export const TOKEN_URL = `${SUPEROFFICE_URL}/login/common/oauth/tokens`;
export const JWKS_URL = `${SUPEROFFICE_URL}/login/.well-known/jwks`;
export const LOGOUT_URL = `${SUPEROFFICE_URL}/login/logout`;
export const STATE_API_URL = `${SUPEROFFICE_URL}/api/state`;

export const CLAIM = 'http://schemes.superoffice.net/identity/';

/** The SuperOffice claims the app uses, from a validated id_token; undefined when unusable. */
export function superOfficeClaims(claims) {
  const str = (name) =>
    typeof claims?.[`${CLAIM}${name}`] === 'string' ? claims[`${CLAIM}${name}`] : undefined;
  const ctx = str('ctx');
  const webapiUrl = str('webapi_url');
  if (!ctx || !/^Cust\d+$/.test(ctx)) return undefined;
  if (!webapiUrl || !URL.canParse(webapiUrl) || new URL(webapiUrl).protocol !== 'https:') return undefined;
  return {
    ctx,
    webapiUrl: webapiUrl.endsWith('/') ? webapiUrl : `${webapiUrl}/`,
    email: str('email'),
    companyName: str('company_name') ?? '',
    isAdministrator: str('is_administrator') === 'True',
  };
}

export default function SuperOfficeProvider(options) {
  return {
    id: 'superoffice',
    name: 'SuperOffice',
    type: 'oauth',
    version: '2.0',
    wellKnown: DISCOVERY_URL,
    authorization: { params: { scope: 'openid', response_type: 'code' } },
    checks: ['pkce', 'state', 'nonce'],
    // true: the user comes from the validated id_token (SuperID has no userinfo endpoint).
    idToken: true,
    client: { token_endpoint_auth_method: 'client_secret_post', id_token_signed_response_alg: 'RS256' },
    httpOptions: { timeout: 10_000 },
    profile(claims) {
      const so = superOfficeClaims(claims);
      return {
        id: claims.sub,
        name: so?.email ?? claims.sub,
        email: so?.email ?? null,
      };
    },
    ...options,
  };
}
