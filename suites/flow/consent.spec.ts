/**
 * Consent and access: the administrator's approval hand-shake, a normal user arriving after it,
 * consent revoked later (ERR-ACCESS-LOST), and the URLs the app uses with SuperOffice being the
 * registered ones (post-logout redirect, CORS origins).
 */
import { bodyText, tenantChangeTags, test } from '../../fixtures/index.ts';
import type { FlowSession, Preflight } from '../../fixtures/index.ts';
import { loadRunConfig } from '../../fixtures/harness.ts';
import { findStackTrace } from '../../src/evidence/stacktrace.ts';
import {
  cannotJudge,
  needsApiAction,
  signedIn,
  signedInToChange,
  unconsentedSignIn,
} from '../../fixtures/jobs.ts';
import { needsConfig } from '../../src/judge/index.ts';

async function pageProblems(
  preflight: Preflight,
  text: string,
  status: number | undefined,
): Promise<string | undefined> {
  const trace = findStackTrace(text);
  if (trace) return `the page shows a ${trace.runtime} stack trace`;
  if (status !== undefined && status >= 500 && preflight.config.app.type === 'web')
    return `the page answered HTTP ${status}`;
  if (!text.trim()) return 'the page is empty';
  return undefined;
}

/** Whether the app holds a session for the flow: its probe, or a native app's API call with its token. */
async function sessionProbe(preflight: Preflight, session: FlowSession) {
  return preflight.config.app.type === 'native'
    ? { signedIn: await preflight.accepted(session), status: 0, excerpt: '' }
    : await preflight.probe(session);
}

