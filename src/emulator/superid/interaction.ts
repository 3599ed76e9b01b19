/**
 * The interaction pages oidc-provider sends the browser to (`/login/interaction/{uid}[/step]`):
 * sign-in, tenant choice and consent, as SuperID shows them.
 */
import type { UserKey } from '../core.ts';
import type { Ctx, SuperId } from './context.ts';
import { errorPage, html } from './context.ts';
import { consentPage, signInPage, tenantPage } from './pages.ts';
import { accountIdOf, parseAccountId } from './provider.ts';

export async function interaction(
  sid: SuperId,
  ctx: Ctx,
  uid: string,
  step: string | undefined,
): Promise<void> {
  const { core, provider, uidMeta, uidUser } = sid;
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
  const known = parseAccountId(core, details.session?.accountId);
  const state = uidUser.get(uid) ?? (known ? { userKey: known.userKey, tenant: known.tenant } : undefined);

  if (ctx.method === 'GET' && !step) {
    if (details.prompt.name === 'login' || !state) {
      // Single sign-on: the flow's browser holds a SuperID session (FlowOptions.superIdSession),
      // so the user is known without the sign-in page, but only when the lack of a session is the
      // one reason SuperID wants a sign-in. Any other reason oidc-provider found (`prompt=login`,
      // `max_age`, an `id_token_hint`, an essential acr) asks for a fresh sign-in: the page.
      const flow = core.flowOf(meta?.flowId);
      const fresh = details.prompt.name === 'login' && details.prompt.reasons.some((r) => r !== 'no_session');
      if (flow?.options.superIdSession && !flow.superIdSessionUsed && !fresh) {
        flow.superIdSessionUsed = true;
        ctx.state.rec.notes.push(`signed in by the SuperID session of ${flow.user.username}`);
        const userKey = core.userKeyOf(flow.options);
        uidUser.set(uid, { userKey });
        return afterUser(sid, ctx, uid, userKey, acrTenant);
      }
      html(ctx, signInPage(uid, { loginHint: details.params['login_hint'], appName }));
      return;
    }
    return afterUser(sid, ctx, uid, state.userKey, state.tenant ?? acrTenant);
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
    return afterUser(sid, ctx, uid, found[0], acrTenant);
  }
  if (!state) {
    errorPage(ctx, 400, 'Technical error', 'Sign in first.');
    return;
  }
  if (step === 'tenant') {
    const t = form.get('tenant') ?? '';
    if (!core.userOf(state.userKey).tenants.includes(t)) {
      errorPage(ctx, 403, 'Account does not have access', `Account does not have access to tenant ${t}.`);
      return;
    }
    uidUser.set(uid, { userKey: state.userKey, tenant: t });
    return consentStep(sid, ctx, uid, state.userKey, t);
  }
  // consent
  if (!state.tenant) {
    errorPage(ctx, 400, 'Technical error', 'Choose a tenant first.');
    return;
  }
  if (form.get('decision') === 'approve') {
    if (!core.userOf(state.userKey).isAdministrator) {
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
    return finish(sid, ctx, uid, state.userKey, state.tenant);
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
  sid: SuperId,
  ctx: Ctx,
  uid: string,
  userKey: UserKey,
  tenantHint: string | undefined,
): Promise<void> {
  const { core, uidUser } = sid;
  const user = core.userOf(userKey);
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
    return consentStep(sid, ctx, uid, userKey, tenantHint);
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
  return consentStep(sid, ctx, uid, userKey, t);
}

async function consentStep(
  sid: SuperId,
  ctx: Ctx,
  uid: string,
  userKey: UserKey,
  tenant: string,
): Promise<void> {
  const { core } = sid;
  if (core.consents.has(tenant)) return finish(sid, ctx, uid, userKey, tenant);
  if (!core.userOf(userKey).isAdministrator) {
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

async function finish(sid: SuperId, ctx: Ctx, uid: string, userKey: UserKey, tenant: string): Promise<void> {
  const { core, provider, uidUser } = sid;
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
