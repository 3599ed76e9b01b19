/**
 * How the app uses the tenant API once signed in: the claim URLs, refresh on 401, back-off on
 * 429, tenant state before calls, escaping of tenant data, and error pages on NetServer faults.
 * Each check signs in through its own flow, makes the app do its API work (config `apiAction`:
 * a page for web apps, a command for native apps) and judges by the NetServer traffic of that
 * flow and by what the user saw.
 */
import { STATE_VALID_SECONDS, tenantChangeTags, test, validUntilOf } from '../../fixtures/index.ts';
import { loadRunConfig } from '../../fixtures/harness.ts';
import {
  callsPerUse,
  cannotJudge as error,
  needsApiAction,
  signedInFlow,
  signedInToChange,
  usesASecondApart,
} from '../../fixtures/jobs.ts';
import {
  judgeCache,
  judgeErrorPage,
  judgeHandle421,
  judgeNoHardcodedUrl,
  judgeNoMix,
  judgeQueries,
  judgeRate,
  judgeRefreshOn401,
  judgeRefreshPerCall,
  judgeThrottle,
} from '../../src/judge/index.ts';
import type { HostCall } from '../../src/judge/index.ts';
import { TENANT_MOVED_NOTE } from '../../src/emulator/superid/state-api.ts';

const call = (e: { method: string; path: string; status: number }) => ({
  method: e.method,
  path: e.path,
  status: e.status,
});

const USER_TOKEN_FAULTS =
  "these faults are bound to the signed-in user's tokens; system-user apps are judged by the system-user suite";

