/**
 * The positive control and the authorization request: the app signs a user in through SuperID
 * with the code flow, and its requests carry what SuperOffice requires.
 */
import { test } from '../../fixtures/index.ts';
import type { Exchange } from '../../src/emulator/types.ts';

test.describe('sign-in flow', () => {
  test(
    'a valid sign-in through SuperID completes and the authorization request is well formed',
    {
      tag: [
        '@AUTH-FEDERATED',
        '@AUTH-SCOPE-OPENID',
        '@AUTH-USE-CODE-FLOW',
        '@AUTH-STATE',
        '@AUTH-NONCE',
        '@AUTH-PKCE-NATIVE',
        '@REDIRECT-LOOPBACK-IP',
        '@REDIRECT-REGISTERED-EXACT',
        '@AUTH-CODE-SINGLE-USE',
        '@AUTH-LEGACY-FORBIDDEN',
      ],
    },
    async ({ preflight }) => {
      const { emulator, config } = preflight;
      const startSeq = emulator.recorder.lastSeq();
      const first = await preflight.newFlow();
      const r1 = await preflight.signIn(first);
      const second = await preflight.newFlow();
      await preflight.signIn(second);
      const authorize = (s: typeof first): Exchange | undefined =>
        s.flow.exchanges().find((e) => e.endpoint === 'authorize' && e.method === 'GET');
      const a1 = authorize(first);
      const a2 = authorize(second);
      const shot = await preflight.screenshot(first, 'after-sign-in');

      // REDIRECT-REGISTERED-EXACT: SuperID refuses an unregistered redirect_uri at authorize.
      const unregistered = first.flow
        .exchanges()
        .find(
          (e) =>
            e.endpoint === 'authorize' &&
            e.notes.some((n) => /unregistered redirect_uri|missing redirect_uri/.test(n)),
        );
      if (unregistered) {
        await preflight.finding({
          rule: 'REDIRECT-REGISTERED-EXACT',
          check: 'authorize-redirect-uri-registered',
          title: 'The authorization request uses a registered redirect_uri',
          status: 'fail',
          message: `SuperID refused the sign-in: redirect_uri ${unregistered.query['redirect_uri'] ?? '(none)'} is not one of the registered redirect URLs (${config.app.redirectUris.join(', ')})`,
          evidence: [preflight.exchangeEvidence('authorization request', unregistered), shot],
        });
      }

      // AUTH-FEDERATED: the browser goes to SuperID and a valid sign-in ends signed in.
      if (r1.outcome === 'never-reached-superid' || !a1) {
        await preflight.finding({
          rule: 'AUTH-FEDERATED',
          check: 'sign-in-goes-to-superid',
          title: 'Sign-in sends the browser to SuperID',
          status: 'fail',
          message: `the app's sign-in never reached SuperID's authorize endpoint (${r1.detail})`,
          evidence: [shot],
        });
        // Nothing of the authorization request was observed: the other rules cannot be judged.
        for (const rule of [
          'AUTH-SCOPE-OPENID',
          'AUTH-USE-CODE-FLOW',
          'AUTH-STATE',
          'AUTH-NONCE',
          'REDIRECT-REGISTERED-EXACT',
          'AUTH-CODE-SINGLE-USE',
          ...(config.app.type === 'native' ? ['AUTH-PKCE-NATIVE', 'REDIRECT-LOOPBACK-IP'] : []),
        ])
          await preflight.finding({
            rule,
            check: 'authorization-request',
            title: 'The authorization request as SuperID received it',
            status: 'error',
            message: `cannot judge: the app's sign-in never reached SuperID (${r1.detail})`,
          });
        return;
      }
      const accepted = r1.outcome === 'returned' ? await preflight.accepted(first) : false;
      if (!accepted) {
        const probe =
          config.app.type === 'native' || r1.outcome !== 'returned'
            ? undefined
            : await preflight.probe(first);
        const unknown = r1.outcome === 'timeout' || (probe !== undefined && probe.signedIn === undefined);
        await preflight.finding({
          rule: 'AUTH-FEDERATED',
          check: 'valid-sign-in-completes',
          title: 'A valid sign-in through SuperID ends signed in',
          status: unknown ? 'error' : 'fail',
          message: unknown
            ? `cannot judge: ${r1.outcome === 'timeout' ? r1.detail : `the session probe gave no answer (${probe?.excerpt ?? ''})`}`
            : r1.outcome !== 'returned'
              ? `a valid sign-in did not come back to the app: ${r1.detail}`
              : config.app.type === 'native'
                ? 'after a valid sign-in the native app made no API call'
                : `after a valid sign-in the session probe says signed out (GET ${config.app.session?.path} answered HTTP ${probe?.status}): fix the sign-in, or app.session if the probe is wrong`,
          evidence: [shot],
        });
      }
      const basic = emulator.recorder
        .since(startSeq)
        .filter((e) => e.origin === 'tenant' && e.credential === 'basic');
      await preflight.finding({
        rule: 'AUTH-FEDERATED',
        check: 'sign-in-goes-to-superid',
        title: 'Sign-in sends the browser to SuperID and NetServer sees no Basic credentials',
        status: basic.length ? 'fail' : accepted ? 'pass' : 'error',
        message: basic.length
          ? `the app called NetServer with Authorization: Basic (${basic[0]!.method} ${basic[0]!.path})`
          : accepted
            ? `the browser went to ${new URL(a1.url).pathname} on SuperID and the app signed the user in; no Basic credentials reached NetServer`
            : 'cannot judge: the valid sign-in did not end signed in (see valid-sign-in-completes)',
        evidence: [preflight.exchangeEvidence('authorization request', a1)],
      });

      // AUTH-LEGACY-FORBIDDEN
      const legacy = emulator.recorder.since(startSeq).filter((e) => e.endpoint === 'legacy-login');
      await preflight.finding({
        rule: 'AUTH-LEGACY-FORBIDDEN',
        check: 'no-legacy-login',
        title: 'The app does not use the legacy /login/?app_id= flow',
        status: legacy.length ? 'fail' : 'pass',
        message: legacy.length
          ? `the app used the deprecated legacy sign-in: ${legacy[0]!.path}`
          : 'sign-in used OpenID Connect only',
      });

      const q1 = a1.query;
      // AUTH-SCOPE-OPENID
      const scopes = (q1['scope'] ?? '').split(/\s+/).filter(Boolean);
      await preflight.finding({
        rule: 'AUTH-SCOPE-OPENID',
        check: 'scope-openid',
        title: 'The authorization request asks for scope openid',
        status: scopes.includes('openid') ? 'pass' : 'fail',
        message: scopes.includes('openid')
          ? `scope=${q1['scope']}`
          : `scope was "${q1['scope'] ?? ''}", without openid`,
      });

      // AUTH-USE-CODE-FLOW
      const responseType = q1['response_type'] ?? '';
      await preflight.finding({
        rule: 'AUTH-USE-CODE-FLOW',
        check: 'response-type-code',
        title: 'The app uses the authorization code flow',
        status: responseType === 'code' ? 'pass' : 'fail',
        message:
          responseType === 'code'
            ? 'response_type=code'
            : `response_type=${responseType}: implicit and hybrid flows are deprecated by SuperOffice; use response_type=code`,
        evidence: [preflight.exchangeEvidence('authorization request', a1)],
      });

      // AUTH-STATE: present, unguessable-looking, different per sign-in
      const s1 = q1['state'];
      const s2 = a2?.query['state'];
      const stateOk = !!s1 && s1.length >= 16 && new Set(s1).size >= 8 && (!a2 || s1 !== s2);
      await preflight.finding({
        rule: 'AUTH-STATE',
        check: 'state-present-and-fresh',
        title: 'The authorization request carries a fresh, unguessable state',
        status: stateOk ? 'pass' : 'fail',
        message: !s1
          ? 'the authorization request has no state parameter'
          : s1.length < 16 || new Set(s1).size < 8
            ? `state "${s1}" is too short or too regular to be unguessable (use at least 128 random bits)`
            : a2 && s1 === s2
              ? 'two sign-ins used the same state value'
              : `state present (${s1.length} characters) and different per sign-in`,
      });

      // AUTH-NONCE: present and different per sign-in (mandatory for implicit; advised for code)
      const n1 = q1['nonce'];
      const n2 = a2?.query['nonce'];
      const implicit = responseType.includes('token');
      await preflight.finding({
        rule: 'AUTH-NONCE',
        check: 'nonce-present-and-fresh',
        title: 'The authorization request carries a fresh nonce',
        status: !n1 ? (implicit ? 'fail' : 'warn') : a2 && n1 === n2 ? 'fail' : 'pass',
        message: !n1
          ? implicit
            ? 'the implicit-flow request has no nonce, which SuperOffice requires'
            : 'no nonce was sent; send one and verify it in the id_token to bind the token to this sign-in'
          : a2 && n1 === n2
            ? 'two sign-ins used the same nonce'
            : 'nonce present and different per sign-in',
      });

      // REDIRECT-REGISTERED-EXACT: token request redirect_uri equals the authorize one
      const tokenCalls = first.flow.exchanges().filter((e) => e.endpoint === 'token');
      const mismatch = tokenCalls.find((e) => e.notes.includes('redirect_uri mismatch'));
      const token = tokenCalls.find((e) => e.status === 200);
      if (mismatch) {
        const used =
          new URLSearchParams(mismatch.requestBody).get('redirect_uri') ?? mismatch.query['redirect_uri'];
        await preflight.finding({
          rule: 'REDIRECT-REGISTERED-EXACT',
          check: 'token-redirect-uri-matches',
          title: 'The token request repeats the exact redirect_uri of the authorization request',
          status: 'fail',
          message: `authorize used ${q1['redirect_uri']} but the token request used ${used ?? '(none)'}${mismatch.status === 200 ? '' : ` and SuperID refused it (HTTP ${mismatch.status})`}`,
          evidence: [preflight.exchangeEvidence('token request', mismatch)],
        });
      } else if (token) {
        await preflight.finding({
          rule: 'REDIRECT-REGISTERED-EXACT',
          check: 'token-redirect-uri-matches',
          title: 'The token request repeats the exact redirect_uri of the authorization request',
          status: 'pass',
          message: `redirect_uri ${q1['redirect_uri']} is registered and repeated exactly`,
        });
      } else if (!implicit && !unregistered) {
        await preflight.finding({
          rule: 'REDIRECT-REGISTERED-EXACT',
          check: 'token-redirect-uri-matches',
          title: 'The token request repeats the exact redirect_uri of the authorization request',
          status: 'error',
          message: `cannot judge: the app did not redeem the code (${r1.detail})`,
        });
      }

      // AUTH-CODE-SINGLE-USE: each code redeemed once
      const both = [...first.flow.exchanges(), ...second.flow.exchanges()];
      const replays = both.filter((e) => e.notes.some((n) => /code replay/i.test(n)));
      const redemptions = both.filter(
        (e) =>
          e.endpoint === 'token' &&
          (new URLSearchParams(e.requestBody).get('grant_type') ?? e.query['grant_type']) ===
            'authorization_code',
      ).length;
      if (!implicit)
        await preflight.finding({
          rule: 'AUTH-CODE-SINGLE-USE',
          check: 'code-redeemed-once',
          title: 'Each authorization code is redeemed once',
          status: replays.length ? 'fail' : redemptions ? 'pass' : 'error',
          message: replays.length
            ? `the app redeemed an authorization code again (${replays.length} replay${replays.length > 1 ? 's' : ''})`
            : redemptions
              ? `${redemptions} code(s) over two sign-ins, each redeemed exactly once`
              : 'cannot judge: the app redeemed no authorization code',
        });

      if (config.app.type === 'native') {
        // AUTH-PKCE-NATIVE
        const challenge = q1['code_challenge'];
        const method = q1['code_challenge_method'];
        await preflight.finding({
          rule: 'AUTH-PKCE-NATIVE',
          check: 'pkce-s256',
          title: 'The native app uses PKCE with S256',
          status: challenge && method === 'S256' ? 'pass' : 'fail',
          message: !challenge
            ? 'the authorization request has no code_challenge: native apps must use PKCE'
            : method === 'S256'
              ? 'code_challenge with S256'
              : `code_challenge_method is ${method ?? 'absent (SuperID then assumes plain)'}: use S256`,
          evidence: [preflight.exchangeEvidence('authorization request', a1)],
        });
        // REDIRECT-LOOPBACK-IP
        const host = URL.canParse(q1['redirect_uri'] ?? '') ? new URL(q1['redirect_uri']!).hostname : '';
        const ipLiteral = host === '127.0.0.1' || host === '[::1]';
        await preflight.finding({
          rule: 'REDIRECT-LOOPBACK-IP',
          check: 'loopback-ip-literal',
          title: 'The native app listens on a loopback IP literal',
          status: ipLiteral ? 'pass' : 'fail',
          message: ipLiteral
            ? `redirect_uri host ${host}`
            : `redirect_uri host is "${host}"; RFC 8252 asks for http://127.0.0.1:{port}/ or http://[::1]:{port}/`,
        });
      }
    },
  );
});