// Consent is given, relied on and revoked on a tenant of each check's own when the app serves any
// tenant (fixtures/index.ts); else on the run's tenant, alone.
test.describe('consent', { tag: tenantChangeTags(await loadRunConfig()) }, () => {
  test(
    'An administrator approves the app and ends signed in',
    { tag: ['@AUTH-CONSENT-FLOW'] },
    async ({ preflight }) => {
      const check = 'admin-consent';
      const title = 'A first administrator sign-in goes through SuperID consent and ends signed in';
      const { session, result: r } = await unconsentedSignIn(
        preflight,
        {},
        async (s) => (await sessionProbe(preflight, s)).signedIn === true,
      );
      const consentShown = session.flow
        .exchanges()
        .some((e) => e.endpoint === 'interaction' && /I approve/.test(e.responseBody));
      if (r.outcome !== 'returned') {
        // Stopping on a SuperID error page is the app's doing; a timeout observed nothing.
        await preflight.finding({
          rule: 'AUTH-CONSENT-FLOW',
          check,
          title,
          status: r.outcome === 'stopped-at-superid' ? 'fail' : 'error',
          message:
            r.outcome === 'stopped-at-superid'
              ? `the consent hand-shake stopped at SuperID: ${r.detail}`
              : `cannot judge: the consent hand-shake did not finish (${r.detail})`,
          evidence: [await preflight.screenshot(session, check)],
        });
        return;
      }
      // A native app has no session page: its API call with the flow's token is the evidence.
      const probe = await sessionProbe(preflight, session);
      if (probe.signedIn === undefined)
        return cannotJudge(
          preflight,
          'AUTH-CONSENT-FLOW',
          check,
          title,
          `the session probe gave no answer (${probe.excerpt})`,
        );
      await preflight.finding({
        rule: 'AUTH-CONSENT-FLOW',
        check,
        title,
        status: consentShown && probe.signedIn ? 'pass' : consentShown ? 'fail' : 'error',
        message: !consentShown
          ? 'cannot judge: SuperID did not show its consent page'
          : probe.signedIn
            ? 'consent given on SuperID, the app then signed the administrator in'
            : preflight.config.app.type === 'native'
              ? 'after consent the native app made no API call with its token'
              : `after consent the app did not sign the administrator in (HTTP ${probe.status})`,
      });
    },
  );

  test(
    'A normal user after consent is handled without errors',
    { tag: ['@AUTH-ADMIN-ONLY-CONSENT'] },
    async ({ preflight }) => {
      const check = 'normal-user';
      const title =
        'A normal (non-administrator) user of a consented tenant gets a working page, not an error screen';
      const control = await preflight.control();
      if (!control.ok) return cannotJudge(preflight, 'AUTH-ADMIN-ONLY-CONSENT', check, title, control.reason);
      // The tenant consents first, as it does in life: an administrator signs in, approving the
      // app on SuperID's consent page.
      const { result: approved } = await unconsentedSignIn(
        preflight,
        {},
        async (s) => (await sessionProbe(preflight, s)).signedIn === true,
      );
      if (approved.outcome !== 'returned')
        return cannotJudge(
          preflight,
          'AUTH-ADMIN-ONLY-CONSENT',
          check,
          title,
          `an administrator's sign-in, to consent for the tenant, did not complete (${approved.detail})`,
        );
      const tenant = preflight.ownTenantId;
      const session = await preflight.newFlow({ user: 'user', ...(tenant ? { tenant } : {}) });
      const r = await preflight.signIn(session);
      if (r.outcome !== 'returned')
        return cannotJudge(preflight, 'AUTH-ADMIN-ONLY-CONSENT', check, title, r.detail);
      // A native app tells its user in its own output, once its sign-in run has finished.
      const native = session.native;
      if (native && (await native.process.waitForExit(15_000)) === null)
        return cannotJudge(
          preflight,
          'AUTH-ADMIN-ONLY-CONSENT',
          check,
          title,
          'the sign-in run did not exit in 15 s',
        );
      const text = native ? native.process.output().join('\n') : await bodyText(session.page);
      if (text === undefined)
        return cannotJudge(
          preflight,
          'AUTH-ADMIN-ONLY-CONSENT',
          check,
          title,
          "the normal user's page could not be read",
        );
      const problem = await pageProblems(preflight, text, r.status);
      await preflight.finding({
        rule: 'AUTH-ADMIN-ONLY-CONSENT',
        check,
        title,
        status: problem ? 'fail' : 'pass',
        message: problem
          ? `${problem} for a normal user (no system_token, is_administrator False): show a clear message instead`
          : 'the normal user got a working page',
        evidence: [problem ? await preflight.screenshot(session, check) : await preflight.pageText(session)],
      });
    },
  );

  test(
    'Consent revoked later: the app stops and tells the user',
    { tag: ['@ERR-ACCESS-LOST'] },
    async ({ preflight }) => {
      const rule = 'ERR-ACCESS-LOST';
      const check = 'consent-revoked';
      const title =
        'After the tenant revokes the app, it stops calling SuperOffice (bounded retries) and says so';
      if (await needsApiAction(preflight, { rule, check, title })) return;
      const session = await signedInToChange(preflight, {}, undefined, { onRunTenant: signedIn });
      if (typeof session === 'string') return cannotJudge(preflight, rule, check, title, session);
      if ((await session.native?.process.waitForExit(15_000)) === null)
        return cannotJudge(preflight, rule, check, title, 'the sign-in run did not exit in 15 s');
      const before = preflight.emulator.recorder.lastSeq();
      await preflight.apiAction(session);
      if (!(await preflight.changedTenantTraffic(session, before)).some((e) => e.endpoint === 'api'))
        return cannotJudge(
          preflight,
          rule,
          check,
          title,
          `the app made no API call on ${preflight.apiActionLabel}`,
        );
      await preflight.revokeConsent();
      const mark = preflight.emulator.recorder.lastSeq();
      await preflight.apiAction(session);
      const seen = await preflight.apiAction(session);
      const status = seen.status ?? seen.exitCode;
      const after = (await preflight.changedTenantTraffic(session, mark)).filter(
        (e) => e.endpoint === 'api' || e.endpoint === 'token' || e.endpoint === 'system-user',
      );
      const text = seen.answered ? seen.text : '';
      const trace = findStackTrace(text);
      const bounded = after.length <= 10;
      // A page that did not load, or whose text could not be read, showed nothing either way (a
      // command that did not finish is the app's doing).
      if (bounded && preflight.config.app.type !== 'native' && (!seen.answered || !seen.textRead))
        return cannotJudge(
          preflight,
          rule,
          check,
          title,
          `${preflight.apiActionLabel} ${seen.answered ? 'answered, but its text could not be read' : 'did not answer'} after the revocation`,
        );
      await preflight.finding({
        rule,
        check,
        title,
        status: bounded && !trace && text.trim() ? 'pass' : 'fail',
        message: !bounded
          ? `${after.length} calls to SuperOffice after the revocation for two uses of ${preflight.apiActionLabel}: stop after the 401/invalid_grant and mark the tenant disconnected`
          : trace
            ? `the page shows a ${trace.runtime} stack trace after the revocation`
            : !text.trim()
              ? `${preflight.config.app.type === 'native' ? 'the command printed nothing' : 'the page is empty'} after the revocation`
              : `${after.length} call(s) after the revocation, then the app ${preflight.config.app.type === 'native' ? 'exited with code' : 'answered HTTP'} ${status ?? '-'} with a message`,
        evidence: [await preflight.shown(session, seen, check)],
      });
    },
  );
});

