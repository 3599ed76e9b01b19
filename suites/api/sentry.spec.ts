/**
 * Sentry, SuperOffice's per-user rights: what the app shows a user whose rights are restricted.
 * Three users see the app's API view (config `apiAction`): one with full rights (the control), one
 * from whom Sentry hides a company the control saw (API-RESPECT-SENTRY: the company must not reach
 * them, by the system user or by another user's cached results), and one whose company and person
 * reads Sentry denies with 403 (ERR-USER-FEEDBACK: the app must say so, not crash or show an empty
 * view as if there were no data). The restrictions apply to the users' own tokens only, as in
 * SuperOffice: the system user sees everything.
 */
import { test } from '../../fixtures/index.ts';
import { cannotJudge, needsApiAction, signedInFlow } from '../../fixtures/jobs.ts';
import { SEEDED_COMPANIES } from '../../src/emulator/netserver/data.ts';
import { SENTRY_NOTES } from '../../src/emulator/netserver/routes-v1.ts';
import { findStackTrace } from '../../src/evidence/stacktrace.ts';
import { judgeDenialFeedback, judgeSentryHidden, namesShown } from '../../src/judge/index.ts';

const HIDE = {
  rule: 'API-RESPECT-SENTRY',
  check: 'sentry-hidden-company',
  title: 'A company Sentry hides from a user is not shown to them',
};
const DENY = {
  rule: 'ERR-USER-FEEDBACK',
  check: 'sentry-denied',
  title: 'A user whose reads Sentry denies is told so',
};

test.describe('Sentry', () => {
  test(
    'Shows each user only what their rights allow, and says when they are denied',
    { tag: ['@API-RESPECT-SENTRY', '@ERR-USER-FEEDBACK'] },
    async ({ preflight }) => {
      if (preflight.config.app.type === 'server-to-server') {
        for (const c of [HIDE, DENY])
          await preflight.finding({
            ...c,
            status: 'not-run',
            message:
              'not run: a server-to-server app has no signed-in user whose rights Sentry applies; what its system user reads and to whom it shows it is attested',
          });
        return;
      }
      if (await needsApiAction(preflight, HIDE, DENY)) return;
      const where = preflight.apiActionLabel;
      const companies = SEEDED_COMPANIES.map((c) => c.name);

      // The control: a user with full rights.
      const control = await signedInFlow(preflight, { user: 'admin' });
      if (typeof control === 'string') {
        for (const c of [HIDE, DENY]) await cannotJudge(preflight, c.rule, c.check, c.title, control);
        return;
      }
      const seenControl = await preflight.apiAction(control);
      if (!seenControl.answered) {
        const why = `${where} did not answer a user with full rights`;
        for (const c of [HIDE, DENY]) await cannotJudge(preflight, c.rule, c.check, c.title, why);
        return;
      }
      const controlShown = namesShown(seenControl.text, companies);

      // API-RESPECT-SENTRY: another user, from whom Sentry hides the first company the control saw.
      const hidden = SEEDED_COMPANIES.find((c) => c.name === controlShown[0]);
      if (!hidden) {
        await preflight.finding({
          ...HIDE,
          status: 'not-run',
          message: `not run: ${where} showed a user with full rights none of the tenant's companies, so there is none Sentry could hide; point apiAction at a view that lists companies`,
          evidence: [await preflight.shown(control, seenControl, 'sentry-control')],
        });
      } else {
        const restricted = await signedInFlow(preflight, {
          user: 'user',
          api: { sentry: { hideContacts: [hidden.contactId] } },
        });
        if (typeof restricted === 'string')
          await cannotJudge(preflight, HIDE.rule, HIDE.check, HIDE.title, restricted);
        else {
          const start = preflight.emulator.recorder.lastSeq();
          const mark = await preflight.mark(restricted);
          const seen = await preflight.apiAction(restricted);
          const systemCalls = (await preflight.appTenantRequests(start)).filter(
            (e) => e.credential === 'soticket',
          ).length;
          await preflight.finding({
            ...HIDE,
            ...(seen.answered
              ? judgeSentryHidden({
                  where,
                  hidden: hidden.name,
                  controlShown,
                  restrictedText: seen.text,
                  userCalls: preflight.apiCalls(restricted, mark).length,
                  systemCalls,
                })
              : { status: 'error', message: `cannot judge: ${where} did not answer the restricted user` }),
            evidence: [await preflight.shown(restricted, seen, 'sentry-hidden-company')],
          });
        }
      }

      // ERR-USER-FEEDBACK: a user whose company and person reads Sentry denies.
      const denied = await signedInFlow(preflight, { user: 'admin' }, { sentry: { deny: true } });
      if (typeof denied === 'string')
        return cannotJudge(preflight, DENY.rule, DENY.check, DENY.title, denied);
      const mark = await preflight.mark(denied);
      const seen = await preflight.apiAction(denied);
      const refused = preflight
        .apiCalls(denied, mark)
        .filter((e) => e.status === 403 && e.notes.includes(SENTRY_NOTES.denied)).length;
      const crash = findStackTrace(seen.text);
      await preflight.finding({
        ...DENY,
        ...judgeDenialFeedback({
          where,
          denied: refused,
          answered: seen.answered,
          ...(seen.status !== undefined ? { status: seen.status } : {}),
          controlText: seenControl.text,
          deniedText: seen.text,
          ...(crash ? { crash: `a ${crash.runtime} stack trace` } : {}),
        }),
        evidence: [await preflight.shown(denied, seen, 'sentry-denied')],
      });
    },
  );
});
