/**
 * The SuperID origin: OIDC under `/login` (oidc-provider, wrapped to speak SuperOffice), the
 * sign-in / tenant / consent pages, PartnerSystemUser, the tenant state API, harness probes and
 * the 421 answer for tenant API paths. Every request is recorded.
 *
 * This module composes the app (recording middleware, routing); each endpoint is its own module,
 * split the way oidc-provider splits its actions.
 */
import Koa from 'koa';
import mount from 'koa-mount';
import type Provider from 'oidc-provider';
import type { EmulatorCore } from '../core.ts';
import { FLOW_COOKIE } from '../core.ts';
import { cookiesOf, credentialOf, flatHeaders, fromBrowser, queryOf, readBody } from '../http.ts';
import { truncate } from '../recorder.ts';
import { authorize, resume } from './authorize.ts';
import type { Ctx, RecState, SuperId } from './context.ts';
import { decodeSafe, getOnly } from './context.ts';
import { harnessProbe } from './harness-probe.ts';
import { interaction } from './interaction.ts';
import { certificate, discoveryDocument, jwks } from './jwks-discovery.ts';
import { legacyLogin } from './legacy.ts';
import { logout, revoke } from './logout-revoke.ts';
import { createProvider } from './provider.ts';
import { handleStateApi } from './state-api.ts';
import { handleSystemUser } from './system-user.ts';
import { token } from './token.ts';
import { apiOnWrongHost } from './wrong-host.ts';

export type { RecState } from './context.ts';
export { discovery } from './jwks-discovery.ts';
export { parseBasic } from '../http.ts';

