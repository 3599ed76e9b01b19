/**
 * id_token validation. For each fault the emulator forges the id_token of one flow; the app must
 * not create a session nor call NetServer with that flow's tokens. Accept-cases (a valid token in
 * an unusual but legal shape) must complete.
 */
import { test, mapLimit } from '../../fixtures/index.ts';
import { waitFor } from '../../fixtures/preflight.ts';
import type { Exchange, IdTokenScenario } from '../../src/emulator/types.ts';
import { judgeAccept, type AcceptCase } from './accept.ts';

interface RejectCase {
  scenario: IdTokenScenario;
  rule: string;
  title: string;
}

/**
 * In batches of {@link CONCURRENCY}, in this order. The cases whose kid SuperID never published
 * (an unknown key, an embedded jwk, jku, x5u, an injected kid) make an app refetch the JWKS, which
 * starts its refetch cooldown; they are the last batch, so that they start after the key-rotation
 * check (_first/key-rollover.spec.ts, dispatched first in the run) has published its new key,
 * and their refetches hold it, instead of making that check wait out the cooldown.
 */
const REJECT: RejectCase[] = [
  { scenario: 'sig-payload-edited', rule: 'TOKEN-SIGNATURE', title: 'a payload edited after signing' },
  { scenario: 'sig-stripped', rule: 'TOKEN-SIGNATURE', title: 'its signature stripped' },
  { scenario: 'sig-truncated', rule: 'TOKEN-SIGNATURE', title: 'its signature truncated' },
  {
    scenario: 'alg-hs256-client-secret',
    rule: 'TOKEN-SIGNATURE',
    title: 'an HS256 signature keyed with the client secret',
  },
  {
    scenario: 'sig-unknown-key-real-kid',
    rule: 'TOKEN-SIGNATURE',
    title: "a signature by an unknown key reusing SuperID's kid",
  },
  { scenario: 'alg-none', rule: 'TOKEN-SIGNATURE', title: 'alg "none"' },
  { scenario: 'alg-None', rule: 'TOKEN-SIGNATURE', title: 'alg "None"' },
  { scenario: 'alg-NONE', rule: 'TOKEN-SIGNATURE', title: 'alg "NONE"' },
  { scenario: 'alg-nOnE', rule: 'TOKEN-SIGNATURE', title: 'alg "nOnE"' },
  { scenario: 'alg-none-no-dot', rule: 'TOKEN-SIGNATURE', title: 'alg "none" without the trailing dot' },
  {
    scenario: 'alg-hs256-public-key-pem',
    rule: 'TOKEN-SIGNATURE',
    title: "an HS256 signature keyed with SuperID's public key (PEM)",
  },
  {
    scenario: 'alg-hs256-public-key-jwk',
    rule: 'TOKEN-SIGNATURE',
    title: "an HS256 signature keyed with SuperID's public key (JWK)",
  },
  {
    scenario: 'sig-unknown-key-unknown-kid',
    rule: 'TOKEN-SIGNATURE',
    title: 'a signature by an unknown key with an unknown kid',
  },
  { scenario: 'embedded-jwk', rule: 'TOKEN-SIGNATURE', title: 'an attacker key embedded in the jwk header' },
  { scenario: 'jku-header', rule: 'TOKEN-SIGNATURE', title: 'a jku header pointing at an attacker JWKS' },
  {
    scenario: 'x5u-header',
    rule: 'TOKEN-SIGNATURE',
    title: 'an x5u header pointing at an attacker certificate',
  },
  { scenario: 'kid-injection', rule: 'TOKEN-SIGNATURE', title: 'a kid carrying an injection payload' },
  {
    scenario: 'crit-unknown',
    rule: 'TOKEN-SIGNATURE',
    title: 'a crit header naming an extension the app cannot understand',
  },
  {
    scenario: 'ctx-other-tenant',
    rule: 'TOKEN-VALIDATE-ALL',
    title: 'the ctx and API URLs of another tenant than the one the app asked for',
  },
  {
    scenario: 'env-key',
    rule: 'TOKEN-ENV-KEY',
    title: "a signature by another SuperOffice environment's key",
  },
  { scenario: 'iss-foreign', rule: 'TOKEN-ISSUER', title: 'the iss of a foreign issuer' },
  { scenario: 'iss-other-env', rule: 'TOKEN-ISSUER', title: 'the iss of another SuperOffice environment' },
  { scenario: 'iss-trailing-slash', rule: 'TOKEN-ISSUER', title: 'its iss with a trailing slash' },
  { scenario: 'iss-case', rule: 'TOKEN-ISSUER', title: 'its iss in different letter case' },
  { scenario: 'aud-wrong', rule: 'TOKEN-AUDIENCE', title: 'the aud of another client' },
  { scenario: 'aud-missing', rule: 'TOKEN-AUDIENCE', title: 'no aud' },
  {
    scenario: 'aud-untrusted-extra',
    rule: 'TOKEN-AUDIENCE',
    title: 'an aud array with an untrusted extra audience and no azp',
  },
  { scenario: 'exp-past', rule: 'TOKEN-LIFETIME', title: 'an exp 10 minutes in the past' },
  { scenario: 'exp-missing', rule: 'TOKEN-LIFETIME', title: 'no exp' },
  { scenario: 'nbf-future', rule: 'TOKEN-LIFETIME', title: 'an nbf 10 minutes in the future' },
  { scenario: 'nonce-mismatch', rule: 'AUTH-NONCE', title: 'a nonce different from the one sent' },
  { scenario: 'nonce-missing', rule: 'AUTH-NONCE', title: 'no nonce although one was sent' },
  { scenario: 'sub-missing', rule: 'TOKEN-STRUCTURE', title: 'no sub' },
  { scenario: 'iat-missing', rule: 'TOKEN-STRUCTURE', title: 'no iat' },
  { scenario: 'malformed-two-segments', rule: 'TOKEN-STRUCTURE', title: 'two segments instead of three' },
  {
    scenario: 'malformed-garbage-base64',
    rule: 'TOKEN-STRUCTURE',
    title: 'segments that are not base64url JSON',
  },
];

