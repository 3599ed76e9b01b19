/**
 * The metadata an app fetches: discovery (`/login/.well-known/openid-configuration`), the signing
 * keys (`/login/.well-known/jwks`) and the federated-login certificate.
 */
import type { Ctx, SuperId } from './context.ts';

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

export function discoveryDocument(sid: SuperId, ctx: Ctx): void {
  ctx.body = discovery(sid.core.superidUrl);
}

export function jwks(sid: SuperId, ctx: Ctx): void {
  const { core } = sid;
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
}

export function certificate(sid: SuperId, ctx: Ctx): void {
  ctx.type = 'application/x-pem-file';
  ctx.body = sid.core.signing.cert.pem;
}
