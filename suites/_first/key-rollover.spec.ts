/**
 * SuperID's signing-key rollover as an app caches keys (TOKEN-SIGNATURE, TOKEN-JWKS-REFRESH): a
 * kid-less token while the JWKS has one key, then a rollover, the new key signing while the old
 * stays published, accepted after a refetch.
 *
 * This folder's name sorts before every other suite folder, and Playwright dispatches test files
 * in path order, so these two start first in the run: the rollover may wait out the app's JWKS
 * refetch cooldown (jose's default is 30 s, openid-client's 60 s), and started first that wait
 * overlaps the rest of the run instead of adding to its end. They run in this order on one
 * worker: the kid-less case needs the JWKS to hold one key, and the rollover publishes a second
 * (only these checks publish keys before the last phase). The rollover is seen by its own flows
 * only (their tokens are signed with the new key; every other flow keeps the current one), so it
 * runs alongside other checks and lets go of the run while it waits. The checks that count JWKS
 * fetches or take the JWKS down run in the last phase (suites/tokens/cached-keys.spec.ts).
 */
import { test } from '../../fixtures/index.ts';
import { cannotJudge } from '../../fixtures/jobs.ts';
import type { Exchange } from '../../src/emulator/types.ts';
import { judgeAccept } from '../tokens/accept.ts';
import { ALL_STEPS_MS, rolloverWait, seenRefetching } from '../tokens/rollover.ts';

/** Sign-ins retried at once when the app fetched the JWKS while (or just after) refusing one. */
const RACE_RETRIES = 2;

const isJwks = (e: Exchange) => e.endpoint === 'jwks';

test.describe('signing-key rollover', () => {
  test.describe.configure({ mode: 'serial' });

  test(
    'accepts a valid id_token without kid while the JWKS has one key',
    { tag: ['@TOKEN-SIGNATURE'] },
    ({ preflight }) =>
      judgeAccept(
        preflight,
        {
          scenario: 'kid-absent-single-key',
          rule: 'TOKEN-SIGNATURE',
          title: 'a valid id_token without kid while the JWKS has one key',
        },
        // The app's keys are what it last fetched. Not fetched in this run (an app checked with
        // --attach before), it may still hold keys SuperID published then: no longer one key.
        () =>
          preflight.emulator.recorder.all().some((e) => isJwks(e) && e.status === 200)
            ? undefined
            : 'the app did not fetch the JWKS in this run, so it may still hold several keys from an earlier one, and then a token without kid is ambiguous',
      ),
  );

  test(
    'keeps signing users in after SuperID rotates its signing key',
    { tag: ['@TOKEN-JWKS-REFRESH'] },
    async ({ preflight }) => {
      const check = 'accepts-rotated-key';
      const title = 'After a signing-key rotation the app refetches the JWKS and accepts the new key';
      // The cooldowns, and getting the run back after each (an exclusive check may hold it).
      test.setTimeout(
        preflight.config.harness.testTimeout +
          ALL_STEPS_MS.reduce((a, b) => a + b, 0) +
          ALL_STEPS_MS.length * 60_000,
      );
      const control = await preflight.control();
      if (!control.ok) {
        return cannotJudge(preflight, 'TOKEN-JWKS-REFRESH', check, title, control.reason);
      }
      const { emulator } = preflight;
      const { recorder } = emulator;
      await emulator.sync();
      const publishedAt = recorder.lastSeq();
      // A rollover as SuperID does it (the new key signs, the old one stays published), seen by
      // this check's flows only.
      const { kid } = await emulator.rotateSigningKey({ publishOnly: true });
      // A JWKS the app fetched that holds the new key. A fetch recorded after the rotation may
      // have been answered before it (another check's unknown kid, in flight meanwhile): only the
      // key set it got says whether the app could know the new key.
      const holdsNewKey = (e: Exchange) =>
        isJwks(e) && e.status === 200 && e.responseBody.includes(`"${kid}"`);
      const attempt = async () => {
        await emulator.sync();
        const startedAt = recorder.lastSeq();
        const session = await preflight.newFlow({ signingKid: kid, superIdSession: true });
        const signIn = await preflight.signIn(session);
        const signedIn = signIn.outcome === 'returned' && (await preflight.accepted(session));
        await emulator.sync();
        return { session, signIn, signedIn, startedAt };
      };
      let result = await attempt();
      let note = '';
      let cooldowns = 0;
      let raceRetries = 0;
      // The app's JWKS fetches in this run: when, and how many SuperID answered with keys.
      const jwksFetches = () => {
        const all = recorder.all().filter(isJwks);
        return {
          times: all.map((e) => Date.parse(e.time)),
          answered: all.filter((e) => e.status === 200).length,
        };
      };
      // JWKS clients rate-limit refetches after a fetch (../tokens/rollover.ts). Until the app
      // has fetched the JWKS with the new key in it, give it each likely cooldown since its last
      // fetch and try again, not holding the run meanwhile.
      while (!result.signedIn && result.signIn.outcome === 'returned') {
        const fetches = recorder.since(publishedAt).filter(holdsNewKey);
        // It had fetched the JWKS with the new key before this sign-in, and still refused it.
        if (fetches.some((e) => e.seq <= result.startedAt)) break;
        if (fetches.length) {
          // A fetch during or after the refused sign-in (this check's, or another's unknown kid):
          // a fresh sign-in finds the new key in the app's cache.
          if (raceRetries++ >= RACE_RETRIES) break;
          result = await attempt();
          continue;
        }
        const { times, answered } = jwksFetches();
        const wait = rolloverWait(cooldowns++, times, answered, Date.now());
        if (wait === undefined) break;
        if (wait > 0) {
          const lastFetch = Math.max(...times);
          await preflight.idle(wait);
          note = ` (after waiting ${Math.round((Date.now() - lastFetch) / 1000)} s since its last JWKS fetch, for its refetch cooldown)`;
        }
        result = await attempt();
      }
      if (result.signIn.outcome !== 'returned') {
        return cannotJudge(preflight, 'TOKEN-JWKS-REFRESH', check, title, result.signIn.detail);
      }
      // No answer from the session probe is no observation, not a failed sign-in.
      if (result.signedIn === undefined) {
        return cannotJudge(
          preflight,
          'TOKEN-JWKS-REFRESH',
          check,
          title,
          `the session probe gave no answer after the sign-in with the new key (kid ${kid})`,
        );
      }
      // Accepting the new key is only evidence of a refetch when the app did fetch the JWKS.
      const refetched = recorder.since(publishedAt).some(holdsNewKey);
      const keySets = jwksFetches().answered;
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
          : refetched
            ? `sign-in failed after the key rotation (new kid ${kid}) although the app had fetched the JWKS that holds it: select the key by kid from the fetched JWKS`
            : seenRefetching(keySets)
              ? `sign-in failed after the key rotation (new kid ${kid}): the app fetched the JWKS ${keySets} times in this run, but not for the new kid, also 5 min after its last fetch; refetch the JWKS on an unknown kid`
              : `sign-in failed after the key rotation (new kid ${kid}), also a minute after its last JWKS fetch, with no fetch since: the app pins the old key (or holds back refetches longer than that); select keys by kid and refetch the JWKS on an unknown kid within a minute`,
        evidence: [await preflight.screenshot(result.session, 'after-rotation')],
      });
    },
  );
});
