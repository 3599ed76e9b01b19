/** authentication and federation (AUTH-*). */
import type { Rule } from '../types.ts';
import { DOC } from '../docs.ts';
import { ADVISORY_BOTH, ALL_APPS, BLOCKING_BOTH, NATIVE_ONLY, STANDARD_ONLY, WEB_UI } from './common.ts';

export const AUTHENTICATION_RULES: readonly Rule[] = [
  {
    id: 'AUTH-FEDERATED',
    title: 'Sign-in goes through SuperID',
    requirement:
      'Users sign in through SuperID federated authentication only. The app never asks for SuperOffice usernames or passwords and never offers its own sign-in form for SuperOffice credentials.',
    category: 'authentication',
    severity: BLOCKING_BOTH,
    appTypes: ALL_APPS,
    automation: 'automated',
    check:
      "Starts the app's sign-in or install entry point in the browser and expects the first cross-origin navigation to be SuperID's authorize endpoint. Pages reachable before sign-in are searched for password fields that post to the app's own origin (warning), and any NetServer call with `Authorization: Basic` fails the rule.",
    remediation:
      "Start every sign-in by redirecting to SuperID's authorize endpoint (`/login/common/oauth/authorize`, or `/login/{ctx}/oauth/authorize` from a web panel) and never render a form that collects SuperOffice credentials. Call NetServer with `Authorization: Bearer <access_token>` (or `SOTicket` plus `SO-AppToken` for the system user), never with Basic authentication.",
    docs: [DOC.security, DOC.signInUser, DOC.userContexts, DOC.whatApi, DOC.stdChecklist],
  },
  {
    id: 'AUTH-NO-CREDENTIAL-STORE',
    title: 'No user credentials stored by the app',
    requirement: 'The app does not store user credentials or other authentication secrets such as passwords.',
    category: 'authentication',
    severity: BLOCKING_BOTH,
    appTypes: ALL_APPS,
    automation: 'manual',
    check:
      'Attestation: the partner confirms that no SuperOffice user password or other credential is persisted anywhere (database, files, logs, backups). AUTH-FEDERATED, TOKEN-REFRESH-NOT-IN-BROWSER and TOKEN-ACCESS-STORAGE cover the parts the harness can observe.',
    remediation:
      'Remove any table column, configuration entry or log statement that holds user passwords; identify users by the SuperID `sub` / associate claims instead. Store only what SuperID issues (refresh token, system-user ticket) server-side and encrypted at rest, with access limited to the service that needs it.',
    docs: [DOC.stdChecklist, DOC.security],
  },
  {
    id: 'AUTH-NO-HARDCODED-APPTOKEN',
    title: 'ApplicationToken not set in code',
    requirement:
      'The .NET NetServer proxies must not get their application token from code: assigning `ConfigFile.Services.ApplicationToken` programmatically is forbidden.',
    category: 'authentication',
    severity: BLOCKING_BOTH,
    appTypes: ALL_APPS,
    automation: 'manual',
    check:
      'Attestation: the partner confirms that the source never assigns `ConfigFile.Services.ApplicationToken`. When `app.sourceDir` is configured the harness may grep the tree for the assignment as supporting evidence.',
    remediation:
      'Delete any assignment to `ConfigFile.Services.ApplicationToken` and load the client secret from protected configuration (app.config/web.config `<Services>` section, environment or a key vault) at deployment time. Keep the secret out of the repository so it can be rotated without a code change.',
    docs: [DOC.security],
  },
  {
    id: 'AUTH-USE-CODE-FLOW',
    title: 'Authorization code flow used for interactive sign-in',
    requirement:
      'Interactive apps sign users in with the OpenID Connect authorization code flow, with PKCE where appropriate. Implicit and hybrid flows are deprecated.',
    category: 'authentication',
    // The docs word it as a strong recommendation but mark implicit/hybrid deprecated; the table
    // lists it as S+C, so a deprecated flow blocks.
    severity: BLOCKING_BOTH,
    appTypes: ALL_APPS,
    automation: 'automated',
    check:
      'Inspects the recorded authorize request: `response_type=code` passes; a response type containing `token` or `id_token` is reported as use of a deprecated flow.',
    remediation:
      'Request `response_type=code` and redeem the code server-side at `/login/common/oauth/tokens`; add PKCE (`code_challenge_method=S256`) as well. With openid-client v6 use `buildAuthorizationUrl` + `authorizationCodeGrant`; in ASP.NET Core set `ResponseType = OpenIdConnectResponseType.Code` and `UsePkce = true`.',
    docs: [DOC.whichFlow, DOC.authCodeFlow, DOC.implicitFlow],
  },
  {
    id: 'AUTH-LEGACY-FORBIDDEN',
    title: 'No legacy federated sign-in or SAML tokens',
    requirement:
      'The legacy `/login/?app_id=` sign-in and SAML tokens are deprecated; apps use OAuth 2.0 / OpenID Connect and JWTs.',
    category: 'authentication',
    severity: BLOCKING_BOTH,
    appTypes: ALL_APPS,
    automation: 'automated',
    check:
      'Flags any request to `/login/?app_id=` and any PartnerSystemUser exchange whose `ReturnTokenType` is not JWT.',
    remediation:
      "Replace the `/login/?app_id=` redirect and its auto-posted `JWT`/`SAML` form with the authorization code flow. For the system user send `ReturnTokenType: 'Jwt'` to `/Login/api/PartnerSystemUser/Authenticate` and validate the returned JWT.",
    docs: [DOC.legacy, DOC.validateTokens],
  },
  {
    id: 'AUTH-SCOPE-OPENID',
    title: 'Authorize request uses scope openid',
    requirement: 'The authorize request asks for `scope=openid`.',
    category: 'authentication',
    severity: BLOCKING_BOTH,
    appTypes: ALL_APPS,
    automation: 'automated',
    check: 'The emulated SuperID records (and rejects) authorize requests whose `scope` lacks `openid`.',
    remediation:
      'Send `scope=openid` on every authorize request; SuperID grants access to all APIs and claims with it and ignores other scopes. Remove custom or empty scope values from your OIDC client configuration.',
    docs: [DOC.authCodeFlow, DOC.implicitFlow],
  },
  {
    id: 'AUTH-STATE',
    title: 'state sent and verified on the callback',
    requirement:
      'The app sends a `state` value with the authorize request and only accepts a callback whose `state` matches the one it sent, as a defence against login CSRF and mix-up.',
    category: 'authentication',
    // Advisory per the table (the docs only "recommend" state). A failed state verification is
    // still reported with status `fail` by its check; the advisory severity only keeps it from
    // blocking the verdict.
    severity: ADVISORY_BOTH,
    appTypes: ALL_APPS,
    automation: 'automated',
    check:
      'Records whether `state` is present on the authorize request, then delivers a callback with a valid code and a foreign or altered `state`: the app must not create a session.',
    remediation:
      "Generate a fresh random `state` (at least 128 bits) per sign-in, bind it to the user's browser (an HttpOnly cookie or server session) and compare it before redeeming the code; reject the callback on mismatch or absence. openid-client v6 does this when you pass `expectedState` to `authorizationCodeGrant`.",
    docs: [DOC.authCodeFlow],
  },
  {
    id: 'AUTH-NONCE',
    title: 'nonce verified in the id_token',
    requirement:
      'With the implicit flow a `nonce` is mandatory and the id_token must carry the same value; in the code flow, when the app sends a nonce, the returned one must match.',
    category: 'authentication',
    // "S+C (implicit), ADV (code)": blocking for both, because the check only sends a mismatched
    // nonce, which any client that sent one and validates tokens must reject.
    severity: BLOCKING_BOTH,
    appTypes: ALL_APPS,
    automation: 'automated',
    check:
      'The emulator issues an id_token whose `nonce` differs from the one the app sent; the app must reject it.',
    remediation:
      "Store the nonce you send with the sign-in (server session or HttpOnly cookie) and compare it with the id_token's `nonce` claim before accepting the sign-in. With openid-client v6 pass `expectedNonce` to `authorizationCodeGrant`; in ASP.NET Core keep the OpenIdConnect handler's nonce validation enabled.",
    docs: [DOC.implicitFlow, DOC.authCodeFlow],
  },
  {
    id: 'AUTH-PKCE-NATIVE',
    title: 'Native sign-in uses PKCE, system browser and loopback listener',
    requirement:
      'Native, desktop and mobile apps follow the OAuth native-app pattern: sign-in in the system browser, a loopback redirect listener, and PKCE.',
    category: 'authentication',
    severity: BLOCKING_BOTH,
    appTypes: NATIVE_ONLY,
    automation: 'automated',
    check:
      'Requires `code_challenge` on the authorize request, warns when `code_challenge_method` is missing (SuperID then assumes `plain`) or `plain`, verifies the `code_verifier` (43-128 unreserved characters) and checks the app handles a rejected verifier.',
    remediation:
      'Generate a random `code_verifier` per sign-in, send `code_challenge=BASE64URL(SHA256(verifier))` with `code_challenge_method=S256`, and send the verifier on the token request. Open the authorize URL in the system browser (not an embedded web view) and receive the code on `http://127.0.0.1:{port}/`; IdentityModel.OidcClient and AppAuth do this for you.',
    docs: [DOC.nativeApps, DOC.createNativeApp, DOC.rfc7636],
  },
  {
    id: 'AUTH-CODE-SINGLE-USE',
    title: 'Authorization code redeemed once and promptly',
    requirement:
      'Authorization codes expire after 10 minutes; the app redeems each code promptly and never tries to redeem it twice.',
    category: 'authentication',
    severity: ADVISORY_BOTH,
    appTypes: ALL_APPS,
    automation: 'automated',
    check:
      'The emulator enforces the 10-minute lifetime and single use, and records any second redemption of the same code.',
    remediation:
      'Redeem the code immediately in the callback handler and discard it, whatever the outcome. On a failed exchange restart the sign-in instead of retrying the same code, and make sure a browser reload of the callback URL does not trigger a second exchange (redirect to a clean URL after success).',
    docs: [DOC.authCodeFlow],
  },
  {
    id: 'AUTH-CONSENT-FLOW',
    title: 'Tenant consent workflow implemented',
    requirement:
      'Standard apps implement the consent hand-shake: the tenant administrator is sent to SuperID, approves the app, and the app then provisions itself.',
    category: 'authentication',
    severity: STANDARD_ONLY,
    appTypes: ALL_APPS,
    automation: 'automated',
    check:
      'Drives the install entry point as an administrator through the emulated consent screen and expects the app to reach a provisioned state without manual steps.',
    remediation:
      'Make the install URL start the authorization request immediately, with no login wall of your own before it, and treat the first successful callback for a new `ctx` as the trigger for provisioning. Store the tenant and its `system_token` claim there, create your web panels and fields, and show the admin a confirmation page.',
    docs: [DOC.getConsent, DOC.consent, DOC.stdChecklist],
  },
  {
    id: 'AUTH-ADMIN-ONLY-CONSENT',
    title: 'Non-admin without consent handled',
    requirement:
      'Only a General or User Administrator can approve the app, and external consultants must not approve production access. The app copes with a non-admin user arriving on a tenant without consent or without a `system_token`.',
    category: 'authentication',
    severity: BLOCKING_BOTH,
    appTypes: ALL_APPS,
    automation: 'automated',
    check:
      'Signs in as a non-admin user on an unconsented tenant; the emulator shows the "Account does not have access" page or issues no `system_token`. The app must show a clear message rather than crash.',
    remediation:
      'Handle the callback error and the missing `system_token` claim explicitly: show a page that says an administrator must install the app first, with a link the user can pass on. Never treat a missing claim as an unexpected exception.',
    docs: [DOC.consent, DOC.getConsent],
  },
  {
    id: 'AUTH-REAPPROVAL',
    title: 'Re-approval after configuration changes handled',
    requirement:
      'After the app adds webhooks, mirroring or system-user use, the tenant administrator must approve it again; until then users are locked out, and the app must handle that.',
    category: 'authentication',
    severity: BLOCKING_BOTH,
    appTypes: ALL_APPS,
    automation: 'automated',
    check:
      'The emulator answers with AuthorizeErrorCode 5 (NeedsReapproval) or fails the token exchange; the app must send an administrator back through consent and explain the situation to normal users.',
    remediation:
      'Recognise the NeedsReapproval (5) error from SuperID and the failed token exchange, and route administrators to the consent URL again. Show other users a message that an administrator must re-approve the app, instead of a generic error or a sign-in loop.',
    docs: [DOC.consent, DOC.corsRedirects, DOC.troubleshooting],
  },
  {
    id: 'AUTH-IFRAME-POPUP',
    title: 'Web-panel sign-in opens outside the iframe',
    requirement:
      'Apps shown in web panels do not load SuperID sign-in inside the iframe, where clickjacking protection blocks it; they authenticate in a pop-up or a top-level window.',
    category: 'authentication',
    severity: ADVISORY_BOTH,
    appTypes: WEB_UI,
    automation: 'automated',
    check:
      "The emulator serves its login pages with `X-Frame-Options: DENY` and `frame-ancestors 'none'`. After the install, the harness opens the app's first web panel with no session in an iframe of a page on the tenant's host (as SuperOffice's web client shows it) and, when the panel does nothing by itself, clicks its sign-in control: the frame going to SuperID fails; a pop-up or the top window going there passes. A panel that refuses to be framed by the tenant's host cannot be judged.",
    remediation:
      'When your page detects it runs framed (`window.top !== window.self`) and has no session, open the sign-in with `window.open()` or `window.top.location` (where allowed) and post the result back to the panel. Use the tenant-specific authorize path `/login/{uctx}/oauth/authorize` so the user is signed in seamlessly.',
    docs: [DOC.iframeAuth],
  },
];
