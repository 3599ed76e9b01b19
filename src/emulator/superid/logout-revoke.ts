/** Token revocation (`/login/common/oauth/revoke`) and sign-out (`/login/logout`). */
import type { Ctx, SuperId } from './context.ts';
import { errorPage, html, params } from './context.ts';
import { messagePage } from './pages.ts';
import { PROVIDER_COOKIES } from './provider.ts';
import { redirectAllowed } from './redirects.ts';
import { parseBasic } from '../http.ts';

export async function revoke(sid: SuperId, ctx: Ctx): Promise<void> {
  const { core, provider } = sid;
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

export async function logout(sid: SuperId, ctx: Ctx): Promise<void> {
  const { core, native } = sid;
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
