/**
 * What the app sets up in the tenant when an administrator installs it, and removes when they
 * uninstall it. An administrator signs in and opens the app's install URL (config
 * `app.provisioning.install`; without it the sign-in is the install), and every web panel the app has saved in
 * this run is judged: its URL's template variables (WEBPANEL-URL-VARS), whether it hands the app
 * the user's ticket (TICKET-NOT-IN-URL), whether it names the app (WEBPANEL-DESCRIPTION), whether
 * the declared ones were all created by the app itself (PROV-AUTOMATIC), and whether its URL
 * shows tenant data to a browser with no session (API-WEBPANEL-BOUNDARY); list items it created are
 * checked for the multi-language format (LANG-MULTILINGUAL-LISTS). Then the administrator uninstalls the app (config
 * `app.provisioning.uninstall`) and none of its web panels may be left (PROV-UNINSTALL). The
 * uninstall changes the tenant for every check, so this one runs on a tenant of its own when the
 * app serves any tenant, else alone.
 */
import { bodyText, tenantChangeTags, test } from '../../fixtures/index.ts';
import { loadRunConfig } from '../../fixtures/harness.ts';
import type { Frame, Page, Request } from '@playwright/test';
import type { FlowSession, Preflight } from '../../fixtures/index.ts';
import type { Evidence } from '../../src/findings.ts';
import { cannotJudge, signedIn, signedInToChange, writeExchange } from '../../fixtures/jobs.ts';
import { waitFor } from '../../fixtures/preflight.ts';
import { SEEDED_COMPANIES } from '../../src/emulator/netserver/data.ts';
import {
  judgeFramedPanel,
  judgePanelDescriptions,
  judgeListItemNames,
  judgePanelTickets,
  listItemNames,
  judgePanelUrls,
  judgeProvisioned,
  judgeUninstalled,
  namesShown,
  needsConfig,
  webPanelsFrom,
  type Judgement,
  type WebPanel,
  type WriteExchange,
} from '../../src/judge/index.ts';

const CHECKS = {
  'PROV-AUTOMATIC': {
    check: 'install-web-panels',
    title: 'Installing creates what the app needs, without manual steps',
  },
  'WEBPANEL-URL-VARS': {
    check: 'web-panel-url',
    title: 'Web panel URLs carry <uctx> and <usid>, never <usec>',
  },
  'WEBPANEL-DESCRIPTION': {
    check: 'web-panel-names-app',
    title: 'Web panels name the app or its vendor',
  },
  'TICKET-NOT-IN-URL': {
    check: 'web-panel-usec',
    title: "No web panel URL carries the user's ticket (<usec>)",
  },
  'LANG-MULTILINGUAL-LISTS': {
    check: 'install-list-items',
    title: 'List items the app creates are multi-language (NO:"Bil";US:"Car")',
  },
  'API-WEBPANEL-BOUNDARY': {
    check: 'web-panel-without-session',
    title: 'A web panel shows no tenant data to a browser without a session',
  },
  'AUTH-IFRAME-POPUP': {
    check: 'web-panel-framed-sign-in',
    title: 'A framed web panel opens the sign-in in a pop-up or the top window',
  },
  'PROV-UNINSTALL': {
    check: 'uninstall-removes-panels',
    title: 'Uninstalling removes what the app set up',
  },
} as const;
type Rule = keyof typeof CHECKS;
const RULES = Object.keys(CHECKS) as Rule[];
const cannot = (why: string): Judgement => ({ status: 'error', message: `cannot judge: ${why}` });

