/**
 * oidc-provider configured as SuperID: codes (10 min, single use), non-rotating refresh tokens,
 * client_secret_post/basic (public clients for native apps, which must use PKCE), our own
 * interaction pages and redirect-URI matching (exact, anchored regex, native loopback any port).
 */
import { randomBytes } from 'node:crypto';
import Provider from 'oidc-provider';
import type { EmulatorCore, UserKey } from '../core.ts';
import { redirectAllowed } from './redirects.ts';
import { memoryAdapterFactory } from './adapter.ts';

export const PROVIDER_COOKIES = {
  session: 'so_superid_session',
  interaction: 'so_superid_interaction',
  resume: 'so_superid_resume',
};

export const RESPONSE_TYPES = [
  'code',
  'id_token',
  'code id_token',
  'id_token token',
  'code token',
  'code id_token token',
];

export function accountIdOf(userKey: string, tenant: string): string {
  return `${userKey}|${tenant}`;
}
/** The user and tenant of an account id (`userKey|tenant`), when it names a known user. */
export function parseAccountId(
  core: EmulatorCore,
  id: string | undefined,
): { userKey: UserKey; tenant: string } | undefined {
  const [userKey, tenant] = String(id ?? '').split('|');
  if (!userKey || !tenant || !core.userByKey(userKey)) return undefined;
  return { userKey, tenant };
}

export function createProvider(core: EmulatorCore): Provider {
  const app = core.options.app;
  const native = app.type === 'native';
  const client: Record<string, unknown> = {
    client_id: core.client.id,
    client_name: app.name,
    application_type: native ? 'native' : 'web',
    // The real list (exact URLs, patterns, http loopback for web apps) is checked by
    // redirectUriAllowed, overridden below; oidc-provider only sees a placeholder it accepts.
    redirect_uris: ['https://registered-redirects.invalid/callback'],
    post_logout_redirect_uris: [],
    response_types: RESPONSE_TYPES,
    grant_types: ['authorization_code', 'implicit', 'refresh_token'],
    token_endpoint_auth_method: native ? 'none' : 'client_secret_post',
    id_token_signed_response_alg: 'RS256',
  };
  if (!native) client['client_secret'] = core.client.secret;

  const privateJwk = {
    ...(core.signing.cert.keys.privateKey.export({ format: 'jwk' }) as Record<string, unknown>),
    kid: core.signing.kid,
    alg: 'RS256',
    use: 'sig',
  };

  const provider = new Provider(core.superidUrl, {
    adapter: memoryAdapterFactory(),
    clients: [client],
    jwks: { keys: [privateJwk] },
    cookies: { names: PROVIDER_COOKIES, keys: [randomBytes(32).toString('base64url')] },
    findAccount: (_ctx: unknown, id: string) => ({ accountId: id, claims: () => ({ sub: id }) }),
    scopes: ['openid'],
    claims: { openid: ['sub'] },
    responseTypes: RESPONSE_TYPES,
    clientAuthMethods: ['client_secret_post', 'client_secret_basic', 'none'],
    pkce: { required: () => false },
    issueRefreshToken: async (_ctx: unknown, c: { grantTypeAllowed(t: string): boolean }) =>
      c.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: false,
    conformIdTokenClaims: false,
    clockTolerance: 5,
    routes: {
      authorization: '/common/oauth/authorize',
      token: '/common/oauth/tokens',
      jwks: '/.well-known/provider-jwks',
      revocation: '/common/oauth/provider-revoke',
      end_session: '/provider-logout',
      userinfo: '/provider-userinfo',
    },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: { enabled: false },
      userinfo: { enabled: false },
      revocation: { enabled: false },
      introspection: { enabled: false },
      dPoP: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      resourceIndicators: { enabled: false },
    },
    ttl: {
      AccessToken: core.accessTtl,
      AuthorizationCode: 600,
      IdToken: core.idTtl,
      RefreshToken: 30 * 24 * 3600,
      Interaction: 3600,
      Session: 14 * 24 * 3600,
      Grant: 30 * 24 * 3600,
    },
    interactions: {
      url: (_ctx: unknown, interaction: { uid: string }) => `/login/interaction/${interaction.uid}`,
    },
    loadExistingGrant: async (ctx: {
      oidc: {
        result?: { consent?: { grantId?: string } };
        session: { accountId?: string; grantIdFor(id: string): string | undefined };
        client: { clientId: string };
        provider: { Grant: { find(id: string): Promise<unknown> } };
      };
    }) => {
      const fromResult = ctx.oidc.result?.consent?.grantId;
      if (fromResult) return ctx.oidc.provider.Grant.find(fromResult);
      const grantId = ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      const account = parseAccountId(core, ctx.oidc.session.accountId);
      // Consent is remembered per tenant; without it the consent page comes back.
      if (!grantId || !account || !core.consents.has(account.tenant)) return undefined;
      return ctx.oidc.provider.Grant.find(grantId);
    },
    renderError: async (
      ctx: { type: string; body: string; status: number; state?: { rec?: { notes: string[] } } },
      out: { error?: string; error_description?: string },
    ) => {
      ctx.type = 'html';
      ctx.state?.rec?.notes.push(
        `error=${out.error ?? 'server_error'}${out.error_description ? `: ${out.error_description}` : ''}`,
      );
      const { messagePage, requestId } = await import('./pages.ts');
      ctx.body = messagePage(
        'Technical error',
        `Authorization error: ${out.error ?? 'server_error'}${out.error_description ? ` (${out.error_description})` : ''}`,
        requestId(),
      );
    },
  });
  provider.proxy = false;
  provider.Client.prototype.redirectUriAllowed = function (value: string): boolean {
    return redirectAllowed(app.redirectUris, value, native);
  };
  provider.on('server_error', (...args: unknown[]) => {
    const err = args[1] as Error | undefined;
    core.log(`superid: provider server_error: ${err?.message ?? 'unknown'}`);
  });
  return provider;
}