test.describe('registered URLs in use', () => {
  test(
    'Post-logout and CORS use only registered URLs',
    { tag: ['@REDIRECT-WHITELIST-ALL'] },
    async ({ preflight }) => {
      const rule = 'REDIRECT-WHITELIST-ALL';
      const check = 'registered-urls-used';
      const title =
        'Sign-out returns to a registered post-logout URL and browser API calls come from registered origins';
      const session = await signedIn(preflight);
      if (typeof session === 'string') return cannotJudge(preflight, rule, check, title, session);
      if (preflight.config.app.type === 'native') return nativeUrlsRegistered(preflight, session);
      await preflight.visitApiAction(session);
      const signOut = preflight.config.app.signOut?.path;
      if (signOut) {
        await session.page.goto(preflight.appUrl(signOut), { timeout: 15_000 }).catch(() => undefined);
        // A stack trace on the sign-out page is reported by the harness's page watch (ERROR-PAGE).
      }
      await preflight.settle(session.page, session.flow);
      const { recorder } = preflight.emulator;
      const logouts = recorder
        .all()
        .filter((e) => e.endpoint === 'logout' && e.seq > (session.flow.exchanges()[0]?.seq ?? 0));
      const badLogout = logouts.filter((e) => e.notes.includes('unregistered post-logout redirect'));
      const cors = session.flow
        .exchanges()
        .filter((e) => e.endpoint === 'cors-preflight' || (e.from === 'browser' && e.origin === 'tenant'));
      const badCors = cors.filter((e) => e.status >= 400 && e.endpoint === 'cors-preflight');
      if (logouts.length === 0 && cors.length === 0) {
        // Nothing beyond the sign-in redirect (judged by REDIRECT-REGISTERED-EXACT) is in use.
        const judged = signOut
          ? {
              status: 'not-run' as const,
              message: `not run: signing out at ${signOut} did not use SuperID's logout endpoint and the browser made no API calls, so no other redirect URL or origin is in use`,
            }
          : needsConfig(
              'app.signOut',
              'the path that signs the user out, so the post-logout redirect can be checked; the browser made no API calls',
            );
        return preflight.finding({ rule, check, title, ...judged });
      }
      const problems = [
        ...badLogout.map(
          (e) =>
            `post-logout redirect ${e.query['post_logout_redirect_uri'] ?? e.query['redirect_uri'] ?? ''} is not registered`,
        ),
        ...badCors.map(
          (e) => `browser API call from unregistered origin ${e.requestHeaders['origin'] ?? '?'}`,
        ),
      ];
      await preflight.finding({
        rule,
        check,
        title,
        status: problems.length ? 'fail' : 'pass',
        message: problems.length
          ? problems.join('; ')
          : `${logouts.length} sign-out(s) and ${cors.length} browser API call(s), all to registered URLs`,
      });
    },
  );
});

/**
 * A native app uses one kind of URL with SuperOffice: its loopback redirect, in the authorize and
 * token requests (no post-logout redirect, no browser origin calling NetServer).
 */
async function nativeUrlsRegistered(preflight: Preflight, session: FlowSession): Promise<void> {
  const rule = 'REDIRECT-WHITELIST-ALL';
  const check = 'registered-urls-used';
  const title = 'Every URL the native app gives SuperID is a registered redirect URL';
  const used = session.flow.exchanges().filter((e) => e.endpoint === 'authorize' || e.endpoint === 'token');
  const uris = [
    ...new Set(
      used
        .map((e) => e.query['redirect_uri'] ?? new URLSearchParams(e.requestBody).get('redirect_uri') ?? '')
        .filter(Boolean),
    ),
  ];
  if (uris.length === 0)
    return cannotJudge(preflight, rule, check, title, 'the flow carried no redirect_uri to judge');
  const bad = used.filter((e) =>
    e.notes.some((n) => /unregistered redirect_uri|missing redirect_uri|redirect_uri mismatch/.test(n)),
  );
  await preflight.finding({
    rule,
    check,
    title,
    status: bad.length ? 'fail' : 'pass',
    message: bad.length
      ? `SuperID saw a redirect_uri that is not registered or not the one of the authorization request: ${bad.map((e) => `${e.endpoint}: ${e.notes.join(', ')}`).join('; ')}`
      : `the app used only ${uris.join(', ')}, matching the registered redirect URLs; a native app has no post-logout redirect and no browser origin`,
  });
}
