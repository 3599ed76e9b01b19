/**
 * Public contract of the embedded SuperID + NetServer emulator. Fixtures, suites, the CLI and the
 * benchmark depend on these types only; the implementation lives beside this file.
 *
 * Two origins, both HTTPS with certificates from a CA the emulator generates:
 * - SuperID: `superidUrl` (the issuer; OIDC under `/login`, tenant state under `/api/state`,
 *   PartnerSystemUser under `/Login/api/PartnerSystemUser/Authenticate`); tenant API paths here
 *   answer 421 "Wrong subdomain used to access tenant".
 * - NetServer: `tenantOrigin`, REST under `/{ctx}/api/v1/...` (`webapiUrl` = `${tenantOrigin}/${ctx}/api/`).
 *
 * Flows: a browser starts a flow by carrying the flow cookie ({@link Flow.cookie}) on the SuperID
 * origin. The emulator binds the flow to the authorization code it issues, then to the tokens
 * minted for that code, then to every token/refresh/API exchange made with those tokens, so that
 * parallel tests each see only their own traffic ({@link Flow.exchanges}).
 */
import type { AppType } from '../rules/types.ts';
import type { EnvironmentPki } from './pki.ts';
import type { PublicWebhook, WebhookDelivery } from './netserver/webhooks.ts';

export type EnvironmentSlug = 'sod' | 'qaonline' | 'online';

/** Tenant states of the state API (SuperOffice's tenant status API), with their numeric values. */
export const TENANT_STATES = {
  Unknown: 0,
  Provisioning: 1,
  Running: 2,
  Deleted: 3,
  Suspended: 4,
  OnlineMaintenance: 5,
  OfflineMaintenance: 6,
  ProvisioningFailed: 8,
  Deleting: 10,
  DeleteFailed: 11,
  MigrationPending: 12,
} as const;
export type TenantState = keyof typeof TENANT_STATES;

/**
 * Faults applied to one flow's id_token (as returned by the token endpoint, and by the
 * authorize response in implicit/hybrid flows). `valid` is the control.
 */
export const ID_TOKEN_SCENARIOS = [
  'valid',
  'sig-payload-edited',
  'sig-stripped',
  'sig-truncated',
  'sig-unknown-key-unknown-kid',
  'sig-unknown-key-real-kid',
  'alg-none',
  'alg-None',
  'alg-NONE',
  'alg-nOnE',
  'alg-none-no-dot',
  'alg-hs256-public-key-pem',
  'alg-hs256-public-key-jwk',
  'alg-hs256-client-secret',
  'embedded-jwk',
  'jku-header',
  'x5u-header',
  'kid-absent-single-key',
  'kid-injection',
  'crit-unknown',
  'env-key',
  'iss-foreign',
  'iss-other-env',
  'iss-trailing-slash',
  'iss-case',
  'aud-wrong',
  'aud-missing',
  'aud-untrusted-extra',
  'aud-single-element-array',
  'exp-past',
  'exp-missing',
  'nbf-future',
  'iat-missing',
  'nonce-mismatch',
  'nonce-missing',
  'sub-missing',
  'ctx-other-tenant',
  'malformed-two-segments',
  'malformed-garbage-base64',
] as const;
export type IdTokenScenario = (typeof ID_TOKEN_SCENARIOS)[number];

/** Faults applied to NetServer/SuperID answers for one flow's credentials. */
export interface FlowApiFaults {
  /**
   * Each access token this flow got from the authorization-code exchange is rejected with 401
   * after it made this many successful API calls (0 = at once). Tokens from a refresh grant are
   * spared, so refresh-and-retry works.
   */
  accessTokenExpiresAfterCalls?: number;
  /** Refresh grants for this flow's refresh tokens fail with `invalid_grant`. */
  refreshRevoked?: boolean;
  /** The next N API calls of this flow get 429 with `Retry-After: retryAfterSeconds`. */
  throttle?: { calls: number; retryAfterSeconds: number };
  /** The next N API calls of this flow get 503. */
  unavailable?: { calls: number };
  /** API calls of this flow get 500 with a NetServer-style error body. */
  serverError?: boolean;
  /**
   * Sentry for the user of this flow (calls with its access tokens only: the system user is not
   * restricted): `hideContacts` hides those companies and their persons from every list, search
   * and read; `deny` answers every company and person read or write with 403.
   */
  sentry?: { hideContacts?: number[]; deny?: boolean };
  /**
   * A maintenance window in the middle of a write sequence: the flow's write after `afterWrites`
   * successful ones opens it, and for `windowMs` every write of the flow gets 503 with
   * `Retry-After: retryAfterSeconds` (reads still answer, so a page shown after the failed write
   * tells what the app said about it, not that the next read failed too).
   */
  maintenance?: { afterWrites: number; windowMs: number; retryAfterSeconds: number };
}

