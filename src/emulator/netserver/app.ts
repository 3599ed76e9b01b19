/**
 * The tenant NetServer on its own HTTPS origin: REST under `/{ctx}/api/v1/...`, Bearer or
 * SOTicket + SO-AppToken, CORS for the registered origins, flow and global faults.
 *
 * This module composes the handler (body, recording, the way to a route family); each family is
 * its own `routes-*.ts` module.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorCore } from '../core.ts';
import { credentialOf, esc, flatHeaders, fromBrowser, queryOf, readBody } from '../http.ts';
import { truncate } from '../recorder.ts';
import { authenticate } from './auth.ts';
import type { ExchangeMeta, NetServer, Reply } from './context.ts';
import { decodeURIComponentSafe, err } from './context.ts';
import { cors, preflight } from './cors.ts';
import { seedTenant, type TenantData } from './data.ts';
import { faultReply } from './faults.ts';
import { apiInfo } from './routes-info.ts';
import { api } from './routes-v1.ts';

export function createNetServerHandler(core: EmulatorCore, which: 'primary' | 'moved') {
  const seeds = new Map<string, TenantData>();
  const dataFor = (tenant: string, xss: boolean): TenantData => {
    const key = `${tenant}|${xss}`;
    let d = seeds.get(key);
    if (!d) {
      d = seedTenant(core.tenants.get(tenant)?.companyName ?? tenant, core.usersOfTenant(tenant), xss);
      seeds.set(key, d);
    }
    return d;
  };
  let mailSeq = 0;
  const myOrigin = (): string => (which === 'primary' ? core.tenantOrigin : core.movedTenantOrigin);
  const ns: NetServer = { core, myOrigin, dataFor };

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const url = new URL(req.url ?? '/', myOrigin() || 'https://127.0.0.1');
    const meta: ExchangeMeta = {
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
        reply = await route(req, url, body, meta);
      }
    } catch (e) {
      core.log(`netserver: ${req.method} ${url.pathname} failed: ${(e as Error)?.message ?? String(e)}`);
      reply = err(500, 'Internal error', 'InternalError');
    }
    const headers: Record<string, string> = {
      'Cache-Control': 'no-store',
      ...cors(core, req),
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

  /**
   * The tenant's web client as far as web panels go: `/{ctx}/default.aspx?webpanel={url}` shows
   * the panel URL in an iframe, as SuperOffice's web client does, from the tenant's host.
   */
  function webClient(tenant: string, panel: string | null): Reply {
    if (!core.tenants.has(tenant)) return err(404, `Unknown tenant ${tenant}`, 'NotFound');
    if (!panel || !/^https?:\/\//i.test(panel) || !URL.canParse(panel))
      return err(400, 'webpanel must be an absolute http(s) URL', 'BadRequest');
    return {
      status: 200,
      headers: { 'Content-Type': 'text/html; charset=utf-8' },
      body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>SuperOffice CRM - ${esc(tenant)}</title></head><body style="margin:0"><iframe id="webpanel" title="Web panel" src="${esc(panel)}" style="width:100%;height:600px;border:0"></iframe></body></html>`,
    };
  }

  async function route(req: IncomingMessage, url: URL, body: Buffer, meta: ExchangeMeta): Promise<Reply> {
    const method = req.method ?? 'GET';
    if (method === 'OPTIONS') return preflight(core, req, meta);
    if (which === 'primary' && /^\/mail(\/|$)/.test(url.pathname)) {
      // The mail sink (Emulator.mailUrl): accepts any message, sends nothing on.
      meta.endpoint = 'mail';
      if (method !== 'POST' && method !== 'PUT')
        return err(405, 'Send messages with POST', 'MethodNotAllowed');
      mailSeq += 1;
      return {
        status: 202,
        body: { id: `<preflight-${mailSeq}@mail.invalid>`, message: 'Queued. Thank you.' },
      };
    }
    const client = /^\/([^/]+)\/default\.aspx$/i.exec(url.pathname);
    if (client && (method === 'GET' || method === 'HEAD')) {
      meta.endpoint = 'other';
      return webClient(decodeURIComponentSafe(client[1]!), url.searchParams.get('webpanel'));
    }
    const m = /^\/([^/]+)\/api(\/.*)?$/i.exec(url.pathname);
    if (!m) {
      meta.endpoint = 'other';
      return err(404, `No such resource: ${url.pathname}`, 'NotFound');
    }
    const tenant = decodeURIComponentSafe(m[1]!);
    const rest = m[2] ?? '';
    const moved = !!core.faultsOf(tenant).tenantMoved;
    if (which === 'primary' ? moved : !moved) {
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
      return { status: 200, body: apiInfo(myOrigin(), tenant) };
    }
    const auth = authenticate(core, req, tenant, meta);
    if ('status' in auth) return auth;
    const caller = auth;
    const fault = faultReply(core, tenant, caller, meta, method);
    if (fault) return fault;
    const flow = caller.flow;
    // Webhooks are the one route that waits on the network: registering one tests its target.
    const hook = /^\/v1\/webhook(?:\/([^/]+))?\/?$/i.exec(rest);
    const r = hook
      ? await core.webhooks.route(method, hook[1] && decodeURIComponentSafe(hook[1]), body, tenant)
      : api(ns, method, rest, url.searchParams, body, tenant, caller, meta.notes);
    if (r.status < 300) {
      if (flow) flow.apiCalls++;
      if (flow && !['GET', 'HEAD'].includes(method)) flow.writes++;
      if (caller.access) caller.access.calls = (caller.access.calls ?? 0) + 1;
      if (caller.ticket) caller.ticket.calls = (caller.ticket.calls ?? 0) + 1;
      if (caller.kind === 'ticket') core.ticketCalls++;
    }
    return r;
  }
}
