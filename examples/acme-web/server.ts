/**
 * Acme Web: a web app for SuperOffice CRM Online users (confidential client, authorization code
 * flow with PKCE). Start: `node server.ts` with the variables listed in README.md.
 */
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import type { Server } from 'node:http';
import { loadConfig } from './config.ts';
import type { AppConfig } from './config.ts';
import { html, page, raw } from './html.ts';
import type { Raw } from './html.ts';
import { setTimeout as delay } from 'node:timers/promises';
import { createLogger } from './log.ts';
import type { Logger } from './log.ts';
import { ErpConnections, erpKeyState, systemMessageId } from './erp.ts';
import type { ErpConnection } from './erp.ts';
import { SessionStore } from './sessions.ts';
import type { Session } from './sessions.ts';
import { SignInError, SuperId } from './superid.ts';
import type { TokenResponse } from './superid.ts';
import { ApiError, BusyError, SessionExpiredError, TenantApi, TenantUnavailableError } from './tenant-api.ts';

interface Principal {
  FullName?: string;
  UserName?: string;
  /** The user's associate id: whom a system message to this user goes to. */
  AssociateId?: number;
  /** The principal's company: for a user of the tenant, the owner company. */
  ContactId?: number;
}

interface PersonRow {
  personId?: number | string;
  fullName?: string;
  contactId?: number | string;
}

interface DocumentRow {
  documentId?: number;
  name?: string;
  visibleFor?: string;
}
interface ContactRow {
  name?: string;
  Name?: string;
  contactId?: number | string;
}

/** How long the current principal is reused before it is fetched again. */
const PRINCIPAL_TTL_MS = 10 * 60_000;

/** How long the "ERP connection expired" system message may stay, at most. */
const ERP_MESSAGE_DAYS = 7;

/** Searches start at this many typed characters (SuperOffice's certification asks for 3). */
const MIN_SEARCH_LENGTH = 3;
/** Contact search as the list page runs it: primary-key order, a page of 10, only the fields shown. */
export const CONTACT_SEARCH = 'v1/Contact?$select=contactId,name&$orderby=contactId&$top=10';

/** The companies of a contact search as the options of a company select. */
function companyOptions(rows: readonly ContactRow[] | undefined): unknown {
  return (rows ?? []).map(
    (c) => html`<option value="${Number(c.contactId)}">${String(c.name ?? c.Name ?? '')}</option>`,
  );
}

/** A same-origin path such as `/contacts?x=1`: one leading slash, no scheme, no backslash tricks. */
export function safeReturnUrl(value: unknown, allowAnyUrl: boolean): string {
  if (typeof value !== 'string' || value === '') return '/';
  if (allowAnyUrl) return value; // DEFECT open-redirect
  // eslint-disable-next-line no-control-regex -- control characters in a return path are refused on purpose
  if (!/^\/(?![/\\])/.test(value) || /[\u0000-\u001f\\]/.test(value)) return '/';
  return value;
}

function errorPage(
  res: Response,
  status: number,
  title: string,
  reason: string,
  err: unknown,
  config: AppConfig,
  extra?: Raw,
): void {
  const trace =
    config.defects.has('stack-traces') && err instanceof Error
      ? html`<h2>Details</h2>
          <pre>${err.stack ?? String(err)}</pre>` // DEFECT stack-traces
      : raw('');
  res
    .status(status)
    .type('html')
    .send(
      page(
        title,
        html`<section class="error">
            <h1>${title}</h1>
            <p>${reason}</p>
          </section>
          ${extra ?? raw('')}${trace}
          <p><a href="/">Back to Acme Web</a></p>`,
      ),
    );
}

function refreshTokenScript(session: Session | undefined, config: AppConfig): Raw {
  if (!config.defects.has('refresh-token-in-browser') || !session?.refreshToken) return raw('');
  // DEFECT refresh-token-in-browser: the front-end keeps the refresh token "to renew the session".
  const value = JSON.stringify(session.refreshToken).replace(/</g, '\\u003c');
  return raw(`<script>localStorage.setItem('acme.refreshToken', ${value});</script>`);
}