export interface FlowOptions {
  /** id_token fault; default `valid`. */
  idToken?: IdTokenScenario;
  api?: FlowApiFaults;
  /** Which emulated user the login page expects; the driver reads {@link Flow.user}. Default `admin`. */
  user?: 'admin' | 'user' | 'multiTenant';
  /**
   * Sign in on this tenant, one made for the check ({@link EmulatorHandle.createTenant}), as its
   * administrator or user (`user`); default: the run's tenant.
   */
  tenant?: string;
  /** XSS payloads in claims (`company_name`, names) and in tenant data returned to this flow. */
  xssPayloads?: boolean;
  /**
   * Point `webapi_url`/`netserver_url` claims of this flow at another origin (token exfiltration
   * check); the emulator records whatever reaches it there.
   */
  webapiUrlOverride?: string;
  /**
   * Sign this flow's id_token with this published key instead of SuperID's current one: a
   * key rollover seen by one flow only (see {@link Emulator.rotateSigningKey} `publishOnly`).
   * An unknown kid falls back to the current key.
   */
  signingKid?: string;
  /**
   * The browser arrives with a SuperID session of the flow's user, as a user who signed in to
   * SuperID earlier does: SuperID skips its sign-in page (single sign-on). Tenant choice and
   * consent still show when due, and an authorization request that asks for a fresh sign-in
   * (`prompt=login`, `max_age=0`) still gets the sign-in page. For checks whose subject is what
   * the app does with SuperID's answer, not the sign-in pages. SuperID sets its own session
   * cookie in that browser at this first authorization, as after a sign-in on its page; from
   * then on that cookie is the session (a browser that drops SuperID's cookies is signed out of
   * SuperID).
   */
  superIdSession?: boolean;
}

export interface EmulatedUser {
  username: string;
  password: string;
  associateId: string;
  isAdministrator: boolean;
  tenants: string[];
}

export type EndpointName =
  | 'discovery'
  | 'authorize'
  | 'interaction'
  | 'token'
  | 'jwks'
  | 'logout'
  | 'revoke'
  | 'legacy-login'
  | 'system-user'
  | 'state'
  | 'api'
  | 'api-wrong-host'
  | 'cors-preflight'
  | 'harness-probe'
  | 'certificate'
  | 'outbound'
  | 'mail'
  | 'other';

export type CredentialKind = 'bearer' | 'soticket' | 'basic' | 'client-secret' | 'refresh-token' | 'none';

export interface Exchange {
  seq: number;
  /** ISO time the request arrived. */
  time: string;
  durationMs: number;
  /** `outbound`: the app's (or browser's) request to any other host, seen by the impersonation proxy. */
  origin: 'superid' | 'tenant' | 'outbound';
  endpoint: EndpointName;
  method: string;
  /** Full URL as received (may contain secrets: redact before writing anywhere). */
  url: string;
  path: string;
  query: Record<string, string>;
  requestHeaders: Record<string, string>;
  /** Request body as text, truncated to 64 KiB. Form bodies stay url-encoded. */
  requestBody: string;
  status: number;
  responseHeaders: Record<string, string>;
  responseBody: string;
  /** Flow this exchange belongs to, when the emulator could bind it. */
  flowId?: string;
  credential: CredentialKind;
  /** `browser` when the request carries browser fetch metadata (`Sec-Fetch-*`, `Origin`). */
  from: 'browser' | 'server';
  /** Protocol observations, e.g. `client_secret in query string`, `response_type=token (deprecated)`. */
  notes: string[];
}

export interface Recorder {
  all(): readonly Exchange[];
  forFlow(flowId: string): Exchange[];
  since(seq: number): Exchange[];
  /** Highest seq so far (0 when empty). */
  lastSeq(): number;
  /** Resolves with the first matching exchange recorded after the call, or null after `timeoutMs`. */
  waitFor(predicate: (e: Exchange) => boolean, timeoutMs: number): Promise<Exchange | null>;
  clear(): void;
}

