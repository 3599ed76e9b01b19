/**
 * Shared state of one emulator: users, tenants, flows, issued credentials, consent, faults,
 * keys and secrets. Both origins (SuperID, NetServer) read and write it.
 */
import { randomBytes } from 'node:crypto';
import type {
  EmulatedUser,
  EmulatorOptions,
  Exchange,
  Flow,
  FlowApiFaults,
  FlowOptions,
  FlowTokens,
  ForgedToken,
  GlobalFaults,
  OwnTenant,
  TenantFaults,
  TenantState,
} from './types.ts';
import { MemoryRecorder } from './recorder.ts';
import { Webhooks } from './netserver/webhooks.ts';
import { SystemMessages } from './netserver/system-messages.ts';
import type { OutboundRequest } from './proxy.ts';
import { createEnvironmentPki, type EnvironmentPki, type SigningKey } from './pki.ts';
import { halfHash, mintIdToken, SO_CLAIM, type JsonObject } from './scenarios.ts';

export const FLOW_COOKIE = 'so_preflight_flow';
/** The run's own users. */
export type StandardUserKey = 'admin' | 'user' | 'multiTenant';
/**
 * A user: one of the run's own ({@link StandardUserKey}), or `admin@CustNNNNN` / `user@CustNNNNN`,
 * the administrator and user of a tenant made for one check ({@link EmulatorCore.createTenant}).
 */
export type UserKey = string;

/** A tenant's licence serial (the `serial` claim), derived from its number. */
function serialOf(ctx: string): string {
  return String(1800000000 + (Number(ctx.replace(/\D/g, '')) % 99999999));
}

const OWN_TENANT_NAMES = [
  'Havbris Shipping',
  'Solglimt Design',
  'Skogly Bygg',
  'Fjordlys Media',
  'Nordkapp Fisk',
];

export interface TenantInfo {
  ctx: string;
  companyName: string;
  serial: string;
}

export interface AccessRecord {
  flowId: string | undefined;
  userKey: UserKey;
  tenant: string;
  exp: number;
  revoked: boolean;
  issuedAt: number;
  /** Successful API calls made with this token (for `accessTokenExpiresAfterCalls`). */
  calls?: number;
  /** Minted by a refresh grant (the expiry fault spares these, so refresh-and-retry works). */
  fromRefresh?: boolean;
}
export interface RefreshRecord {
  flowId: string | undefined;
  userKey: UserKey;
  tenant: string;
  revoked: boolean;
  issuedAt: number;
}
export interface TicketRecord {
  flowId: string | undefined;
  tenant: string;
  /** Sliding expiry (ms). */
  expiresAt: number;
  /** Successful API calls made with this ticket (for `ticketExpiresAfterCalls`). */
  calls?: number;
}

export class FlowImpl implements Flow {
  readonly id: string;
  readonly options: Flow['options'];
  readonly user: EmulatedUser;
  readonly cookie: Flow['cookie'];
  readonly issued: FlowTokens = { codes: [], accessTokens: [], refreshTokens: [], idTokens: [] };
  readonly forgedTokens: ForgedToken[] = [];
  /** Successful API calls so far, and of them the writes (POST, PUT, PATCH, DELETE). */
  apiCalls = 0;
  writes = 0;
  /**
   * Whether SuperID has used the browser's session of {@link FlowOptions.superIdSession}: once it
   * has, SuperID's own session cookie in that browser stands for it, as after a sign-in on the page.
   */
  superIdSessionUsed = false;
  /** End of this flow's maintenance window (epoch ms; 0: not opened yet). */
  maintenanceUntil = 0;
  throttleLeft: number;
  unavailableLeft: number;
  readonly #recorder: MemoryRecorder;