/** The app's writes to lists and the List agent in this run, in order. */
async function listWrites(preflight: Preflight): Promise<WriteExchange[]> {
  return (await preflight.appTenantRequests(0))
    .filter((e) => /\/(agents?\/)?list\//i.test(e.path) && e.method !== 'GET')
    .map(writeExchange);
}

/** The app's web panels as its List agent calls in this run left them. */
async function panels(preflight: Preflight): Promise<{ created: WebPanel[]; remaining: WebPanel[] }> {
  return webPanelsFrom(await listWrites(preflight));
}

/**
 * API-WEBPANEL-BOUNDARY: each web panel URL (its template variables filled in for this tenant and
 * for another one) opened in a browser with no session of the app must show none of the tenant's
 * companies.
 */
async function boundary(preflight: Preflight, created: readonly WebPanel[]): Promise<Judgement> {
  const targets = created
    .filter((p) => /^https?:\/\//i.test(p.url.trim()))
    .slice(0, 3)
    .flatMap((p) =>
      [preflight.changedTenant, 'Cust99999'].map((ctx) => ({ panel: p, url: panelUrl(preflight, p, ctx) })),
    );
  if (targets.length === 0)
    return created.length
      ? cannot('no web panel has an absolute http(s) URL to open')
      : {
          status: 'not-run',
          message: 'not run: the app created no web panel in this run, so there is no web-panel URL to open',
        };
  const companies = SEEDED_COMPANIES.map((c) => c.name);
  const seen: string[] = [];
  for (const t of targets) {
    const session: FlowSession = await preflight.newFlow();
    const res = await session.page.goto(t.url, { timeout: 15_000 }).catch(() => null);
    await preflight.settle(session.page);
    const text = (await bodyText(session.page)) ?? '';
    const shown = namesShown(text, companies);
    if (shown.length)
      return {
        status: 'fail',
        message: `web panel "${t.panel.name}" opened as ${t.url} in a browser with no session showed tenant data ("${shown[0]}"): authorise the user (seamless SSO through SuperID) before showing anything`,
      };
    if (!res) return cannot(`${t.url} did not answer within 15 s`);
    if (res.status() >= 400 && !session.page.url().startsWith(preflight.emulator.superidUrl))
      return cannot(
        `web panel "${t.panel.name}" answered HTTP ${res.status()} at ${t.url}, so it is not the app's panel page`,
      );
    seen.push(
      new URL(session.page.url()).origin === new URL(preflight.emulator.superidUrl).origin
        ? 'SuperID'
        : session.page.url(),
    );
  }
  return {
    status: 'pass',
    message: `${targets.length} web-panel URL(s) opened without a session showed no tenant data (ended at ${[...new Set(seen)].join(', ')})`,
  };
}

/** What a sign-in control in a web panel says. */
const SIGN_IN = /sign.?in|log.?in|log.?on|logg inn|logga in|anmelden|inloggen|connect|authori[sz]e/i;

/** A web panel URL with its template variables filled in for a tenant and the administrator. */
function panelUrl(preflight: Preflight, p: WebPanel, ctx = preflight.changedTenant): string {
  return p.url
    .trim()
    .replace(/<uctx>|%3Cuctx%3E/gi, ctx)
    .replace(/<usid>|%3Cusid%3E/gi, preflight.emulator.users.admin.associateId)
    .replace(/<usec>|%3Cusec%3E/gi, '');
}

/**
 * AUTH-IFRAME-POPUP: the first web panel, opened with no session inside a page of the tenant's
 * web client (its host, `${tenant.origin}`), as SuperOffice shows it. Whatever the panel does by
 * itself, or after a click on its sign-in control, is watched: SuperID inside the frame fails, a
 * pop-up or the top window passes.
 */
async function framed(
  preflight: Preflight,
  created: readonly WebPanel[],
): Promise<Judgement & { evidence?: Evidence[] }> {
  const panel = created.find((p) => /^https?:\/\//i.test(p.url.trim()));
  if (!panel)
    return created.length
      ? cannot('no web panel has an absolute http(s) URL to open')
      : {
          status: 'not-run',
          message: 'not run: the app created no web panel in this run, so there is no web panel to frame',
        };
  const url = panelUrl(preflight, panel);
  const session = await preflight.newFlow();
  const { page } = session;
  const context = page.context();
  const superid = new URL(preflight.emulator.superidUrl).origin;
  const seen = { framed: [] as string[], top: false, popups: [] as string[] };
  const onRequest = (r: Request): void => {
    if (!r.isNavigationRequest()) return;
    let frame: Frame;
    try {
      frame = r.frame();
    } catch {
      // A pop-up's first navigation comes before its frame: seen through the 'page' event.
      return;
    }
    if (frame.page() !== page) return;
    if (!URL.canParse(r.url()) || new URL(r.url()).origin !== superid) return;
    if (frame === page.mainFrame()) seen.top = true;
    else seen.framed.push(r.url());
  };
  const onPage = (popup: Page): void => {
    seen.popups.push(popup.url());
    // Where it went once loaded (the app's sign-in, then SuperID).
    void popup
      .waitForLoadState('domcontentloaded', { timeout: 10_000 })
      .then(() => seen.popups.push(popup.url()))
      .catch(() => undefined);
  };
  context.on('request', onRequest);
  context.on('page', onPage);
  const decided = () => seen.framed.length > 0 || seen.top || seen.popups.length > 0;
  let clicked: string | undefined;
  let refusedFraming = false;
  try {
    // The tenant's web client framing the panel, from the tenant's host, as SuperOffice does.
    const client = `${preflight.emulator.tenantOrigin}/${preflight.changedTenant}/default.aspx?webpanel=${encodeURIComponent(url)}`;
    await page.goto(client, { timeout: 15_000 }).catch(() => null);
    const frame = page.frames().find((f) => f !== page.mainFrame());
    await frame?.waitForLoadState('load', { timeout: 15_000 }).catch(() => undefined);
    await preflight.settle(page);
    if (!decided() && frame) {
      const control = frame
        .getByRole('link', { name: SIGN_IN })
        .or(frame.getByRole('button', { name: SIGN_IN }))
        .first();
      const shown = await control
        .waitFor({ state: 'visible', timeout: 3_000 })
        .then(() => true)
        .catch(() => false);
      if (shown) {
        clicked = ((await control.innerText({ timeout: 2_000 }).catch(() => '')) || 'sign in').trim();
        await control.click({ timeout: 5_000 }).catch(() => undefined);
        await waitFor(decided, 10_000);
      }
    }
    refusedFraming = !decided() && (frame?.url() ?? '').startsWith('chrome-error:');
  } finally {
    context.off('request', onRequest);
    context.off('page', onPage);
  }
  const evidence: Evidence[] = [await preflight.screenshot(session, 'web-panel-framed')];
  for (const p of context.pages()) if (p !== page) await p.close().catch(() => undefined);
  return {
    ...judgeFramedPanel({
      panel: panel.name || panel.progId || 'web panel',
      url,
      framedSignIn: seen.framed,
      topSignIn: seen.top,
      popups: seen.popups,
      clicked,
      refusedFraming,
    }),
    evidence,
  };
}

// Installed on a tenant of its own when the app serves any tenant (fixtures/index.ts).
test.describe('provisioning', { tag: tenantChangeTags(await loadRunConfig()) }, () => {
  test(
    'Sets itself up at install and removes it all at uninstall',
    {
      tag: [
        '@PROV-AUTOMATIC',
        '@WEBPANEL-URL-VARS',
        '@WEBPANEL-DESCRIPTION',
        '@API-WEBPANEL-BOUNDARY',
        '@AUTH-IFRAME-POPUP',
        '@TICKET-NOT-IN-URL',
        '@LANG-MULTILINGUAL-LISTS',
        '@PROV-UNINSTALL',
      ],
    },
    async ({ preflight }) => {
      const report = (rule: Rule, j: Judgement) => preflight.finding({ rule, ...CHECKS[rule], ...j });
      const session = await signedInToChange(preflight, { user: 'admin' }, undefined, {
        onRunTenant: signedIn,
      });
      if (typeof session === 'string') {
        for (const rule of RULES)
          await cannotJudge(preflight, rule, CHECKS[rule].check, CHECKS[rule].title, session);
        return;
      }
      // The install: the app's install URL in the administrator's browser, or else their sign-in
      // itself; the app may set up in the background.
      const declared = preflight.config.app.provisioning?.webPanels ?? [];
      const install = preflight.config.app.provisioning?.install;
      if (install) {
        const res = await session.page
          .goto(preflight.appUrl(install.path), { timeout: 15_000 })
          .catch(() => null);
        if (!res || res.status() >= 400) {
          const why = `the install URL ${install.path} ${res ? `answered HTTP ${res.status()}` : 'did not answer within 15 s'}`;
          for (const rule of RULES) await report(rule, cannot(why));
          return;
        }
      }
      await preflight.settle(session.page, session.flow);
      await waitFor(async () => {
        const names = new Set((await panels(preflight)).created.flatMap((p) => [p.name, p.progId]));
        return declared.every((d) => names.has(d));
      }, 5_000);
      const installed = await panels(preflight);
      await report('PROV-AUTOMATIC', judgeProvisioned(declared, installed.created));
      await report('WEBPANEL-URL-VARS', judgePanelUrls(installed.created));
      await report(
        'WEBPANEL-DESCRIPTION',
        judgePanelDescriptions(installed.created, {
          name: preflight.config.app.name,
          ...(preflight.config.app.vendor ? { vendor: preflight.config.app.vendor } : {}),
        }),
      );
      await report('TICKET-NOT-IN-URL', judgePanelTickets(installed.created));
      await report(
        'LANG-MULTILINGUAL-LISTS',
        judgeListItemNames(listItemNames(await listWrites(preflight)), 'this run, the install included'),
      );
      await report('API-WEBPANEL-BOUNDARY', await boundary(preflight, installed.remaining));
      const inFrame = await framed(preflight, installed.remaining);
      await preflight.finding({ rule: 'AUTH-IFRAME-POPUP', ...CHECKS['AUTH-IFRAME-POPUP'], ...inFrame });

      const uninstall = preflight.config.app.provisioning?.uninstall;
      if (!uninstall) {
        await report(
          'PROV-UNINSTALL',
          installed.created.length
            ? needsConfig(
                'app.provisioning.uninstall',
                'the page where an administrator uninstalls the app, e.g. { "path": "/admin/uninstall", "click": "role=button[name=\\"Uninstall\\"]" }',
              )
            : judgeUninstalled({ ...installed, where: '-' }),
        );
        return;
      }
      const where = uninstall.path;
      const res = await session.page
        .goto(preflight.appUrl(uninstall.path), { timeout: 15_000 })
        .catch(() => null);
      if (!res) return report('PROV-UNINSTALL', cannot(`${where} did not answer within 15 s`));
      if (uninstall.click) {
        const clicked = await session.page
          .locator(uninstall.click)
          .first()
          .click({ timeout: 10_000 })
          .then(() => true)
          .catch(() => false);
        if (!clicked)
          return report('PROV-UNINSTALL', cannot(`${uninstall.click} was not found on ${where} within 10 s`));
      }
      await preflight.settle(session.page, session.flow);
      await waitFor(async () => (await panels(preflight)).remaining.length === 0, 5_000);
      await preflight.finding({
        rule: 'PROV-UNINSTALL',
        ...CHECKS['PROV-UNINSTALL'],
        ...judgeUninstalled({ ...(await panels(preflight)), where }),
        evidence: [await preflight.screenshot(session, 'uninstall')],
      });
    },
  );
});
