/**
 * Fixture catalog and run results for the report tests. The real catalog (src/rules/index.ts)
 * is written separately; these rules have the same shape and cover every branch of the verdict.
 */
import { crc32, deflateSync } from 'node:zlib';
import type { Finding, FindingInput } from '../../src/findings.ts';
import { findingSchema } from '../../src/findings.ts';
import type { Rule } from '../../src/rules/types.ts';
import { buildReport, type BuildReportInput, type TestResultInput } from '../../src/report/build.ts';
import type { ReadinessReport } from '../../src/report/model.ts';

const DOC = (path: string, title: string) => ({ title, url: `https://docs.superoffice.com/en/${path}` });
const ALL = ['web', 'native', 'server-to-server'] as const;

export const FIXTURE_RULES: Rule[] = [
  {
    id: 'TOKEN-SIGNATURE',
    title: 'Token signatures are verified',
    requirement: 'Reject tokens whose RS256 signature does not verify against the environment key.',
    category: 'tokens',
    severity: { standard: 'blocking', custom: 'blocking' },
    appTypes: ALL,
    automation: 'automated',
    check:
      'Forges id_tokens (edited payload, unknown key, alg none, HS256 confusion); the app must not create a session.',
    remediation: 'Validate the id_token signature with the environment JWKS before trusting any claim.',
    docs: [DOC('api/authentication/online/validate-security-tokens.html', 'Validate security tokens')],
  },
  {
    id: 'TOKEN-ISSUER',
    title: 'Token issuer is checked',
    requirement: 'Reject tokens whose iss is not the configured environment.',
    category: 'tokens',
    severity: { standard: 'blocking', custom: 'blocking' },
    appTypes: ALL,
    automation: 'automated',
    check: 'Issues a correctly signed token with a foreign iss.',
    remediation: 'Compare iss with https://{env}.superoffice.com.',
    docs: [DOC('api/authentication/online/validate-security-tokens.html', 'Validate security tokens')],
  },
  {
    id: 'SECRET-AS-PASSWORD',
    title: 'The client secret never reaches the browser',
    requirement: 'The client secret is a password: never expose it to the browser.',
    category: 'secrets',
    severity: { standard: 'blocking', custom: 'blocking' },
    appTypes: ALL,
    automation: 'automated',
    check: 'Seeds a unique secret and searches every browser-observable artifact for it.',
    remediation: 'Keep the client secret on the server; exchange codes server-side.',
    docs: [DOC('developer-portal/create-app/config/get-client-secret.html', 'Client secret')],
  },
  {
    id: 'AUTH-STATE',
    title: 'state is sent and checked',
    requirement: 'state should be sent and the callback state must match.',
    category: 'authentication',
    severity: { standard: 'advisory', custom: 'advisory' },
    appTypes: ['web', 'native'],
    automation: 'automated',
    check: 'Delivers a callback with a foreign state.',
    remediation: 'Bind state to the browser session and compare it on the callback.',
    docs: [DOC('api/authentication/online/sign-in-user/auth-code-flow.html', 'Authorization code flow')],
  },
  {
    id: 'TOKEN-JWKS-REFRESH',
    title: 'Signing keys roll over',
    requirement: 'Select keys by kid and refetch the JWKS on an unknown kid.',
    category: 'tokens',
    severity: { standard: 'advisory', custom: 'advisory' },
    appTypes: ALL,
    automation: 'automated',
    check: 'Rotates the emulator key mid-session.',
    remediation: 'Cache the JWKS by kid and refetch on an unknown kid.',
    docs: [DOC('api/authentication/online/validate-security-tokens.html', 'Validate security tokens')],
  },
  {
    id: 'REDIRECT-HTTPS',
    title: 'Redirect URLs use HTTPS',
    requirement: 'Redirect URLs must be HTTPS and pass an SSL Labs grade A.',
    category: 'redirects',
    severity: { standard: 'blocking', custom: 'blocking' },
    appTypes: ALL,
    automation: 'partial',
    check: 'Lints the declared redirect list; the SSL Labs grade is attested.',
    remediation: 'Register only https:// redirect URLs.',
    docs: [DOC('developer-portal/create-app/config/redirects.html', 'Redirect URLs')],
  },
  {
    id: 'AUTH-NO-CREDENTIAL-STORE',
    title: 'No stored credentials',
    requirement: 'The app must not store user credentials.',
    category: 'authentication',
    severity: { standard: 'blocking', custom: 'blocking' },
    appTypes: ALL,
    automation: 'manual',
    check: 'Attest that the app stores no SuperOffice passwords.',
    remediation: 'Use federated sign-in only.',
    docs: [DOC('developer-portal/standard-app/certification/checklist.html', 'Certification checklist')],
  },
  {
    id: 'AUTH-CONSENT-FLOW',
    title: 'Consent flow works',
    requirement: 'Standard apps must implement the consent workflow.',
    category: 'provisioning',
    severity: { standard: 'blocking' },
    appTypes: ALL,
    automation: 'automated',
    check: 'Drives the install entry point with an admin through consent.',
    remediation: 'Implement the consent hand-shake.',
    docs: [DOC('developer-portal/provisioning/get-consent.html', 'Get consent')],
  },
  {
    id: 'AUTH-PKCE-NATIVE',
    title: 'Native apps use PKCE',
    requirement: 'Native apps must use PKCE and a loopback listener.',
    category: 'authentication',
    severity: { standard: 'blocking', custom: 'blocking' },
    appTypes: ['native'],
    automation: 'automated',
    check: 'Requires code_challenge on the authorize request.',
    remediation: 'Send an S256 code_challenge.',
    docs: [DOC('api/authentication/online/sign-in-user/native-apps.html', 'Native apps')],
  },
];

