/** token validation (TOKEN-*, except the storage rules under secrets). */
import type { Rule } from '../types.ts';
import { DOC } from '../docs.ts';
import { ADVISORY_BOTH, ALL_APPS, BLOCKING_BOTH, SERVER_TO_SERVER, STANDARD_ONLY, WEB_UI } from './common.ts';

export const TOKEN_RULES: readonly Rule[] = [
  {
    id: 'TOKEN-VALIDATE-ALL',
    title: 'Every SuperOffice security token is validated',
    requirement:
      'Each security token SuperOffice sends is validated on receipt: the id_token after the code flow, the system-user JWT, the state-change webhook token and mirroring/connector tokens.',
    category: 'tokens',
    severity: BLOCKING_BOTH,
    appTypes: ALL_APPS,
    automation: 'automated',
    check:
      'Umbrella over the tamper checks of the TOKEN-* rules: any forged or invalid token the app accepts (by creating a session or by using the tokens that came with it) fails this rule as well.',
    remediation:
      'Route every token you receive from SuperOffice through one validation function that checks signature, issuer, audience, lifetime and `sub` before any other code reads a claim. Use `jose`/openid-client (Node), `Microsoft.IdentityModel.JsonWebTokens` or the `SuperOffice.WebApi` token handlers (.NET) rather than decoding tokens by hand.',
    docs: [DOC.validateTokens, DOC.credentialMgmt, DOC.stdChecklist, DOC.customChecklist],
  },
  {
    id: 'TOKEN-SIGNATURE',
    title: 'id_token signature is verified',
    requirement:
      "Tokens whose RS256 signature does not verify against the environment's signing key are rejected.",
    category: 'tokens',
    severity: BLOCKING_BOTH,
    appTypes: ALL_APPS,
    automation: 'automated',
    check:
      'Delivers forged id_tokens: payload edited after signing; signed by an unknown key with an unknown `kid`; signed by an unknown key reusing the genuine `kid`; `alg: none`; `alg: HS256` keyed with the public key. The app must not create a session nor call NetServer with the access token that came with it.',
    remediation:
      "Verify the RS256 signature of every id_token against the keys from SuperID's `jwks_uri`, selected by `kid`, and allow only `RS256`. With openid-client v6 call `enableNonRepudiationChecks(config)`; with jose use `jwtVerify(token, createRemoteJWKSet(new URL(jwks_uri)), { algorithms: ['RS256'] })`; in .NET set `ValidateIssuerSigningKey = true` and `ValidAlgorithms = [\"RS256\"]`.",
    docs: [DOC.validateTokens, DOC.certificates],
  },
  {
    id: 'TOKEN-ISSUER',
    title: 'Token issuer is checked',
    requirement:
      'Tokens whose `iss` is not `https://{env}.superoffice.com` for the configured environment are rejected (system-user tokens: `SuperOffice AS`).',
    category: 'tokens',
    severity: BLOCKING_BOTH,
    appTypes: ALL_APPS,
    automation: 'automated',
    check:
      'Issues a correctly signed token whose `iss` names another environment (for example `https://online.superoffice.com` while the app runs against SOD) or a foreign host; the app must reject it.',
    remediation:
      'Compare `iss` exactly with `https://{env}.superoffice.com` for the environment the tenant lives in (no trailing slash, no `/login`), and with `SuperOffice AS` for system-user, mirroring and connector tokens. With jose pass `{ issuer }` to `jwtVerify`; in .NET set `ValidIssuer` and keep `ValidateIssuer = true` rather than disabling issuer validation to work around the `/login` authority.',
    docs: [DOC.validateTokens],
  },
  {
    id: 'TOKEN-AUDIENCE',
    title: 'Token audience is checked',
    requirement:
      "id_tokens whose `aud` is not the app's client_id are rejected (system-user tokens: `spn:{serial}`).",
    category: 'tokens',
    severity: BLOCKING_BOTH,
    appTypes: ALL_APPS,
    automation: 'automated',
    check: 'Signs a valid token for another client_id; the app must reject it.',
    remediation:
      "Require `aud` to equal your client_id for id_tokens, and `spn:{serial}` (the tenant's `serial` claim) for system-user JWTs. With jose pass `{ audience: clientId }` to `jwtVerify`; in .NET set `ValidAudience` and keep `ValidateAudience = true`.",
    docs: [DOC.validateTokens],
  },
  {
    id: 'TOKEN-LIFETIME',
    title: 'Token lifetime is enforced',
    requirement:
      'Expired tokens (`exp` in the past) and not-yet-valid tokens (`nbf` in the future) are rejected, allowing only a small clock skew (the samples use 5 minutes).',
    category: 'tokens',
    severity: BLOCKING_BOTH,
    appTypes: ALL_APPS,
    automation: 'automated',
    check:
      "Issues tokens that expired 10 minutes ago and tokens with `nbf` 10 minutes ahead; both must be rejected. The official Node sample's `ignoreExpiration: true` does not make this pass.",
    remediation:
      'Validate `exp` and `nbf` with a clock tolerance of at most 5 minutes and never set `ignoreExpiration: true` (jsonwebtoken) or `ValidateLifetime = false` (.NET). With jose use `jwtVerify(..., { clockTolerance: 300 })` and keep server clocks synchronised with NTP.',
    docs: [DOC.validateTokens],
  },
  {
    id: 'TOKEN-STRUCTURE',
    title: 'Malformed tokens are rejected',
    requirement:
      'Malformed tokens are rejected: anything other than three dot-separated parts, parts that are not base64url-encoded JSON, or a missing `sub` claim.',
    category: 'tokens',
    severity: BLOCKING_BOTH,
    appTypes: ALL_APPS,
    automation: 'automated',
    check: 'Sends two-segment tokens, garbage base64 and tokens without `sub`; each must be rejected.',
    remediation:
      "Let a JOSE library parse the token instead of splitting it yourself, and treat every parse error as a failed sign-in. After verification, require a non-empty `sub` before creating a session (jose: `requiredClaims: ['sub']`).",
    docs: [DOC.validateTokens],
  },
  {
    id: 'TOKEN-ENV-KEY',
    title: 'Environment-specific signing key used',
    requirement:
      "Tokens are verified with the key or JWKS of the tenant's environment; a token signed with another environment's key fails.",
    category: 'tokens',
    severity: BLOCKING_BOTH,
    appTypes: ALL_APPS,
    automation: 'automated',
    check:
      "The emulator signs with the 'online' environment key while the app is configured for 'sod'; the app must reject the token.",
    remediation:
      "Derive the JWKS URL (or the `SuperOfficeFederatedLogin.crt` you load) from the configured environment, e.g. `https://sod.superoffice.com/login/.well-known/jwks` for SOD, and never fall back to another environment's key. Keep one key source per environment in configuration next to that environment's client id and secret.",
    docs: [DOC.appEnvir, DOC.certificates, DOC.validateTokens],
  },
  {
    id: 'TOKEN-SYSUSER-VALIDATE',
    title: 'System-user JWT validated before its ticket is used',
    requirement:
      'The JWT returned by PartnerSystemUser is validated immediately on receipt (issuer `SuperOffice AS`, audience `spn:{serial}`, signature, lifetime) before its ticket is used.',
    category: 'tokens',
    severity: BLOCKING_BOTH,
    appTypes: SERVER_TO_SERVER,
    automation: 'automated',
    check:
      'Returns forged, expired and wrong-audience system-user JWTs from PartnerSystemUser; the app must not send the embedded ticket to NetServer.',
    remediation:
      'Verify the JWT from `/Login/api/PartnerSystemUser/Authenticate` right away with the environment JWKS, `issuer: "SuperOffice AS"` and `audience: "spn:" + serial`, and only then read the `ticket` claim. In .NET use `SystemUserTokenHandler` from SuperOffice.WebApi; in Node use jose `jwtVerify` with those options.',
    docs: [DOC.validateTokens, DOC.authApplication, DOC.troubleshooting],
  },
  {
    id: 'TOKEN-WEBHOOK-VALIDATE',
    title: 'State-change notification token validated',
    requirement:
      'The `Token` in a tenant state-change notification is validated before the app acts on the message.',
    category: 'tokens',
    severity: STANDARD_ONLY,
    appTypes: WEB_UI,
    automation: 'automated',
    check:
      'POSTs notifications with forged tokens (for example a `Delete` for a live tenant); the app must not act on them (it keeps calling the tenant and does not purge data) and should answer 4xx.',
    remediation:
      "Verify the notification's `Token` JWT (signature against the environment JWKS, issuer, lifetime) and check that its tenant matches `ContextIdentifier` before changing any tenant state. Answer 401/403 to invalid notifications and only then acknowledge valid ones with 2xx.",
    docs: [DOC.getNotifications, DOC.statusWebhook],
  },
  {
    id: 'TOKEN-JWKS-REFRESH',
    title: 'Signing-key rollover supported',
    requirement:
      'When keys come from `jwks_uri`, the app selects the key by `kid` and fetches the JWKS again when it meets an unknown `kid`.',
    category: 'tokens',
    severity: ADVISORY_BOTH,
    appTypes: ALL_APPS,
    automation: 'automated',
    check:
      'Rotates the emulator signing key mid-session: an app that refetches the JWKS keeps working; an app pinned to a certificate is reported as having no rollover support (warning).',
    remediation:
      "Load keys from `jwks_uri` through a cache that refetches on an unknown `kid` (jose's `createRemoteJWKSet`, .NET `ConfigurationManager<OpenIdConnectConfiguration>`), with a cool-down so a bad `kid` cannot make you hammer SuperID. Avoid pinning a single certificate thumbprint in code.",
    docs: [DOC.validateTokens, DOC.certificates],
  },
];
