/**
 * The tenant NetServer on its own HTTPS origin: REST under `/{ctx}/api/v1/...`, Bearer or
 * SOTicket + SO-AppToken, CORS for the registered origins, flow and global faults.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AccessRecord, EmulatorCore, FlowImpl, TicketRecord } from '../core.ts';
import { credentialOf, flatHeaders, fromBrowser, queryOf, readBody, safeJson } from '../http.ts';
import { truncate } from '../recorder.ts';
import type { CredentialKind, EndpointName } from '../types.ts';
import { NETSERVER_LABEL, TICKET_TTL_MS } from '../superid/backchannel.ts';
import { seedTenant, type TenantData } from './data.ts';
import { ODataError, runQuery } from './odata.ts';

interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

interface Caller {
  kind: 'bearer' | 'ticket';
  tenant: string;
  flow: FlowImpl | undefined;
  userKey: 'admin' | 'user' | 'multiTenant' | 'system';
  access?: AccessRecord;
  ticket?: TicketRecord;
}

const err = (status: number, message: string, type = 'Error', headers?: Record<string, string>): Reply => ({
  status,
  body: { Error: message, ErrorType: type, Message: message, Source: 'NetServer (so-preflight emulator)' },
  ...(headers ? { headers } : {}),
});

export function createNetServerHandler(core: EmulatorCore, which: 'primary' | 'moved') {
  const seeds = new Map<string, TenantData>();
  const dataFor = (tenant: string, xss: boolean): TenantData => {
    const key = `${tenant}|${xss}`;
    let d = seeds.get(key);
    if (!d) {
      d = seedTenant(core.tenants.get(tenant)?.companyName ?? tenant, core.users, xss);
      seeds.set(key, d);
    }
    return d;
  };
  const myOrigin = (): string => (which === 'primary' ? core.tenantOrigin : core.movedTenantOrigin);

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const url = new URL(req.url ?? '/', myOrigin() || 'https://127.0.0.1');
    const meta: {
      endpoint: EndpointName;
      flowId: string | undefined;
      credential: CredentialKind;
      notes: string[];
    } = {
      endpoint: 'api',
      flowId: undefined,
      credential: credentialOf(req.headers),
      notes: [],
    };
    let body: Buffer = Buffer.alloc(0);
    let reply: Reply;
    try {
      const b =
        req.method === 'GET' || req.method === 'HEAD' ? { buf: body, tooLarge: false } : await readBody(req);
      body = b.buf;
      if (b.tooLarge) {
        reply = err(413, 'Request body too large (limit 1 MiB)', 'RequestEntityTooLarge', {
          Connection: 'close',
        });
      } else {
        reply = route(req, url, body, meta);
      }
    } catch (e) {
      core.log(`netserver: ${req.method} ${url.pathname} failed: ${(e as Error)?.message ?? String(e)}`);
      reply = err(500, 'Internal error', 'InternalError');
    }
    const headers: Record<string, string> = {
      'Cache-Control': 'no-store',
      ...cors(req),
      ...(reply.headers ?? {}),
    };
    let text = '';
    if (reply.body !== undefined && reply.status !== 204) {
      text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
      if (!headers['Content-Type'])
        headers['Content-Type'] =
          typeof reply.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8';
    }
    headers['Content-Length'] = String(Buffer.byteLength(text));
    if (!res.headersSent) {
      res.writeHead(reply.status, headers);
      res.end(req.method === 'HEAD' ? undefined : text);
    }
    core.recorder.add({
      time: new Date(started).toISOString(),
      durationMs: Date.now() - started,
      origin: 'tenant',
      endpoint: meta.endpoint,
      method: req.method ?? 'GET',
      url: url.href,
      path: url.pathname,
      query: queryOf(url),
      requestHeaders: flatHeaders(req.headers),
      requestBody: truncate(body.toString('utf8')),
      status: reply.status,
      responseHeaders: flatHeaders(headers),
      responseBody: truncate(text),
      ...(meta.flowId ? { flowId: meta.flowId } : {}),
      credential: meta.credential,
      from: fromBrowser(req.headers),
      notes: meta.notes,
    });
  };

  function cors(req: IncomingMessage): Record<string, string> {
    const origin = req.headers['origin'];
    if (typeof origin !== 'string' || !(core.options.app.corsOrigins ?? []).includes(origin)) return {};
    return {
      'Access-Control-Allow-Origin': origin,
      Vary: 'Origin',
      'Access-Control-Expose-Headers': 'Retry-After, WWW-Authenticate',
    };
  }

  function route(
    req: IncomingMessage,
    url: URL,
    body: Buffer,
    meta: { endpoint: EndpointName; flowId: string | undefined; credential: CredentialKind; notes: string[] },
  ): Reply {
    const method = req.method ?? 'GET';
    if (method === 'OPTIONS') {
      meta.endpoint = 'cors-preflight';
      const origin = req.headers['origin'];
      const allowed = typeof origin === 'string' && (core.options.app.corsOrigins ?? []).includes(origin);
      meta.notes.push(allowed ? 'cors allowed' : `cors denied for origin ${String(origin ?? '(none)')}`);
      if (!allowed)
        return {
          status: 403,
          body: { Error: 'Origin not allowed', ErrorType: 'Cors', Message: 'Origin not allowed' },
        };
      return {
        status: 204,
        headers: {
          'Access-Control-Allow-Methods': 'GET, POST, PUT, PATCH, DELETE, OPTIONS',
          'Access-Control-Allow-Headers': String(
            req.headers['access-control-request-headers'] ?? 'Authorization, Content-Type, Accept',
          ),
          'Access-Control-Max-Age': '600',
        },
      };
    }
    const m = /^\/([^/]+)\/api(\/.*)?$/i.exec(url.pathname);
    if (!m) {
      meta.endpoint = 'other';
      return err(404, `No such resource: ${url.pathname}`, 'NotFound');
    }
    const tenant = decodeURIComponentSafe(m[1]!);
    const rest = m[2] ?? '';
    if (which === 'primary' ? !!core.faults.tenantMoved : !core.faults.tenantMoved) {
      meta.notes.push('tenant not on this host');
      return {
        status: 421,
        body: {
          Error: 'Wrong subdomain used to access tenant',
          ErrorType: 'MisdirectedRequest',
          Message: 'Wrong subdomain used to access tenant',
        },
      };
    }
    if (!core.tenants.has(tenant)) return err(404, `Unknown tenant ${tenant}`, 'NotFound');
    if (rest === '' || rest === '/') {
      if (method !== 'GET' && method !== 'HEAD') return err(405, 'Method not allowed', 'MethodNotAllowed');
      return { status: 200, body: apiInfo(tenant) };
    }
    const auth = authenticate(req, tenant, meta);
    if ('status' in auth) return auth;
    const caller = auth;
    const state = core.tenantState(tenant);
    if (state !== 'Running' && state !== 'OnlineMaintenance') {
      meta.notes.push(`tenant state ${state}`);
      return err(503, `Tenant ${tenant} is not available (state ${state})`, 'TenantUnavailable', {
        'Retry-After': '60',
      });
    }
    const flow = caller.flow;
    if (flow) {
      const f = flow.options.api;
      if (flow.unavailableLeft > 0) {
        flow.unavailableLeft--;
        meta.notes.push('fault: unavailable');
        return err(503, 'Service unavailable', 'ServiceUnavailable');
      }
      if (flow.throttleLeft > 0) {
        flow.throttleLeft--;
        meta.notes.push('fault: throttled');
        return err(429, 'Too many requests', 'TooManyRequests', {
          'Retry-After': String(f?.throttle?.retryAfterSeconds ?? 1),
        });
      }
      if (f?.serverError) {
        meta.notes.push('fault: server error');
        return err(500, 'An error occurred in NetServer (emulated fault)', 'SoException');
      }
      if (
        f?.accessTokenExpiresAfterCalls !== undefined &&
        caller.kind === 'bearer' &&
        !caller.access?.fromRefresh &&
        (caller.access?.calls ?? 0) >= f.accessTokenExpiresAfterCalls
      ) {
        meta.notes.push('fault: access token expired');
        return err(401, 'The access token has expired', 'Unauthorized', {
          'WWW-Authenticate': 'Bearer error="invalid_token", error_description="expired"',
        });
      }
    }
    const r = api(method, rest, url.searchParams, body, tenant, caller);
    if (r.status < 300) {
      if (flow) flow.apiCalls++;
      if (caller.access) caller.access.calls = (caller.access.calls ?? 0) + 1;
      if (caller.ticket) caller.ticket.calls = (caller.ticket.calls ?? 0) + 1;
      if (caller.kind === 'ticket') core.ticketCalls++;
    }
    return r;
  }

  function authenticate(
    req: IncomingMessage,
    tenant: string,
    meta: { flowId: string | undefined; notes: string[] },
  ): Caller | Reply {
    const h = String(req.headers['authorization'] ?? '').trim();
    const sp = h.indexOf(' ');
    const scheme = (sp < 0 ? h : h.slice(0, sp)).toLowerCase();
    const value = sp < 0 ? '' : h.slice(sp + 1).trim();
    const unauthorized = (msg: string): Reply =>
      err(401, msg, 'Unauthorized', { 'WWW-Authenticate': 'Bearer, SOTicket' });
    if (!h) return unauthorized('Authentication required');
    if (scheme === 'basic') {
      meta.notes.push('basic auth rejected');
      return unauthorized('Basic authentication is not allowed in SuperOffice CRM Online');
    }
    if (scheme === 'bearer') {
      const a: AccessRecord | undefined = core.accessTokens.get(value);
      if (!a) return unauthorized('Invalid access token');
      meta.flowId = a.flowId;
      if (a.revoked) return unauthorized('The access token has been revoked');
      if (core.isRevokedByConsent(a.issuedAt)) return unauthorized('The app authorization was revoked');
      if (Date.now() > a.exp) return unauthorized('The access token has expired');
      if (a.tenant !== tenant) return unauthorized(`The access token is not valid for tenant ${tenant}`);
      return { kind: 'bearer', tenant, flow: core.flowOf(a.flowId), userKey: a.userKey, access: a };
    }
    if (scheme === 'soticket') {
      const t: TicketRecord | undefined = core.tickets.get(value);
      if (!t) return unauthorized('Invalid ticket');
      meta.flowId = t.flowId;
      const appToken = req.headers['so-apptoken'];
      if (typeof appToken !== 'string' || appToken !== core.client.secret) {
        meta.notes.push('SO-AppToken missing or wrong');
        return unauthorized('SO-AppToken missing or invalid');
      }
      if (core.faults.consentRevoked && !core.consents.has(t.tenant))
        return unauthorized('The app authorization was revoked');
      if (Date.now() > t.expiresAt) return unauthorized('The ticket has expired');
      const limit = core.faults.ticketExpiresAfterCalls;
      if (limit !== undefined && (t.calls ?? 0) >= limit) {
        meta.notes.push('fault: ticket expired');
        return unauthorized('The ticket has expired');
      }
      if (t.tenant !== tenant) return unauthorized(`The ticket is not valid for tenant ${tenant}`);
      t.expiresAt = Date.now() + TICKET_TTL_MS;
      return { kind: 'ticket', tenant, flow: core.flowOf(t.flowId), userKey: 'system', ticket: t };
    }
    return unauthorized(`Unsupported authorization scheme`);
  }

  function apiInfo(tenant: string): Record<string, unknown> {
    const origin = myOrigin();
    return {
      v1: `${origin}/${tenant}/api/v1/`,
      NetServerVersion: '11.10.721.0',
      NetServerAssembly: '11.10.0.0',
      NetServerDate: '2026-02-24',
      NetServerLabel: NETSERVER_LABEL,
      NetServer: `SuperOffice 11.10 NetServer 11.10 Release (Build: ${NETSERVER_LABEL})`,
      Services: 'Services87',
      ServicesCurrent: 'Services88',
      Version: 'v1',
      Documentation: 'https://docs.superoffice.com/en/api/',
    };
  }

  function api(
    method: string,
    rest: string,
    q: URLSearchParams,
    body: Buffer,
    tenant: string,
    caller: Caller,
  ): Reply {
    const data = dataFor(tenant, !!caller.flow?.options.xssPayloads);
    const segs = rest.split('/').filter(Boolean).map(decodeURIComponentSafe);
    if (segs[0]?.toLowerCase() !== 'v1') return err(404, `No such resource: ${rest}`, 'NotFound');
    const [, a = '', b, c, d] = segs;
    const A = a.toLowerCase();
    const B = b?.toLowerCase();
    const isGet = method === 'GET' || method === 'HEAD';
    const needGet = (): Reply | undefined =>
      isGet ? undefined : err(405, 'Method not allowed', 'MethodNotAllowed');

    if (A === 'user' && B === 'currentprincipal' && segs.length === 3)
      return needGet() ?? { status: 200, body: principal(tenant, caller, data) };
    if ((A === 'contact' || A === 'person') && b !== undefined && B !== 'default' && segs.length === 3) {
      const bad = needGet();
      if (bad) return bad;
      if (!/^\d{1,9}$/.test(b)) return err(400, `Invalid id: ${b}`, 'BadRequest');
      const id = Number(b);
      if (A === 'contact') {
        const x = data.contacts.find((k) => k.ContactId === id);
        return x
          ? { status: 200, body: contactEntity(x, data) }
          : err(404, `Contact ${id} not found`, 'NotFound');
      }
      const p = data.persons.find((k) => k.PersonId === id);
      return p
        ? { status: 200, body: personEntity(p, data) }
        : err(404, `Person ${id} not found`, 'NotFound');
    }
    if (b !== undefined && B === 'default' && segs.length === 3) {
      return needGet() ?? { status: 200, body: defaultEntity(a) };
    }
    if ((A === 'contact' || A === 'person') && segs.length === 2) {
      const bad = needGet();
      if (bad) return bad;
      return search(A, A === 'contact' ? contactRows(data) : personRows(data), q);
    }
    if (A === 'archive' && b !== undefined && segs.length === 3) {
      const bad = needGet();
      if (bad) return bad;
      const rows = /user|associate/.test(B!)
        ? associateRows(data)
        : /person/.test(B!)
          ? personRows(data)
          : contactRows(data);
      return search(b, rows, q);
    }
    if (A === 'list' && b !== undefined && c?.toLowerCase() === 'items') {
      const bad = needGet();
      if (bad) return bad;
      const items = data.lists[B!];
      if (!items) return err(404, `List ${b} not found`, 'NotFound');
      if (d !== undefined) {
        const it = items.find((i) => String(i.Id) === d);
        return it ? { status: 200, body: it } : err(404, `List item ${d} not found`, 'NotFound');
      }
      return { status: 200, body: items };
    }
    if (A === 'mdolist' && b !== undefined && segs.length === 3) {
      const bad = needGet();
      if (bad) return bad;
      const items = data.lists[B!];
      if (!items) return err(404, `MDO list ${b} not found`, 'NotFound');
      return {
        status: 200,
        body: items.map((i) => ({
          ...i,
          Type: b,
          ColorBlock: 0,
          IconHint: '',
          Selected: false,
          LastChanged: '2026-01-01T00:00:00',
          ChildItems: [],
          ExtraInfo: '',
          StyleHint: '',
          FullName: i.Name,
        })),
      };
    }
    if (A === 'agents' || A === 'agent') {
      if (method !== 'POST') return err(405, 'Agent methods are called with POST', 'MethodNotAllowed');
      let json: unknown = {};
      if (body.length) {
        const parsed = safeJson(body.toString('utf8'));
        if (!parsed.ok) return err(400, 'Request body is not valid JSON', 'BadRequest');
        json = parsed.value;
      }
      const agent = B;
      const fn = c?.toLowerCase();
      if (agent === 'diagnostics' && fn === 'sendsystemmessage') {
        if (!json || typeof json !== 'object') return err(400, 'Body must be a JSON object', 'BadRequest');
        return { status: 204 };
      }
      if (agent === 'diagnostics' && fn === 'removesystemmessage') return { status: 204 };
      if (agent === 'diagnostics' && fn === 'getsystemmessages') return { status: 200, body: [] };
      if (agent === 'list' && fn === 'createdefaultwebpanelentity') {
        return {
          status: 200,
          body: {
            WebPanelId: 0,
            Name: '',
            Tooltip: '',
            Deleted: false,
            Rank: 0,
            UrlEncoding: 'None',
            VisibleIn: 'None',
            OnCentral: false,
            OnSalesMarketingWeb: false,
            OnSalesMarketingPocket: false,
            ShowInMenuBar: false,
            ShowInToolBar: false,
            ShowInAddressBar: false,
            ShowInStatusBar: false,
            WindowName: '',
            Url: '',
            Description: '',
            ProgId: '',
            Icon: 0,
            AlwaysReloadOnShow: false,
          },
        };
      }
      if (agent === 'list' && fn === 'getappwebpanels') return { status: 200, body: [] };
      if (agent === 'list' && (fn === 'deleteappwebpanels' || fn === 'deletewebpanel'))
        return { status: 204 };
      if (agent === 'list' && fn === 'savewebpanel')
        return { status: 200, body: { ...(json as object), WebPanelId: 101 } };
      if (agent === 'person' && fn === 'createdefaultpersonentity')
        return { status: 200, body: defaultEntity('Person') };
      if (agent === 'contact' && fn === 'createdefaultcontactentity')
        return { status: 200, body: defaultEntity('Contact') };
      return err(404, `Agent method ${b}/${c} not found`, 'NotFound');
    }
    return err(404, `No such resource: ${rest}`, 'NotFound');
  }

  function search(entity: string, rows: Record<string, unknown>[], q: URLSearchParams): Reply {
    try {
      const r = runQuery(rows, q);
      return {
        status: 200,
        body: {
          'odata.metadata': `${myOrigin()}/api/v1/archive/$metadata`,
          'odata.nextLink': r.nextSkip !== undefined ? `?$skip=${r.nextSkip}` : null,
          value: r.rows,
        },
      };
    } catch (e) {
      if (e instanceof ODataError)
        return err(400, `Malformed OData query for ${entity}: ${e.message}`, 'BadRequest');
      throw e;
    }
  }

  function principal(tenant: string, caller: Caller, data: TenantData): Record<string, unknown> {
    if (caller.userKey === 'system') {
      return {
        UserType: 'SystemAnonymous',
        Associate: 'SYSTEM',
        AssociateId: 0,
        IsPerson: false,
        PersonId: 0,
        ContactId: 1,
        FullName: 'System user',
        EMailAddress: '',
        UserName: 'SYSTEM',
        DatabaseContextIdentifier: tenant,
        Licenses: [],
        FunctionRights: [],
        ProvidedCredentials: [],
        SecondaryGroups: [],
      };
    }
    const u = core.users[caller.userKey];
    const a = data.associates.find((x) => String(x.AssociateId) === u.associateId) ?? data.associates[0]!;
    const p = data.persons.find((x) => x.PersonId === a.PersonId);
    return {
      UserType: 'InternalAssociate',
      Associate: a.Name,
      AssociateId: a.AssociateId,
      IsPerson: true,
      PersonId: a.PersonId,
      CountryId: 578,
      HomeCountryId: 578,
      ContactId: a.ContactId,
      GroupId: 1,
      BusinessId: 1,
      CategoryId: 4,
      ContactOwner: a.AssociateId,
      RoleId: u.isAdministrator ? 1 : 2,
      RoleName: u.isAdministrator ? 'Administrator' : 'User',
      RoleDescription: u.isAdministrator ? 'Full access' : 'Normal user',
      RoleType: 'Employee',
      Licenses: [{ Name: 'SuperOffice CRM', Description: 'User plan', Assigned: true }],
      FullName: a.FullName,
      EMailAddress: p?.Email ?? u.username,
      FunctionRights: u.isAdministrator ? ['admin-all', 'allow-bulk-update'] : [],
      EjUserId: 0,
      EjAccessLevel: 0,
      EjUserStatus: 'Normal',
      ProvidedCredentials: [{ Type: 'SuperIdOidc', Value: '', DisplayValue: u.username }],
      SecondaryGroups: [],
      DatabaseContextIdentifier: tenant,
      UserName: u.username,
    };
  }

  function contactRows(data: TenantData): Record<string, unknown>[] {
    return data.contacts.map((c) => ({
      PrimaryKey: String(c.ContactId),
      EntityName: 'contact',
      contactId: c.ContactId,
      name: c.Name,
      department: c.Department,
      orgNr: c.OrgNr,
      number1: c.Number1,
      category: c.Category,
      business: c.Business,
      country: c.Country,
      associateId: c.AssociateId,
      email: c.Email,
    }));
  }
  function personRows(data: TenantData): Record<string, unknown>[] {
    return data.persons.map((p) => ({
      PrimaryKey: String(p.PersonId),
      EntityName: 'person',
      personId: p.PersonId,
      firstName: p.Firstname,
      lastName: p.Lastname,
      fullName: `${p.Firstname} ${p.Lastname}`,
      contactId: p.ContactId,
      email: p.Email,
      title: p.Title,
    }));
  }
  function associateRows(data: TenantData): Record<string, unknown>[] {
    return data.associates.map((a) => ({
      PrimaryKey: String(a.AssociateId),
      EntityName: 'associate',
      associateDbId: a.AssociateId,
      associateId: a.AssociateId,
      personId: a.PersonId,
      contactId: a.ContactId,
      name: a.Name,
      fullName: a.FullName,
      userName: a.UserName,
    }));
  }
}

function contactEntity(c: TenantData['contacts'][number], data: TenantData): Record<string, unknown> {
  const owner = data.associates.find((a) => a.AssociateId === c.AssociateId);
  return {
    ContactId: c.ContactId,
    Name: c.Name,
    Department: c.Department,
    OrgNr: c.OrgNr,
    Number1: c.Number1,
    Country: { CountryId: c.CountryId, Name: c.Country },
    Category: { Id: c.CategoryId, Value: c.Category },
    Business: { Id: c.BusinessId, Value: c.Business },
    Associate: owner ? { AssociateId: owner.AssociateId, Name: owner.Name, FullName: owner.FullName } : null,
    Emails: [{ Value: c.Email, StrippedValue: c.Email, Description: '' }],
    Phones: [{ Value: c.Phone, StrippedValue: c.Phone.replace(/\D/g, ''), Description: '' }],
    Urls: [{ Value: c.Url, StrippedValue: c.Url, Description: '' }],
    Persons: data.persons
      .filter((p) => p.ContactId === c.ContactId)
      .map((p) => ({ PersonId: p.PersonId, FullName: `${p.Firstname} ${p.Lastname}` })),
    Deleted: false,
  };
}

function personEntity(p: TenantData['persons'][number], data: TenantData): Record<string, unknown> {
  const c = data.contacts.find((k) => k.ContactId === p.ContactId);
  return {
    PersonId: p.PersonId,
    Firstname: p.Firstname,
    Lastname: p.Lastname,
    FullName: `${p.Firstname} ${p.Lastname}`,
    Title: p.Title,
    Contact: c ? { ContactId: c.ContactId, Name: c.Name } : null,
    Emails: [{ Value: p.Email, StrippedValue: p.Email, Description: '' }],
    Deleted: false,
  };
}

function defaultEntity(name: string): Record<string, unknown> {
  const n = name.charAt(0).toUpperCase() + name.slice(1).toLowerCase();
  return { [`${n}Id`]: 0, Name: '', Deleted: false, TableRight: null, FieldProperties: {} };
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