export const APP: BuildReportInput['app'] = {
  name: 'Acme Web',
  type: 'web',
  certification: 'standard',
  baseURL: 'http://127.0.0.1:5050',
  environment: 'sod',
  tenant: 'Cust12345',
};

export function finding(input: FindingInput): Finding {
  return findingSchema.parse(input);
}

export function pass(rule: string, check = 'basic'): Finding {
  return finding({ rule, check, title: `${rule} ${check}`, status: 'pass', message: 'the app behaved' });
}

export function test(
  name: string,
  ruleIds: string[],
  findings: Finding[],
  extra: Partial<TestResultInput> = {},
): TestResultInput {
  return {
    test: `suites/${name}.spec.ts › ${name}`,
    ruleIds,
    outcome: 'passed',
    durationMs: 1200,
    findings,
    ...extra,
  };
}

/** Every applicable automated rule passes. */
export function readyResults(): TestResultInput[] {
  return [
    test(
      'token-signature',
      ['TOKEN-SIGNATURE'],
      [pass('TOKEN-SIGNATURE', 'payload-edited'), pass('TOKEN-SIGNATURE', 'alg-none')],
    ),
    test('token-issuer', ['TOKEN-ISSUER'], [pass('TOKEN-ISSUER')]),
    test('secret', ['SECRET-AS-PASSWORD'], [pass('SECRET-AS-PASSWORD')]),
    test('state', ['AUTH-STATE'], [pass('AUTH-STATE')]),
    test('jwks', ['TOKEN-JWKS-REFRESH'], [pass('TOKEN-JWKS-REFRESH')]),
    test('redirect-https', ['REDIRECT-HTTPS'], [pass('REDIRECT-HTTPS')]),
    test('consent', ['AUTH-CONSENT-FLOW'], [pass('AUTH-CONSENT-FLOW')]),
  ];
}