export function createApp(
  config: AppConfig,
  log: Logger,
): { app: express.Express; sessions: SessionStore; superId: SuperId } {
  const superId = new SuperId(config, log);
  const tenantApi = new TenantApi(config, superId, log);
  /** The signed-in user as SuperOffice knows them; fetched once per session and lifetime. */
  const currentPrincipal = async (session: Session, fresh = false): Promise<Principal> => {
    // DEFECT no-principal-cache: "it is only one more call", made on every page.
    const cached = config.defects.has('no-principal-cache') ? undefined : session.principal;
    if (!fresh && cached && Date.now() - cached.fetchedAt < PRINCIPAL_TTL_MS)
      return cached.value as Principal;
    const value = await tenantApi.get<Principal>(session, 'v1/User/currentPrincipal');
    session.principal = { value, fetchedAt: Date.now() };
    return value;
  };
  const sessions = new SessionStore({ insecureCookie: config.defects.has('insecure-cookie') });
  /** The app's own web panels in the tenant: those whose ProgId it gave them. */
  const ownPanels = async (session: Session) =>
    (
      await tenantApi.send<Array<{ WebPanelId?: number; ProgId?: string }>>(
        session,
        'POST',
        'v1/Agents/List/GetAppWebPanels',
        {},
      )
    ).filter((p) => String(p.ProgId ?? '').startsWith('acme-web.'));

  /** The install: the contact panel on company cards and Acme Web's company category. */
  async function provision(session: Session): Promise<void> {
    // DEFECT panel-set-up-by-hand: "administrators add the panel themselves (see the setup guide)".
    if (!config.defects.has('panel-set-up-by-hand')) await provisionPanel(session);
    // A category for the companies Acme Web follows, in the languages Acme Web ships.
    // DEFECT list-item-one-language: "everyone reads English".
    await tenantApi.send(session, 'POST', 'v1/List/category/Items', {
      Name: config.defects.has('list-item-one-language')
        ? 'Acme Web customer'
        : 'US:"Acme Web customer";NO:"Acme Web-kunde";SE:"Acme Web-kund"',
      Tooltip: 'Created by Acme Web',
    });
    log('provision.ok', { ctx: session.user.ctx });
  }

  /** The contact panel on company cards, unless it is there already. */
  async function provisionPanel(session: Session): Promise<void> {
    if ((await ownPanels(session)).length) return;
    const entity = await tenantApi.send<Record<string, unknown>>(
      session,
      'POST',
      'v1/Agents/List/CreateDefaultWebPanelEntity',
      {},
    );
    // DEFECT panel-passes-usec: "the panel can call SuperOffice with the user's ticket".
    const query = config.defects.has('panel-passes-usec')
      ? 'ctx=<uctx>&usec=<usec>'
      : 'ctx=<uctx>&usid=<usid>';
    // DEFECT panel-unnamed: "Contacts says it all".
    const unnamed = config.defects.has('panel-unnamed');
    await tenantApi.send(session, 'POST', 'v1/Agents/List/SaveWebPanel', {
      ...entity,
      Name: unnamed ? 'Contacts' : 'Acme Web contacts',
      Tooltip: unnamed ? '' : 'Acme Web: the companies Acme Web follows',
      Description: unnamed ? '' : 'Installed by Acme Web (Acme AS)',
      Url: `${config.publicUrl}/panel?${query}`,
      ProgId: 'acme-web.contacts',
      OnCentral: true,
    });
  }

  /** What the team looked at lately (only with the team-recent-companies defect). */
  const teamRecent: string[] = [];

  /** Each user's connection to the ERP, with the system message Acme Web showed them about it. */
  const erp = new ErpConnections();

  /**
   * Tells the user in SuperOffice (the yellow banner) that their ERP connection expired: one
   * message per user, with their own token to their own associate, remembered with the connection
   * until the user reconnects. A failed send is logged; the page tells the user anyway.
   */
  async function tellErpExpired(
    session: Session,
    associateId: number,
    connection: ErpConnection,
  ): Promise<void> {
    const now = Date.now();
    // DEFECT system-message-kept: "a reminder on every failed sync": a new message each time,
    // with no Expire, and nothing remembered to remove when the user reconnects.
    const kept = config.defects.has('system-message-kept');
    if (!kept && connection.systemMessage && connection.systemMessage.expiresAt > now) return;
    const id = kept ? now % 2_147_483_647 : systemMessageId(session.user.ctx, associateId);
    const expiresAt = now + ERP_MESSAGE_DAYS * 86_400_000;
    try {
      await tenantApi.send(session, 'POST', 'v1/Agents/Diagnostics/SendSystemMessage', {
        SystemMessageId: id,
        AssociateId: associateId,
        MarkdownMessage: `Your **Acme Web** connection to the ERP has expired. [Reconnect](${config.publicUrl}/erp) to resume the ERP sync.`,
        ...(kept ? {} : { Expire: new Date(expiresAt).toISOString() }),
        Type: 'Warning',
      });
      if (!kept) connection.systemMessage = { id, expiresAt };
      log('erp.message.sent', { ctx: session.user.ctx, id });
    } catch (err) {
      log('erp.message.failed', {
        ctx: session.user.ctx,
        error: err instanceof Error ? err.name : 'unknown',
      });
    }
  }

  /**
   * The user is connected again: the "ERP connection expired" message is no longer true, so it
   * goes. If SuperOffice does not take the removal, the id is kept for the next try.
   */
  async function clearErpMessage(session: Session, connection: ErpConnection): Promise<void> {
    const message = connection.systemMessage;
    if (!message) return;
    if (message.expiresAt <= Date.now()) {
      // SuperOffice took it down at its Expire already.
      connection.systemMessage = undefined;
      return;
    }
    try {
      await tenantApi.send(session, 'POST', 'v1/Agents/Diagnostics/RemoveSystemMessage', {
        SystemMessageId: message.id,
      });
      connection.systemMessage = undefined;
      log('erp.message.removed', { ctx: session.user.ctx, id: message.id });
    } catch (err) {
      log('erp.message.remove.failed', {
        ctx: session.user.ctx,
        id: message.id,
        error: err instanceof Error ? err.name : 'unknown',
      });
    }
  }

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use((_req, res, next) => {
    res.set({
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'DENY',
      'Cache-Control': 'no-store',
    });
    next();
  });

  const render = (res: Response, session: Session | undefined, title: string, body: Raw): void => {
    res.type('html').send(page(title, body, { head: refreshTokenScript(session, config) }));
  };

  app.get('/healthz', (_req, res) => {
    res.type('text').send('ok');
  });

  // Public front-end settings.
  app.get('/config.js', (_req, res) => {
    const settings: Record<string, string> = {
      superOfficeUrl: config.superOfficeUrl,
      clientId: config.clientId,
    };
    // DEFECT secret-in-browser: the whole SuperOffice settings object is handed to the front-end.
    if (config.defects.has('secret-in-browser')) settings['clientSecret'] = config.clientSecret;
    res.type('application/javascript').send(`window.acmeConfig = ${JSON.stringify(settings)};\n`);
  });

  app.get('/', (req, res) => {
    const session = sessions.get(req);
    const body = session
      ? html`<h1>Welcome, ${session.user.name}</h1>
          <p>Signed in to SuperOffice tenant <strong>${session.user.ctx}</strong>.</p>
          <p><a class="button" href="/contacts">Show contacts</a> <a href="/logout">Sign out</a></p>`
      : html`<h1>Acme Web</h1>
          <p>Acme Web shows your SuperOffice contacts.</p>
          <p><a class="button" href="/login">Sign in with SuperOffice</a></p>`;
    render(res, session, 'Home', body);
  });

  // A sign-in page that forwards itself: it says where the user is going and sends the browser
  // on to /login once loaded (a link for browsers that do not follow the refresh).
  app.get('/signin', (_req, res) => {
    res.type('html').send(
      page('Signing in', html`<p>Taking you to SuperOffice to sign in. <a href="/login">Continue</a></p>`, {
        head: html`<meta http-equiv="refresh" content="0; url=/login" />`,
      }),
    );
  });

  app.get('/login', async (req, res, next) => {
    try {
      const returnUrl = safeReturnUrl(req.query['returnUrl'], config.defects.has('open-redirect'));
      const request = superId.newAuthorizationRequest();
      const url = await superId.authorizationUrl(request);
      sessions.begin(res, { ...request, returnUrl }, config.defects.has('implicit-flow'));
      log('signin.start');
      res.redirect(302, url.href);
    } catch (err) {
      next(err);
    }
  });

  const callback = async (req: Request, res: Response): Promise<void> => {
    const params = (req.method === 'POST' ? req.body : req.query) as Record<string, unknown>;
    const tx = sessions.take(req, res);
    try {
      if (typeof params['error'] === 'string') {
        const reason =
          params['error'] === 'access_denied'
            ? 'You did not approve Acme Web in SuperOffice.'
            : 'SuperOffice could not sign you in.';
        throw new SignInError(reason, `authorization error ${params['error']}`);
      }
      if (!tx)
        throw new SignInError(
          'This sign-in attempt expired or was not started from Acme Web. Please try again.',
        );
      if (
        !config.defects.has('skip-state') &&
        (typeof params['state'] !== 'string' || params['state'] !== tx.state)
      ) {
        throw new SignInError(
          'The answer from SuperOffice does not match your sign-in attempt.',
          'state mismatch',
        );
      }
      let tokens: TokenResponse;
      if (config.defects.has('implicit-flow')) {
        if (typeof params['access_token'] !== 'string')
          throw new SignInError('SuperOffice did not send an access token.');
        tokens = {
          access_token: params['access_token'],
          id_token: params['id_token'] as string,
          expires_in: Number(params['expires_in']) || 3600,
        };
      } else {
        if (typeof params['code'] !== 'string' || params['code'] === '')
          throw new SignInError('SuperOffice did not send an authorization code.');
        try {
          tokens = await superId.exchangeCode(params['code'], tx.codeVerifier);
        } catch (err) {
          throw new SignInError(
            'SuperOffice did not accept the sign-in. Please try again.',
            'code exchange',
            { cause: err },
          );
        }
      }
      const claims = await superId.validateIdToken(tokens.id_token, {
        nonce: tx.nonce,
        ...(config.defects.has('implicit-flow') ? { accessToken: tokens.access_token } : {}),
      });
      if (config.defects.has('admin-only-sign-in') && !claims.isAdministrator) {
        // DEFECT admin-only-sign-in: the first-install step (which needs an administrator) runs on
        // every sign-in, and its failure is not handled: a normal user gets a bare HTTP 500.
        log('signin.failed', { detail: 'install step needs an administrator' });
        res.status(500).type('text').send('Internal Server Error');
        return;
      }
      if (config.sessionWriteDelayMs > 0) await delay(config.sessionWriteDelayMs);
      sessions.create(res, {
        user: {
          sub: claims.sub,
          name: claims.email ?? claims.sub,
          ctx: claims.ctx,
          companyName: claims.companyName,
          isAdministrator: claims.isAdministrator,
        },
        webapiUrl: claims.webapiUrl,
        accessToken: tokens.access_token,
        accessTokenExpiresAt: Date.now() + (Number(tokens.expires_in) || 3600) * 1000,
        refreshToken: tokens.refresh_token,
      });
      log('signin.ok', { ctx: claims.ctx });
      res.redirect(302, tx.returnUrl);
    } catch (err) {
      const reason = err instanceof SignInError ? err.reason : 'Something went wrong while signing you in.';
      const detail = err instanceof Error ? err.message : 'unknown';
      log('signin.failed', {
        detail,
        cause: err instanceof Error && err.cause instanceof Error ? err.cause.name : '-',
      });
      errorPage(
        res,
        400,
        'Sign-in failed',
        reason,
        err,
        config,
        html`<p><a class="button" href="/login">Try again</a></p>`,
      );
    }
  };
  app.get('/callback', callback);
  app.post('/callback', express.urlencoded({ extended: false, limit: '64kb' }), callback);

  // "Who am I": like most partner apps, it asks the tenant API for the current principal.
  app.get('/session', async (req, res) => {
    const session = sessions.get(req);
    if (!session) {
      res.status(401).json({ signedIn: false });
      return;
    }
    try {
      const principal = await currentPrincipal(session, true);
      const name = principal.FullName ?? principal.UserName ?? session.user.name;
      res.json({ signedIn: true, user: { name, ctx: session.user.ctx } });
    } catch (err) {
      if (err instanceof SessionExpiredError) {
        sessions.destroy(req, res);
        res.status(401).json({ signedIn: false, reason: 'SuperOffice session expired' });
      } else {
        res.status(502).json({ signedIn: true, error: 'SuperOffice could not answer right now' });
      }
    }
  });

  app.get('/contacts', async (req, res, next) => {
    const session = sessions.get(req);
    if (!session) {
      res.redirect(302, `/login?returnUrl=${encodeURIComponent('/contacts')}`);
      return;
    }
    try {
      const principal = await currentPrincipal(session);
      // DEFECT heavy-queries: "just give me the first ten", no field list, no order.
      const search = config.defects.has('heavy-queries') ? 'v1/Contact?$top=10' : CONTACT_SEARCH;
      const result = await tenantApi.get<{ value?: ContactRow[] }>(session, search);
      if (config.defects.has('soap-and-rest')) await tenantApi.legacySoapGetContact(session, 1);
      // DEFECT fan-out: "the list needs details": one call per row, all at once.
      if (config.defects.has('fan-out'))
        await Promise.all(
          (result.value ?? []).map((c) =>
            tenantApi.get(session, `v1/Contact/${Number(c.contactId ?? 0)}`).catch(() => undefined),
          ),
        );
      const names = (result.value ?? []).map((c) => String(c.name ?? c.Name ?? ''));
      // DEFECT team-recent-companies: "show what the team looked at lately": one list for the
      // whole app, filled from every user's results, shown to every user.
      const team = config.defects.has('team-recent-companies');
      if (team) {
        for (const n of names) if (!teamRecent.includes(n)) teamRecent.push(n);
        teamRecent.splice(5);
      }
      const userName = principal.FullName ?? principal.UserName ?? session.user.name;
      const unsafe = config.defects.has('xss-claims');
      // DEFECT xss-claims: tenant data "is trusted", so it goes into the page as it is.
      const show = (value: string): unknown => (unsafe ? raw(value) : value);
      render(
        res,
        session,
        'Contacts',
        html`<h1>Contacts</h1>
          <p>
            Signed in as <strong id="user-name">${userName}</strong> at
            <span id="company-name">${show(session.user.companyName)}</span> (${session.user.ctx}).
          </p>
          <ul id="contacts">
            ${names.map((n) => html`<li>${show(n)}</li>`)}
          </ul>
          ${
            team
              ? html`<aside>
                  <h2>Recently viewed by your team</h2>
                  <ul id="team-recent">
                    ${teamRecent.map((n) => html`<li>${show(n)}</li>`)}
                  </ul>
                </aside>`
              : ''
          }
          <form method="post" action="/contacts/new">
            <label>New company <input name="name" maxlength="100" required /></label>
            <button type="submit">Create company</button>
          </form>
          <form method="post" action="/contacts/erp-sync">
            <button type="submit">Sync names from the ERP</button>
            <a href="/erp">ERP connection</a>
          </form>
          <p>
            <a href="/contacts/search">Search companies</a> · <a href="/persons/move">Move a person</a> ·
            <a href="/persons/new">New person</a>
          </p>
          <p><a href="/">Home</a> · <a href="/logout">Sign out</a></p>`,
      );
    } catch (err) {
      if (err instanceof TenantUnavailableError) {
        errorPage(
          res,
          503,
          'SuperOffice unavailable',
          `Your SuperOffice tenant is unavailable (${err.state}). Please try again later.`,
          err,
          config,
        );
      } else if (err instanceof BusyError) {
        res.set('Retry-After', String(err.retryAfterSeconds));
        errorPage(
          res,
          503,
          'SuperOffice is busy',
          `SuperOffice is busy, please try again in ${err.retryAfterSeconds} seconds.`,
          err,
          config,
        );
      } else if (err instanceof SessionExpiredError) {
        sessions.destroy(req, res);
        errorPage(
          res,
          401,
          'Signed out',
          'Your SuperOffice session has expired.',
          err,
          config,
          html`<p><a class="button" href="/login?returnUrl=%2Fcontacts">Sign in again</a></p>`,
        );
      } else if (err instanceof ApiError && err.status === 403) {
        // Sentry: the user's role gives no rights to companies. Say so; an empty list would lie.
        errorPage(
          res,
          403,
          'No access to companies',
          'Your SuperOffice user has no rights to see companies. Ask your SuperOffice administrator for access.',
          err,
          config,
        );
      } else if (err instanceof ApiError) {
        errorPage(
          res,
          502,
          'SuperOffice error',
          'SuperOffice could not answer right now. Please try again later.',
          err,
          config,
        );
      } else {
        next(err);
      }
    }
  });

  // New company: start from the tenant's default contact, so its preferences fill the fields.
  const form = express.urlencoded({ extended: false, limit: '16kb' });
  app.post('/contacts/new', form, async (req, res, next) => {
    const session = sessions.get(req);
    if (!session) {
      res.redirect(303, '/login?returnUrl=%2Fcontacts');
      return;
    }
    const name = String((req.body as Record<string, unknown>)['name'] ?? '')
      .trim()
      .slice(0, 100);
    if (!name) {
      errorPage(res, 400, 'Name missing', 'Give the new company a name.', undefined, config);
      return;
    }
    try {
      // DEFECT no-default-entity: "only the name matters", posted bare.
      const entity = config.defects.has('no-default-entity')
        ? {}
        : await tenantApi.get<Record<string, unknown>>(session, 'v1/Contact/default');
      const created = await tenantApi.send<{ ContactId?: number }>(session, 'POST', 'v1/Contact', {
        ...entity,
        Name: name,
      });
      log('contact.created', { ctx: session.user.ctx, contactId: created.ContactId ?? 0 });
      res.redirect(303, '/contacts');
    } catch (err) {
      next(err);
    }
  });

  // Company search by name. A search starts at 3 characters: the form will not submit fewer
  // (minlength), and this endpoint does not search for fewer either, whoever calls it.
  app.get('/contacts/search', async (req, res, next) => {
    const session = sessions.get(req);
    if (!session) {
      res.redirect(302, `/login?returnUrl=${encodeURIComponent('/contacts/search')}`);
      return;
    }
    const q = String(req.query['q'] ?? '')
      .trim()
      .slice(0, 100);
    // DEFECT search-from-first-key: "the tenant is fast": any text searches, from one letter on.
    const eager = config.defects.has('search-from-first-key');
    try {
      let rows: ContactRow[] | undefined;
      if (q.length >= (eager ? 1 : MIN_SEARCH_LENGTH)) {
        const filter = encodeURIComponent(`name begins '${q.replace(/'/g, "''")}'`);
        const result = await tenantApi.get<{ value?: ContactRow[] }>(
          session,
          `v1/Contact?$select=contactId,name&$filter=${filter}&$orderby=name&$top=20`,
        );
        rows = result.value ?? [];
      }
      const minLength = eager ? '' : raw(` minlength="${MIN_SEARCH_LENGTH}"`);
      render(
        res,
        session,
        'Search companies',
        html`<h1>Search companies</h1>
          <form method="get" action="/contacts/search" role="search">
            <label
              >Company name
              <input
                id="company-search"
                type="search"
                name="q"
                value="${q}"
                maxlength="100"
                required${minLength}
            /></label>
            <button type="submit">Search</button>
          </form>
          ${
            rows === undefined
              ? q
                ? html`<p>Type at least ${MIN_SEARCH_LENGTH} characters.</p>`
                : ''
              : rows.length
                ? html`<ul id="results">
                    ${rows.map((r) => html`<li>${String(r.name ?? r.Name ?? '')}</li>`)}
                  </ul>`
                : html`<p>No company starts with "${q}".</p>`
          }
          <p><a href="/contacts">Contacts</a> · <a href="/logout">Sign out</a></p>`,
      );
    } catch (err) {
      next(err);
    }
  });

  // Moving a person to another company (when someone changes jobs). The tenant's own users
  // (associates) are people of the owner company: SuperOffice must not see them moved.
  const movablePersons = async (session: Session): Promise<PersonRow[]> => {
    const persons = await tenantApi.get<{ value?: PersonRow[] }>(
      session,
      'v1/Person?$select=personId,fullName,contactId&$orderby=personId&$top=20',
    );
    // DEFECT moves-associates: "a person is a person": the tenant's users are listed too.
    if (config.defects.has('moves-associates')) return persons.value ?? [];
    // The users that have a person record (resources have none).
    const associates = await tenantApi.get<{ value?: PersonRow[] }>(
      session,
      `v1/archive/associate?$select=personId&$filter=${encodeURIComponent('personId gt 0')}&$orderby=personId&$top=200`,
    );
    const users = new Set((associates.value ?? []).map((a) => Number(a.personId)));
    return (persons.value ?? []).filter((p) => !users.has(Number(p.personId)));
  };
  // New person at a company. GDPR: the person gets a privacy source, the customer's choice
  // (PRIVACY_SOURCE) or "Other integration" (API), never none.
  // The web panel on company cards. SuperOffice opens it with the tenant (ctx) and the user
  // (usid); the user still signs in through SuperID, so no data shows without a session.
  app.get('/panel', async (req, res, next) => {
    const ctx = String(req.query['ctx'] ?? '');
    // DEFECT panel-trusts-ctx: "the panel is inside SuperOffice anyway": any session of that
    // tenant will do.
    const session =
      sessions.get(req) ?? (config.defects.has('panel-trusts-ctx') ? sessions.anyOf(ctx) : undefined);
    // The panel is shown in an iframe of SuperOffice's web client, and only there.
    res.removeHeader('X-Frame-Options');
    res.set('Content-Security-Policy', `frame-ancestors ${config.panelFrameAncestors}`);
    if (!session) {
      // DEFECT panel-signin-in-frame: "sign in as everywhere else": in the iframe, where SuperID's
      // sign-in refuses to load, so the panel stays blank.
      if (config.defects.has('panel-signin-in-frame')) {
        res.redirect(302, `/login?returnUrl=${encodeURIComponent('/panel')}`);
        return;
      }
      // SuperID's sign-in cannot load in the iframe: it opens in a window of its own.
      render(
        res,
        undefined,
        'Acme Web',
        html`<h1>Acme Web</h1>
          <p>Sign in to Acme Web to see your companies here.</p>
          <p>
            <a class="button" href="/login?returnUrl=%2Fpanel" target="_blank" rel="opener"
              >Sign in to Acme Web</a
            >
          </p>`,
      );
      return;
    }
    try {
      const result = await tenantApi.get<{ value?: ContactRow[] }>(session, CONTACT_SEARCH);
      render(
        res,
        session,
        'Acme Web',
        html`<h1>Acme Web</h1>
          <ul id="panel-contacts">
            ${(result.value ?? []).map((c) => html`<li>${String(c.name ?? c.Name ?? '')}</li>`)}
          </ul>`,
      );
    } catch (err) {
      next(err);
    }
  });

  /**
   * The administrator's session for an install or uninstall page; anyone else is sent to sign in
   * or told the page is for administrators (undefined: answered already).
   */
  const administrator = (req: Request, res: Response, path: string, what: string): Session | undefined => {
    const session = sessions.get(req);
    if (!session) res.redirect(302, `/login?returnUrl=${encodeURIComponent(path)}`);
    else if (!session.user.isAdministrator)
      errorPage(
        res,
        403,
        'Administrators only',
        `Only a SuperOffice administrator can ${what} Acme Web.`,
        undefined,
        config,
      );
    else return session;
    return undefined;
  };

  // Install (the App Store's install URL): an administrator sets Acme Web up in the tenant.
  app.get('/install', async (req, res, next) => {
    const session = administrator(req, res, '/install', 'install');
    if (!session) return;
    try {
      await provision(session);
      render(
        res,
        session,
        'Acme Web installed',
        html`<h1>Acme Web is installed</h1>
          <p>
            ${
              config.defects.has('panel-set-up-by-hand')
                ? 'Next, add the Acme Web panel to company cards under Settings and maintenance (see the setup guide).'
                : 'Company cards now have the Acme Web panel.'
            }
            <a href="/contacts">Contacts</a>
          </p>`,
      );
    } catch (err) {
      next(err);
    }
  });

  // Uninstall: an administrator removes what the install set up in the tenant.
  app.get('/admin/uninstall', (req, res) => {
    const session = administrator(req, res, '/admin/uninstall', 'uninstall');
    if (!session) return;
    render(
      res,
      session,
      'Uninstall Acme Web',
      html`<h1>Uninstall Acme Web</h1>
        <p>This removes Acme Web's web panel from SuperOffice.</p>
        <form method="post" action="/admin/uninstall">
          <button type="submit">Uninstall Acme Web</button>
        </form>`,
    );
  });
  app.post('/admin/uninstall', form, async (req, res, next) => {
    const session = sessions.get(req);
    if (!session?.user.isAdministrator) {
      res.redirect(303, '/login?returnUrl=%2Fadmin%2Funinstall');
      return;
    }
    try {
      // DEFECT uninstall-keeps-panels: "the panel does no harm": only Acme Web forgets the tenant.
      if (!config.defects.has('uninstall-keeps-panels'))
        for (const p of await ownPanels(session))
          await tenantApi.send(
            session,
            'POST',
            `v1/Agents/List/DeleteWebPanel?webPanelId=${Number(p.WebPanelId)}`,
            {},
          );
      log('uninstall.ok', { ctx: session.user.ctx });
      render(res, session, 'Uninstalled', html`<h1>Acme Web was removed from SuperOffice</h1>`);
    } catch (err) {
      next(err);
    }
  });

  app.get('/persons/new', async (req, res, next) => {
    const session = sessions.get(req);
    if (!session) {
      res.redirect(302, `/login?returnUrl=${encodeURIComponent('/persons/new')}`);
      return;
    }
    try {
      const companies = await tenantApi.get<{ value?: ContactRow[] }>(session, CONTACT_SEARCH);
      render(
        res,
        session,
        'New person',
        html`<h1>New person</h1>
          <form method="post" action="/persons/new">
            <label>First name <input name="firstname" maxlength="50" required /></label>
            <label>Last name <input name="lastname" maxlength="50" required /></label>
            <label
              >Company
              <select name="contactId" required>
                ${companyOptions(companies.value)}
              </select></label
            >
            <button type="submit">Create person</button>
          </form>
          <p><a href="/contacts">Contacts</a></p>`,
      );
    } catch (err) {
      next(err);
    }
  });
  app.post('/persons/new', form, async (req, res, next) => {
    const session = sessions.get(req);
    if (!session) {
      res.redirect(303, '/login?returnUrl=%2Fpersons%2Fnew');
      return;
    }
    const body = req.body as Record<string, unknown>;
    const field = (name: string) =>
      String(body[name] ?? '')
        .trim()
        .slice(0, 50);
    const contactId = Number(body['contactId']);
    if (!field('firstname') || !field('lastname') || !(contactId > 0)) {
      errorPage(res, 400, 'Details missing', 'Give the person a name and a company.', undefined, config);
      return;
    }
    try {
      const entity = await tenantApi.get<Record<string, unknown>>(session, 'v1/Person/default');
      const created = await tenantApi.send<{ PersonId?: number }>(session, 'POST', 'v1/Person', {
        ...entity,
        Firstname: field('firstname'),
        Lastname: field('lastname'),
        Contact: { ContactId: contactId },
      });
      const personId = Number(created.PersonId ?? 0);
      // DEFECT person-without-source: "consent is the customer's business", so none is recorded.
      if (personId > 0 && !config.defects.has('person-without-source'))
        await tenantApi.send(
          session,
          'PUT',
          `v1/Person/${personId}/Consent/STORE?source=${encodeURIComponent(config.privacySource)}&legalBase=61F`,
        );
      log('person.created', { ctx: session.user.ctx, personId });
      res.redirect(303, '/contacts');
    } catch (err) {
      next(err);
    }
  });

  app.get('/persons/move', async (req, res, next) => {
    const session = sessions.get(req);
    if (!session) {
      res.redirect(302, `/login?returnUrl=${encodeURIComponent('/persons/move')}`);
      return;
    }
    try {
      const persons = await movablePersons(session);
      const companies = await tenantApi.get<{ value?: ContactRow[] }>(session, CONTACT_SEARCH);
      render(
        res,
        session,
        'Move a person',
        html`<h1>Move a person</h1>
          <form method="post" action="/persons/move">
            <label
              >Person
              <select name="personId" required>
                ${persons.map((p) => html`<option value="${Number(p.personId)}">${String(p.fullName ?? '')}</option>`)}
              </select></label
            >
            <label
              >New company
              <select name="contactId" required>
                ${companyOptions(companies.value)}
              </select></label
            >
            <button type="submit">Move person</button>
          </form>
          <p><a href="/contacts">Contacts</a></p>`,
      );
    } catch (err) {
      next(err);
    }
  });
  app.post('/persons/move', form, async (req, res, next) => {
    const session = sessions.get(req);
    if (!session) {
      res.redirect(303, '/login?returnUrl=%2Fpersons%2Fmove');
      return;
    }
    const body = req.body as Record<string, unknown>;
    const personId = Number(body['personId']);
    const contactId = Number(body['contactId']);
    try {
      // The same list as the form: a person not on it (a user of the tenant) is not moved.
      const movable = await movablePersons(session);
      if (!movable.some((p) => Number(p.personId) === personId) || !(contactId > 0)) {
        errorPage(res, 400, 'Cannot move', 'That person cannot be moved here.', undefined, config);
        return;
      }
      await tenantApi.send(session, 'PATCH', `v1/Person/${personId}`, [
        { op: 'replace', path: '/Contact/ContactId', value: contactId },
      ]);
      log('person.moved', { ctx: session.user.ctx, personId, contactId });
      res.redirect(303, '/contacts');
    } catch (err) {
      next(err);
    }
  });

  // Documents of a company, and "Copy to" another company (a proposal reused for a sister
  // company, say). A copy is who-may-see-it too: private stays private, the group's stays the group's.
  app.get('/documents', async (req, res, next) => {
    const session = sessions.get(req);
    if (!session) {
      res.redirect(302, `/login?returnUrl=${encodeURIComponent(req.originalUrl)}`);
      return;
    }
    try {
      const companies = (await tenantApi.get<{ value?: ContactRow[] }>(session, CONTACT_SEARCH)).value ?? [];
      const asked = Number(req.query['contactId']);
      // The tenant's own company (the first) holds no customer documents: start at the next one.
      const contactId = asked > 0 ? asked : Number(companies[1]?.contactId ?? companies[0]?.contactId ?? 0);
      const docs =
        (
          await tenantApi.get<{ value?: DocumentRow[] }>(
            session,
            `v1/Document?$select=documentId,name,visibleFor&$filter=contactId eq ${contactId}&$orderby=documentId&$top=20`,
          )
        ).value ?? [];
      const others = companies.filter((c) => Number(c.contactId) !== contactId);
      const copied = typeof req.query['copied'] === 'string' ? req.query['copied'] : '';
      render(
        res,
        session,
        'Documents',
        html`<h1>Documents</h1>
          ${copied ? html`<p role="status">Copied "${copied}".</p>` : ''}
          <form method="get" action="/documents">
            <label
              >Company
              <select name="contactId">
                ${companies.map(
                  (c) =>
                    html`<option
                      value="${Number(c.contactId)}"
                      ${Number(c.contactId) === contactId ? html`selected` : ''}
                    >
                      ${String(c.name ?? c.Name ?? '')}
                    </option>`,
                )}
              </select></label
            >
            <button type="submit">Show</button>
          </form>
          <ul id="documents">
            ${docs.map(
              (d) =>
                html`<li>
                  <strong>${String(d.name ?? '')}</strong>
                  <small>(visible to ${String(d.visibleFor ?? '')})</small>
                  <form method="post" action="/documents/copy">
                    <input type="hidden" name="documentId" value="${Number(d.documentId)}" />
                    <label
                      >Copy to
                      <select name="contactId">
                        ${companyOptions(others)}
                      </select></label
                    >
                    <button type="submit">Copy</button>
                  </form>
                </li>`,
            )}
          </ul>
          <p><a href="/contacts">Contacts</a></p>`,
      );
    } catch (err) {
      next(err);
    }
  });
  app.post('/documents/copy', form, async (req, res, next) => {
    const session = sessions.get(req);
    if (!session) {
      res.redirect(303, '/login?returnUrl=%2Fdocuments');
      return;
    }
    const body = req.body as Record<string, unknown>;
    const documentId = Number(body['documentId']);
    const contactId = Number(body['contactId']);
    if (!(documentId > 0) || !(contactId > 0)) {
      errorPage(res, 400, 'Cannot copy', 'Choose a document and a company.', undefined, config);
      return;
    }
    try {
      const original = await tenantApi.get<Record<string, unknown>>(session, `v1/Document/${documentId}`);
      const entity = await tenantApi.get<Record<string, unknown>>(session, 'v1/Document/default');
      const copy: Record<string, unknown> = {
        ...entity,
        Header: original['Header'],
        Name: original['Name'],
        Description: original['Description'],
        DocumentTemplate: original['DocumentTemplate'],
        Associate: original['Associate'],
        Contact: { ContactId: contactId },
        // DEFECT copy-drops-visibility: only "the content" is copied, so the copy is public.
        ...(config.defects.has('copy-drops-visibility') ? {} : { VisibleFor: original['VisibleFor'] }),
      };
      await tenantApi.send(session, 'POST', 'v1/Document', copy);
      log('document.copied', { ctx: session.user.ctx, documentId, contactId });
      res.redirect(
        303,
        `/documents?contactId=${contactId}&copied=${encodeURIComponent(String(original['Header'] ?? ''))}`,
      );
    } catch (err) {
      next(err);
    }
  });

  // Newsletter: Acme's monthly news to a customer's persons, through the mail service's HTTP API.
  // Only persons who gave e-marketing consent (and have not withdrawn it) get it.
  app.get('/newsletter', async (req, res, next) => {
    const session = sessions.get(req);
    if (!session) {
      res.redirect(302, `/login?returnUrl=${encodeURIComponent('/newsletter')}`);
      return;
    }
    try {
      const companies = await tenantApi.get<{ value?: ContactRow[] }>(session, CONTACT_SEARCH);
      const sent = typeof req.query['sent'] === 'string' ? req.query['sent'] : '';
      render(
        res,
        session,
        'Newsletter',
        html`<h1>Newsletter</h1>
          ${sent ? html`<p role="status">${sent}</p>` : ''}
          ${config.mailApi ? '' : html`<p>Mail is not set up (MAIL_API).</p>`}
          <form method="post" action="/newsletter">
            <label
              >Company
              <select name="contactId" required>
                ${companyOptions(companies.value)}
              </select></label
            >
            <button type="submit">Send newsletter</button>
          </form>
          <p><a href="/contacts">Contacts</a></p>`,
      );
    } catch (err) {
      next(err);
    }
  });
  app.post('/newsletter', form, async (req, res, next) => {
    const session = sessions.get(req);
    if (!session) {
      res.redirect(303, '/login?returnUrl=%2Fnewsletter');
      return;
    }
    const contactId = Number((req.body as Record<string, unknown>)['contactId']);
    if (!(contactId > 0) || !config.mailApi) {
      errorPage(res, 400, 'Cannot send', 'Choose a company, and set up mail (MAIL_API).', undefined, config);
      return;
    }
    try {
      const persons =
        (
          await tenantApi.get<{ value?: Array<{ personId?: number; email?: string }> }>(
            session,
            `v1/Person?$select=personId,email&$filter=contactId eq ${contactId}&$orderby=personId&$top=50`,
          )
        ).value ?? [];
      const to: string[] = [];
      for (const p of persons) {
        if (!p.email) continue;
        // DEFECT mail-without-consent: "they are our customers", so everyone gets the news.
        if (config.defects.has('mail-without-consent')) {
          to.push(p.email);
          continue;
        }
        const person = await tenantApi.get<{
          Consents?: Array<{ ConsentPurposeKey?: string; LegalBaseKey?: string }>;
        }>(session, `v1/Person/${Number(p.personId)}`);
        const consented = (person.Consents ?? []).some(
          (c) => c.ConsentPurposeKey === 'EMARKETING' && c.LegalBaseKey !== 'WITHDRAWN',
        );
        if (consented) to.push(p.email);
      }
      if (to.length > 0) {
        const sentMail = await fetch(`${config.mailApi}/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            from: 'Acme news <news@acme.example>',
            to,
            subject: 'Acme news: December',
            text: 'What is new at Acme this month.',
          }),
          signal: AbortSignal.timeout(10_000),
        });
        if (!sentMail.ok) throw new Error(`the mail service answered HTTP ${sentMail.status}`);
      }
      log('newsletter.sent', { ctx: session.user.ctx, contactId, recipients: to.length });
      const left = persons.length - to.length;
      res.redirect(
        303,
        `/newsletter?sent=${encodeURIComponent(`Newsletter sent to ${to.length} person(s); ${left} without e-marketing consent left out.`)}`,
      );
    } catch (err) {
      next(err);
    }
  });

  // The user's connection to the ERP (each SuperOffice user has their own ERP API key).
  app.get('/erp', async (req, res, next) => {
    const session = sessions.get(req);
    if (!session) {
      res.redirect(302, `/login?returnUrl=${encodeURIComponent('/erp')}`);
      return;
    }
    try {
      const principal = await currentPrincipal(session);
      const connection = erp.get(session.user.ctx, Number(principal.AssociateId ?? 0));
      const state = connection ? erpKeyState(connection.key) : 'none';
      const status = {
        none: 'Not connected',
        valid: 'Connected to the ERP',
        expired: 'Connection expired',
      }[state];
      render(
        res,
        session,
        'ERP connection',
        html`<h1>ERP connection</h1>
          <p role="status" id="erp-status">${status}</p>
          ${
            state === 'expired'
              ? html`<p>
                  The ERP no longer takes your API key: connect with a new one to resume the ERP sync.
                </p>`
              : ''
          }
          <form method="post" action="/erp/connect">
            <label
              >ERP API key <input name="key" type="password" maxlength="200" autocomplete="off" required
            /></label>
            <button type="submit">Connect</button>
          </form>
          <p><a href="/contacts">Contacts</a></p>`,
      );
    } catch (err) {
      next(err);
    }
  });
  app.post('/erp/connect', form, async (req, res, next) => {
    const session = sessions.get(req);
    if (!session) {
      res.redirect(303, '/login?returnUrl=%2Ferp');
      return;
    }
    const key = String((req.body as Record<string, unknown>)['key'] ?? '')
      .trim()
      .slice(0, 200);
    if (!key) {
      errorPage(res, 400, 'API key missing', 'Enter the API key the ERP gave you.', undefined, config);
      return;
    }
    try {
      const principal = await currentPrincipal(session);
      const connection = erp.connect(session.user.ctx, Number(principal.AssociateId ?? 0), key);
      const state = erpKeyState(key);
      log('erp.connected', { ctx: session.user.ctx, state });
      if (state === 'valid') await clearErpMessage(session, connection);
      res.redirect(303, '/erp');
    } catch (err) {
      next(err);
    }
  });

  // ERP name sync: the ERP keeps company names in capitals and is the master for them; the
  // tenant's own company (the owner company) is not the ERP's to rename. It runs with the user's
  // ERP connection; when the ERP has expired it, the user is told here and in SuperOffice.
  app.post('/contacts/erp-sync', form, async (req, res, next) => {
    const session = sessions.get(req);
    if (!session) {
      res.redirect(303, '/login?returnUrl=%2Fcontacts');
      return;
    }
    try {
      const principal = await currentPrincipal(session);
      const associateId = Number(principal.AssociateId ?? 0);
      const connection = erp.get(session.user.ctx, associateId);
      if (!connection) {
        errorPage(
          res,
          409,
          'Not connected to the ERP',
          'The sync reads the names from the ERP: connect Acme Web to the ERP with your ERP API key first.',
          undefined,
          config,
          html`<p><a class="button" href="/erp">Connect to the ERP</a></p>`,
        );
        return;
      }
      if (erpKeyState(connection.key) === 'expired') {
        if (associateId > 0) await tellErpExpired(session, associateId, connection);
        log('erp.sync.expired', { ctx: session.user.ctx });
        errorPage(
          res,
          409,
          'ERP connection expired',
          'The ERP has expired your connection, so no names were synced. Reconnect to the ERP to resume the sync.',
          undefined,
          config,
          html`<p><a class="button" href="/erp">Reconnect to the ERP</a></p>`,
        );
        return;
      }
      // A message a reconnect could not remove goes now.
      await clearErpMessage(session, connection);
      const result = await tenantApi.get<{ value?: ContactRow[] }>(session, CONTACT_SEARCH);
      let updated = 0;
      let skipped = 0;
      for (const c of result.value ?? []) {
        const id = Number(c.contactId ?? 0);
        const name = String(c.name ?? c.Name ?? '');
        // DEFECT renames-owner-company: the owner company is "just another row" of the ERP.
        if (id === principal.ContactId && !config.defects.has('renames-owner-company')) continue;
        const erpName = name.toUpperCase();
        if (!id || erpName === name) continue;
        // Paced: a sync must not flood the tenant (at most 5 writes a second).
        if (updated + skipped > 0) await delay(200);
        try {
          await tenantApi.send(session, 'PATCH', `v1/Contact/${id}`, [
            { op: 'replace', path: '/Name', value: erpName },
          ]);
        } catch (err) {
          // DEFECT sync-skips-failures: "one bad row must not stop the sync": on to the next one.
          if (config.defects.has('sync-skips-failures')) {
            skipped++;
            continue;
          }
          if (!(err instanceof TenantUnavailableError || err instanceof BusyError)) throw err;
          // Stop, and say how far the sync got: the rest is for the next run.
          log('erp.sync.stopped', { ctx: session.user.ctx, updated });
          errorPage(
            res,
            503,
            'ERP sync stopped',
            `SuperOffice became unavailable (maintenance or high load) after ${updated} updated name(s); the other names were not updated. Run the sync again later.`,
            err,
            config,
          );
          return;
        }
        updated++;
      }
      log('erp.sync', { ctx: session.user.ctx, updated, skipped });
      res.redirect(303, '/contacts');
    } catch (err) {
      next(err);
    }
  });

  // Tenant state-change notifications from SuperOffice (the app's State Change URL).
  const CHANGE_TYPES = ['Upgrade', 'BackupRestored', 'Suspend', 'Resume', 'Delete', 'Move'] as const;
  app.post('/webhook', express.json({ limit: '64kb' }), async (req, res, next) => {
    try {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const changeType = body['ChangeType'];
      const ctx = body['ContextIdentifier'];
      if (
        typeof changeType !== 'number' ||
        !(changeType in CHANGE_TYPES) ||
        typeof ctx !== 'string' ||
        !/^Cust\d+$/.test(ctx)
      ) {
        res.status(400).json({ ok: false, reason: 'malformed notification' });
        return;
      }
      try {
        await superId.validateNotificationToken(body['Token'], ctx);
      } catch (err) {
        if (!(err instanceof SignInError)) throw err;
        log('webhook.rejected', { ctx });
        res.status(401).json({ ok: false, reason: 'invalid token' });
        return;
      }
      const type = CHANGE_TYPES[changeType]!;
      tenantApi.notify(ctx, type === 'Suspend' || type === 'Delete' || type === 'Resume' ? type : 'Other');
      log('webhook.accepted', { ctx, type });
      res.json({ ok: true });
    } catch (err) {
      next(err);
    }
  });

  app.get('/logout', async (req, res, next) => {
    try {
      sessions.destroy(req, res);
      log('signout');
      res.redirect(302, (await superId.logoutUrl(`${config.publicUrl}/`)).href);
    } catch (err) {
      next(err);
    }
  });

  app.use((_req: Request, res: Response) => {
    errorPage(res, 404, 'Not found', 'There is no such page in Acme Web.', undefined, config);
  });

  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    log('error', { name: err instanceof Error ? err.name : 'unknown' });
    if (err instanceof TenantUnavailableError || err instanceof BusyError) {
      // A maintenance window or a busy tenant: say what happened to the user's change.
      const change = req.method === 'GET' ? '' : ' Your change was not saved.';
      errorPage(
        res,
        503,
        'SuperOffice unavailable',
        `SuperOffice is not available right now (maintenance or high load).${change} Please try again later.`,
        err,
        config,
      );
      return;
    }
    const status =
      typeof err === 'object' &&
      err !== null &&
      'status' in err &&
      typeof err.status === 'number' &&
      err.status < 500
        ? err.status
        : 500;
    errorPage(
      res,
      status,
      'Something went wrong',
      'Acme Web could not complete your request. Please try again later.',
      err,
      config,
    );
  });

  return { app, sessions, superId };
}

export async function main(): Promise<void> {
  const log = createLogger('acme-web');
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (err) {
    console.error(`acme-web: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  }
  if (config.defects.has('logs-secrets')) {
    // DEFECT logs-secrets: start-up banner prints the whole configuration.
    console.log(`config: ${JSON.stringify({ ...config, defects: [...config.defects] })}`);
  }
  const { app, sessions, superId } = createApp(config, log);
  superId.ready().catch(() => log('superid.discovery.failed')); // warm up; retried on first use
  const server: Server = app.listen(config.port, config.host, () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    log('listening', {
      url: `http://${config.host}:${port}`,
      defects: [...config.defects].join(',') || 'none',
    });
  });
  const stop = (): void => {
    log('stopping');
    sessions.close();
    server.close(() => process.exit(0));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (import.meta.main) await main();