test.describe('API usage', () => {
  test(
    'Queries the tenant API economically, with one API style',
    { tag: ['@API-NO-CHOKE', '@API-NO-MIX'] },
    async ({ preflight }) => {
      const checks = [
        {
          rule: 'API-NO-CHOKE',
          check: 'odata-queries',
          title: 'List and search queries select their fields, are bounded and ordered, and never count',
        },
        { rule: 'API-NO-MIX', check: 'rest-or-soap', title: 'The app uses REST or SOAP, not both' },
      ];
      if (await needsApiAction(preflight, ...checks)) return;
      const start = preflight.emulator.recorder.lastSeq();
      const session = await signedInFlow(preflight);
      if (typeof session === 'string') {
        for (const c of checks) await error(preflight, c.rule, c.check, c.title, session);
        return;
      }
      await preflight.apiAction(session);
      // Everything the app sent the tenant for this user: its session page and its API action.
      const requests = (await preflight.tenantRequests(session, start)).map((e) => ({
        method: e.method,
        url: e.url,
      }));
      // A SOAP call need not carry the user's token: the style is judged on all the app's tenant calls.
      const appWide = (await preflight.appTenantRequests(start)).map((e) => ({
        method: e.method,
        url: e.url,
      }));
      const judged = [judgeQueries(requests), judgeNoMix(appWide)];
      for (const [i, c] of checks.entries()) await preflight.finding({ ...c, ...judged[i]! });
    },
  );

  test(
    'Keeps to 10 API calls per second per user, and caches what rarely changes',
    { tag: ['@API-RATE-10PS', '@API-CACHE'] },
    async ({ preflight }) => {
      test.skip(
        preflight.config.app.type === 'server-to-server',
        'system-user traffic is measured by the system-user suite, where no other check runs',
      );
      const rate = {
        rule: 'API-RATE-10PS',
        check: 'peak-rate',
        title: "The app's API calls for one user stay within 10 per second",
      };
      const cache = {
        rule: 'API-CACHE',
        check: 'no-repeat-lookups',
        title: 'The current principal, lists and metadata are fetched once and reused, not on every use',
      };
      if (await needsApiAction(preflight, rate, cache)) return;
      const start = preflight.emulator.recorder.lastSeq();
      const session = await signedInFlow(preflight);
      if (typeof session === 'string') {
        for (const c of [rate, cache]) await error(preflight, c.rule, c.check, c.title, session);
        return;
      }
      // A user moving quickly: the API action three times, a second apart.
      const marks = await usesASecondApart(preflight, () => preflight.apiAction(session));
      const requests = await preflight.tenantRequests(session, start);
      const calls = requests.filter((e) => e.endpoint === 'api' || e.endpoint === 'api-wrong-host');
      await preflight.finding({
        ...rate,
        ...judgeRate({
          times: calls.map((e) => Date.parse(e.time)),
          certification: preflight.config.app.certification,
        }),
      });
      // Each use of the API action on its own: a web app's pages share one process that can cache;
      // a native app's runs are separate processes, so only repeats within one run count.
      const views = callsPerUse(calls, marks);
      const native = preflight.config.app.type === 'native';
      await preflight.finding({
        ...cache,
        ...judgeCache({
          views,
          acrossViews: !native,
          what: native ? `runs of ${preflight.apiActionLabel}` : `uses of ${preflight.apiActionLabel}`,
        }),
      });
    },
  );

  test('Calls the API at the webapi_url claim', { tag: ['@API-USE-CLAIM-URLS'] }, async ({ preflight }) => {
    const check = 'api-base-from-claim';
    const title = 'API calls go to the tenant host named by the webapi_url claim';
    if (await needsApiAction(preflight, { rule: 'API-USE-CLAIM-URLS', check, title })) return;
    const session = await signedInFlow(preflight);
    if (typeof session === 'string') return error(preflight, 'API-USE-CLAIM-URLS', check, title, session);
    const mark = preflight.emulator.recorder.lastSeq();
    await preflight.apiAction(session);
    // System-user calls are not bound to the browser's flow: take every API call since the visit.
    const calls =
      preflight.config.app.type === 'server-to-server'
        ? preflight.emulator.recorder
            .since(mark)
            .filter((e) => e.endpoint === 'api' || e.endpoint === 'api-wrong-host')
        : preflight.apiCalls(session);
    if (calls.length === 0)
      return error(
        preflight,
        'API-USE-CLAIM-URLS',
        check,
        title,
        `the app made no API call on ${preflight.apiActionLabel}`,
      );
    const wrong = calls.filter((e) => e.endpoint === 'api-wrong-host' || e.origin === 'superid');
    await preflight.finding({
      rule: 'API-USE-CLAIM-URLS',
      check,
      title,
      status: wrong.length ? 'fail' : 'pass',
      message: wrong.length
        ? `${wrong.length} of ${calls.length} API calls went to SuperID's host (${wrong[0]!.method} ${wrong[0]!.path} -> ${wrong[0]!.status}); build API URLs from the webapi_url claim`
        : `${calls.length} API call(s), all to ${preflight.emulator.webapiUrl}`,
      evidence: wrong.slice(0, 1).map((e) => preflight.exchangeEvidence('API call to the wrong host', e)),
    });
  });

  test(
    'Refreshes the access token on 401 and retries',
    { tag: ['@API-TOKEN-REFRESH'] },
    async ({ preflight }) => {
      test.skip(preflight.config.app.type === 'server-to-server', USER_TOKEN_FAULTS);
      const check = 'refresh-on-401';
      const title = 'After a 401 the app refreshes the access token once and retries';
      if (await needsApiAction(preflight, { rule: 'API-TOKEN-REFRESH', check, title })) return;
      const session = await signedInFlow(preflight, {}, { accessTokenExpiresAfterCalls: 0 });
      if (typeof session === 'string') return error(preflight, 'API-TOKEN-REFRESH', check, title, session);
      const since = await preflight.mark(session);
      const seen = await preflight.apiAction(session);
      const judged = judgeRefreshOn401({
        calls: preflight.apiCalls(session, since).map(call),
        refreshes: preflight.refreshGrants(session, since).length,
      });
      await preflight.finding({
        rule: 'API-TOKEN-REFRESH',
        check,
        title,
        status: judged.status,
        message: judged.message,
        evidence: [await preflight.shown(session, seen, 'after-401')],
      });
    },
  );

  test(
    'Reuses a valid access token instead of refreshing before every call',
    { tag: ['@API-TOKEN-REFRESH'] },
    async ({ preflight }) => {
      test.skip(preflight.config.app.type === 'server-to-server', USER_TOKEN_FAULTS);
      const check = 'no-refresh-while-valid';
      const title = 'While the access token is valid the app calls the API without refreshing it first';
      if (await needsApiAction(preflight, { rule: 'API-TOKEN-REFRESH', check, title })) return;
      const session = await signedInFlow(preflight);
      if (typeof session === 'string') return error(preflight, 'API-TOKEN-REFRESH', check, title, session);
      const since = await preflight.mark(session);
      // Three visits of the API page: at least two API calls to compare.
      for (let i = 0; i < 3; i++) await preflight.apiAction(session);
      const refreshes = preflight.refreshGrants(session, since);
      const judged = judgeRefreshPerCall({
        calls: preflight.apiCalls(session, since).map(call),
        refreshes: refreshes.length,
        tokenSecondsLeft: preflight.emulator.accessTokenTtlSeconds,
      });
      const refresh = refreshes[0];
      await preflight.finding({
        rule: 'API-TOKEN-REFRESH',
        check,
        title,
        status: judged.status,
        message: judged.message,
        evidence: refresh
          ? [preflight.exchangeEvidence('refresh grant while the token was valid', refresh)]
          : [],
      });
    },
  );

  test('Backs off when throttled', { tag: ['@ERR-THROTTLE-UX'] }, async ({ preflight }) => {
    test.skip(preflight.config.app.type === 'server-to-server', USER_TOKEN_FAULTS);
    const check = 'backoff-on-429';
    const title = 'On 429 the app honours Retry-After and tells the user, instead of a retry storm or a hang';
    if (await needsApiAction(preflight, { rule: 'ERR-THROTTLE-UX', check, title })) return;
    const retryAfter = 3;
    const session = await signedInFlow(
      preflight,
      {},
      { throttle: { calls: 50, retryAfterSeconds: retryAfter } },
    );
    if (typeof session === 'string') return error(preflight, 'ERR-THROTTLE-UX', check, title, session);
    // Only the app's calls after the throttle was armed count (not the sign-in's, nor the probe's).
    const since = await preflight.mark(session);
    const seen = await preflight.apiAction(session);
    const judged = judgeThrottle({
      retryAfterSeconds: retryAfter,
      calls: preflight.apiCalls(session, since).map((e) => ({ ...call(e), at: Date.parse(e.time) })),
      answered: seen.answered,
      elapsedMs: seen.elapsedMs,
      pendingRequests: seen.pending,
      pageText: seen.text,
      surface: preflight.config.app.type === 'native' ? 'command' : 'page',
    });
    await preflight.finding({
      rule: 'ERR-THROTTLE-UX',
      check,
      title,
      status: judged.status,
      message: judged.message,
      evidence: [await preflight.shown(session, seen, 'throttled')],
    });
  });

  test('Shows tenant data escaped', { tag: ['@INPUT-VALIDATION'] }, async ({ preflight }) => {
    test.skip(preflight.config.app.type === 'server-to-server', USER_TOKEN_FAULTS);
    test.skip(
      preflight.config.app.type === 'native',
      'a native app shows tenant data in its own window or terminal, not in a browser page the harness can inspect',
    );
    const check = 'tenant-data-escaped';
    const title = 'Claims and tenant data carrying script are shown inert';
    const session = await signedInFlow(preflight, { xssPayloads: true });
    if (typeof session === 'string') return error(preflight, 'INPUT-VALIDATION', check, title, session);
    const since = await preflight.mark(session);
    const status = await preflight.visitApiAction(session);
    // The payloads reach the page through the tenant data the app fetches (and the claims).
    if (status === undefined || preflight.apiCalls(session, since).length === 0)
      return error(
        preflight,
        'INPUT-VALIDATION',
        check,
        title,
        status === undefined
          ? 'the API page did not answer'
          : 'the API page made no API call, so no planted tenant data reached it',
      );
    const ran = await preflight.xssRan(session);
    if (ran === undefined)
      return error(preflight, 'INPUT-VALIDATION', check, title, 'the page could not be inspected');
    await preflight.finding({
      rule: 'INPUT-VALIDATION',
      check,
      title,
      status: ran ? 'fail' : 'pass',
      message: ran
        ? 'a script planted in company_name / contact names ran in the app page: escape all output'
        : 'the planted payloads did not run',
      evidence: [await preflight.screenshot(session, 'xss-payloads')],
    });
  });

  test('Shows a friendly page when NetServer fails', { tag: ['@ERROR-PAGE'] }, async ({ preflight }) => {
    test.skip(preflight.config.app.type === 'server-to-server', USER_TOKEN_FAULTS);
    if (
      await needsApiAction(preflight, {
        rule: 'ERROR-PAGE',
        check: 'netserver-500',
        title: 'Error output when NetServer answers 500',
      })
    )
      return;
    const session = await signedInFlow(preflight, {}, { serverError: true });
    if (typeof session === 'string')
      return error(
        preflight,
        'ERROR-PAGE',
        'netserver-500',
        'Error page when NetServer answers 500',
        session,
      );
    if (preflight.config.app.type === 'native') {
      const seen = await preflight.apiAction(session);
      const judged = seen.answered
        ? judgeErrorPage({ text: seen.text, html: undefined })
        : { status: 'fail' as const, message: `the command did not finish within its timeout` };
      await preflight.finding({
        rule: 'ERROR-PAGE',
        check: 'netserver-500',
        title: 'Error output when NetServer answers 500',
        status: judged.status === 'warn' ? 'error' : judged.status,
        message:
          judged.status === 'pass'
            ? `no stack trace in the output (exit code ${seen.exitCode ?? '-'})`
            : judged.message.replace('the page', 'the output'),
        evidence: [await preflight.shown(session, seen, 'netserver-500')],
      });
      return;
    }
    await preflight.visitApiAction(session);
    await preflight.checkErrorPage(session, 'netserver-500', 'Error page when NetServer answers 500');
  });
});

