/**
 * Attacks on the app's callback and return handling: forged, missing and replayed state, a code
 * from another browser (login CSRF), code replay, error responses, hostile error text, garbage
 * parameters, and open redirects through return parameters.
 */
import { bodyText, tenantChangeTags, test } from '../../fixtures/index.ts';
import { loadRunConfig } from '../../fixtures/harness.ts';
import { cannotJudge, unconsentedSignIn } from '../../fixtures/jobs.ts';
import { judgeCodeReplay, needsConfig } from '../../src/judge/index.ts';
import type { FlowSession, Preflight } from '../../fixtures/index.ts';

/** Where declining consent happens: a tenant of the check's own, or the run's, alone. */
const tenantTags = tenantChangeTags(await loadRunConfig());

test.skip(
  ({ harness }) => harness.config.app.type === 'native',
  'callback attacks drive a web callback; native apps are judged by the sign-in suite',
);

/** Drive sign-in but stop the browser at the app's callback; returns the callback URL. */
async function captureCallback(preflight: Preflight, session: FlowSession): Promise<URL | undefined> {
  const appOrigin = new URL(preflight.harness.baseURL).origin;
  const superid = new URL(preflight.emulator.superidUrl).origin;
  let captured: URL | undefined;
  // Playwright does not route the targets of redirects, so SuperID's answers are fetched here
  // without following redirects, and the one that sends the browser to the callback is held back.
  const matcher = (u: URL) => u.origin === superid;
  await session.context.route(matcher, async (route) => {
    const response = await route.fetch({ maxRedirects: 0 });
    const location = response.headers()['location'];
    const target = location ? new URL(location, route.request().url()) : undefined;
    if (
      target &&
      target.origin === appOrigin &&
      (target.searchParams.has('code') || target.searchParams.has('error'))
    ) {
      captured ??= target;
      await route.fulfill({
        status: 200,
        contentType: 'text/html',
        body: '<p>callback held by so-preflight</p>',
      });
      return;
    }
    if (target && response.status() >= 300 && response.status() < 400) {
      // Turn the redirect into a client-side navigation, so the next request is routed too.
      const headers = { ...response.headers() };
      delete headers['location'];
      delete headers['content-length'];
      headers['content-type'] = 'text/html';
      await route.fulfill({
        status: 200,
        headers,
        body: `<script>location.replace(${JSON.stringify(target.href).replace(/</g, '\\u003c')})</script>`,
      });
      return;
    }
    await route.fulfill({ response });
  });
  await preflight.signIn(session, { rawCallback: true, stopWhen: () => captured !== undefined });
  await session.context.unroute(matcher);
  return captured;
}

/**
 * Load `url` in the flow's browser; what the app answered (no status: it did not answer). The
 * bound is generous: a callback may exchange the code and render a server-side page, which a
 * loaded machine (CI running several checks at once) can make slow.
 */
async function deliver(preflight: Preflight, session: FlowSession, url: URL) {
  let why = '';
  const res = await session.page.goto(url.href, { timeout: 30_000 }).catch((e: Error) => {
    why = `: ${e.message.split('\n')[0]}`;
    return null;
  });
  await preflight.settle(session.page);
  const status = res?.status();
  return {
    outcome: status === undefined ? ('timeout' as const) : ('returned' as const),
    url: session.page.url(),
    status,
    detail:
      status === undefined
        ? `the app did not answer the delivered callback (${url.pathname}${why})`
        : 'callback delivered by the harness',
  };
}