export interface FlowTokens {
  codes: string[];
  accessTokens: string[];
  refreshTokens: string[];
  /** id_tokens exactly as delivered (forged ones included). */
  idTokens: string[];
}

export interface ForgedToken {
  scenario: IdTokenScenario;
  token: string;
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  /** Header/payload member names that the scenario changed. */
  tampered: string[];
  /**
   * Added by the emulator: set when the scenario could not change anything for this token
   * (e.g. `nonce-missing` when the app sent no nonce); such a token is NOT a fault.
   */
  ineffective?: string;
}

export interface Flow {
  id: string;
  options: Required<Pick<FlowOptions, 'idToken' | 'user'>> & FlowOptions;
  user: EmulatedUser;
  /** Cookie for `BrowserContext.addCookies`; binds the browser's next authorize request to this flow. */
  cookie: { name: string; value: string; url: string };
  exchanges(): Exchange[];
  tokens(): FlowTokens;
  /** id_tokens the scenario forged for this flow. */
  forged(): ForgedToken[];
  /**
   * Arm NetServer faults for this flow from now on (replacing earlier ones), e.g. after the
   * sign-in and the session check went through unfaulted. Counted faults (throttle, unavailable)
   * start afresh.
   */
  arm(api: FlowApiFaults): Promise<void>;
}

export interface EmulatorAppRegistration {
  name: string;
  vendor?: string;
  type: AppType;
  /** Generated (32 hex) when absent. */
  clientId?: string;
  /** Generated, unique per run, when absent; never for native apps. */
  clientSecret?: string;
  /** Exact URLs, or regular expressions written `^...$`. */
  redirectUris: string[];
  postLogoutRedirectUris?: string[];
  /** Origins allowed to call NetServer from a browser. */
  corsOrigins?: string[];
}

export interface EmulatorOptions {
  environment: EnvironmentSlug;
  /** Context identifier, `Cust` + digits. */
  tenant: string;
  app: EmulatorAppRegistration;
  /** Folder for the CA file, certificates and (server-to-server) the app's private key. */
  dataDir: string;
  /** Loopback address to bind; default `127.0.0.1`. */
  host?: string;
  /**
   * Answer as SuperOffice's own host names (`https://{env}.superoffice.com`, the tenant on
   * `{env}2`, a move to `{env}3`), reached through the impersonation proxy the emulator starts.
   */
  impersonate?: boolean;
  /** 0 or absent: a free port. */
  superidPort?: number;
  tenantPort?: number;
  accessTokenTtlSeconds?: number;
  idTokenTtlSeconds?: number;
  /** How far ahead the state API's `ValidUntil` lies, in seconds (default 600). */
  stateValidSeconds?: number;
  /** Called with one line per notable event (startup, errors); never with secrets. */
  log?: (line: string) => void;
  /**
   * The CA chain, signing key and TLS certificate to use (e.g. restored from the standalone
   * emulator's state folder, see src/emulator/state.ts); generated when absent.
   */
  pki?: EnvironmentPki;
  /** Server-to-server apps: the app's RSA private key (PKCS#8 PEM) to register; generated when absent. */
  appPrivateKeyPem?: string;
  /**
   * Serve the control API (src/emulator/control.ts) on the SuperID origin for this bearer
   * token, so the workers of one run share this emulator. `app` reports the app process the
   * run started, when there is one.
   */
  control?: {
    token: string;
    app?: () =>
      { exit(): { code: number | null; reason: string } | undefined; output(): string[] } | undefined;
  };
}

export interface GlobalFaults {
  tenantState?: TenantState;
  /** JWKS answers 503 (fail-closed check). */
  jwksUnavailable?: boolean;
  /** The tenant moved: the old tenant origin answers 421; the state API names the new one. */
  tenantMoved?: boolean;
  /**
   * A silent move: the tenant moves right after the next state API answer (which still names
   * the old host), so the app's next call with that answer meets the 421.
   */
  tenantMovesAfterStateCheck?: boolean;
  consentRevoked?: boolean;
  /** Forge the JWT returned by PartnerSystemUser. */
  systemUserJwt?: 'valid' | 'bad-signature' | 'wrong-issuer' | 'wrong-audience' | 'expired' | 'alg-none';
  /** Each system-user ticket is rejected with 401 after it made this many successful API calls. */
  ticketExpiresAfterCalls?: number;
  /** The next `calls` API calls made with a system-user ticket get 429 with Retry-After. */
  systemUserThrottle?: { calls: number; retryAfterSeconds: number };
  /**
   * The partner replaced the client secret in the Developer Portal (delete, then create): the
   * secret the app holds is refused at the token endpoint (401 `invalid_client`) and as
   * PartnerSystemUser's `ApplicationToken` ("Denied").
   */
  secretReplaced?: boolean;
}