// On a tenant of each check's own when the app serves any tenant (fixtures/index.ts).
test.describe('tenant state', { tag: tenantChangeTags(await loadRunConfig()) }, () => {
  test(
    'Checks the tenant state and stops calling an unavailable tenant',
    { tag: ['@STATUS-CHECK-BEFORE-ACTION'] },
    async ({ preflight }) => {
      const rule = 'STATUS-CHECK-BEFORE-ACTION';
      const title = 'The app checks the tenant state API and makes no API calls while the tenant is offline';
      if (
        await needsApiAction(preflight, { rule: 'STATUS-CHECK-BEFORE-ACTION', check: 'state-checked', title })
      )
        return;
      const session = await signedInToChange(preflight);
      if (typeof session === 'string') return error(preflight, rule, 'state-checked', title, session);
      const { emulator } = preflight;
      const before = emulator.recorder.lastSeq();
      await preflight.apiAction(session);
      const stateCalls = preflight.stateAnswers();
      if (preflight.apiCalls(session).length === 0 && stateCalls.length === 0)
        return error(
          preflight,
          rule,
          'state-checked',
          title,
          `the app made no tenant API call on ${preflight.apiActionLabel}, so there is no action to check the state before`,
        );
      if (stateCalls.length === 0) {
        await preflight.finding({
          rule,
          check: 'state-checked',
          title,
          status: 'fail',
          message:
            'the app never called the tenant state API (GET /api/state/{ctx}); check it before calling the tenant, caching until ValidUntil',
        });
        return;
      }
      const lastValidUntil = stateCalls
        .map((e) => validUntilOf(e.responseBody) ?? 0)
        .reduce((a, b) => Math.max(a, b), 0);
      await preflight.setTenantState('OfflineMaintenance');
      const wait = lastValidUntil - Date.now();
      if (wait > 15_000) {
        return error(
          preflight,
          rule,
          'state-checked',
          title,
          `the emulator's ValidUntil lies ${Math.round(wait / 1000)} s ahead`,
        );
      }
      if (wait > 0) await new Promise((r) => setTimeout(r, wait + 100));
      const mark = emulator.recorder.lastSeq();
      const seen = await preflight.apiAction(session);
      const afterCalls = preflight.apiCalls(session).filter((e) => e.seq > mark);
      const checked = preflight.stateAnswers(Math.max(before, mark)).length > 0;
      await preflight.finding({
        rule,
        check: 'no-calls-when-offline',
        title,
        status: afterCalls.length === 0 && checked ? 'pass' : 'fail',
        message:
          afterCalls.length === 0 && checked
            ? 'the app re-checked the state and made no API call while the tenant was in OfflineMaintenance'
            : `with the tenant in OfflineMaintenance the app made ${afterCalls.length} API call(s)${checked ? '' : ' without re-checking the state'}`,
        evidence: [await preflight.shown(session, seen, 'tenant-offline')],
      });
    },
  );

  test(
    'Follows a tenant move to its new host',
    { tag: ['@STATUS-HANDLE-421', '@STATUS-NO-HARDCODED-URL'] },
    async ({ preflight }) => {
      const checks = [
        {
          rule: 'STATUS-HANDLE-421',
          check: 'tenant-move-421',
          title: 'After the tenant moves, a 421 makes the app re-resolve its host and retry there',
        },
        {
          rule: 'STATUS-NO-HARDCODED-URL',
          check: 'tenant-move-host',
          title: 'API hosts come from the webapi_url claim and the state API, never a built or kept host',
        },
      ];
      if (await needsApiAction(preflight, ...checks)) return;
      const session = await signedInToChange(preflight);
      if (typeof session === 'string') {
        for (const c of checks) await error(preflight, c.rule, c.check, c.title, session);
        return;
      }
      const { emulator } = preflight;
      const callsSince = async (seq: number): Promise<HostCall[]> =>
        (await preflight.tenantRequests(session, seq))
          .filter((e) => e.endpoint === 'api' || e.endpoint === 'api-wrong-host')
          .map((e) => ({
            host:
              e.endpoint === 'api-wrong-host' || e.origin === 'superid'
                ? 'auth'
                : new URL(e.url).origin === emulator.tenantOrigin
                  ? 'old'
                  : 'moved',
            status: e.status,
          }));
      const start = emulator.recorder.lastSeq();
      await preflight.apiAction(session);
      const before = await callsSince(start);
      // A silent move first: the app's next state answer still names the old host, so an app that
      // trusts it meets the 421. The app may rightly still hold the answer it got a moment ago, so
      // each use waits out its ValidUntil first. An app that never asks the state API is moved
      // outright and meets the 421 with the host it kept.
      await preflight.moveTenant({ silent: true });
      let movedAt: number | undefined;
      for (let attempt = 0; attempt < 2 && movedAt === undefined; attempt++) {
        await new Promise((r) => setTimeout(r, STATE_VALID_SECONDS * 1000 + 200));
        const armed = emulator.recorder.lastSeq();
        await preflight.apiAction(session);
        await emulator.sync();
        movedAt = preflight.stateAnswers(armed).find((e) => e.notes.includes(TENANT_MOVED_NOTE))?.seq;
      }
      let uses = 1;
      if (movedAt === undefined) {
        movedAt = emulator.recorder.lastSeq();
        await preflight.moveTenant();
        uses = 0;
      }
      const seen = await preflight.apiAction(session);
      const observed = { before, after: await callsSince(movedAt), uses: uses + 1 };
      const judged = [judgeHandle421(observed), judgeNoHardcodedUrl(observed)];
      const evidence = await preflight.shown(session, seen, 'after-tenant-move');
      for (const [i, c] of checks.entries())
        await preflight.finding({ ...c, ...judged[i]!, evidence: [evidence] });
    },
  );
});