test.describe('callback: state', () => {
  const cases: Array<{
    check: string;
    title: string;
    mutate: (u: URL, ctx: { earlierState?: string }) => void;
  }> = [
    {
      check: 'state-altered',
      title: 'Rejects a callback whose state was altered',
      mutate: (u) => u.searchParams.set('state', `${u.searchParams.get('state') ?? ''}x`),
    },
    {
      check: 'state-missing',
      title: 'Rejects a callback without state',
      mutate: (u) => u.searchParams.delete('state'),
    },
    {
      check: 'state-replayed',
      title: 'Rejects a callback carrying the state of an earlier sign-in',
      mutate: (u, ctx) => u.searchParams.set('state', ctx.earlierState ?? 'missing'),
    },
  ];
  for (const c of cases) {
    test(c.title, { tag: ['@AUTH-STATE'] }, async ({ preflight }) => {
      const control = await preflight.control();
      if (!control.ok) return cannotJudge(preflight, 'AUTH-STATE', c.check, c.title, control.reason);
      const session = await preflight.newFlow();
      let earlierState: string | undefined;
      if (c.check === 'state-replayed') {
        // A completed sign-in in this same browser, whose state the attacker replays.
        const earlier = await captureCallback(preflight, session);
        earlierState = earlier?.searchParams.get('state') ?? undefined;
        if (earlier) await deliver(preflight, session, earlier);
        await session.context.clearCookies();
        await session.context.addCookies([session.flow.cookie]);
      }
      const callback = await captureCallback(preflight, session);
      if (!callback || !callback.searchParams.has('code')) {
        return cannotJudge(
          preflight,
          'AUTH-STATE',
          c.check,
          c.title,
          'the sign-in never reached the app callback with a code',
        );
      }
      if (c.check === 'state-replayed' && !earlierState) {
        return cannotJudge(preflight, 'AUTH-STATE', c.check, c.title, 'the app sends no state to replay');
      }
      c.mutate(callback, earlierState ? { earlierState } : {});
      // Only what the attacked delivery causes counts (not the earlier, legitimate sign-in).
      const since = await preflight.mark(session);
      const result = await deliver(preflight, session, callback);
      await preflight.judgeRejection(session, result, {
        rule: 'AUTH-STATE',
        check: c.check,
        title: c.title,
        requireRedemption: false,
        since,
      });
    });
  }

  test(
    'Rejects a code and state from another browser (login CSRF)',
    { tag: ['@AUTH-STATE'] },
    async ({ preflight }) => {
      const check = 'login-csrf';
      const superid = new URL(preflight.emulator.superidUrl).origin;
      const title = "Rejects a callback with another browser's code and state (login CSRF)";
      const control = await preflight.control();
      if (!control.ok) return cannotJudge(preflight, 'AUTH-STATE', check, title, control.reason);
      // A second attacker and victim when the app left the first delivery unanswered (a loaded
      // machine): only an answered delivery is judged.
      test.setTimeout(preflight.config.harness.testTimeout + 60_000);
      let attempt: { victim: FlowSession; result: Awaited<ReturnType<typeof deliver>> } | undefined;
      let unanswered = '';
      for (let i = 0; i < 2 && attempt?.result.status === undefined; i++) {
        const attacker = await preflight.newFlow();
        const stolen = await captureCallback(preflight, attacker);
        if (!stolen?.searchParams.has('code'))
          return cannotJudge(
            preflight,
            'AUTH-STATE',
            check,
            title,
            "the attacker's sign-in never reached the callback",
          );
        const victim = await preflight.newFlow();
        // The victim has started a sign-in of its own, then follows the attacker's link.
        const { signIn } = preflight.config.app;
        await victim.page
          .goto(preflight.appUrl('path' in signIn ? signIn.path : '/'), { timeout: 15_000 })
          .catch(() => undefined);
        // A sign-in page may send the browser on to SuperID from a script after it has loaded
        // (next-auth's signIn() does). Let that navigation land first: on a loaded machine it
        // would otherwise cut the delivery below short, and the check could not judge.
        if ('path' in signIn)
          await victim.page
            .waitForURL((u) => u.origin === superid, { timeout: 10_000 })
            .catch(() => undefined);
        attempt = { victim, result: await deliver(preflight, victim, stolen) };
        if (attempt.result.status === undefined)
          unanswered = ` (a first delivery went unanswered: ${attempt.result.detail})`;
      }
      const { victim, result } = attempt!;
      if (result.status === undefined)
        return cannotJudge(preflight, 'AUTH-STATE', check, title, `${result.detail}, twice`);
      const status = await preflight.probe(victim);
      const evidence = [await preflight.screenshot(victim, 'login-csrf')];
      if (status.signedIn === undefined)
        return cannotJudge(
          preflight,
          'AUTH-STATE',
          check,
          title,
          `the session probe gave no answer (${status.excerpt})`,
        );
      await preflight.finding({
        rule: 'AUTH-STATE',
        check,
        title,
        status: status.signedIn ? 'fail' : 'pass',
        message: status.signedIn
          ? "the victim's browser was signed in with the attacker's code: bind state to the browser session and compare it on the callback"
          : `the app refused the foreign callback (${result.url})${unanswered}`,
        evidence,
      });
    },
  );
});

