/**
 * What every SuperID endpoint module shares: the per-request record, the Koa context type, the
 * state of one SuperID app (provider, sign-ins in progress) and small response helpers.
 */
import type Koa from 'koa';
import type Provider from 'oidc-provider';
import type { EmulatorCore, UserKey } from '../core.ts';
import { safeJson } from '../http.ts';
import type { CredentialKind, EndpointName } from '../types.ts';
import { messagePage, PAGE_HEADERS, requestId } from './pages.ts';

export interface RecState {
  endpoint: EndpointName;
  flowId: string | undefined;
  credential: CredentialKind;
  notes: string[];
  body: Buffer;
}

export type Ctx = Koa.ParameterizedContext<{ rec: RecState }>;

export interface AuthorizeMeta {
  flowId: string | undefined;
  stripIdToken: boolean;
}

/** One SuperID app: made by createSuperIdApp, handed to every endpoint. */
export interface SuperId {
  core: EmulatorCore;
  provider: Provider;
  native: boolean;
  /** Per interaction uid: the flow that started it and how to rewrite its response. */
  uidMeta: Map<string, AuthorizeMeta>;
  /** Per interaction uid: who signed in, and the tenant once known. */
  uidUser: Map<string, { userKey: UserKey; tenant?: string }>;
  /** Runs oidc-provider (mounted at `/login`) on this request. */
  runProvider(ctx: Ctx): Promise<void>;
}

export function html(ctx: Ctx, body: string): void {
  ctx.set(PAGE_HEADERS);
  ctx.type = 'html';
  ctx.body = body;
}

export function getOnly(ctx: Ctx): boolean {
  if (ctx.method === 'GET' || ctx.method === 'HEAD') return true;
  ctx.status = 405;
  ctx.set('Allow', 'GET');
  ctx.body = { error: 'invalid_request', error_description: `method ${ctx.method} not allowed` };
  return false;
}

export function errorPage(ctx: Ctx, status: number, title: string, message: string): void {
  ctx.status = status;
  html(ctx, messagePage(title, message, requestId()));
}

/** Parameters of a request from the query and (form) body. */
export function params(ctx: Ctx): Record<string, string> {
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

export function decodePayload(jwt: string): Record<string, unknown> | undefined {
  const part = jwt.split('.')[1];
  if (!part) return undefined;
  const r = safeJson(Buffer.from(part, 'base64url').toString('utf8'));
  return r.ok && r.value && typeof r.value === 'object' ? (r.value as Record<string, unknown>) : undefined;
}

export function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
