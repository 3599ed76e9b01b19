// The contact list: the page Acme EOC users open most, and the one that calls NetServer.

import { Router } from 'express';
import openidConnect from 'express-openid-connect';
import { html, page, problem } from '../pages.js';
import { accountOf, endSession, sessionCredentials } from '../oidc.js';
import { AccessEnded, TenantBusy, TenantDown, TenantRefused } from '../netserver.js';

// A CommonJS package whose named exports Node cannot see statically.
const { requiresAuth } = openidConnect;

// One page of companies: only the columns shown, in a stable order.
const COMPANIES = 'v1/Contact?$select=contactId,name,department&$orderby=name&$top=25';

function answerFor(err) {
  if (err instanceof TenantDown)
    return {
      status: 503,
      body: problem(
        'SuperOffice is not available',
        `Your SuperOffice tenant cannot be reached right now (${err.state}). Please try again later.`,
      ),
    };
  if (err instanceof TenantBusy)
    return {
      status: 503,
      retryAfter: err.retryAfter,
      body: problem(
        'SuperOffice is busy',
        `SuperOffice asked Acme EOC to slow down. Please try again in ${err.retryAfter} seconds.`,
        { href: '/contacts', text: 'Try again' },
      ),
    };
  if (err instanceof AccessEnded)
    return {
      status: 401,
      signOut: true,
      body: problem(
        'Acme EOC is no longer connected to SuperOffice',
        'SuperOffice did not accept Acme EOC for your account any more. An administrator may have removed the app, or your sign-in has ended. Sign in again to reconnect.',
        { href: '/login?returnUrl=%2Fcontacts', text: 'Sign in again' },
      ),
    };
  if (err instanceof TenantRefused && err.status === 403)
    return {
      status: 403,
      body: problem('Not allowed', 'Your SuperOffice user may not see the company list.'),
    };
  if (err instanceof TenantRefused || err instanceof TypeError)
    return {
      status: 502,
      body: problem(
        'SuperOffice did not answer',
        'SuperOffice could not answer right now. Please try again later.',
      ),
    };
  return undefined;
}

export function contactRoutes({ settings, tenantApi, log }) {
  const router = Router();

  // Signed-out visitors go to SuperID first and come back here (the library's requiresAuth()).
  router.get('/contacts', requiresAuth(), async (req, res, next) => {
    const account = accountOf(req);
    try {
      const answer = await tenantApi.get(account, sessionCredentials(req, { settings, log }), COMPANIES);
      const rows = Array.isArray(answer?.value) ? answer.value : [];
      res.type('html').send(
        page(
          'Contacts',
          html`<h1>Contacts</h1>
            <p>
              Companies in ${account.company || account.ctx}, as ${account.email || account.sub} sees them.
            </p>
            <table id="contacts">
              <thead>
                <tr>
                  <th>Company</th>
                  <th>Department</th>
                </tr>
              </thead>
              <tbody>
                ${rows.map(
                  (row) =>
                    html`<tr>
                      <td>${row.name}</td>
                      <td>${row.department}</td>
                    </tr>`,
                )}
              </tbody>
            </table>
            <nav><a href="/">Start page</a><a href="/logout">Sign out</a></nav>`,
        ),
      );
    } catch (err) {
      const answer = answerFor(err);
      if (!answer) return next(err);
      log('contacts.failed', { ctx: account.ctx, error: err.name, status: answer.status });
      if (answer.signOut) endSession(req);
      if (answer.retryAfter !== undefined) res.set('Retry-After', String(answer.retryAfter));
      res.status(answer.status).type('html').send(answer.body);
    }
  });

  return router;
}