export function createSuperIdApp(core: EmulatorCore): { app: Koa; provider: Provider } {
  const provider = createProvider(core);
  const providerMw = mount('/login', provider as unknown as Koa);
  const app = new Koa<{ rec: RecState }>();
  app.silent = true;
  // The provider's middleware runs on this app's context, so cookies must be signed alike.
  app.keys = (provider as unknown as Koa).keys;
  const sid: SuperId = {
    core,
    provider,
    native: core.options.app.type === 'native',
    uidMeta: new Map(),
    uidUser: new Map(),
    async runProvider(ctx: Ctx): Promise<void> {
      await providerMw(ctx as unknown as Koa.Context, async () => {
        ctx.status = 404;
      });
    },
  };

  // ---- recording, body, error containment ----
  app.use(async (ctx, next) => {
    const started = Date.now();
    const rawUrl = ctx.url;
    const headers = flatHeaders(ctx.req.headers);
    const cookies = cookiesOf(ctx.req.headers);
    const flowCookie = cookies[FLOW_COOKIE];
    ctx.state.rec = {
      endpoint: 'other',
      flowId: core.flows.has(flowCookie ?? '') ? flowCookie : undefined,
      credential: credentialOf(ctx.req.headers),
      notes: [],
      body: Buffer.alloc(0),
    };
    const rec = ctx.state.rec;
    let tooLarge = false;
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
      const b = await readBody(ctx.req);
      rec.body = b.buf;
      tooLarge = b.tooLarge;
    }
    try {
      if (tooLarge) {
        ctx.status = 413;
        ctx.body = { error: 'invalid_request', error_description: 'request body too large (limit 1 MiB)' };
        ctx.set('Connection', 'close');
        rec.notes.push('body too large');
      } else {
        await next();
      }
    } catch (err) {
      core.log(`superid: ${ctx.method} ${ctx.path} failed: ${(err as Error)?.message ?? String(err)}`);
      ctx.status = 500;
      ctx.type = 'json';
      ctx.body = { error: 'server_error', error_description: 'internal error' };
    }
    if (ctx.status === 404 && ctx.body === undefined) {
      ctx.status = 404;
      ctx.body = { error: 'not_found', error_description: 'no such endpoint' };
    }
    let responseBody = '';
    const body: unknown = ctx.body;
    if (typeof body === 'string') responseBody = body;
    else if (Buffer.isBuffer(body)) responseBody = body.toString('utf8');
    else if (body && typeof body === 'object' && typeof (body as { pipe?: unknown }).pipe !== 'function') {
      responseBody = JSON.stringify(body);
    }
    const url = new URL(rawUrl, core.superidUrl);
    core.recorder.add({
      time: new Date(started).toISOString(),
      durationMs: Date.now() - started,
      origin: 'superid',
      endpoint: rec.endpoint,
      method: ctx.method,
      url: url.href,
      path: url.pathname,
      query: queryOf(url),
      requestHeaders: headers,
      requestBody: truncate(rec.body.toString('utf8')),
      status: ctx.status,
      responseHeaders: flatHeaders(ctx.response.headers as Record<string, unknown>),
      responseBody: truncate(responseBody),
      ...(rec.flowId ? { flowId: rec.flowId } : {}),
      credential: rec.credential,
      from: fromBrowser(ctx.req.headers),
      notes: rec.notes,
    });
  });

  // ---- routing ----
  app.use(async (ctx) => {
    const path = ctx.path;
    const lower = path.toLowerCase();
    const rec = ctx.state.rec;
    let m: RegExpMatchArray | null;

    if (lower === '/login/.well-known/openid-configuration') {
      rec.endpoint = 'discovery';
      if (!getOnly(ctx)) return;
      return discoveryDocument(sid, ctx);
    }
    if (lower === '/login/.well-known/jwks') {
      rec.endpoint = 'jwks';
      if (!getOnly(ctx)) return;
      return jwks(sid, ctx);
    }
    if (lower === '/login/certificates/superofficefederatedlogin.crt') {
      rec.endpoint = 'certificate';
      return certificate(sid, ctx);
    }
    if ((m = path.match(/^\/login\/(common|Cust\d+)\/oauth\/authorize(?:\/([A-Za-z0-9_-]+))?\/?$/i))) {
      rec.endpoint = 'authorize';
      if (m[2]) return resume(sid, ctx, m[2]);
      return authorize(sid, ctx, m[1]!.toLowerCase() === 'common' ? undefined : m[1]!);
    }
    if ((m = path.match(/^\/login\/interaction\/([A-Za-z0-9_-]+)(?:\/(login|tenant|consent))?\/?$/))) {
      rec.endpoint = 'interaction';
      return interaction(sid, ctx, m[1]!, m[2]);
    }
    if (lower === '/login/common/oauth/tokens') {
      rec.endpoint = 'token';
      return token(sid, ctx);
    }
    if (lower === '/login/common/oauth/revoke') {
      rec.endpoint = 'revoke';
      return revoke(sid, ctx);
    }
    if (lower === '/login/logout' || lower === '/login/logout/') {
      rec.endpoint = 'logout';
      return logout(sid, ctx);
    }
    if (lower === '/login' || lower === '/login/') {
      rec.endpoint = 'legacy-login';
      return legacyLogin(ctx);
    }
    if (lower === '/login/api/partnersystemuser/authenticate') {
      rec.endpoint = 'system-user';
      return handleSystemUser(core, ctx);
    }
    if ((m = path.match(/^\/api\/state\/([^/]*)\/?$/i))) {
      rec.endpoint = 'state';
      if (!getOnly(ctx)) return;
      return handleStateApi(core, ctx, decodeSafe(m[1]!));
    }
    if ((m = path.match(/^\/harness\/(jku|x5u)\/([^/]+)$/))) {
      rec.endpoint = 'harness-probe';
      return harnessProbe(sid, ctx, m[1]!, m[2]!);
    }
    if (/^\/[^/]+\/(api|remote)(\/|$)/i.test(path) && !lower.startsWith('/login/')) {
      rec.endpoint = 'api-wrong-host';
      return apiOnWrongHost(sid, ctx);
    }
    ctx.status = 404;
    ctx.body = { error: 'not_found', error_description: 'no such endpoint' };
  });

  return { app, provider };
}
