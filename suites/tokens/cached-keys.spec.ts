/**
 * Signing-key rollover (TOKEN-JWKS-REFRESH): after SuperID rotates its key, a well-behaved app
 * refetches the JWKS on the unknown kid and keeps working; and it does not hammer the JWKS
 * endpoint for a kid that never resolves. Runs last in the tokens folder: a rotation changes
 * SuperID's key for the rest of the run.
 */
import { GLOBAL_TAG, test } from '../../fixtures/index.ts';

/**
 * How long JWKS clients wait before refetching on an unknown kid: jose's default cooldown is
 * 30 s, oauth4webapi's (openid-client v6) 60 s. Each gets a second more.
 */
const JWKS_COOLDOWNS_MS = [31_000, 61_000];

test.describe('signing-key rotation', { tag: GLOBAL_TAG }, () => {
  // In this order, in one worker: the rotation last, since a pinning app cannot sign in after it.
  test.describe.configure({ mode: 'serial' });
  test(
    'does not hammer the JWKS endpoint for a kid that never resolves',
    { tag: ['@TOKEN-JWKS-REFRESH'] },
    async ({ preflight }) => {
      const control = await preflight.control();
      const check = 'jwks-fetches-bounded';
      const title = 'A token with a kid that never resolves causes at most a few JWKS fetches';
      if (!control.ok) {
        await preflight.finding({
          rule: 'TOKEN-JWKS-REFRESH',
          check,
          title,
          status: 'error',
          message: `cannot judge: ${control.reason}`,
        });
        return;
      }
      const mark = preflight.emulator.recorder.lastSeq();
      const session = await preflight.newFlow({ idToken: 'sig-unknown-key-unknown-kid' });
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
    { tag: ['@TOKEN-SIGNATURE'] },
    async ({ preflight }) => {
      // The control runs first, while SuperID is healthy; the judge below reuses its result.
      await preflight.control();
      const { emulator } = preflight;
      await emulator.rotateSigningKey({ dropOld: true });
      await emulator.setFaults({ jwksUnavailable: true });
      try {
        const session = await preflight.newFlow();
        const signIn = await preflight.signIn(session);
        await preflight.judgeRejection(session, signIn, {
          rule: 'TOKEN-SIGNATURE',
          check: 'jwks-unavailable-fail-closed',
          title: 'Refuses a sign-in whose key cannot be fetched (JWKS endpoint down): fails closed',
        });
      } finally {
        // The control is forgotten by the rotation check that follows, after it has judged.
        await emulator.setFaults({});
      }
    },
  );

  test(
    'keeps signing users in after SuperID rotates its signing key',
    { tag: ['@TOKEN-JWKS-REFRESH'] },
    async ({ preflight }) => {
      const check = 'accepts-rotated-key';
      const title = 'After a signing-key rotation the app refetches the JWKS and accepts the new key';
      const control = await preflight.control();
      if (!control.ok) {
        await preflight.finding({
          rule: 'TOKEN-JWKS-REFRESH',
          check,
          title,
          status: 'error',
          message: `cannot judge: ${control.reason}`,
        });
        return;
      }
      const rotatedAt = preflight.emulator.recorder.lastSeq();
      // A rollover as SuperID does it: the new key signs, the old one stays published.
      const { kid } = await preflight.emulator.rotateSigningKey({ dropOld: false });
      preflight.invalidateControl();
      const { recorder } = preflight.emulator;
      const attempt = async () => {
        const session = await preflight.newFlow();
        const signIn = await preflight.signIn(session);
        const signedIn = signIn.outcome === 'returned' && (await preflight.accepted(session));
        return { session, signIn, signedIn };
      };
      let result = await attempt();
      let note = '';
      // JWKS clients rate-limit refetches after a fetch: jose waits 30 s by default, oauth4webapi
      // (inside openid-client) 60 s. When the app fetched the JWKS shortly before the rotation,
      // give it each of those and try again, until it refetches or the longest has passed.
      for (const cooldown of JWKS_COOLDOWNS_MS) {
        if (result.signedIn || result.signIn.outcome !== 'returned') break;
        if (recorder.since(rotatedAt).some((e) => e.endpoint === 'jwks')) break;
        const lastFetch = Math.max(
          0,
          ...recorder
            .all()
            .filter((e) => e.endpoint === 'jwks')
            .map((e) => Date.parse(e.time)),
        );
        const wait = lastFetch + cooldown - Date.now();
        if (wait <= 0) continue;
        test.setTimeout(preflight.config.harness.testTimeout + cooldown + 20_000);
        await new Promise((r) => setTimeout(r, wait));
        note = ` (after waiting ${Math.round((Date.now() - lastFetch) / 1000)} s since its last JWKS fetch, for its refetch cooldown)`;
        result = await attempt();
      }
      if (result.signIn.outcome !== 'returned') {
        await preflight.finding({
          rule: 'TOKEN-JWKS-REFRESH',
          check,
          title,
          status: 'error',
          message: `cannot judge: ${result.signIn.detail}`,
        });
        return;
      }
      // Accepting the new key is only evidence of a refetch when the app did fetch the JWKS.
      const refetched = recorder.since(rotatedAt).some((e) => e.endpoint === 'jwks');
      if (result.signedIn && !refetched) {
        await preflight.finding({
          rule: 'TOKEN-JWKS-REFRESH',
          check,
          title,
          status: 'not-run',
          message: `not run: the app accepted a token from the new key (kid ${kid}) without fetching the JWKS, so it cannot have checked its signature (see TOKEN-SIGNATURE)`,
        });
        return;
      }
      await preflight.finding({
        rule: 'TOKEN-JWKS-REFRESH',
        check,
        title,
        status: result.signedIn ? 'pass' : 'fail',
        message: result.signedIn
          ? `signed in with a token from the new key (kid ${kid})${note}`
          : `sign-in failed after the key rotation (new kid ${kid}), also after the JWKS refetch cooldown: the app pins the old key; select keys by kid and refetch the JWKS on an unknown kid`,
        evidence: [await preflight.screenshot(result.session, 'after-rotation')],
      });
    },
  );
});