  constructor(
    id: string,
    options: FlowOptions,
    user: EmulatedUser,
    superidUrl: string,
    recorder: MemoryRecorder,
  ) {
    this.id = id;
    this.options = { ...options, idToken: options.idToken ?? 'valid', user: options.user ?? 'admin' };
    this.user = user;
    this.cookie = { name: FLOW_COOKIE, value: id, url: superidUrl };
    this.throttleLeft = options.api?.throttle?.calls ?? 0;
    this.unavailableLeft = options.api?.unavailable?.calls ?? 0;
    this.#recorder = recorder;
  }
  exchanges(): Exchange[] {
    return this.#recorder.forFlow(this.id);
  }
  tokens(): FlowTokens {
    return {
      codes: [...this.issued.codes],
      accessTokens: [...this.issued.accessTokens],
      refreshTokens: [...this.issued.refreshTokens],
      idTokens: [...this.issued.idTokens],
    };
  }
  forged(): ForgedToken[] {
    return this.forgedTokens.map((f) => ({ ...f }));
  }
  async arm(api: FlowApiFaults): Promise<void> {
    this.options.api = { ...api };
    this.writes = 0;
    this.maintenanceUntil = 0;
    this.throttleLeft = api.throttle?.calls ?? 0;
    this.unavailableLeft = api.unavailable?.calls ?? 0;
  }
}

function password(): string {
  return `Pw-${randomBytes(12).toString('base64url')}`;
}

export function otherTenantOf(tenant: string): string {
  const n = Number(tenant.replace(/^Cust/i, '')) || 12345;
  return `Cust${n + 1}`;
}

export class EmulatorCore {
  readonly options: EmulatorOptions;
  readonly recorder = new MemoryRecorder();
  readonly tenant: string;
  readonly otherTenant: string;
  readonly tenants = new Map<string, TenantInfo>();
  readonly users: Record<StandardUserKey, EmulatedUser>;
  /** The users of the tenants made for one check, by key (`admin@CustNNNNN`). */
  readonly ownTenantUsers = new Map<UserKey, EmulatedUser>();
  /** The faults of the tenants made for one check, by ctx (the run's tenant's are in `faults`). */
  readonly tenantFaults = new Map<string, TenantFaults>();
  readonly client: { id: string; secret: string | undefined };
  readonly accessTtl: number;
  readonly idTtl: number;
  pki!: EnvironmentPki;
  /** Published keys, in JWKS order. */
  keys: SigningKey[] = [];
  /** The published key SuperID signs with (the last one when unset or no longer published). */
  signingKid = '';
  otherEnvPki: Promise<EnvironmentPki> | undefined;
  superidUrl = '';
  tenantOrigin = '';
  /** Where the tenant lives after `tenantMoved`. */
  movedTenantOrigin = '';
  /** The mail sink's base URL, on the tenant listener's loopback address (see Emulator.mailUrl). */
  mailUrl = '';
  privateKeyFile: string | undefined;
  appPublicKeyPem: string | undefined;

  faults: GlobalFaults = {};
  readonly flows = new Map<string, FlowImpl>();
  readonly consents = new Set<string>();
  /**
   * The web panels the app saved (`Agents/List/SaveWebPanel`), by id, until it deletes them: the
   * only tenant metadata an app's provisioning changes that the emulator keeps, for the whole run.
   */
  readonly webPanels = new Map<number, Record<string, unknown>>();
  /** The system messages apps sent users (`Agents/Diagnostics/*`), for the whole run. */
  readonly systemMessages = new SystemMessages();
  /** The tenants' webhooks (`v1/Webhook`) and change log, kept for the whole run like web panels. */
  readonly webhooks: Webhooks;
  readonly codes = new Map<string, string | undefined>();
  readonly redeemedCodes = new Set<string>();
  /** S256 challenge stored by the provider -> method the app asked for. */
  readonly pkceMethods = new Map<string, 'plain' | 'S256'>();
  readonly accessTokens = new Map<string, AccessRecord>();
  readonly refreshTokens = new Map<string, RefreshRecord>();
  readonly tickets = new Map<string, TicketRecord>();
  readonly systemTokens = new Map<string, string>();
  ticketCalls = 0;
  readonly #secrets = new Set<string>();

