/**
 * client secret, private key and token storage (SECRET-*, PRIVATE-KEY-SAFE,
 * TOKEN-REFRESH-NOT-IN-BROWSER, TOKEN-ACCESS-STORAGE, TICKET-NOT-IN-URL).
 */
import type { Rule } from '../types.ts';
import { DOC } from '../docs.ts';
import { ADVISORY_BOTH, ALL_APPS, BLOCKING_BOTH, SERVER_TO_SERVER, STANDARD_ONLY, WEB_UI } from './common.ts';

export const SECRET_RULES: readonly Rule[] = [
  {
    id: 'SECRET-AS-PASSWORD',
    title: 'Client secret kept server-side like a password',
    requirement:
      'The client secret (ApplicationToken) is treated as a password: stored as one, never shared and never exposed to the browser.',
    category: 'secrets',
    severity: BLOCKING_BOTH,
    appTypes: ALL_APPS,
    automation: 'automated',
    check:
      "Searches every browser-observable artifact (HTML, JS bundles, source maps, request and response bodies and headers, URLs, cookies, localStorage, sessionStorage, IndexedDB) for the seeded client secret, and fails if a token-endpoint or PartnerSystemUser call carrying the secret comes from the browser (`Origin`/`Sec-Fetch-*` headers). Under `superoffice.impersonate`, fails when the secret, private key or password is sent to any host other than SuperOffice's.",
    remediation:
      'Keep the client secret on the server only (environment variable or key vault) and perform the token exchange, refresh and PartnerSystemUser calls from your backend. Make sure build tooling does not inline it into client bundles (e.g. no `NEXT_PUBLIC_`/`VITE_` prefix) and that API responses and error pages never echo configuration.',
    docs: [DOC.clientSecret, DOC.authOverview, DOC.gettingStarted],
  },
  {
    id: 'SECRET-NOT-IN-URL',
    title: 'Client secret kept out of URLs',
    requirement: 'The client secret stays out of URLs and logs.',
    category: 'secrets',
    // Advisory: SuperOffice's own examples put the secret in the POST query string.
    severity: ADVISORY_BOTH,
    appTypes: ALL_APPS,
    automation: 'automated',
    check:
      'Records token-endpoint calls that carry `client_secret` in the query string and reports them as warnings.',
    remediation:
      'Send `client_id` and `client_secret` in the form-encoded POST body (`client_secret_post`) or as HTTP Basic credentials (`client_secret_basic`), not in the query string, which ends up in proxy and server logs. openid-client uses `ClientSecretPost`/`ClientSecretBasic` for this.',
    docs: [DOC.clientSecret, DOC.authCodeFlow],
  },
  {
    id: 'SECRET-PER-ENV',
    title: 'Credentials configured per environment',
    requirement:
      'SOD, Stage and Production each have their own client ID, secret and certificate, and the app is configured per environment (it must work in at least two).',
    category: 'secrets',
    severity: STANDARD_ONLY,
    appTypes: ALL_APPS,
    automation: 'automated',
    check:
      "Starts a second emulated environment (Online, or SOD when the run is Online) with its own SuperID, client id, secret and signing keys, starts the web app a second time with that environment in the config's placeholders, and signs a user in through it: the app must sign the user in there, and neither environment's client id or secret may reach the other's SuperID. Apps on a fixed port, apps started outside so-preflight, impersonated apps not given `${superid.url}`, and server-to-server and native apps attest it.",
    remediation:
      'Group SuperID URL, client id, client secret, private key and JWKS source under one environment key in your configuration and select them together per tenant or deployment. Never reuse SOD credentials in Stage or Production, and fail fast at start-up if an environment is incompletely configured.',
    docs: [DOC.appEnvir, DOC.technical],
  },
  {
    id: 'SECRET-ROTATION-READY',
    title: 'Secret rotation is a configuration change',
    requirement:
      'Only one secret and one certificate exist per environment and replacing them means delete-then-create, so the app makes rotation a configuration change and fails loudly when a secret is rejected.',
    category: 'secrets',
    severity: ADVISORY_BOTH,
    appTypes: ALL_APPS,
    automation: 'partial',
    check:
      "Replaces the client secret mid-run (alone): SuperID then refuses the one the app holds at the token endpoint (401 `invalid_client`) and as PartnerSystemUser's `ApplicationToken`. A web app meets it at a user's sign-in, a server-to-server app at its next system-user login (tickets expired, the API action run). More than 3 refused requests within 10 s is a tight loop and fails; no line about the refusal in the app's own output (when the harness started the app) warns; where the output is not seen, telling the operator is attested.",
    remediation:
      'Read the secret and private key from configuration that can be replaced without a rebuild (key vault reference, mounted secret) and reload them on change or restart. When SuperID rejects the credentials, log one clear error naming the environment and stop retrying with back-off instead of looping.',
    docs: [DOC.clientSecret, DOC.newCertificate],
  },
  {
    id: 'SECRET-COMPROMISE-NOTIFY',
    title: 'Compromised secrets reported to SuperOffice',
    requirement:
      'If the client secret is compromised, the partner notifies SuperOffice Online Operations immediately.',
    category: 'secrets',
    severity: BLOCKING_BOTH,
    appTypes: ALL_APPS,
    automation: 'manual',
    check:
      'Attestation: the partner has an incident procedure that notifies SuperOffice Online Operations at once when a client secret or private key may have leaked, and replaces it.',
    remediation:
      'Add SuperOffice Online Operations to your security incident runbook with the contact route and the steps to create a new secret or certificate in the Developer Portal. Rehearse the rotation so it takes minutes, not days.',
    docs: [DOC.security],
  },
  {
    id: 'PRIVATE-KEY-SAFE',
    title: 'System-user private key stored safely',
    requirement:
      'The RSA private key used to sign system-user tokens is kept safe by the partner; SuperOffice only holds the public key.',
    category: 'secrets',
    // S+C, for server-to-server and mirroring apps.
    severity: BLOCKING_BOTH,
    appTypes: SERVER_TO_SERVER,
    automation: 'partial',
    check:
      'Searches browser-observable artifacts for the seeded private key (PEM header, RSA XML `<RSAKeyValue>`/`<D>` content). Storage at rest is an attestation.',
    remediation:
      'Keep the private key in a key vault or HSM (or at least an encrypted, access-restricted secret store) and sign system-user tokens only in the backend. Never commit it, bundle it into client code or return it from an API; if it leaks, create a new certificate in the Developer Portal.',
    docs: [DOC.newCertificate, DOC.authApplication],
  },
  {
    id: 'TOKEN-REFRESH-NOT-IN-BROWSER',
    title: 'Refresh token never stored in the browser',
    requirement: 'Refresh tokens are never stored client-side in the browser.',
    category: 'secrets',
    severity: BLOCKING_BOTH,
    appTypes: WEB_UI,
    automation: 'automated',
    check:
      'Searches cookies (HttpOnly ones included), web storage, IndexedDB, the DOM and JS-visible responses for the emulator-issued refresh token; any raw occurrence fails (encrypted server-side cookies cannot be detected).',
    remediation:
      'Keep the refresh token in your server-side session or token store keyed by user and tenant, and give the browser only an opaque session cookie. If your framework stores tokens in the session cookie (e.g. NextAuth JWT sessions), keep it encrypted and never expose `refresh_token` to client code.',
    docs: [DOC.authCodeFlow],
  },
  {
    id: 'TOKEN-ACCESS-STORAGE',
    title: 'Access tokens and tickets stored securely',
    requirement: 'The app is responsible for storing access tokens securely.',
    category: 'secrets',
    // Advisory per the table; the check still reports browser-visible system tickets and
    // SO-AppToken values with status `fail`.
    severity: ADVISORY_BOTH,
    appTypes: ALL_APPS,
    automation: 'automated',
    check:
      'Runs the same browser scan for access tokens and system-user tickets: browser-visible access tokens are warnings (SPA implicit apps necessarily hold them); browser-visible system tickets or SO-AppToken values fail. Native apps: after a sign-in, the token store they declare (`app.tokenStore`, in the home folder the harness gives each run) must not be readable by other users (file 0600, folder 0700) and must not hold the client secret or the password.',
    remediation:
      'Call NetServer from your backend and keep access tokens in the server-side session; if the browser must call the API directly, keep the token in memory only, never in localStorage. System-user tickets and the SO-AppToken must never reach the browser.',
    docs: [DOC.authApi, DOC.credentialMgmt],
  },
  {
    id: 'TICKET-NOT-IN-URL',
    title: 'User secret (usec) never in web-panel URLs',
    requirement: 'The user secret `<usec>` is never passed as a URL parameter of web panels.',
    category: 'secrets',
    severity: BLOCKING_BOTH,
    appTypes: ALL_APPS,
    automation: 'automated',
    check:
      'Inspects the web panels the app provisions (recorded NetServer writes) and every URL the browser requests for ticket-looking values (`7T:`/`8A:` prefixes) or the `<usec>` placeholder.',
    remediation:
      'Build web-panel URLs with `<uctx>` and `<usid>` only and authenticate the user in the panel through SuperID (seamless SSO via `/login/{uctx}/oauth/authorize`). Remove `<usec>` from every existing panel definition when upgrading installed tenants.',
    docs: [DOC.stdChecklist, DOC.customChecklist],
  },
];
