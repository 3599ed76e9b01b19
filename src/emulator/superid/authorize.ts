/**
 * The authorize endpoint (`/login/{common|CustNNNNN}/oauth/authorize`): checks the request the way
 * SuperID does, hands it to oidc-provider and rewrites what comes back (SuperID's tokens, no `iss`,
 * its own form_post page).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { AuthorizeMeta, Ctx, SuperId } from './context.ts';
import { decodePayload, errorPage, params } from './context.ts';
import { formPostPage } from './pages.ts';
import { parseAccountId } from './provider.ts';
import { redirectAllowed } from './redirects.ts';

const DEPRECATED_TYPES = new Set([
  'id_token',
  'token',
  'id_token token',
  'code id_token',
  'code token',
  'code id_token token',
]);

export async function authorize(sid: SuperId, ctx: Ctx, tenantPath: string | undefined): Promise<void> {
  const { core, native } = sid;
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
  if (DEPRECATED_TYPES.has(responseType)) rec.notes.push(`response_type=${p['response_type']} (deprecated)`);
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
  await sid.runProvider(ctx);
  await afterAuthorize(sid, ctx, { flowId: rec.flowId, stripIdToken });
}

export async function resume(sid: SuperId, ctx: Ctx, uid: string): Promise<void> {
  const meta = sid.uidMeta.get(uid) ?? { flowId: ctx.state.rec.flowId, stripIdToken: false };
  if (!ctx.state.rec.flowId && meta.flowId) ctx.state.rec.flowId = meta.flowId;
  await sid.runProvider(ctx);
  await afterAuthorize(sid, ctx, meta);
}

async function afterAuthorize(sid: SuperId, ctx: Ctx, meta: AuthorizeMeta): Promise<void> {
  const { core } = sid;
  const location = ctx.response.get('Location');
  if (ctx.status >= 300 && ctx.status < 400 && location) {
    const m = location.match(/\/login\/interaction\/([A-Za-z0-9_-]+)/);
    if (m && location.startsWith('/')) {
      sid.uidMeta.set(m[1]!, meta);
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
    const out = await rewriteResponseFields(sid, fields, meta);
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
        ? await rewriteResponseFields(sid, fields, meta)
        : fields;
    const page = formPostPage(unescapeHtml(action), out);
    ctx.set('Content-Security-Policy', page.csp);
    ctx.set('X-Frame-Options', 'DENY');
    ctx.type = 'html';
    ctx.body = page.html;
  }
}

async function rewriteResponseFields(
  sid: SuperId,
  fields: Record<string, string>,
  meta: AuthorizeMeta,
): Promise<Record<string, string>> {
  const { core, provider } = sid;
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
  let account = parseAccountId(core, idPayload?.['sub'] as string | undefined);
  if (!account && code)
    account = parseAccountId(core, (await provider.AuthorizationCode.find(code))?.accountId);
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

function unescapeHtml(s: string): string {
  return s
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