  constructor(options: EmulatorOptions) {
    this.options = options;
    this.tenant = options.tenant;
    this.otherTenant = otherTenantOf(options.tenant);
    this.accessTtl = options.accessTokenTtlSeconds ?? 3600;
    this.idTtl = options.idTokenTtlSeconds ?? 300;
    this.tenants.set(this.tenant, {
      ctx: this.tenant,
      companyName: 'Nordlys Consulting AS',
      serial: serialOf(this.tenant),
    });
    this.tenants.set(this.otherTenant, {
      ctx: this.otherTenant,
      companyName: 'Fjellvind Trading AS',
      serial: serialOf(this.otherTenant),
    });
    const domain = `${this.tenant.toLowerCase()}.so-preflight.test`;
    this.users = {
      admin: {
        username: `admin@${domain}`,
        password: password(),
        associateId: '5',
        isAdministrator: true,
        tenants: [this.tenant],
      },
      user: {
        username: `user@${domain}`,
        password: password(),
        associateId: '7',
        isAdministrator: false,
        tenants: [this.tenant],
      },
      multiTenant: {
        username: `multi@${domain}`,
        password: password(),
        associateId: '9',
        isAdministrator: true,
        tenants: [this.tenant, this.otherTenant],
      },
    };
    const isNative = options.app.type === 'native';
    this.client = {
      id: options.app.clientId ?? randomBytes(16).toString('hex'),
      secret: isNative ? undefined : (options.app.clientSecret ?? randomBytes(32).toString('base64url')),
    };
    if (this.client.secret) this.addSecret(this.client.secret);
    for (const u of Object.values(this.users)) this.addSecret(u.password);
    this.webhooks = new Webhooks(this, [this.tenant, this.otherTenant]);
  }

  async init(): Promise<void> {
    this.pki = this.options.pki ?? (await createEnvironmentPki(this.options.environment));
    this.keys = [this.pki.signing];
    this.signingKid = this.pki.signing.kid;
  }

  get signing(): SigningKey {
    return this.keys.find((k) => k.kid === this.signingKid) ?? this.keys[this.keys.length - 1]!;
  }

  log(line: string): void {
    try {
      this.options.log?.(line);
    } catch {
      // a failing logger must not break the emulator
    }
  }

