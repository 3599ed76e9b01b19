// The start page and the session page ("who is signed in").

import { Router } from 'express';
import { html, page } from '../pages.js';
import { accountOf, endSession, sessionCredentials } from '../oidc.js';
import { AccessEnded, TenantBusy, TenantDown } from '../netserver.js';

export function homeRoutes({ settings, tenantApi, log }) {
  const router = Router();

  router.get('/', (req, res) => {
    const account = accountOf(req);
    const content = account
      ? html`<h1>Hello ${account.email || account.sub}</h1>
          <p>You are connected to ${account.company || 'your company'} in SuperOffice (${account.ctx}).</p>
          <nav><a class="btn" href="/contacts">Contacts</a><a href="/logout">Sign out</a></nav>`
      : html`<h1>Acme EOC</h1>
          <p>Acme EOC shows the companies in your SuperOffice CRM Online.</p>
          <p><a class="btn" href="/login">Sign in with SuperOffice</a></p>`;
    res.type('html').send(page(account ? 'Start' : 'Welcome', content));
  });

  // 200 {signedIn, user, superoffice} after asking NetServer who the user is; 401 when signed out.
  router.get('/session', async (req, res) => {
    const account = accountOf(req);
    if (!account) return res.status(401).json({ signedIn: false });
    try {
      const me = await tenantApi.get(
        account,
        sessionCredentials(req, { settings, log }),
        'v1/User/currentPrincipal',
      );
      res.json({
        signedIn: true,
        user: { name: me?.FullName || me?.UserName || account.email || account.sub, tenant: account.ctx },
        superoffice: 'connected',
      });
    } catch (err) {
      if (err instanceof AccessEnded) {
        log('session.access_ended', { ctx: account.ctx });
        endSession(req);
        return res
          .status(401)
          .json({ signedIn: false, reason: 'SuperOffice no longer accepts this sign-in' });
      }
      // Signed in all the same; the page says SuperOffice could not answer.
      log('session.principal_failed', { ctx: account.ctx, error: err.name });
      res.json({
        signedIn: true,
        user: { name: account.email || account.sub, tenant: account.ctx },
        superoffice: err instanceof TenantBusy ? 'busy' : err instanceof TenantDown ? 'unavailable' : 'error',
      });
    }
  });

  return router;
}