test.describe('callback: codes and errors', () => {
  test(
    'Does not loop on a replayed callback URL',
    { tag: ['@AUTH-CODE-SINGLE-USE', '@ERROR-PAGE'] },
    async ({ preflight }) => {
      const check = 'callback-replay';
      const title = 'Reloading the callback URL does not make the app redeem the code again and again';
      const control = await preflight.control();
      if (!control.ok) return cannotJudge(preflight, 'AUTH-CODE-SINGLE-USE', check, title, control.reason);
      const session = await preflight.newFlow();
      const callback = await captureCallback(preflight, session);
      if (!callback?.searchParams.has('code'))
        return cannotJudge(
          preflight,
          'AUTH-CODE-SINGLE-USE',
          check,
          title,
          'the sign-in never reached the callback',
        );
      const deliveries = [
        await deliver(preflight, session, callback),
        await deliver(preflight, session, callback),
      ].filter((d) => d.status !== undefined).length;
      const code = callback.searchParams.get('code') ?? '';
      const redemptions = preflight
        .tokenRedemptions(session)
        .filter((e) => (new URLSearchParams(e.requestBody).get('code') ?? e.query['code']) === code);
      const judged = judgeCodeReplay({ redemptionsOfCode: redemptions.length, deliveries });
      await preflight.finding({
        rule: 'AUTH-CODE-SINGLE-USE',
        check,
        title,
        status: judged.status,
        message: judged.message,
      });
      await preflight.checkErrorPage(
        session,
        'error-page-callback-replay',
        'Error page after a replayed callback',
      );
    },
  );

  test(
    'Declining consent leaves the user signed out with a message',
    // On a tenant of its own, not yet consented, when the app serves any tenant (fixtures/index.ts).
    { tag: ['@AUTH-CONSENT-FLOW', '@ERROR-PAGE', ...tenantTags] },
    async ({ preflight }) => {
      const check = 'consent-declined';
      const title = 'Declining consent (error=access_denied) leaves the user signed out with a message';
      // Declined, no session is made whatever the tenant: any return to the app will do there.
      const { session, result } = await unconsentedSignIn(
        preflight,
        { declineConsent: true },
        async () => true,
      );
      const sawConsent = session.flow
        .exchanges()
        .some((e) => e.endpoint === 'interaction' && /consent/i.test(e.path + e.responseBody.slice(0, 2000)));
      if (result.outcome !== 'returned' || !sawConsent) {
        return cannotJudge(
          preflight,
          'AUTH-CONSENT-FLOW',
          check,
          title,
          sawConsent ? result.detail : 'SuperID did not show the consent page to decline',
        );
      }
      const probe = await preflight.probe(session);
      if (probe.signedIn === undefined)
        return cannotJudge(
          preflight,
          'AUTH-CONSENT-FLOW',
          check,
          title,
          `the session probe gave no answer (${probe.excerpt})`,
        );
      const text = (await bodyText(session.page)) ?? '';
      await preflight.finding({
        rule: 'AUTH-CONSENT-FLOW',
        check,
        title,
        status: probe.signedIn ? 'fail' : text.trim().length === 0 ? 'warn' : 'pass',
        message: probe.signedIn
          ? 'the app created a session although consent was declined'
          : text.trim()
            ? 'signed out, with a page explaining it'
            : 'signed out, but the page is empty',
        evidence: [await preflight.screenshot(session, 'consent-declined')],
      });
      await preflight.checkErrorPage(
        session,
        'error-page-consent-declined',
        'Error page after declined consent',
      );
    },
  );

  test(
    'Shows hostile error_description text without running it',
    { tag: ['@INPUT-VALIDATION', '@ERROR-PAGE'] },
    async ({ preflight }) => {
      const check = 'error-description-xss';
      const title = 'A callback error_description carrying script is shown inert';
      const session = await preflight.newFlow();
      const callback = await captureCallback(preflight, session);
      const url =
        callback ??
        new URL(
          preflight.config.app.redirectUris.find((u) => !u.startsWith('^')) ?? preflight.appUrl('/callback'),
        );
      url.searchParams.delete('code');
      url.searchParams.set('error', 'server_error');
      url.searchParams.set(
        'error_description',
        '<img src=x onerror="window.__soPreflightXss=1"><script>window.__soPreflightXss=1</script>',
      );
      const delivered = await deliver(preflight, session, url);
      if (delivered.status === undefined)
        return cannotJudge(preflight, 'INPUT-VALIDATION', check, title, delivered.detail);
      const ran = await preflight.xssRan(session);
      if (ran === undefined)
        return cannotJudge(preflight, 'INPUT-VALIDATION', check, title, 'the page could not be inspected');
      await preflight.finding({
        rule: 'INPUT-VALIDATION',
        check,
        title,
        status: ran ? 'fail' : 'pass',
        message: ran
          ? 'script from error_description ran in the app page: escape everything you render'
          : 'the payload did not run',
        evidence: [await preflight.screenshot(session, 'error-description-xss')],
      });
      await preflight.checkErrorPage(session, 'error-page-server-error', 'Error page for error=server_error');
    },
  );

  test(
    'The callback URL answers garbage with a controlled error',
    { tag: ['@ENDPOINT-RUNNING', '@ERROR-PAGE'] },
    async ({ preflight }) => {
      const session = await preflight.newFlow();
      const callback = await captureCallback(preflight, session);
      // The callback the app really uses, else the exact redirect URL registered for it; never a guess.
      const registered = preflight.config.app.redirectUris.find((u) => !u.startsWith('^'));
      const base = callback
        ? `${callback.origin}${callback.pathname}`
        : registered
          ? registered.split(/[?#]/)[0]!
          : undefined;
      if (!base)
        return cannotJudge(
          preflight,
          'ENDPOINT-RUNNING',
          'callback-garbage',
          'The redirect URL answers missing and garbage parameters with a controlled 4xx page',
          'the sign-in never reached a callback and no exact redirect URL is registered',
        );
      const variants = [
        '',
        '?code=garbage&state=garbage',
        `?code=${'A'.repeat(4000)}`,
        '?state=%00%ff&code[]=1',
      ];
      const statuses: string[] = [];
      let bad = false;
      for (const v of variants) {
        const res = await session.page.goto(base + v, { timeout: 15_000 }).catch(() => null);
        const status = res?.status();
        statuses.push(`${v || '(no parameters)'} -> ${status ?? 'no answer'}`);
        if (status === undefined || status >= 500) bad = true;
      }
      await preflight.finding({
        rule: 'ENDPOINT-RUNNING',
        check: 'callback-garbage',
        title: 'The redirect URL answers missing and garbage parameters with a controlled 4xx page',
        status: bad ? 'fail' : 'pass',
        message: bad
          ? `the callback answered with 5xx or not at all: ${statuses.join('; ')}`
          : statuses.join('; '),
        evidence: [await preflight.screenshot(session, 'callback-garbage')],
      });
      await preflight.checkErrorPage(session, 'error-page-garbage', 'Error page for a garbage callback');
    },
  );
});

test.describe('return parameters', () => {
  test(
    'Does not redirect to a foreign origin after sign-in',
    { tag: ['@REDIRECT-OPEN'] },
    async ({ preflight }) => {
      const check = 'open-redirect';
      const title = 'After sign-in the app does not follow a return parameter to a foreign origin';
      const control = await preflight.control();
      if (!control.ok) return cannotJudge(preflight, 'REDIRECT-OPEN', check, title, control.reason);
      const signInPath = 'path' in preflight.config.app.signIn ? preflight.config.app.signIn.path : undefined;
      if (!signInPath)
        return cannotJudge(preflight, 'REDIRECT-OPEN', check, title, 'sign-in is not started by a path');
      if (preflight.config.app.returnParams.length === 0) {
        const judged = needsConfig(
          'app.returnParams',
          'the query parameters your app returns to after sign-in, e.g. ["returnUrl"]',
        );
        return preflight.finding({ rule: 'REDIRECT-OPEN', check, title, ...judged });
      }
      let completed = 0;
      const evil = 'https://evil.so-preflight.invalid';
      const targets = [
        `${evil}/landing`,
        `//evil.so-preflight.invalid/landing`,
        `/\\evil.so-preflight.invalid/landing`,
      ];
      const hits: string[] = [];
      for (const param of preflight.config.app.returnParams) {
        for (const target of targets) {
          const session = await preflight.newFlow({ superIdSession: true });
          let reached = false;
          // Requests are reported for redirect targets too (routes are not), so any attempt to load
          // the foreign origin is seen, even though its name does not resolve.
          session.context.on('request', (req) => {
            if (URL.canParse(req.url()) && new URL(req.url()).hostname === 'evil.so-preflight.invalid')
              reached = true;
          });
          const url = new URL(preflight.appUrl(signInPath));
          url.searchParams.set(param, target);
          const result = await preflight.signIn(session, { startPath: url.pathname + url.search });
          if (result.outcome === 'returned') completed++;
          const landed =
            URL.canParse(session.page.url()) &&
            new URL(session.page.url()).hostname === 'evil.so-preflight.invalid';
          if (reached || landed) hits.push(`${param}=${target}`);
          await session.context.close();
        }
      }
      if (!hits.length && completed === 0)
        return cannotJudge(
          preflight,
          'REDIRECT-OPEN',
          check,
          title,
          'none of the sign-ins with a return parameter completed',
        );
      await preflight.finding({
        rule: 'REDIRECT-OPEN',
        check,
        title,
        status: hits.length ? 'fail' : 'pass',
        message: hits.length
          ? `the signed-in user was sent to a foreign origin via ${hits.join(', ')}: accept only relative paths on your own origin`
          : `tried ${preflight.config.app.returnParams.join(', ')} with absolute, protocol-relative and backslash URLs: no foreign redirect`,
      });
    },
  );
});
