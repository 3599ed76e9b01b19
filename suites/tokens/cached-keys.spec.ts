/**
 * SuperID's signing keys as an app caches them, the checks that change what every flow sees
 * (TOKEN-JWKS-REFRESH, TOKEN-SIGNATURE): no JWKS hammering for a kid that never resolves (its
 * fetches are counted, so no other check's unknown kid may run beside it), and a fail-closed
 * sign-in when the JWKS endpoint is down and the key is new. Both run in the run's last phase,
 * in this order. The kid-less token and the key rollover run first in the run instead
 * (suites/_first/key-rollover.spec.ts).
 */
import { GLOBAL_TAG, test } from '../../fixtures/index.ts';
import { cannotJudge } from '../../fixtures/jobs.ts';

test.describe('cached signing keys', () => {
  test.describe.configure({ mode: 'serial' });

  test(
    'does not hammer the JWKS endpoint for a kid that never resolves',
    { tag: ['@TOKEN-JWKS-REFRESH', GLOBAL_TAG] },
    async ({ preflight }) => {
      // Alone: any other check's unknown kid would add JWKS fetches to the count.
      const control = await preflight.control();
      const check = 'jwks-fetches-bounded';
      const title = 'A token with a kid that never resolves causes at most a few JWKS fetches';
      if (!control.ok) {
        return cannotJudge(preflight, 'TOKEN-JWKS-REFRESH', check, title, control.reason);
      }
      const mark = preflight.emulator.recorder.lastSeq();
      const session = await preflight.newFlow({
        idToken: 'sig-unknown-key-unknown-kid',
        superIdSession: true,
      });
      const signIn = await preflight.signIn(session);
      const fetches = preflight.emulator.recorder.since(mark).filter((e) => e.endpoint === 'jwks').length;
      // Only a token the app received can make it fetch: no redemption, no observation.
      if (!preflight.tokenRedemptions(session).some((e) => e.status === 200)) {
        await preflight.finding({
          rule: 'TOKEN-JWKS-REFRESH',
          check,
          title,
          status: 'error',
          message: `cannot judge: the app never redeemed the code, so the token with the unknown kid never reached it (${signIn.detail})`,
        });
        return;
      }
      // An app that accepted a token signed by an unknown key never needed its JWKS at all.
      if (fetches === 0 && (await preflight.accepted(session))) {
        await preflight.finding({
          rule: 'TOKEN-JWKS-REFRESH',
          check,
          title,
          status: 'not-run',
          message:
            'not run: the app accepted a token signed by an unknown key without fetching the JWKS, so its key handling was never exercised (see TOKEN-SIGNATURE)',
        });
        return;
      }
      await preflight.finding({
        rule: 'TOKEN-JWKS-REFRESH',
        check,
        title,
        status: fetches <= 3 ? 'pass' : 'fail',
        message: `${fetches} JWKS fetch${fetches === 1 ? '' : 'es'} for one token with an unknown kid${fetches > 3 ? ': cache the JWKS and refetch at most once per unknown kid (rate-limited)' : ''}`,
      });
    },
  );

  test(
    'fails closed when the JWKS endpoint is down and the signing key is new',
    { tag: ['@TOKEN-SIGNATURE', GLOBAL_TAG] },
    async ({ preflight }) => {
      // Alone, and last: the new key signs every flow and the JWKS is down until the reset after
      // this check. The control runs first, while SuperID is healthy; the judge reuses its result.
      await preflight.control();
      const { emulator } = preflight;
      await emulator.rotateSigningKey({ dropOld: true });
      await emulator.setFaults({ jwksUnavailable: true });
      try {
        const session = await preflight.newFlow({ superIdSession: true });
        const signIn = await preflight.signIn(session);
        await preflight.judgeRejection(session, signIn, {
          rule: 'TOKEN-SIGNATURE',
          check: 'jwks-unavailable-fail-closed',
          title: 'Refuses a sign-in whose key cannot be fetched (JWKS endpoint down): fails closed',
        });
      } finally {
        await emulator.setFaults({});
      }
    },
  );
});
