/**
 * Acme Sync: a server-to-server SuperOffice app. A tenant administrator installs it once by
 * signing in (the id_token carries the tenant's system token); from then on it works as the
 * tenant's system user. Start: `node server.ts` with the variables listed in README.md.
 */
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import type { Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { loadConfig } from './config.ts';
import type { AppConfig } from './config.ts';
import { html, page, raw } from './html.ts';
import type { Raw } from './html.ts';
import { createLogger } from './log.ts';
import type { Logger } from './log.ts';
import {
  InvalidTokenError,
  SignInError,
  SuperOffice,
  SystemUserError,
  validWebhookSignature,
} from './superoffice.ts';
import type { SystemUserRequest, SystemUserTicket } from './superoffice.ts';
import { CHANGE_TYPES, TenantStore } from './tenants.ts';
import type { Tenant } from './tenants.ts';

/** purge-stale: how many of the listed companies the "ERP" knows. */
const ERP_COMPANIES = 5;

export const CONTACT_SEARCH = 'v1/Contact?$select=contactId,name&$orderby=contactId&$top=50';
/** Where SuperOffice delivers the contact events of the webhook registered at install. */
export const EVENTS_PATH = '/superoffice/events';
const WEBHOOK_NAME = 'Acme Sync contacts';
const WEBHOOK_EVENTS = ['contact.created', 'contact.changed'];
/** The whole registration (list, delete stale, register: SuperOffice tests the target meanwhile). */
const WEBHOOK_REGISTRATION_MS = 15_000;
/** polls-transaction-log: contacts fetched per sync. */
const POLLED_CONTACTS = 5;

/** polls-transaction-log: the changes logged after `since` (ISO 8601), oldest first. */
export function travelLogSearch(since: string): string {
  const filter = encodeURIComponent(`ttime gt '${since}'`);
  return `v1/archive/TravelTransactionLog?$select=travelTransactionLogId,tableName,recordId,mode,ttime&$filter=${filter}&$orderby=travelTransactionLogId&$top=100`;
}

const SESSION_COOKIE = 'acme-sync.sid';
const TX_COOKIE = 'acme-sync.tx';
const COOKIE = { path: '/', httpOnly: true, secure: true, sameSite: 'lax' } as const;

interface AdminSession {
  sub: string;
  name: string;
  ctx: string;
  createdAt: number;
}

interface PendingSignIn {
  state: string;
  nonce: string;
  codeVerifier: string;
  returnUrl: string;
  createdAt: number;
}

function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function safeReturnUrl(value: unknown): string {
  // eslint-disable-next-line no-control-regex -- control characters in a return path are refused on purpose
  if (typeof value !== 'string' || !/^\/(?![/\\])/.test(value) || /[\u0000-\u001f\\]/.test(value)) return '/';
  return value;
}

function errorPage(res: Response, status: number, title: string, reason: string, extra?: Raw): void {
  res
    .status(status)
    .type('html')
    .send(
      page(
        title,
        html`<section class="error">
            <h1>${title}</h1>
            <p>${reason}</p>
          </section>
          ${extra ?? raw('')}
          <p><a href="/">Back to Acme Sync</a></p>`,
      ),
    );
}

class SyncFailure extends Error {
  readonly status: number;
  readonly reason: string;
  readonly retryAfter: string | undefined;
  /** What the tenant API answered, when the failure is its answer. */
  readonly upstream: number | undefined;
  constructor(status: number, reason: string, retryAfter?: string, upstream?: number) {
    super(reason);
    this.name = 'SyncFailure';
    this.status = status;
    this.reason = reason;
    this.retryAfter = retryAfter;
    this.upstream = upstream;
  }
}

/** What a log line may say about a failed call: a status or an error name, never a message. */
function failureOf(err: unknown): string | number {
  if (err instanceof SyncFailure) return err.upstream ?? err.reason;
  return err instanceof Error ? err.name : 'unknown';
}

interface WebhookInfo {
  WebhookId?: unknown;
  TargetUrl?: unknown;
  State?: unknown;
}

function webhookIdOf(w: WebhookInfo): number | undefined {
  return typeof w.WebhookId === 'number' && Number.isInteger(w.WebhookId) && w.WebhookId > 0
    ? w.WebhookId
    : undefined;
}

function sameUrl(a: unknown, b: string): boolean {
  return typeof a === 'string' && URL.canParse(a) && new URL(a).href === new URL(b).href;
}

export function createApp(config: AppConfig, log: Logger): { app: express.Express; close: () => void } {
  const so = new SuperOffice(config, log);
  const tenants = new TenantStore();
  const sessions = new Map<string, AdminSession>();
  const pending = new Map<string, PendingSignIn>();
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const [id, s] of sessions) if (now - s.createdAt > 8 * 3600_000) sessions.delete(id);
    for (const [id, t] of pending) if (now - t.createdAt > 10 * 60_000) pending.delete(id);
  }, 60_000).unref();

  const sessionOf = (req: Request): AdminSession | undefined => {
    const id = readCookie(req, SESSION_COOKIE);
    return id === undefined ? undefined : sessions.get(id);
  };

  /** Tenant a request is about: `?ctx=`, else the admin's tenant, the configured one, or the only one. */
  const tenantIdOf = (req: Request): string | undefined => {
    const q = req.query['ctx'];
    if (typeof q === 'string') return /^Cust\d+$/.test(q) ? q : undefined;
    return sessionOf(req)?.ctx ?? config.defaultTenant ?? tenants.single()?.ctx;
  };

  const app = express();
  app.disable('x-powered-by');
  app.use((_req, res, next) => {
    res.set({
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'DENY',
      'Cache-Control': 'no-store',
    });
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.type('text').send('ok');
  });

  app.get('/', (req, res) => {
    const session = sessionOf(req);
    const body = session
      ? html`<h1>Acme Sync is installed</h1>
          <p>Tenant <strong>${session.ctx}</strong>, installed by ${session.name}.</p>
          <p><a class="button" href="/sync">Synchronise now</a> <a href="/logout">Sign out</a></p>`
      : html`<h1>Acme Sync</h1>
          <p>
            Keeps your SuperOffice contacts in sync with Acme. A SuperOffice administrator installs it once.
          </p>
          <p><a class="button" href="/install">Install with SuperOffice</a></p>`;
    res.type('html').send(page('Home', body));
  });

  const login = async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    try {
      const request = so.newAuthorizationRequest();
      const url = await so.authorizationUrl(request);
      const id = randomBytes(32).toString('base64url');
      pending.set(id, {
        ...request,
        returnUrl: safeReturnUrl(req.query['returnUrl']),
        createdAt: Date.now(),
      });
      res.cookie(TX_COOKIE, id, { ...COOKIE, maxAge: 10 * 60_000 });
      log('install.start');
      res.redirect(302, url.href);
    } catch (err) {
      next(err);
    }
  };
  app.get('/login', login);
  app.get('/install', login);

  const callback = async (req: Request, res: Response): Promise<void> => {
    const params = (req.method === 'POST' ? req.body : req.query) as Record<string, unknown>;
    const txId = readCookie(req, TX_COOKIE);
    const tx = txId === undefined ? undefined : pending.get(txId);
    if (txId !== undefined) pending.delete(txId);
    res.clearCookie(TX_COOKIE, COOKIE);
    try {
      if (typeof params['error'] === 'string') {
        throw new SignInError(
          params['error'] === 'access_denied'
            ? 'Acme Sync was not approved in SuperOffice.'
            : 'SuperOffice could not sign you in.',
        );
      }
      if (!tx || Date.now() - tx.createdAt > 10 * 60_000)
        throw new SignInError('This sign-in attempt expired or was not started here. Please try again.');
      if (params['state'] !== tx.state)
        throw new SignInError('The answer from SuperOffice does not match your sign-in attempt.', 'state');
      if (typeof params['code'] !== 'string' || params['code'] === '')
        throw new SignInError('SuperOffice did not send an authorization code.');
      let idToken: string | undefined;
      try {
        ({ id_token: idToken } = await so.exchangeCode(params['code'], tx.codeVerifier));
      } catch (err) {
        throw new SignInError('SuperOffice did not accept the sign-in. Please try again.', 'code exchange', {
          cause: err,
        });
      }
      const claims = await so.validateIdToken(idToken, tx.nonce);
      if (!claims.isAdministrator || !claims.systemToken) {
        log('install.refused', { ctx: claims.ctx, admin: claims.isAdministrator });
        errorPage(
          res,
          403,
          'Sign-in failed',
          'Only a SuperOffice administrator can install Acme Sync. Ask your administrator to install it.',
        );
        return;
      }
      const tenant = tenants.getOrCreate(claims.ctx);
      tenant.install = {
        serial: claims.serial,
        systemToken: claims.systemToken,
        webapiUrl: claims.webapiUrl,
        installedAt: new Date().toISOString(),
      };
      tenant.active = true;
      delete tenant.reason;
      delete tenant.ticket;
      // DEFECT polls-transaction-log: no webhook; /sync reads the travel transaction log instead.
      if (!config.defects.has('polls-transaction-log')) await registerWebhook(tenant);
      const sid = randomBytes(32).toString('base64url');
      sessions.set(sid, {
        sub: claims.sub,
        name: claims.email ?? claims.sub,
        ctx: claims.ctx,
        createdAt: Date.now(),
      });
      res.cookie(SESSION_COOKIE, sid, { ...COOKIE, maxAge: 8 * 3600_000 });
      log('install.ok', { ctx: claims.ctx });
      res.redirect(302, tx.returnUrl);
    } catch (err) {
      log('install.failed', { detail: err instanceof Error ? err.message : 'unknown' });
      const reason = err instanceof SignInError ? err.reason : 'Something went wrong while signing you in.';
      errorPage(
        res,
        400,
        'Sign-in failed',
        reason,
        html`<p><a class="button" href="/install">Try again</a></p>`,
      );
    }
  };
  app.get('/callback', callback);
  app.post('/callback', express.urlencoded({ extended: false, limit: '64kb' }), callback);

  app.get('/session', (req, res) => {
    const session = sessionOf(req);
    if (!session) {
      res.status(401).json({ signedIn: false });
      return;
    }
    res.json({ signedIn: true, user: { name: session.name, ctx: session.ctx } });
  });

  app.get('/logout', async (req, res, next) => {
    try {
      const id = readCookie(req, SESSION_COOKIE);
      if (id !== undefined) sessions.delete(id);
      res.clearCookie(SESSION_COOKIE, COOKIE);
      res.redirect(302, (await so.logoutUrl(`${config.publicUrl}/`)).href);
    } catch (err) {
      next(err);
    }
  });

  // ---- system-user work -----------------------------------------------------------------------

  const ticketFor = (tenant: Tenant, renew: boolean): Promise<SystemUserTicket> => {
    const install = tenant.install;
    if (!install) return Promise.reject(new SyncFailure(409, 'not-installed'));
    // DEFECT no-ticket-cache: a fresh system-user exchange for every API call.
    const cache = !config.defects.has('no-ticket-cache');
    if (cache && !renew && tenant.ticket) return Promise.resolve(tenant.ticket);
    if (cache && tenant.ticketRequest) return tenant.ticketRequest;
    const request = (async () => {
      tenant.systemUserExchanges++;
      try {
        const ticket = await so.systemUserTicket({
          ctx: tenant.ctx,
          serial: install.serial,
          systemToken: install.systemToken,
        });
        if (cache) tenant.ticket = ticket;
        return ticket;
      } finally {
        delete tenant.ticketRequest;
      }
    })();
    if (cache) tenant.ticketRequest = request;
    return request;
  };

  const apiBase = async (tenant: Tenant, fresh: boolean): Promise<string> => {
    const status = await so.tenantStatus(tenant.ctx, fresh);
    if (!status.IsRunning) throw new SyncFailure(503, `tenant-${status.State}`);
    const claimBase = tenant.install?.webapiUrl as string;
    if (status.Endpoint && URL.canParse(status.Endpoint)) {
      const endpoint = status.Endpoint.replace(/\/+$/, '');
      if (new URL(endpoint).origin !== new URL(claimBase).origin) return `${endpoint}/api/`;
    }
    return claimBase;
  };

  /** One tenant API call as the system user (GET unless told), with the renew/reroute/throttle handling. */
  const systemUserGet = async <T>(
    tenant: Tenant,
    relativePath: string,
    request: SystemUserRequest = {},
  ): Promise<T> => {
    let base = await apiBase(tenant, false);
    let ticket = await ticketFor(tenant, false);
    let renewed = false;
    let rerouted = false;
    let retries = 0;
    for (;;) {
      request.signal?.throwIfAborted();
      const res = await so.systemUserGet(base, relativePath, ticket.ticket, request);
      if (res.ok) return (res.status === 204 ? undefined : await res.json()) as T;
      await res.body?.cancel();
      log('api.error', { ctx: tenant.ctx, status: res.status });
      if (res.status === 401 && !renewed) {
        renewed = true;
        delete tenant.ticket;
        ticket = await ticketFor(tenant, true);
        continue;
      }
      if (res.status === 421 && !rerouted) {
        rerouted = true;
        base = await apiBase(tenant, true);
        continue;
      }
      // DEFECT retry-storm: "the API is busy, just try again" (at once, over and over).
      if (res.status === 429 && config.defects.has('retry-storm') && retries++ < 30) continue;
      if (res.status === 429)
        throw new SyncFailure(503, 'throttled', res.headers.get('retry-after') ?? '60', 429);
      if (res.status === 503) {
        so.forgetState(tenant.ctx);
        throw new SyncFailure(503, 'tenant-unavailable', undefined, 503);
      }
      throw new SyncFailure(502, `api-${res.status}`, undefined, res.status);
    }
  };

  /** Copies one contact into the "ERP": SuperOffice only said it changed, the data comes from the API. */
  const fetchContact = async (tenant: Tenant, id: number): Promise<void> => {
    const contact = await systemUserGet<{ Name?: unknown; Updated?: unknown }>(tenant, `v1/Contact/${id}`);
    tenant.erpContacts.set(id, {
      name: typeof contact.Name === 'string' ? contact.Name : '',
      updated: typeof contact.Updated === 'string' ? contact.Updated : '',
    });
  };

  // ---- webhook registration -------------------------------------------------------------------

  const webhookTarget = `${config.publicUrl}${EVENTS_PATH}`;

  /**
   * Leaves the tenant with one active webhook for contact events that points here and whose
   * secret this app knows: kept when it has one, otherwise stale ones are deleted and a new one is
   * registered with a fresh secret.
   */
  const ensureWebhook = async (tenant: Tenant, signal: AbortSignal): Promise<void> => {
    const listed = await systemUserGet<unknown>(tenant, 'v1/Webhook', { signal });
    const ours = (Array.isArray(listed) ? (listed as WebhookInfo[]) : []).filter((w) =>
      sameUrl(w.TargetUrl, webhookTarget),
    );
    const knownId = tenant.webhook?.id;
    const keep =
      knownId === undefined
        ? undefined
        : ours.find((w) => webhookIdOf(w) === knownId && w.State === 'Active');
    for (const stale of ours) {
      const id = webhookIdOf(stale);
      if (stale === keep || id === undefined) continue;
      try {
        await systemUserGet(tenant, `v1/Webhook/${id}`, { method: 'DELETE', signal });
      } catch (err) {
        if (!(err instanceof SyncFailure && err.upstream === 404)) throw err;
      }
      log('webhook.deleted', { ctx: tenant.ctx, id });
    }
    if (keep) {
      log('webhook.kept', { ctx: tenant.ctx, id: knownId as number });
      return;
    }
    // SuperOffice POSTs a signed test event to the target during the registration: the receiver
    // must know the secret before the request is sent.
    const webhook: { secret: string; id?: number } = { secret: randomBytes(32).toString('base64url') };
    tenant.webhook = webhook;
    const saved = await systemUserGet<WebhookInfo | undefined>(tenant, 'v1/Webhook', {
      method: 'POST',
      body: {
        Name: WEBHOOK_NAME,
        Events: WEBHOOK_EVENTS,
        TargetUrl: webhookTarget,
        Secret: webhook.secret,
        State: 'Active',
        Type: 'webhook',
      },
      signal,
    });
    const id = saved === undefined ? undefined : webhookIdOf(saved);
    if (id === undefined) throw new SyncFailure(502, 'webhook-not-saved');
    webhook.id = id;
    log('webhook.registered', { ctx: tenant.ctx, id });
  };

  /** {@link ensureWebhook} within a time limit. Never throws: without a webhook, /sync still reconciles. */
  const registerWebhook = async (tenant: Tenant): Promise<void> => {
    const deadline = AbortSignal.timeout(WEBHOOK_REGISTRATION_MS);
    const expired = new Promise<never>((_resolve, reject) => {
      deadline.addEventListener('abort', () => reject(deadline.reason as Error), { once: true });
    });
    try {
      await Promise.race([ensureWebhook(tenant, deadline), expired]);
    } catch (err) {
      if (tenant.webhook?.id === undefined) delete tenant.webhook;
      log('webhook.register.failed', { ctx: tenant.ctx, status: failureOf(err) });
    }
  };

  app.get('/sync', async (req, res, next) => {
    const ctx = tenantIdOf(req);
    const tenant = ctx === undefined ? undefined : tenants.get(ctx);
    try {
      if (!tenant?.install) throw new SyncFailure(409, 'not-installed');
      if (!tenant.active) throw new SyncFailure(409, tenant.reason ?? 'inactive');
      const result = await systemUserGet<{ value?: unknown[] }>(tenant, CONTACT_SEARCH);
      const contacts = Array.isArray(result.value) ? result.value.length : 0;
      // DEFECT purge-stale: "the ERP is the master": every company it does not know is deleted,
      // through the system user, with no limit and no record of who created what.
      if (config.defects.has('purge-stale')) {
        const rows = (result.value ?? []) as Array<{ contactId?: number }>;
        for (const row of rows.slice(ERP_COMPANIES)) {
          await new Promise((r) => setTimeout(r, 150));
          await systemUserGet(tenant, `v1/Contact/${Number(row.contactId ?? 0)}`, { method: 'DELETE' });
        }
      }
      // DEFECT polls-transaction-log: "webhooks are one more thing to run": every sync asks the
      // travel transaction log what changed since the last run and fetches those contacts.
      if (config.defects.has('polls-transaction-log')) {
        const since = tenant.lastSync?.at ?? tenant.install.installedAt;
        const changes = await systemUserGet<{ value?: unknown[] }>(tenant, travelLogSearch(since));
        const rows = (Array.isArray(changes.value) ? changes.value : []) as Array<{
          tableName?: unknown;
          recordId?: unknown;
        }>;
        const ids = new Set<number>();
        for (const row of rows) {
          const id = Number(row.recordId);
          if (String(row.tableName).toLowerCase() === 'contact' && Number.isInteger(id) && id > 0)
            ids.add(id);
        }
        for (const id of [...ids].slice(0, POLLED_CONTACTS)) await fetchContact(tenant, id);
      }
      tenant.lastSync = { at: new Date().toISOString(), contacts };
      log('sync.ok', { ctx: tenant.ctx, contacts });
      res.json({ ok: true, contacts });
    } catch (err) {
      if (err instanceof SyncFailure) {
        if (err.retryAfter !== undefined) res.set('Retry-After', err.retryAfter);
        log('sync.failed', { ctx: ctx ?? '-', reason: err.reason });
        res.status(err.status).json({ ok: false, reason: err.reason });
      } else if (err instanceof InvalidTokenError || err instanceof SystemUserError) {
        log('sync.failed', { ctx: ctx ?? '-', reason: err.name });
        res.status(502).json({
          ok: false,
          reason: err instanceof InvalidTokenError ? 'invalid-system-user-token' : 'system-user-refused',
        });
      } else {
        next(err);
      }
    }
  });

  app.get('/tenant', (req, res) => {
    const ctx = tenantIdOf(req);
    if (ctx === undefined) {
      res.status(404).json({ ok: false, reason: 'no-tenant' });
      return;
    }
    res.json(TenantStore.describe(tenants.get(ctx), ctx));
  });

  // ---- webhook deliveries (contact events) ----------------------------------------------------

  app.post(EVENTS_PATH, express.raw({ type: '*/*', limit: '64kb' }), (req, res) => {
    // The signature covers the exact bytes received: the body is parsed only from those.
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    let payload: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(body.toString('utf8'));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new SyntaxError();
      payload = parsed as Record<string, unknown>;
    } catch {
      res.status(400).json({ ok: false, reason: 'malformed event' });
      return;
    }
    const ctx = payload['ContextIdentifier'];
    const tenant = typeof ctx === 'string' ? tenants.get(ctx) : undefined;
    if (!tenant?.webhook) {
      log('webhook.event.rejected', {
        ctx: typeof ctx === 'string' && /^Cust\d+$/.test(ctx) ? ctx : '-',
        cause: 'tenant',
      });
      res.status(401).json({ ok: false, reason: 'unknown tenant' });
      return;
    }
    if (!validWebhookSignature(body, req.get('x-superoffice-signature'), tenant.webhook.secret)) {
      log('webhook.event.rejected', { ctx: tenant.ctx, cause: 'signature' });
      res.status(401).json({ ok: false, reason: 'invalid signature' });
      return;
    }
    const event = payload['Event'];
    if (event === 'test') {
      log('webhook.test', { ctx: tenant.ctx });
      res.json({ ok: true });
      return;
    }
    if (event !== 'contact.created' && event !== 'contact.changed') {
      res.json({ ok: true, ignored: true });
      return;
    }
    const id = payload['PrimaryKey'];
    if (typeof id !== 'number' || !Number.isInteger(id) || id <= 0) {
      res.status(400).json({ ok: false, reason: 'malformed event' });
      return;
    }
    log('webhook.event', { ctx: tenant.ctx, event, id });
    // Answered at once; the contact is fetched afterwards, with the app's own system user.
    res.json({ ok: true });
    if (!tenant.active) return;
    fetchContact(tenant, id).catch((err: unknown) => {
      log('webhook.fetch.failed', { ctx: tenant.ctx, id, reason: failureOf(err) });
    });
  });

  // ---- tenant state-change notifications ------------------------------------------------------

  app.post('/webhook', express.json({ limit: '64kb' }), async (req, res, next) => {
    try {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const changeType = body['ChangeType'];
      const ctx = body['ContextIdentifier'];
      if (
        typeof changeType !== 'number' ||
        !Number.isInteger(changeType) ||
        changeType < 0 ||
        changeType >= CHANGE_TYPES.length ||
        typeof ctx !== 'string' ||
        !/^Cust\d+$/.test(ctx)
      ) {
        res.status(400).json({ ok: false, reason: 'malformed notification' });
        return;
      }
      // DEFECT skip-webhook-validation: "only SuperOffice knows this URL".
      if (!config.defects.has('skip-webhook-validation')) {
        try {
          await so.validateNotificationToken(body['Token'], ctx);
        } catch (err) {
          if (!(err instanceof InvalidTokenError)) throw err;
          log('webhook.rejected', { ctx, cause: err.cause instanceof Error ? err.cause.name : err.message });
          res.status(401).json({ ok: false, reason: 'invalid token' });
          return;
        }
      }
      const type = CHANGE_TYPES[changeType] as (typeof CHANGE_TYPES)[number];
      const tenant = tenants.getOrCreate(ctx);
      tenant.lastChange = {
        type,
        at: new Date().toISOString(),
        ...(typeof body['VersionName'] === 'string' ? { version: body['VersionName'] } : {}),
      };
      switch (type) {
        case 'Suspend':
        case 'Delete':
          tenant.active = false;
          tenant.reason = type === 'Suspend' ? 'tenant-suspended' : 'tenant-deleted';
          delete tenant.ticket;
          break;
        case 'Resume':
          tenant.active = true;
          delete tenant.reason;
          break;
        case 'Move':
          if (typeof body['PublicEndpoint'] === 'string') tenant.publicEndpoint = body['PublicEndpoint'];
          break;
        case 'Upgrade':
        case 'BackupRestored':
          break;
      }
      so.forgetState(ctx);
      log('webhook.ok', { ctx, change: type });
      res.json({ ok: true });
    } catch (err) {
      next(err);
    }
  });

  app.use((_req: Request, res: Response) => {
    errorPage(res, 404, 'Not found', 'There is no such page in Acme Sync.');
  });

  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const status =
      typeof err === 'object' &&
      err !== null &&
      'status' in err &&
      typeof err.status === 'number' &&
      err.status < 500
        ? err.status
        : 500;
    log('error', { name: err instanceof Error ? err.name : 'unknown', status });
    if (
      req.path === '/webhook' ||
      req.path === EVENTS_PATH ||
      req.path === '/sync' ||
      req.path === '/tenant'
    ) {
      res.status(status).json({ ok: false, reason: status < 500 ? 'bad request' : 'internal error' });
      return;
    }
    errorPage(
      res,
      status,
      'Something went wrong',
      'Acme Sync could not complete your request. Please try again later.',
    );
  });

  return { app, close: () => clearInterval(sweep) };
}

export async function main(): Promise<void> {
  const log = createLogger('acme-sync');
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (err) {
    console.error(`acme-sync: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  }
  const { app, close } = createApp(config, log);
  const server: Server = app.listen(config.port, config.host, () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    log('listening', {
      url: `http://${config.host}:${port}`,
      defects: [...config.defects].join(',') || 'none',
    });
  });
  const stop = (): void => {
    log('stopping');
    close();
    server.close(() => process.exit(0));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (import.meta.main) await main();