/** What can change for one tenant alone: its state, its host, and the app's consent there. */
export type TenantFaults = Pick<
  GlobalFaults,
  'tenantState' | 'tenantMoved' | 'tenantMovesAfterStateCheck' | 'consentRevoked'
>;

/**
 * A tenant made for one check ({@link Emulator.createTenant}): its own administrator and user,
 * running on the first host, not yet consented. Nobody else signs in there.
 */
export interface OwnTenant {
  ctx: string;
  companyName: string;
  users: { admin: EmulatedUser; user: EmulatedUser };
}

export interface ProxyStats {
  tunnels: { app: number; browser: number };
  /** Other hosts each client asked for (first 20). */
  otherHosts: { app: string[]; browser: string[] };
}

export interface Emulator {
  readonly environment: EnvironmentSlug;
  readonly tenant: string;
  /** Issuer and SuperID origin, e.g. `https://127.0.0.1:41234` (no trailing slash). */
  readonly superidUrl: string;
  /**
   * Where the SuperID listener really is (`https://127.0.0.2:41234`): the control API's origin.
   * Equal to {@link superidUrl} unless the emulator impersonates SuperOffice's hosts.
   */
  readonly controlUrl: string;
  /** The impersonation proxy, when the emulator answers as SuperOffice's own hosts. */
  readonly proxy?: {
    readonly appUrl: string;
    readonly browserUrl: string;
    tunnels(client: 'app' | 'browser'): number;
    otherHosts(client: 'app' | 'browser'): string[];
  };
  readonly tenantOrigin: string;
  /**
   * The mail sink: an HTTP mail API (`POST {mailUrl}/...`, any path and body) that accepts and
   * records every message as a `mail` exchange and sends nothing on (GDPR-EMARKETING).
   */
  readonly mailUrl: string;
  /** `webapi_url` claim value, with trailing slash. */
  readonly webapiUrl: string;
  readonly caFile: string;
  readonly caPem: string;
  /** Lifetime of the access tokens SuperID issues, in seconds. */
  readonly accessTokenTtlSeconds: number;
  readonly client: { id: string; secret: string | undefined };
  /** PEM file of the app's RSA private key (server-to-server apps); its public key is registered. */
  readonly privateKeyFile: string | undefined;
  readonly users: { admin: EmulatedUser; user: EmulatedUser; multiTenant: EmulatedUser };
  readonly recorder: Recorder;
  createFlow(options?: FlowOptions): Flow;
  getFlow(id: string): Flow | undefined;
  /** Current global faults; {@link reset} clears them. */
  setFaults(faults: GlobalFaults): void;
  /**
   * A new tenant for one check, so a check that changes a tenant's state, host or consent does
   * it where checks running beside it never look. {@link reset} leaves these tenants alone.
   */
  createTenant(): OwnTenant;
  /**
   * Change the state, host or consent of a tenant made by {@link createTenant} (fields not given
   * stay); revoking consent there revokes the credentials issued for that tenant alone.
   */
  setTenantFaults(tenant: string, faults: TenantFaults): void;
  /**
   * Generate a new signing key and publish it in JWKS (old key kept unless `dropOld`). It signs
   * from now on, unless `publishOnly`: then only flows created with its kid as
   * {@link FlowOptions.signingKid} are signed with it, and every other flow is unaffected.
   */
  rotateSigningKey(options?: { dropOld?: boolean; publishOnly?: boolean }): Promise<{ kid: string }>;
  /**
   * Clear global faults and the tenant state back to Running (keys and recorded traffic stay).
   * Also forgets remembered consent (so an administrator sees the consent page again) unless
   * `keepConsent` is true (option added by the emulator). `newRun`: a new check run starts on a
   * long-lived emulator (attach mode): only the original signing key is published again and the
   * recorded traffic of earlier runs is dropped.
   */
  reset(options?: { keepConsent?: boolean; restoreKeys?: boolean; newRun?: boolean }): void;
  /**
   * Every secret value issued or known so far: client secret, private key PEM (and its base64
   * body), user passwords, codes, access/refresh tokens, id_tokens, system tokens and tickets.
   * The redactor uses this list; it grows as the run goes on.
   */
  secrets(): string[];
  /** Expire every system-user ticket issued so far (the next call with one gets 401); new ones work. */
  expireTickets(): void;
  /**
   * A tenant state-change notification (SuperOffice's state-change webhook) as SuperOffice would POST it to the
   * app's State Change URL: `{ChangeType, ContextIdentifier, VersionName, FileVersion, Token,
   * PublicEndpoint?}`. `Token` is a JWT signed with the environment key (kid in JWKS), `iss` =
   * superidUrl (as the only SuperOffice sample validates), `aud` = client id, claim
   * `http://schemes.superoffice.net/identity/ctx` = tenant, `exp` = now + 300 s. `forge` makes the
   * token invalid in one way (the app must then not act and should answer 4xx). `tenant`: the
   * tenant it is about (default: the run's).
   */
  stateChangeNotification(options: {
    changeType: 0 | 1 | 2 | 3 | 4 | 5;
    tenant?: string;
    forge?: 'bad-signature' | 'wrong-issuer' | 'wrong-audience' | 'expired' | 'alg-none' | 'unknown-key';
  }): Promise<Record<string, unknown>>;
  /**
   * The webhooks the app registered in the run's tenant (`v1/Webhook`), without their secrets.
   */
  webhooks(): Promise<PublicWebhook[]>;
  /**
   * A user changes a record of the run's tenant: the change goes into the travel transaction log
   * and every active webhook subscribed to `{entity}.{event}` gets it (signed with its secret).
   * Resolves with each delivery's outcome once the targets have answered (5 s bound each).
   */
  changeRecord(change: {
    entity: 'contact' | 'person';
    event: 'created' | 'changed' | 'deleted';
    id: number;
    changes?: string[];
  }): Promise<WebhookDelivery[]>;
  stop(): Promise<void>;
}