export const FORGED_TOKEN_FINDING = (): Finding =>
  finding({
    rule: 'TOKEN-SIGNATURE',
    check: 'payload-edited-after-signing',
    title: 'id_token whose payload was edited after signing is rejected',
    status: 'fail',
    message: 'app accepted an id_token whose payload was edited after signing',
    evidence: [
      {
        kind: 'token',
        label: 'forged id_token',
        header: { alg: 'RS256', kid: 'A1B2C3' },
        payload: {
          iss: 'https://sod.superoffice.com',
          sub: 'user@example.com',
          'http://schemes.superoffice.net/identity/ctx': 'Cust99999',
        },
        tampered: ['payload.http://schemes.superoffice.net/identity/ctx'],
      },
      {
        kind: 'exchange',
        label: 'callback accepted',
        method: 'GET',
        url: 'http://127.0.0.1:5050/callback?code=abc&state=xyz',
        status: 302,
        requestHeaders: { cookie: 'sid=s3cr3tsession' },
        responseHeaders: { location: '/dashboard' },
        responseBody: 'Redirecting to /dashboard',
        from: 'browser',
      },
    ],
  });

/** Blocking failures with evidence, an advisory warning, an erroring test. */
export function notReadyResults(): TestResultInput[] {
  return [
    test(
      'token-signature',
      ['TOKEN-SIGNATURE'],
      [FORGED_TOKEN_FINDING(), pass('TOKEN-SIGNATURE', 'alg-none')],
      {
        outcome: 'failed',
        error: 'expect(session).toBeFalsy()',
      },
    ),
    test('token-issuer', ['TOKEN-ISSUER'], [pass('TOKEN-ISSUER')]),
    test(
      'secret',
      ['SECRET-AS-PASSWORD'],
      [
        finding({
          rule: 'SECRET-AS-PASSWORD',
          check: 'secret-in-bundle',
          title: 'client secret is absent from browser artifacts',
          status: 'fail',
          message: 'the client secret appears in /static/app.js',
          evidence: [
            {
              kind: 'text',
              label: 'app.js excerpt',
              text: 'const cfg = { secret: "[REDACTED:client-secret]" }',
            },
          ],
        }),
      ],
    ),
    test(
      'state',
      ['AUTH-STATE'],
      [
        finding({
          rule: 'AUTH-STATE',
          check: 'foreign-state',
          title: 'foreign state is refused',
          status: 'fail',
          message: 'the app accepted a foreign state',
        }),
      ],
    ),
    test(
      'jwks',
      ['TOKEN-JWKS-REFRESH'],
      [
        finding({
          rule: 'TOKEN-JWKS-REFRESH',
          check: 'rollover',
          title: 'key rollover',
          status: 'warn',
          message: 'the app pins the signing key',
        }),
      ],
    ),
    test('redirect-https', ['REDIRECT-HTTPS'], [pass('REDIRECT-HTTPS')]),
    test('consent', ['AUTH-CONSENT-FLOW'], [pass('AUTH-CONSENT-FLOW')]),
  ];
}

/** A blocking rule's test timed out without a finding; a run error. */
export function incompleteResults(): TestResultInput[] {
  const results = readyResults().filter((r) => !r.ruleIds.includes('TOKEN-ISSUER'));
  results.push(
    test('token-issuer', ['TOKEN-ISSUER'], [], {
      outcome: 'timedOut',
      error: 'Test timeout of 30000ms exceeded.',
    }),
  );
  return results;
}

export function build(results: TestResultInput[], extra: Partial<BuildReportInput> = {}): ReadinessReport {
  return buildReport({
    app: APP,
    startedAt: '2025-05-01T10:00:00.000Z',
    durationMs: 42_000,
    toolVersion: '0.1.0',
    rules: FIXTURE_RULES,
    results,
    runErrors: [],
    ...extra,
  });
}

/**
 * A valid PNG of one solid colour, built in memory: evidence for report tests that need an image
 * without asking a browser for a screenshot (which Chromium can refuse on a loaded machine).
 */
export function solidPng(width: number, height: number, [r, g, b]: [number, number, number]): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), body.length + 4);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, no interlace
  const row = Buffer.alloc(1 + width * 3);
  for (let x = 0; x < width; x++) row.set([r, g, b], 1 + x * 3);
  const pixels = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(pixels)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