const ACCEPT: AcceptCase[] = [
  { scenario: 'valid', rule: 'TOKEN-SIGNATURE', title: 'a valid RS256 id_token' },
  {
    scenario: 'aud-single-element-array',
    rule: 'TOKEN-AUDIENCE',
    title: 'a valid id_token whose aud is a one-element array',
  },
];

/**
 * A token for another tenant is only an attack when the app asked SuperID for one tenant
 * (`acr_values=tenant:CustNNNN`); an app serving any tenant that signs in rightly accepts it.
 */
function tenantConfusion(exchanges: Exchange[]): { ineffective?: string } {
  const authorize = exchanges.find((e) => e.endpoint === 'authorize');
  const pinned = /(?:^|\s)tenant:(Cust\d+)/.exec(authorize?.query['acr_values'] ?? '');
  return pinned
    ? {}
    : {
        ineffective:
          'the app does not ask SuperID for one tenant (acr_values=tenant:...), so a sign-in to another tenant is legitimate for it',
      };
}

/** Concurrent forged sign-ins per rule: each flow is bound to its own browser context. */
const CONCURRENCY = 6;

test.describe('id_token validation', () => {
  // One test per rule and batch of CONCURRENCY cases: the batches spread over the workers.
  const byRule = new Map<string, RejectCase[]>();
  for (const c of REJECT) byRule.set(c.rule, [...(byRule.get(c.rule) ?? []), c]);
  const batches: Array<{ rule: string; cases: RejectCase[]; part: string }> = [];
  for (const [rule, all] of byRule) {
    const n = Math.ceil(all.length / CONCURRENCY);
    for (let i = 0; i < n; i++) {
      batches.push({
        rule,
        cases: all.slice(i * CONCURRENCY, (i + 1) * CONCURRENCY),
        part: n > 1 ? ` (part ${i + 1} of ${n})` : '',
      });
    }
  }

  for (const { rule, cases, part } of batches) {
    test(
      `${rule}: rejects ${cases.length} forged id_token${cases.length > 1 ? 's' : ''}${part}`,
      { tag: [`@${rule}`, '@TOKEN-VALIDATE-ALL'] },
      async ({ preflight }) => {
        // Several sign-ins per test: give each its share of time on a loaded machine.
        test.setTimeout(preflight.config.harness.testTimeout + cases.length * 8_000);
        await preflight.control();
        await mapLimit(cases, CONCURRENCY, async (c) => {
          const attempt = async () => {
            const session = await preflight.newFlow({ idToken: c.scenario, superIdSession: true });
            return { session, signIn: await preflight.signIn(session) };
          };
          let { session, signIn } = await attempt();
          // A redemption may still be on its way: wait a bounded moment for it.
          const redeemed = () =>
            waitFor(async () => {
              await preflight.emulator.sync();
              return preflight.codeRedeemed(session);
            }, 3_000);
          if (signIn.outcome === 'returned' && !(await redeemed())) {
            // The app answered the callback without redeeming the code: seen on a loaded machine
            // with an app behind the impersonation proxy. One more sign-in before judging; an
            // app that never redeems stays an error.
            await session.context.close();
            ({ session, signIn } = await attempt());
          }
          const status = await preflight.judgeRejection(session, signIn, {
            rule: c.rule,
            check: c.scenario,
            title: `Rejects an id_token with ${c.title}`,
            ...(c.scenario === 'ctx-other-tenant' ? tenantConfusion(session.flow.exchanges()) : {}),
          });
          if (c.rule !== 'TOKEN-VALIDATE-ALL')
            await preflight.finding({
              rule: 'TOKEN-VALIDATE-ALL',
              check: `id-token-${c.scenario}`,
              title: `An id_token with ${c.title} is not accepted`,
              status,
              message:
                status === 'pass'
                  ? 'rejected'
                  : status === 'fail'
                    ? `accepted a forged id_token (${c.title}); see ${c.rule}`
                    : status === 'not-run'
                      ? `not an attack on this app; see ${c.rule}`
                      : `cannot judge; see ${c.rule}`,
            });
          const probes = session.flow.exchanges().filter((e) => e.endpoint === 'harness-probe');
          if (probes.length && status === 'pass') {
            await preflight.finding({
              rule: c.rule,
              check: `${c.scenario}-fetched`,
              title: `Does not fetch key URLs named in the token header (${c.title})`,
              status: 'warn',
              message: `the app fetched ${probes[0]!.path} named in the token header (an SSRF signal): keys must come only from SuperID's jwks_uri`,
              evidence: [preflight.exchangeEvidence('fetch of the header URL', probes[0]!)],
            });
          }
          if (status === 'pass' || status === 'fail')
            await preflight.checkErrorPage(
              session,
              `error-page-${c.scenario}`,
              `Error page after a rejected id_token (${c.title})`,
            );
          await session.context.close();
        });
      },
    );
  }

  test(
    'accepts valid id_tokens in legal shapes',
    { tag: ['@TOKEN-SIGNATURE', '@TOKEN-AUDIENCE'] },
    async ({ preflight }) => {
      await mapLimit(ACCEPT, CONCURRENCY, (c) => judgeAccept(preflight, c));
    },
  );
});
