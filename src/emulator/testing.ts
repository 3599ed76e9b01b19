/**
 * A headless stand-in for the browser part of a sign-in: drives authorize -> sign-in -> tenant
 * -> consent with undici and a tiny cookie jar, and returns the redirect (or form_post) that
 * SuperID sends back to the app. For tests and benchmarks that need codes or tokens without
 * Chromium; the real flow driver uses Playwright against the same pages.
 */
import { Agent, ProxyAgent, request, type Dispatcher } from 'undici';
import type { Emulator, Flow } from './types.ts';

export interface HeadlessResult {
  /** Final redirect target (the app's redirect_uri with parameters), when SuperID redirected. */
  location?: string;
  /** Parameters from the query, fragment or form_post body of the answer to the app. */
  params: Record<string, string>;
  /** Status and body of the last SuperID page when it did not redirect to the app. */
  status: number;
  page?: string;
  /** Page kinds seen on the way: `signin`, `tenant`, `consent`, `error`. */
  steps: string[];
}

export interface HeadlessOptions {
  flow?: Flow;
  /** Authorize parameters; `client_id`, `scope=openid` and `response_type=code` are defaults. */
  authorize: Record<string, string>;
  /** Path variant: `common` (default) or a tenant id for `/login/{ctx}/oauth/authorize`. */
  authorizePath?: string;
  user?: { username: string; password: string };
  tenant?: string;
  decision?: 'approve' | 'cancel';
  /** Reuse between calls to keep SuperID's session cookie (SSO). */
  jar?: Map<string, string>;
  dispatcher?: Dispatcher;
}

const agents = new WeakMap<Emulator, Dispatcher>();
/** Trusts the emulator's CA; under impersonation, goes through its proxy as an app would. */
export function emulatorAgent(emulator: Emulator): Dispatcher {
  let a = agents.get(emulator);
  if (!a) {
    a = emulator.proxy
      ? new ProxyAgent({ uri: emulator.proxy.appUrl, requestTls: { ca: emulator.caPem } })
      : new Agent({ connect: { ca: emulator.caPem } });
    agents.set(emulator, a);
  }
  return a;
}

function fieldsOfFormPost(html: string): Record<string, string> {
  const out: Record<string, string> = {};
  const un = (s: string): string =>
    s
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g))
    out[un(m[1]!)] = un(m[2]!);
  return out;
}

export async function headlessAuthorize(emulator: Emulator, o: HeadlessOptions): Promise<HeadlessResult> {
  const dispatcher = o.dispatcher ?? emulatorAgent(emulator);
  const jar = o.jar ?? new Map<string, string>();
  if (o.flow) jar.set(o.flow.cookie.name, o.flow.cookie.value);
  const user = o.user ?? (o.flow ? o.flow.user : emulator.users.admin);
  const steps: string[] = [];
  const q = new URLSearchParams({
    client_id: emulator.client.id,
    scope: 'openid',
    response_type: 'code',
    ...o.authorize,
  });
  let url = `${emulator.superidUrl}/login/${o.authorizePath ?? 'common'}/oauth/authorize?${q}`;
  let method = 'GET';
  let body: string | undefined;
  for (let hop = 0; hop < 20; hop++) {
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await request(url, {
      method: method as 'GET',
      dispatcher,
      headers: {
        'sec-fetch-mode': 'navigate',
        'sec-fetch-site': 'same-origin',
        ...(cookie ? { cookie } : {}),
        ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(body !== undefined ? { body } : {}),
    });
    const setCookie = res.headers['set-cookie'];
    for (const c of Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []) {
      const [pair = ''] = c.split(';');
      const i = pair.indexOf('=');
      const k = pair.slice(0, i).trim();
      const v = pair.slice(i + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(c) || v === '') jar.delete(k);
      else jar.set(k, v);
    }
    const text = await res.body.text();
    const location = res.headers['location'];
    if (res.statusCode >= 300 && res.statusCode < 400 && typeof location === 'string') {
      const next = new URL(location, url);
      if (next.origin !== new URL(emulator.superidUrl).origin) {
        const sp = new URLSearchParams(next.hash.length > 1 ? next.hash.slice(1) : next.search);
        return { location: next.href, params: Object.fromEntries(sp), status: res.statusCode, steps };
      }
      url = next.href;
      method = 'GET';
      body = undefined;
      continue;
    }
    const action = (path: string): string => new URL(path, emulator.superidUrl).href;
    const formAction = /<form method="post" action="([^"]+)"/.exec(text)?.[1]?.replace(/&amp;/g, '&');
    if (text.includes('name="password"') && formAction) {
      steps.push('signin');
      if (steps.filter((s) => s === 'signin').length > 1)
        return { params: {}, status: res.statusCode, page: text, steps };
      url = action(formAction);
      method = 'POST';
      body = new URLSearchParams({ username: user.username, password: user.password }).toString();
      continue;
    }
    if (text.includes('name="tenant"') && formAction) {
      steps.push('tenant');
      url = action(formAction);
      method = 'POST';
      body = new URLSearchParams({ tenant: o.tenant ?? emulator.tenant }).toString();
      continue;
    }
    if (text.includes('name="decision"') && formAction) {
      steps.push('consent');
      url = action(formAction);
      method = 'POST';
      body = new URLSearchParams({ decision: o.decision ?? 'approve' }).toString();
      continue;
    }
    if (text.includes('document.forms[0].submit()') && formAction) {
      return { location: formAction, params: fieldsOfFormPost(text), status: res.statusCode, steps };
    }
    steps.push('error');
    return { params: {}, status: res.statusCode, page: text, steps };
  }
  return { params: {}, status: 0, steps: [...steps, 'too-many-hops'] };
}

/** Exchanges a code at the token endpoint (form body, client_secret_post). */
export async function redeemCode(
  emulator: Emulator,
  args: {
    code: string;
    redirectUri: string;
    codeVerifier?: string;
    dispatcher?: Dispatcher;
    extra?: Record<string, string>;
  },
): Promise<{ status: number; json: Record<string, unknown> }> {
  const form = new URLSearchParams({
    grant_type: 'authorization_code',
    code: args.code,
    redirect_uri: args.redirectUri,
    client_id: emulator.client.id,
    ...(emulator.client.secret ? { client_secret: emulator.client.secret } : {}),
    ...(args.codeVerifier ? { code_verifier: args.codeVerifier } : {}),
    ...(args.extra ?? {}),
  });
  const res = await request(`${emulator.superidUrl}/login/common/oauth/tokens`, {
    method: 'POST',
    dispatcher: args.dispatcher ?? emulatorAgent(emulator),
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: form.toString(),
  });
  const text = await res.body.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = { raw: text };
  }
  return { status: res.statusCode, json };
}
