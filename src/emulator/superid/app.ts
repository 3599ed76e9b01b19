/**
 * The SuperID origin: OIDC under `/login` (oidc-provider, wrapped to speak SuperOffice), the
 * sign-in / tenant / consent pages, PartnerSystemUser, the tenant state API, harness probes and
 * the 421 answer for tenant API paths. Every request is recorded.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import Koa from 'koa';
import mount from 'koa-mount';
import type Provider from 'oidc-provider';
import type { EmulatorCore, UserKey } from '../core.ts';
import { FLOW_COOKIE } from '../core.ts';
import { cookiesOf, credentialOf, flatHeaders, fromBrowser, queryOf, readBody, safeJson } from '../http.ts';
import { truncate } from '../recorder.ts';
import type { CredentialKind, EndpointName } from '../types.ts';
import { attackerJwks, attackerKey } from '../scenarios.ts';
import {
  consentPage,
  formPostPage,
  messagePage,
  PAGE_HEADERS,
  requestId,
  signInPage,
  tenantPage,
} from './pages.ts';
import { accountIdOf, createProvider, parseAccountId, PROVIDER_COOKIES } from './provider.ts';
import { redirectAllowed } from './redirects.ts';
import { handleStateApi, handleSystemUser } from './backchannel.ts';

export interface RecState {
  endpoint: EndpointName;
  flowId: string | undefined;
  credential: CredentialKind;
  notes: string[];
  body: Buffer;
}

type Ctx = Koa.ParameterizedContext<{ rec: RecState }>;

interface AuthorizeMeta {
  flowId: string | undefined;
  stripIdToken: boolean;
}

const DEPRECATED_TYPES = new Set([
  'id_token',
  'token',
  'id_token token',
  'code id_token',
  'code token',
  'code id_token token',
]);

export function createSuperIdApp(core: EmulatorCore): { app: Koa; provider: Provider } {
  const provider = createProvider(core);
  const providerMw = mount('/login', provider as unknown as Koa);
  const app = new Koa<{ rec: RecState }>();
  app.silent = true;
  // The provider's middleware runs on this app's context, so cookies must be signed alike.
  app.keys = (provider as unknown as Koa).keys;
  const uidMeta = new Map<string, AuthorizeMeta>();
  const uidUser = new Map<string, { userKey: UserKey; tenant?: string }>();
  const native = core.options.app.type === 'native';

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
      ctx.body = discovery(core.superidUrl);
      return;
    }
    if (lower === '/login/.well-known/jwks') {
      rec.endpoint = 'jwks';
      if (!getOnly(ctx)) return;
      if (core.faults.jwksUnavailable) {
        ctx.status = 503;
        ctx.set('Retry-After', '30');
        ctx.body = {
          error: 'temporarily_unavailable',
          error_description: 'JWKS unavailable (emulated fault)',
        };
        return;
      }
      ctx.set('Cache-Control', 'public, max-age=300');
      ctx.body = { keys: core.keys.map((k) => k.jwk) };
      return;
    }
    if (lower === '/login/certificates/superofficefederatedlogin.crt') {
      rec.endpoint = 'certificate';
      ctx.type = 'application/x-pem-file';
      ctx.body = core.signing.cert.pem;
      return;
    }
    if ((m = path.match(/^\/login\/(common|Cust\d+)\/oauth\/authorize(?:\/([A-Za-z0-9_-]+))?\/?$/i))) {
      rec.endpoint = 'authorize';
      if (m[2]) return resume(ctx, m[2]);
      return authorize(ctx, m[1]!.toLowerCase() === 'common' ? undefined : m[1]!);
    }
    if ((m = path.match(/^\/login\/interaction\/([A-Za-z0-9_-]+)(?:\/(login|tenant|consent))?\/?$/))) {
      rec.endpoint = 'interaction';
      return interaction(ctx, m[1]!, m[2]);
    }
    if (lower === '/login/common/oauth/tokens') {
      rec.endpoint = 'token';
      return token(ctx);
    }
    if (lower === '/login/common/oauth/revoke') {
      rec.endpoint = 'revoke';
      return revoke(ctx);
    }
    if (lower === '/login/logout' || lower === '/login/logout/') {
      rec.endpoint = 'logout';
      return logout(ctx);
    }
    if (lower === '/login' || lower === '/login/') {
      rec.endpoint = 'legacy-login';
      ctx.status = 400;
      html(
        ctx,
        messagePage(
          'Sign-in flow deprecated',
          'The legacy SuperID sign-in (/login/?app_id=...) is deprecated and not supported. Use OpenID Connect: /login/common/oauth/authorize.',
          requestId(),
        ),
      );
      return;
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
      const id = decodeSafe(m[2]!);
      if (core.flows.has(id)) rec.flowId = id;
      rec.notes.push(`${m[1]} fetched`);
      const k = await attackerKey();
      if (m[1] === 'jku') ctx.body = attackerJwks(k);
      else {
        ctx.type = 'application/x-pem-file';
        ctx.body = k.cert.pem;
      }
      return;
    }
    if (/^\/[^/]+\/(api|remote)(\/|$)/i.test(path) && !lower.startsWith('/login/')) {
      rec.endpoint = 'api-wrong-host';
      rec.credential = credentialOf(ctx.req.headers);
      // Bind the misdirected call to the flow whose credential it carries, so a check sees it.
      const auth = String(ctx.req.headers['authorization'] ?? '').trim();
      const bearer = /^bearer\s+(.+)$/i.exec(auth)?.[1];
      const ticket = /^soticket\s+(.+)$/i.exec(auth)?.[1];
      const owner = bearer
        ? core.accessTokens.get(bearer)?.flowId
        : ticket
          ? core.tickets.get(ticket)?.flowId
          : undefined;
      if (owner && core.flows.has(owner)) rec.flowId = owner;
      ctx.status = 421;
      ctx.body = {
        Error: 'Wrong subdomain used to access tenant',
        ErrorType: 'MisdirectedRequest',
        Message: 'Wrong subdomain used to access tenant',
      };
      return;
    }
    ctx.status = 404;
    ctx.body = { error: 'not_found', error_description: 'no such endpoint' };
  });

  function html(ctx: Ctx, body: string): void {
    ctx.set(PAGE_HEADERS);
    ctx.type = 'html';
    ctx.body = body;
  }

  function getOnly(ctx: Ctx): boolean {
    if (ctx.method === 'GET' || ctx.method === 'HEAD') return true;
    ctx.status = 405;
    ctx.set('Allow', 'GET');
    ctx.body = { error: 'invalid_request', error_description: `method ${ctx.method} not allowed` };
    return false;
  }

  function errorPage(ctx: Ctx, status: number, title: string, message: string): void {
    ctx.status = status;
    html(ctx, messagePage(title, message, requestId()));
  }

  /** Parameters of a request from the query and (form) body. */
  function params(ctx: Ctx): Record<string, string> {
    const out: Record<string, string> = {};
    const add = (sp: URLSearchParams): void => {
      for (const [k, v] of sp) if (!(k in out)) out[k] = v;
    };
    if (ctx.state.rec.body.length && /application\/x-www-form-urlencoded/i.test(ctx.get('content-type'))) {
      add(new URLSearchParams(ctx.state.rec.body.toString('utf8')));
    }
    add(new URLSearchParams(ctx.querystring));
    return out;
  }

  // ---- authorize ----
  async function authorize(ctx: Ctx, tenantPath: string | undefined): Promise<void> {
    const rec = ctx.state.rec;
    if (ctx.method !== 'GET' && ctx.method !== 'POST') {
      errorPage(ctx, 405, 'Authorization error', `Method ${ctx.method} not allowed`);
      return;
    }
    const p = params(ctx);
    if (!p['client_id'] || p['client_id'] !== core.client.id) {
      errorPage(ctx, 400, 'Authorization error', 'Authorization error: InvalidClient (unknown client_id)');
      rec.notes.push('unknown client_id');
      return;
    }
    const redirectUri = p['redirect_uri'];
    if (!redirectAllowed(core.options.app.redirectUris, redirectUri, native)) {
      errorPage(ctx, 400, 'Authorization error', 'Authorization error: InvalidRedirectUrl (2)');
      rec.notes.push(redirectUri ? `unregistered redirect_uri` : 'missing redirect_uri');
      return;
    }
    const responseType = (p['response_type'] ?? '').trim().split(/\s+/).sort().join(' ');
    const redirectError = (error: string, description: string): void => {
      const target = new URL(redirectUri!);
      const fragment = responseType !== 'code' && responseType !== '' && p['response_mode'] !== 'query';
      const sp = new URLSearchParams({
        error,
        error_description: description,
        ...(p['state'] !== undefined ? { state: p['state'] } : {}),
      });
      if (fragment) target.hash = sp.toString();
      else for (const [k, v] of sp) target.searchParams.set(k, v);
      rec.notes.push(`error=${error}`);
      ctx.redirect(target.href);
    };
    let effectiveType = responseType;
    let stripIdToken = false;
    if (responseType === 'token') {
      effectiveType = 'id_token token';
      stripIdToken = true;
    }
    if (!responseType || ![...DEPRECATED_TYPES, 'code'].includes(responseType)) {
      redirectError(
        'unsupported_response_type',
        'response_type must be code (or a deprecated implicit/hybrid type)',
      );
      return;
    }
    if (DEPRECATED_TYPES.has(responseType))
      rec.notes.push(`response_type=${p['response_type']} (deprecated)`);
    const scopes = (p['scope'] ?? '').split(/\s+/).filter(Boolean);
    if (!scopes.includes('openid')) {
      redirectError('invalid_scope', 'scope must be openid');
      return;
    }
    if (scopes.length > 1) rec.notes.push(`scope=${p['scope']} (only openid is used)`);
    const q: Record<string, string> = { ...p, scope: 'openid', response_type: effectiveType };
    if (stripIdToken && !q['nonce']) q['nonce'] = randomBytes(12).toString('base64url');
    const challenge = p['code_challenge'];
    const method = p['code_challenge_method'];
    if (challenge !== undefined) {
      if (method === undefined || method === 'plain') {
        if (!/^[A-Za-z0-9\-._~]{43,128}$/.test(challenge)) {
          redirectError('invalid_request', 'code_challenge must be 43-128 unreserved characters');
          return;
        }
        rec.notes.push('pkce=plain');
        const hashed = createHash('sha256').update(challenge).digest('base64url');
        core.pkceMethods.set(hashed, 'plain');
        q['code_challenge'] = hashed;
        q['code_challenge_method'] = 'S256';
      } else if (method === 'S256') {
        rec.notes.push('pkce=S256');
        core.pkceMethods.set(challenge, 'S256');
      } else {
        redirectError('invalid_request', 'code_challenge_method must be plain or S256');
        return;
      }
    } else {
      // SuperOffice requires PKCE of native apps, but what SuperID does without it is not
      // documented; the emulator lets the flow go on and records it, so the harness can report
      // AUTH-PKCE-NATIVE precisely instead of every later check failing to sign in.
      rec.notes.push(native ? 'pkce=none (native apps must use PKCE)' : 'pkce=none');
    }
    if (tenantPath) {
      q['acr_values'] = `tenant:${tenantPath}`;
      rec.notes.push(`tenant-specific authorize (${tenantPath})`);
    }
    ctx.method = 'GET';
    ctx.path = '/login/common/oauth/authorize';
    ctx.querystring = new URLSearchParams(q).toString();
    await runProvider(ctx);
    await afterAuthorize(ctx, { flowId: rec.flowId, stripIdToken });
  }

  async function resume(ctx: Ctx, uid: string): Promise<void> {
    const meta = uidMeta.get(uid) ?? { flowId: ctx.state.rec.flowId, stripIdToken: false };
    if (!ctx.state.rec.flowId && meta.flowId) ctx.state.rec.flowId = meta.flowId;
    await runProvider(ctx);
    await afterAuthorize(ctx, meta);
  }

  async function runProvider(ctx: Ctx): Promise<void> {
    await providerMw(ctx as unknown as Koa.Context, async () => {
      ctx.status = 404;
    });
  }

  async function afterAuthorize(ctx: Ctx, meta: AuthorizeMeta): Promise<void> {
    const location = ctx.response.get('Location');
    if (ctx.status >= 300 && ctx.status < 400 && location) {
      const m = location.match(/\/login\/interaction\/([A-Za-z0-9_-]+)/);
      if (m && location.startsWith('/')) {
        uidMeta.set(m[1]!, meta);
        return;
      }
      const target = new URL(location, core.superidUrl);
      const inFragment = target.hash.length > 1;
      const sp = new URLSearchParams(inFragment ? target.hash.slice(1) : target.search);
      const fields = Object.fromEntries(sp);
      // SuperID does not send RFC 9207 `iss` (nor advertise it); oidc-provider always adds it.
      delete fields['iss'];
      if (
        !('code' in fields) &&
        !('id_token' in fields) &&
        !('access_token' in fields) &&
        !('iss' in Object.fromEntries(sp))
      )
        return;
      const out = await rewriteResponseFields(fields, meta);
      const rebuilt = new URLSearchParams(out).toString();
      if (inFragment) target.hash = rebuilt;
      else target.search = rebuilt;
      ctx.redirect(target.href);
      ctx.status = 303;
      return;
    }
    if (typeof ctx.body === 'string' && ctx.body.includes('<form method="post"')) {
      const action = ctx.body.match(/<form method="post" action="([^"]*)"/)?.[1];
      if (!action) return;
      const fields: Record<string, string> = {};
      for (const mm of ctx.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"\/>/g)) {
        fields[unescapeHtml(mm[1]!)] = unescapeHtml(mm[2]!);
      }
      delete fields['iss'];
      const out =
        'code' in fields || 'id_token' in fields || 'access_token' in fields
          ? await rewriteResponseFields(fields, meta)
          : fields;
      const page = formPostPage(unescapeHtml(action), out);
      ctx.set('Content-Security-Policy', page.csp);
      ctx.set('X-Frame-Options', 'DENY');
      ctx.type = 'html';
      ctx.body = page.html;
    }
  }

  async function rewriteResponseFields(
    fields: Record<string, string>,
    meta: AuthorizeMeta,
  ): Promise<Record<string, string>> {
    const out = { ...fields };
    const flow = core.flowOf(meta.flowId);
    const code = fields['code'];
    if (code) {
      core.codes.set(code, meta.flowId);
      core.addSecret(code);
      flow?.issued.codes.push(code);
    }
    const providerIdToken = fields['id_token'];
    const idPayload = providerIdToken ? decodePayload(providerIdToken) : undefined;
    let account = parseAccountId(idPayload?.['sub'] as string | undefined);
    if (!account && code) account = parseAccountId((await provider.AuthorizationCode.find(code))?.accountId);
    let accessToken: string | undefined;
    if (fields['access_token'] && account) {
      accessToken = core.issueAccessToken({
        flowId: meta.flowId,
        userKey: account.userKey,
        tenant: account.tenant,
        issuedAt: Date.now(),
      });
      out['access_token'] = accessToken;
      out['token_type'] = 'bearer';
    }
    if (providerIdToken && account) {
      if (meta.stripIdToken) delete out['id_token'];
      else
        out['id_token'] = await core.issueIdToken({
          userKey: account.userKey,
          tenant: account.tenant,
          nonce: idPayload?.['nonce'] as string | undefined,
          accessToken,
          code,
          flow,
        });
    }
    return out;
  }

  // ---- interaction pages ----
  async function interaction(ctx: Ctx, uid: string, step: string | undefined): Promise<void> {
    let details;
    try {
      details = await provider.interactionDetails(ctx.req, ctx.res);
    } catch (e) {
      ctx.state.rec.notes.push(
        `interaction lookup failed: ${(e as Error).message} ${(e as { error_description?: string }).error_description ?? ''}`,
      );
      errorPage(
        ctx,
        400,
        'Technical error',
        'The sign-in session has expired or is invalid. Start the sign-in again from the application.',
      );
      return;
    }
    if (details.uid !== uid) {
      errorPage(ctx, 400, 'Technical error', 'The sign-in session does not match this page.');
      return;
    }
    const meta = uidMeta.get(uid);
    if (!ctx.state.rec.flowId && meta?.flowId) ctx.state.rec.flowId = meta.flowId;
    const appName = core.options.app.name;
    const acrTenant = /(?:^|\s)tenant:(Cust\d+)/i.exec(details.params['acr_values'] ?? '')?.[1];
    const known = parseAccountId(details.session?.accountId);
    const state = uidUser.get(uid) ?? (known ? { userKey: known.userKey, tenant: known.tenant } : undefined);

    if (ctx.method === 'GET' && !step) {
      if (details.prompt.name === 'login' || !state) {
        html(ctx, signInPage(uid, { loginHint: details.params['login_hint'], appName }));
        return;
      }
      return afterUser(ctx, uid, state.userKey, state.tenant ?? acrTenant);
    }
    if (ctx.method !== 'POST' || !step) {
      errorPage(ctx, 405, 'Technical error', 'Method not allowed');
      return;
    }
    const form = new URLSearchParams(ctx.state.rec.body.toString('utf8'));
    if (step === 'login') {
      const found = core.userByName(form.get('username') ?? '');
      if (!found || found[1].password !== (form.get('password') ?? '')) {
        ctx.status = 401;
        html(
          ctx,
          signInPage(uid, {
            loginHint: form.get('username') ?? '',
            error: 'Wrong username or password.',
            appName,
          }),
        );
        ctx.state.rec.notes.push('sign-in failed');
        return;
      }
      uidUser.set(uid, { userKey: found[0] });
      return afterUser(ctx, uid, found[0], acrTenant);
    }
    if (!state) {
      errorPage(ctx, 400, 'Technical error', 'Sign in first.');
      return;
    }
    if (step === 'tenant') {
      const t = form.get('tenant') ?? '';
      if (!core.users[state.userKey].tenants.includes(t)) {
        errorPage(ctx, 403, 'Account does not have access', `Account does not have access to tenant ${t}.`);
        return;
      }
      uidUser.set(uid, { userKey: state.userKey, tenant: t });
      return consentStep(ctx, uid, state.userKey, t);
    }
    // consent
    if (!state.tenant) {
      errorPage(ctx, 400, 'Technical error', 'Choose a tenant first.');
      return;
    }
    if (form.get('decision') === 'approve') {
      if (!core.users[state.userKey].isAdministrator) {
        errorPage(
          ctx,
          403,
          'Account does not have access',
          'Account does not have access. Only an administrator can approve this app.',
        );
        return;
      }
      core.consents.add(state.tenant);
      ctx.state.rec.notes.push(`consent approved (${state.tenant})`);
      return finish(ctx, uid, state.userKey, state.tenant);
    }
    ctx.state.rec.notes.push('consent cancelled');
    const to = await provider.interactionResult(
      ctx.req,
      ctx.res,
      { error: 'access_denied', error_description: 'The user cancelled the consent' },
      { mergeWithLastSubmission: false },
    );
    ctx.redirect(to);
    ctx.status = 303;
  }

  async function afterUser(
    ctx: Ctx,
    uid: string,
    userKey: UserKey,
    tenantHint: string | undefined,
  ): Promise<void> {
    const user = core.users[userKey];
    if (tenantHint) {
      if (!user.tenants.includes(tenantHint)) {
        errorPage(
          ctx,
          403,
          'Account does not have access',
          `Account does not have access to tenant ${tenantHint}.`,
        );
        return;
      }
      uidUser.set(uid, { userKey, tenant: tenantHint });
      return consentStep(ctx, uid, userKey, tenantHint);
    }
    if (user.tenants.length > 1) {
      html(
        ctx,
        tenantPage(
          uid,
          user.tenants.map((t) => ({ ctx: t, companyName: core.tenants.get(t)?.companyName ?? '' })),
        ),
      );
      return;
    }
    const t = user.tenants[0]!;
    uidUser.set(uid, { userKey, tenant: t });
    return consentStep(ctx, uid, userKey, t);
  }

  async function consentStep(ctx: Ctx, uid: string, userKey: UserKey, tenant: string): Promise<void> {
    if (core.consents.has(tenant)) return finish(ctx, uid, userKey, tenant);
    if (!core.users[userKey].isAdministrator) {
      errorPage(
        ctx,
        403,
        'Account does not have access',
        'Account does not have access. The app has not been approved for this tenant; an administrator must approve it first.',
      );
      return;
    }
    html(
      ctx,
      consentPage(
        uid,
        { name: core.options.app.name, vendor: core.options.app.vendor ?? 'Unknown vendor' },
        tenant,
      ),
    );
  }

  async function finish(ctx: Ctx, uid: string, userKey: UserKey, tenant: string): Promise<void> {
    const accountId = accountIdOf(userKey, tenant);
    const grant = new provider.Grant({ accountId, clientId: core.client.id });
    grant.addOIDCScope('openid');
    const grantId = await grant.save();
    const to = await provider.interactionResult(
      ctx.req,
      ctx.res,
      { login: { accountId }, consent: { grantId } },
      { mergeWithLastSubmission: false },
    );
    uidUser.delete(uid);
    ctx.redirect(to);
    ctx.status = 303;
  }

  // ---- token ----
  async function token(ctx: Ctx): Promise<void> {
    const rec = ctx.state.rec;
    if (ctx.method !== 'POST') {
      ctx.status = 405;
      ctx.set('Allow', 'POST');
      ctx.body = {
        error: 'invalid_request',
        error_description: `method ${ctx.method} not allowed; use POST`,
      };
      return;
    }
    const cty = ctx.get('content-type');
    const body = rec.body.length ? rec.body.toString('utf8') : '';
    if (body && !/application\/x-www-form-urlencoded/i.test(cty)) {
      ctx.status = 400;
      ctx.body = {
        error: 'invalid_request',
        error_description: 'token requests must be application/x-www-form-urlencoded',
      };
      return;
    }
    const form = new URLSearchParams(body);
    const query = new URLSearchParams(ctx.querystring);
    if ([...query.keys()].length) {
      rec.notes.push('parameters in query string');
      if (query.has('client_secret')) rec.notes.push('client_secret in query string');
      for (const [k, v] of query) if (!form.has(k)) form.set(k, v);
    }
    const auth = ctx.get('authorization');
    if (/^basic\s/i.test(auth)) rec.notes.push('client_secret_basic');
    else if (form.has('client_secret')) rec.notes.push('client_secret_post');
    const grantType = form.get('grant_type');
    rec.credential =
      grantType === 'refresh_token'
        ? 'refresh-token'
        : form.has('client_secret') || /^basic\s/i.test(auth)
          ? 'client-secret'
          : 'none';

    if (grantType === 'authorization_code') {
      const code = form.get('code') ?? '';
      if (core.codes.has(code)) rec.flowId = core.codes.get(code) ?? rec.flowId;
      else rec.flowId = undefined;
      if (core.redeemedCodes.has(code)) rec.notes.push('code replay');
      const stored = code
        ? await provider.AuthorizationCode.find(code, { ignoreExpiration: true }).catch(() => undefined)
        : undefined;
      if (stored) {
        if (stored.codeChallenge)
          rec.notes.push(`pkce=${core.pkceMethods.get(stored.codeChallenge) ?? 'S256'}`);
        else rec.notes.push('pkce=none');
        if (!form.has('code_verifier') && stored.codeChallenge) rec.notes.push('code_verifier missing');
        if (stored.redirectUri !== form.get('redirect_uri')) rec.notes.push('redirect_uri mismatch');
      }
    } else if (grantType === 'refresh_token') {
      const rt = form.get('refresh_token') ?? '';
      const r = core.refreshTokens.get(rt);
      rec.flowId = r?.flowId;
      const flow = core.flowOf(r?.flowId);
      let revokedWhy: string | undefined;
      if (r?.revoked) revokedWhy = 'refresh token revoked';
      else if (r && core.isRevokedByConsent(r.issuedAt)) revokedWhy = 'consent revoked';
      else if (flow?.options.api?.refreshRevoked) revokedWhy = 'refresh revoked (flow fault)';
      if (revokedWhy) {
        rec.notes.push(revokedWhy);
        ctx.status = 400;
        ctx.set('Cache-Control', 'no-store');
        ctx.body = { error: 'invalid_grant', error_description: 'grant request is invalid' };
        return;
      }
    } else {
      rec.flowId = undefined;
    }

    const newBody = Buffer.from(form.toString());
    replayBody(ctx.req, newBody);
    ctx.querystring = '';
    await runProvider(ctx);

    const res = ctx.body as Record<string, unknown> | undefined;
    if (ctx.status !== 200 || !res || typeof res !== 'object' || typeof res['access_token'] !== 'string') {
      if (
        ctx.status === 400 &&
        res &&
        typeof res === 'object' &&
        res['error'] === 'invalid_grant' &&
        rec.notes.includes('redirect_uri mismatch')
      ) {
        rec.notes.push('rejected: redirect_uri mismatch');
      }
      return;
    }
    const flow = core.flowOf(rec.flowId);
    const idPayload = typeof res['id_token'] === 'string' ? decodePayload(res['id_token']) : undefined;
    let account = parseAccountId(idPayload?.['sub'] as string | undefined);
    if (grantType === 'authorization_code') core.redeemedCodes.add(form.get('code') ?? '');
    if (!account && grantType === 'refresh_token') {
      const r = core.refreshTokens.get(form.get('refresh_token') ?? '');
      if (r) account = { userKey: r.userKey, tenant: r.tenant };
    }
    if (!account) return;
    const accessToken = core.issueAccessToken({
      flowId: rec.flowId,
      userKey: account.userKey,
      tenant: account.tenant,
      issuedAt: Date.now(),
      fromRefresh: grantType === 'refresh_token',
    });
    const out: Record<string, unknown> = {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: res['expires_in'] ?? core.accessTtl,
    };
    if (typeof res['refresh_token'] === 'string') {
      const rt = res['refresh_token'];
      if (!core.refreshTokens.has(rt)) {
        core.refreshTokens.set(rt, {
          flowId: rec.flowId,
          userKey: account.userKey,
          tenant: account.tenant,
          revoked: false,
          issuedAt: Date.now(),
        });
        core.addSecret(rt);
        flow?.issued.refreshTokens.push(rt);
      }
      out['refresh_token'] = rt;
    }
    out['id_token'] = await core.issueIdToken({
      userKey: account.userKey,
      tenant: account.tenant,
      nonce: idPayload?.['nonce'] as string | undefined,
      flow,
    });
    if (res['scope']) out['scope'] = res['scope'];
    ctx.body = out;
  }

  // ---- revoke ----
  async function revoke(ctx: Ctx): Promise<void> {
    const rec = ctx.state.rec;
    if (ctx.method !== 'POST') {
      ctx.status = 405;
      ctx.set('Allow', 'POST');
      ctx.body = { error: 'invalid_request', error_description: 'use POST' };
      return;
    }
    const p = params(ctx);
    const basic = parseBasic(ctx.get('authorization'));
    const clientId = basic?.id ?? p['client_id'];
    const secret = basic?.secret ?? p['client_secret'];
    if (p['client_secret'] && ctx.querystring.includes('client_secret'))
      rec.notes.push('client_secret in query string');
    rec.credential = secret ? 'client-secret' : 'none';
    if (clientId !== core.client.id || (core.client.secret !== undefined && secret !== core.client.secret)) {
      ctx.status = 401;
      ctx.body = { error: 'invalid_client', error_description: 'client authentication failed' };
      return;
    }
    const t = p['token'];
    if (!t) {
      ctx.status = 400;
      ctx.body = { error: 'invalid_request', error_description: 'missing token' };
      return;
    }
    const a = core.accessTokens.get(t);
    const r = core.refreshTokens.get(t);
    if (a) {
      a.revoked = true;
      rec.flowId = a.flowId;
      rec.notes.push('access token revoked');
    }
    if (r) {
      r.revoked = true;
      rec.flowId = r.flowId;
      rec.notes.push('refresh token revoked');
      const stored = await provider.RefreshToken.find(t).catch(() => undefined);
      await stored?.destroy().catch(() => undefined);
    }
    ctx.status = 200;
    ctx.body = '';
  }

  // ---- logout ----
  async function logout(ctx: Ctx): Promise<void> {
    if (ctx.method !== 'GET' && ctx.method !== 'POST') {
      errorPage(ctx, 405, 'Technical error', 'Method not allowed');
      return;
    }
    const p = params(ctx);
    const target = p['post_logout_redirect_uri'] ?? p['redirect_uri'];
    if (p['post_logout_redirect_uri'] !== undefined) ctx.state.rec.notes.push('post_logout_redirect_uri');
    else if (p['redirect_uri'] !== undefined) ctx.state.rec.notes.push('redirect_uri');
    if (
      target !== undefined &&
      !redirectAllowed(core.options.app.postLogoutRedirectUris ?? [], target, native)
    ) {
      errorPage(ctx, 400, 'Authorization error', 'Authorization error: InvalidRedirectUrl (2)');
      ctx.state.rec.notes.push('unregistered post-logout redirect');
      return;
    }
    for (const name of Object.values(PROVIDER_COOKIES)) {
      for (const path of ['/', '/login']) {
        ctx.append(
          'Set-Cookie',
          `${name}=; Path=${path}; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax`,
        );
        ctx.append(
          'Set-Cookie',
          `${name}.sig=; Path=${path}; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax`,
        );
      }
    }
    if (target) {
      const u = new URL(target);
      if (p['state'] !== undefined) u.searchParams.set('state', p['state']);
      ctx.redirect(u.href);
      return;
    }
    html(ctx, messagePage('Signed out', 'You have been signed out of SuperOffice.'));
  }

  return { app, provider };
}

