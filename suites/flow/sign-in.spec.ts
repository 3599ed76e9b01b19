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

      // AUTH-FEDERATED
      if (r1.outcome === 'never-reached-superid' || !a1) {
        await preflight.finding({
          rule: 'AUTH-FEDERATED',
          check: 'sign-in-goes-to-superid',
          title: 'Sign-in sends the browser to SuperID',
          status: 'fail',
          message: `the app's sign-in never reached SuperID's authorize endpoint (${r1.detail})`,
          evidence: [shot],
        });
        return;
      }
      const basic = emulator.recorder
        .since(startSeq)
        .filter((e) => e.origin === 'tenant' && e.credential === 'basic');
      await preflight.finding({
        rule: 'AUTH-FEDERATED',
        check: 'sign-in-goes-to-superid',
        title: 'Sign-in sends the browser to SuperID and NetServer sees no Basic credentials',
        status: basic.length ? 'fail' : 'pass',
        message: basic.length
          ? `the app called NetServer with Authorization: Basic (${basic[0]!.method} ${basic[0]!.path})`
          : `the browser went to ${new URL(a1.url).pathname} on SuperID; no Basic credentials reached NetServer`,
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
      const token = first.flow.exchanges().find((e) => e.endpoint === 'token' && e.status === 200);
      if (token) {
        const body = new URLSearchParams(token.requestBody);
        const tokenRedirect = body.get('redirect_uri') ?? token.query['redirect_uri'];
        await preflight.finding({
          rule: 'REDIRECT-REGISTERED-EXACT',
          check: 'token-redirect-uri-matches',
          title: 'The token request repeats the exact redirect_uri of the authorization request',
          status: tokenRedirect === q1['redirect_uri'] ? 'pass' : 'fail',
          message:
            tokenRedirect === q1['redirect_uri']
              ? `redirect_uri ${q1['redirect_uri']} is registered and repeated exactly`
              : `authorize used ${q1['redirect_uri']} but the token request used ${tokenRedirect ?? '(none)'}`,
        });
      } else if (!implicit) {
        await preflight.finding({
          rule: 'REDIRECT-REGISTERED-EXACT',
          check: 'token-redirect-uri-matches',
          title: 'The token request repeats the exact redirect_uri of the authorization request',
          status: 'error',
          message: `cannot judge: the app did not redeem the code (${r1.detail})`,
        });
      }

      // AUTH-CODE-SINGLE-USE: each code redeemed once
      const replays = [...first.flow.exchanges(), ...second.flow.exchanges()].filter((e) =>
        e.notes.some((n) => /code replay/i.test(n)),
      );
      await preflight.finding({
        rule: 'AUTH-CODE-SINGLE-USE',
        check: 'code-redeemed-once',
        title: 'Each authorization code is redeemed once',
        status: replays.length ? 'fail' : 'pass',
        message: replays.length
          ? `the app redeemed an authorization code again (${replays.length} replay${replays.length > 1 ? 's' : ''})`
          : 'each code was redeemed exactly once',
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