export type StartEmulator = (options: EmulatorOptions) => Promise<Emulator>;

/**
 * What a check worker holds: the run's one emulator, reached through its control API. Reads come
 * from a mirror of the emulator's record ({@link EmulatorHandle.sync} brings it up to date);
 * changes are requests.
 */
export interface EmulatorHandle extends Pick<
  Emulator,
  | 'environment'
  | 'tenant'
  | 'superidUrl'
  | 'tenantOrigin'
  | 'mailUrl'
  | 'webapiUrl'
  | 'caFile'
  | 'caPem'
  | 'accessTokenTtlSeconds'
  | 'client'
  | 'privateKeyFile'
  | 'users'
  | 'recorder'
  | 'secrets'
  | 'rotateSigningKey'
  | 'stateChangeNotification'
  | 'webhooks'
  | 'changeRecord'
> {
  createFlow(options?: FlowOptions): Promise<Flow>;
  setFaults(faults: GlobalFaults): Promise<void>;
  createTenant(): Promise<OwnTenant>;
  setTenantFaults(tenant: string, faults: TenantFaults): Promise<void>;
  /**
   * Clear global faults and tenant state; `restoreKeys`: SuperID signs with its original key
   * again, every key used so far staying published (so apps that refetched keep working).
   */
  reset(options?: { keepConsent?: boolean; restoreKeys?: boolean; newRun?: boolean }): Promise<void>;
  expireTickets(): Promise<void>;
  /** Resolves once the mirror holds every exchange the emulator had recorded at the call. */
  sync(): Promise<void>;
  /**
   * Hold the run `shared` (ordinary checks) or `exclusive` (checks that change what every flow
   * sees: keys, faults, tenant state, consent); resolves with the release function.
   */
  lock(mode: 'shared' | 'exclusive'): Promise<() => Promise<void>>;
  /** What the impersonation proxy saw: tunnels each client opened to the emulator's hosts. */
  proxyStats(): Promise<ProxyStats | undefined>;
  /** The app process the run started: whether it exited, and its output lines from `from` on. */
  app(from?: number): Promise<{
    attached: boolean;
    exit: { code: number | null; reason: string } | null;
    output: string[];
    total: number;
  }>;
}
