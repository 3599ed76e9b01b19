/**
 * The token endpoint (`/login/common/oauth/tokens`): notes how the app authenticates and what it
 * sends, lets oidc-provider judge the grant, and answers with SuperID's own tokens.
 */
import type { IncomingMessage } from 'node:http';
import type { Ctx, SuperId } from './context.ts';
import { decodePayload } from './context.ts';
import { parseAccountId } from './provider.ts';

export async function token(sid: SuperId, ctx: Ctx): Promise<void> {
  const { core, provider } = sid;
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
  if (core.faults.secretReplaced && (form.has('client_secret') || /^basic\s/i.test(auth))) {
    rec.notes.push('client secret replaced');
    rec.credential = 'client-secret';
    ctx.status = 401;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { error: 'invalid_client', error_description: 'client authentication failed' };
    return;
  }
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
    else if (r && core.isRevokedByConsent(r.tenant, r.issuedAt)) revokedWhy = 'consent revoked';
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
  await sid.runProvider(ctx);

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
  let account = parseAccountId(core, idPayload?.['sub'] as string | undefined);
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