  addSecret(v: string | undefined): void {
    if (v && v.length >= 6) this.#secrets.add(v);
  }
  secrets(): string[] {
    return [...this.#secrets];
  }

  /**
   * Records a request the impersonation proxy saw going to another host. It is bound to the flow
   * whose access token or ticket it carries (anywhere: header, URL or body), so a check sees it.
   */
  recordOutbound(r: OutboundRequest): void {
    const haystack = `${r.url}\n${Object.values(r.requestHeaders).join('\n')}\n${r.requestBody}`;
    const credentials = [...this.accessTokens, ...this.tickets];
    const flowId = credentials.find(([value, rec]) => rec.flowId && haystack.includes(value))?.[1].flowId;
    const url = new URL(r.url);
    this.recorder.add({
      time: r.time,
      durationMs: r.durationMs,
      origin: 'outbound',
      endpoint: 'outbound',
      method: r.method,
      url: r.url,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      requestHeaders: r.requestHeaders,
      requestBody: r.requestBody,
      status: r.status,
      responseHeaders: {},
      responseBody: '',
      ...(flowId ? { flowId } : {}),
      credential: 'none',
      from: r.client === 'browser' ? 'browser' : 'server',
      notes: [`outbound to ${r.host}${r.error ? ` (not reached: ${r.error})` : ''}`],
    });
  }

  webapiUrlFor(tenant: string, origin = this.currentTenantOrigin(tenant)): string {
    return `${origin}/${tenant}/api/`;
  }
  /** Where `tenant` (default: the run's) lives now: its first host, or the standby after a move. */
  currentTenantOrigin(tenant = this.tenant): string {
    return this.faultsOf(tenant).tenantMoved ? this.movedTenantOrigin : this.tenantOrigin;
  }

  /** The state and host faults of `tenant`: the run's tenant's are part of the global faults. */
  faultsOf(tenant: string): TenantFaults {
    return tenant === this.tenant ? this.faults : (this.tenantFaults.get(tenant) ?? {});
  }

  /**
   * Change the state or host of a tenant made for one check: the fields given replace theirs,
   * the others stay (the run's tenant changes with {@link setFaults}).
   */
  setTenantFaults(tenant: string, f: TenantFaults): void {
    const current = this.tenantFaults.get(tenant);
    if (!current) throw new Error(`no tenant ${tenant} was made for a check`);
    if (f.consentRevoked && !current.consentRevoked) {
      this.ownConsentRevokedAt.set(tenant, Date.now());
      this.consents.delete(tenant);
    }
    this.tenantFaults.set(tenant, { ...current, ...f });
  }

  /** `tenant` moves to the standby host now (the silent move after a state answer). */
  moveNow(tenant: string): void {
    if (tenant === this.tenant) this.faults = { ...this.faults, tenantMoved: true };
    else if (this.tenantFaults.has(tenant)) this.setTenantFaults(tenant, { tenantMoved: true });
  }

  tenantState(tenant: string): TenantState {
    if (!this.tenants.has(tenant)) return 'Unknown';
    return this.faultsOf(tenant).tenantState ?? 'Running';
  }

  /**
   * A new tenant for one check, with its own administrator and user, running on the first host
   * and not yet consented: a check that changes a tenant's state, host or consent does it there,
   * so checks running beside it never see the change.
   */
  createTenant(): OwnTenant {
    const base = Number(this.tenant.replace(/^Cust/i, '')) || 12345;
    let n = this.tenantFaults.size;
    let ctx: string;
    do ctx = `Cust${base + 100 + ++n}`;
    while (this.tenants.has(ctx));
    const companyName = `${OWN_TENANT_NAMES[n % OWN_TENANT_NAMES.length]} ${n} AS`;
    this.tenants.set(ctx, { ctx, companyName, serial: serialOf(ctx) });
    this.tenantFaults.set(ctx, {});
    const domain = `${ctx.toLowerCase()}.so-preflight.test`;
    const users = {
      admin: {
        username: `admin@${domain}`,
        password: password(),
        associateId: '5',
        isAdministrator: true,
        tenants: [ctx],
      },
      user: {
        username: `user@${domain}`,
        password: password(),
        associateId: '7',
        isAdministrator: false,
        tenants: [ctx],
      },
    };
    this.ownTenantUsers.set(`admin@${ctx}`, users.admin);
    this.ownTenantUsers.set(`user@${ctx}`, users.user);
    this.addSecret(users.admin.password);
    this.addSecret(users.user.password);
    return { ctx, companyName, users };
  }

  /** The user of a key (the run's own, or of a tenant made for one check), if there is one. */
  userByKey(key: UserKey): EmulatedUser | undefined {
    return Object.hasOwn(this.users, key) ? this.users[key as StandardUserKey] : this.ownTenantUsers.get(key);
  }

  /** The user of a key the emulator handed out itself. */
  userOf(key: UserKey): EmulatedUser {
    const u = this.userByKey(key);
    if (!u) throw new Error(`unknown user ${key}`);
    return u;
  }

  /** The users a tenant's data names (its associates): its own, or the run's. */
  usersOfTenant(tenant: string): Record<StandardUserKey, EmulatedUser> {
    const admin = this.ownTenantUsers.get(`admin@${tenant}`);
    const user = this.ownTenantUsers.get(`user@${tenant}`);
    return admin && user ? { ...this.users, admin, user } : this.users;
  }

  /** The key of the user a flow signs in as. */
  userKeyOf(options: FlowOptions): UserKey {
    const role = options.user ?? 'admin';
    return options.tenant && role !== 'multiTenant' ? `${role}@${options.tenant}` : role;
  }

  userByName(username: string): [UserKey, EmulatedUser] | undefined {
    const lower = username.trim().toLowerCase();
    for (const [k, u] of [...Object.entries(this.users), ...this.ownTenantUsers]) {
      if (u.username.toLowerCase() === lower) return [k, u];
    }
    return undefined;
  }

  createFlow(options: FlowOptions = {}): FlowImpl {
    if (options.tenant && !this.tenantFaults.has(options.tenant))
      throw new Error(`no tenant ${options.tenant} was made for a check`);
    const id = `flow-${randomBytes(9).toString('base64url')}`;
    const f = new FlowImpl(id, options, this.userOf(this.userKeyOf(options)), this.superidUrl, this.recorder);
    this.flows.set(id, f);
    return f;
  }

  flowOf(id: string | undefined): FlowImpl | undefined {
    return id ? this.flows.get(id) : undefined;
  }

  /** System-user calls still to be throttled ({@link GlobalFaults.systemUserThrottle}). */
  systemThrottleLeft = 0;

  /** Time `consentRevoked` was set (ms), or 0. */
  consentRevokedAt = 0;

  /** When a tenant made for one check revoked the app's consent (ms), by ctx. */
  readonly ownConsentRevokedAt = new Map<string, number>();

  /**
   * True when the app's consent was revoked after a credential for `tenant` issued at `issuedAt`:
   * by the global fault (whatever the tenant, as before tenants were made for checks), or by the
   * tenant made for one check that the credential is for.
   */
  isRevokedByConsent(tenant: string, issuedAt: number): boolean {
    if (this.faults.consentRevoked && issuedAt <= this.consentRevokedAt) return true;
    const own = this.ownConsentRevokedAt.get(tenant);
    return own !== undefined && !!this.tenantFaults.get(tenant)?.consentRevoked && issuedAt <= own;
  }

  /** True when system-user tickets for `tenant` no longer work: consent revoked and not given again. */
  ticketsRevokedByConsent(tenant: string): boolean {
    return (
      (!!this.faults.consentRevoked || !!this.tenantFaults.get(tenant)?.consentRevoked) &&
      !this.consents.has(tenant)
    );
  }

  setFaults(f: GlobalFaults): void {
    if (f.consentRevoked && !this.faults.consentRevoked) {
      this.consentRevokedAt = Date.now();
      this.consents.delete(this.tenant);
    }
    if (f.ticketExpiresAfterCalls !== this.faults.ticketExpiresAfterCalls) this.ticketCalls = 0;
    this.systemThrottleLeft = f.systemUserThrottle?.calls ?? 0;
    this.faults = { ...f };
  }

  systemTokenFor(tenant: string): string {
    let t = this.systemTokens.get(tenant);
    if (!t) {
      t = `${this.options.app.name}-${randomBytes(8).toString('base64url')}`;
      this.systemTokens.set(tenant, t);
      this.addSecret(t);
    }
    return t;
  }

  /** Issues a NetServer access token (`8A:{ctx}.{random}`) bound to the flow. */
  issueAccessToken(rec: Omit<AccessRecord, 'exp' | 'revoked'>): string {
    const token = `8A:${rec.tenant}.${randomBytes(48).toString('base64')}`;
    this.accessTokens.set(token, { ...rec, exp: Date.now() + this.accessTtl * 1000, revoked: false });
    this.addSecret(token);
    this.flowOf(rec.flowId)?.issued.accessTokens.push(token);
    return token;
  }

  /** The correct SuperOffice id_token claims for a user on a tenant. */
  idTokenClaims(args: {
    userKey: UserKey;
    tenant: string;
    nonce?: string | undefined;
    accessToken?: string | undefined;
    code?: string | undefined;
    flow?: FlowImpl | undefined;
  }): JsonObject {
    const u = this.userOf(args.userKey);
    const t = this.tenants.get(args.tenant) ?? { ctx: args.tenant, companyName: 'Unknown', serial: '0' };
    const xss = !!args.flow?.options.xssPayloads;
    const override = args.flow?.options.webapiUrlOverride;
    const origin = this.currentTenantOrigin(t.ctx);
    const webapi = override ?? this.webapiUrlFor(t.ctx, origin);
    const netserver = override
      ? override.replace(/\/?$/, '/Remote/Services88/')
      : `${origin}/${t.ctx}/Remote/Services88/`;
    const iat = Math.floor(Date.now() / 1000);
    const initials = u.username.slice(0, 2).toUpperCase();
    const p: JsonObject = {
      sub: u.username,
      [`${SO_CLAIM}associateid`]: u.associateId,
      [`${SO_CLAIM}identityprovider`]: 'central-superid',
      [`${SO_CLAIM}email`]: u.username,
      [`${SO_CLAIM}upn`]: u.username,
      [`${SO_CLAIM}is_administrator`]: u.isAdministrator ? 'True' : 'False',
      [`${SO_CLAIM}ctx`]: t.ctx,
      [`${SO_CLAIM}company_name`]: xss ? `${t.companyName} ${XSS_PAYLOAD}` : t.companyName,
      [`${SO_CLAIM}serial`]: t.serial,
      [`${SO_CLAIM}netserver_url`]: netserver,
      [`${SO_CLAIM}webapi_url`]: webapi,
    };
    if (this.options.app.type === 'server-to-server' && u.isAdministrator) {
      p[`${SO_CLAIM}system_token`] = this.systemTokenFor(t.ctx);
    }
    Object.assign(p, {
      iat,
      [`${SO_CLAIM}initials`]: xss ? `${initials}${XSS_PAYLOAD}` : initials,
      [`${SO_CLAIM}so_primary_email_address`]: u.username,
    });
    if (args.nonce !== undefined) p['nonce'] = args.nonce;
    if (args.accessToken) p['at_hash'] = halfHash(args.accessToken);
    if (args.code) p['c_hash'] = halfHash(args.code);
    Object.assign(p, { nbf: iat - 60, exp: iat + this.idTtl, iss: this.superidUrl, aud: this.client.id });
    return p;
  }

  async otherEnvKey(): Promise<SigningKey> {
    const other = this.options.environment === 'online' ? 'sod' : 'online';
    this.otherEnvPki ??= createEnvironmentPki(other, 'other-');
    return (await this.otherEnvPki).signing;
  }

  otherEnvIssuer(): string {
    return this.options.environment === 'online'
      ? 'https://sod.superoffice.com'
      : 'https://online.superoffice.com';
  }

  /** Builds, forges per the flow's scenario, records and returns the id_token. */
  async issueIdToken(args: Parameters<EmulatorCore['idTokenClaims']>[0]): Promise<string> {
    const payload = this.idTokenClaims(args);
    const flow = args.flow;
    const scenario = flow?.options.idToken ?? 'valid';
    const other = this.otherTenant === args.tenant ? this.tenant : this.otherTenant;
    const otherUser = this.userOf(args.userKey).isAdministrator ? this.users.user : this.users.admin;
    const kid = flow?.options.signingKid;
    const minted = await mintIdToken(scenario, payload, {
      signing: (kid && this.keys.find((k) => k.kid === kid)) || this.signing,
      otherEnvKey: () => this.otherEnvKey(),
      issuer: this.superidUrl,
      otherEnvIssuer: this.otherEnvIssuer(),
      clientId: this.client.id,
      clientSecret: this.client.secret,
      superidUrl: this.superidUrl,
      flowId: flow?.id ?? 'none',
      otherTenant: {
        ctx: other,
        webapiUrl: this.webapiUrlFor(other),
        netserverUrl: `${this.currentTenantOrigin(other)}/${other}/Remote/Services88/`,
      },
      otherUser: { sub: otherUser.username, associateId: otherUser.associateId },
    });
    this.addSecret(minted.token);
    if (flow) {
      flow.issued.idTokens.push(minted.token);
      if (scenario !== 'valid') {
        const f: ForgedToken = {
          scenario,
          token: minted.token,
          header: minted.header,
          payload: minted.payload,
          tampered: minted.tampered,
        };
        if (minted.ineffective) f.ineffective = minted.ineffective;
        flow.forgedTokens.push(f);
      }
    }
    return minted.token;
  }
}

export const XSS_PAYLOAD = '<img src=x onerror="window.__soPreflightXss=1">';
