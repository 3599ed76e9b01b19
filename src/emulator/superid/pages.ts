/** Server-rendered SuperID pages. Every value is escaped; labels match what the flow driver uses. */
import { randomBytes } from 'node:crypto';
import { esc } from '../http.ts';

export const PAGE_HEADERS: Record<string, string> = {
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy':
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
};

const STYLE =
  'body{font-family:system-ui,sans-serif;background:#f4f6f8;margin:0}main{max-width:420px;margin:48px auto;background:#fff;padding:24px 32px;border-radius:6px;box-shadow:0 1px 4px rgba(0,0,0,.15)}label{display:block;margin-top:12px}input[type=text],input[type=password]{width:100%;padding:6px;box-sizing:border-box}button{margin-top:16px;margin-right:8px;padding:8px 16px}.error{color:#a00}.tenant{display:flex;gap:8px;align-items:center}';

function layout(title: string, body: string): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title><style>${STYLE}</style></head><body><main>${body}</main></body></html>`;
}

export function signInPage(
  uid: string,
  opts: { loginHint?: string | undefined; error?: string | undefined; appName: string },
): string {
  return layout(
    'SuperOffice - Sign in',
    `<h1>Sign in to SuperOffice</h1><p>to continue to ${esc(opts.appName)}</p>` +
      (opts.error ? `<p class="error" role="alert">${esc(opts.error)}</p>` : '') +
      `<form method="post" action="/login/interaction/${esc(uid)}/login">` +
      `<label for="username">Username</label><input id="username" name="username" type="text" autocomplete="username" value="${esc(opts.loginHint ?? '')}">` +
      `<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password">` +
      `<button type="submit">Sign in</button></form>`,
  );
}

export function tenantPage(uid: string, tenants: { ctx: string; companyName: string }[]): string {
  const items = tenants
    .map(
      (t, i) =>
        `<div class="tenant"><input type="radio" id="t-${esc(t.ctx)}" name="tenant" value="${esc(t.ctx)}"${i === 0 ? ' checked' : ''}><label for="t-${esc(t.ctx)}">${esc(t.ctx)}</label><span aria-hidden="true">${esc(t.companyName)}</span></div>`,
    )
    .join('');
  return layout(
    'SuperOffice - Choose tenant',
    `<h1>Choose a tenant</h1><form method="post" action="/login/interaction/${esc(uid)}/tenant"><fieldset><legend>Tenant</legend>${items}</fieldset><button type="submit">Continue</button></form>`,
  );
}

export function consentPage(uid: string, app: { name: string; vendor: string }, tenant: string): string {
  return layout(
    'SuperOffice - Approve app',
    `<h1>${esc(app.name)}</h1><p>by <span class="vendor">${esc(app.vendor)}</span></p>` +
      `<p>${esc(app.name)} by ${esc(app.vendor)} wants access to your SuperOffice CRM data in tenant ${esc(tenant)}.</p>` +
      `<form method="post" action="/login/interaction/${esc(uid)}/consent">` +
      `<button type="submit" name="decision" value="approve">I approve</button>` +
      `<button type="submit" name="decision" value="cancel">Cancel</button></form>`,
  );
}

export function messagePage(title: string, message: string, requestId?: string): string {
  return layout(
    `SuperOffice - ${title}`,
    `<h1>${esc(title)}</h1><p role="alert">${esc(message)}</p>` +
      (requestId ? `<p>Request ID: <code>${esc(requestId)}</code></p>` : ''),
  );
}

export function requestId(): string {
  return randomBytes(8).toString('hex');
}

/** Auto-submitting form for `response_mode=form_post`, with its own script nonce. */
export function formPostPage(action: string, fields: Record<string, string>): { html: string; csp: string } {
  const nonce = randomBytes(12).toString('base64');
  const inputs = Object.entries(fields)
    .map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`)
    .join('');
  const html = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Submitting...</title></head><body><form method="post" action="${esc(action)}">${inputs}<noscript><button type="submit">Continue</button></noscript></form><script nonce="${nonce}">document.forms[0].submit()</script></body></html>`;
  return { html, csp: `default-src 'none'; script-src 'nonce-${nonce}'; frame-ancestors 'none'` };
}