export function discovery(issuer: string): Record<string, unknown> {
  return {
    issuer,
    authorization_endpoint: `${issuer}/login/common/oauth/authorize`,
    token_endpoint: `${issuer}/login/common/oauth/tokens`,
    jwks_uri: `${issuer}/login/.well-known/jwks`,
    end_session_endpoint: `${issuer}/login/logout`,
    scopes_supported: ['openid'],
    response_modes_supported: ['form_post', 'fragment', 'query'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'token id_token', 'token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
    grant_types_supported: ['implicit', 'authorization_code', 'refresh_token'],
  };
}

function decodePayload(jwt: string): Record<string, unknown> | undefined {
  const part = jwt.split('.')[1];
  if (!part) return undefined;
  const r = safeJson(Buffer.from(part, 'base64url').toString('utf8'));
  return r.ok && r.value && typeof r.value === 'object' ? (r.value as Record<string, unknown>) : undefined;
}

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function unescapeHtml(s: string): string {
  return s
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

export function parseBasic(header: string): { id: string; secret: string } | undefined {
  const m = /^basic\s+(\S+)$/i.exec(header.trim());
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return undefined;
  const dec = (s: string): string => {
    try {
      return decodeURIComponent(s.replace(/\+/g, ' '));
    } catch {
      return s;
    }
  };
  return { id: dec(decoded.slice(0, i)), secret: dec(decoded.slice(i + 1)) };
}

/**
 * Hands an already-read body to oidc-provider, whose parser reads `req` as a stream.
 * Kept in this one adapter so no other code touches IncomingMessage internals.
 */
function replayBody(req: IncomingMessage, buf: Buffer): void {
  const r = req as IncomingMessage & { iterator: (opts?: unknown) => AsyncIterableIterator<Buffer> };
  Object.defineProperty(r, 'readable', { value: true, configurable: true });
  r.iterator = async function* () {
    yield buf;
  };
  r.headers['content-length'] = String(buf.length);
  r.headers['content-type'] = 'application/x-www-form-urlencoded';
  delete r.headers['transfer-encoding'];
}
