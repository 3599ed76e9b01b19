/**
 * Every id_token scenario, obtained through the real authorize + token endpoints (headless), is
 * (1) rejected by a strict client with the expected error code, and (2) shown to be a real fault:
 * a naive client that skips the one check the scenario targets would accept it. The controls
 * (`valid`, `kid-absent-single-key`, `aud-single-element-array`) are accepted.
 */
import { test, expect } from '@playwright/test';
import { createHmac, createPublicKey, type JsonWebKey } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  compactVerify,
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  importJWK,
  jwtVerify,
  type JSONWebKeySet,
  type JWTPayload,
} from 'jose';
import { request } from 'undici';
import {
  ID_TOKEN_SCENARIOS,
  startEmulator,
  type Emulator,
  type IdTokenScenario,
} from '../../src/emulator/index.ts';
import { emulatorAgent, headlessAuthorize, redeemCode } from '../../src/emulator/testing.ts';
import { withEmulator } from './own-emulator.ts';

const SO = 'http://schemes.superoffice.net/identity/';
const REDIRECT = 'https://app.example.test/callback';

let emulator: Emulator;
let dataDir: string;
let jwks: JSONWebKeySet;

test.beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'so-emu-sc-'));
  emulator = await startEmulator({
    environment: 'sod',
    tenant: 'Cust23456',
    dataDir,
    app: { name: 'Strict App', vendor: 'QA', type: 'web', redirectUris: [REDIRECT] },
  });
  const res = await request(`${emulator.superidUrl}/login/.well-known/jwks`, {
    dispatcher: emulatorAgent(emulator),
  });
  jwks = (await res.body.json()) as JSONWebKeySet;
});

test.afterAll(async () => {
  await emulator?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

class StrictError extends Error {
  readonly code: string;
  constructor(code: string) {
    super(code);
    this.code = code;
  }
}

/** What a careful SuperOffice app does with an id_token. Returns the payload or throws a coded error. */
async function strictValidate(token: string, nonce: string): Promise<JWTPayload> {
  const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), {
    issuer: emulator.superidUrl,
    audience: emulator.client.id,
    algorithms: ['RS256'],
    requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat'],
    maxTokenAge: '10 minutes',
  });
  if (Array.isArray(payload.aud) && payload.aud.length > 1 && payload['azp'] !== emulator.client.id)
    throw new StrictError('AUD_UNTRUSTED');
  if (payload['nonce'] === undefined) throw new StrictError('NONCE_MISSING');
  if (payload['nonce'] !== nonce) throw new StrictError('NONCE_MISMATCH');
  if (payload[`${SO}ctx`] !== emulator.tenant) throw new StrictError('CTX_MISMATCH');
  return payload;
}

function codeOf(e: unknown): string {
  if (e instanceof StrictError) return e.code;
  if (e instanceof errors.JWTClaimValidationFailed) return `${e.code}:${e.claim}`;
  if (e instanceof errors.JOSEError) return e.code;
  return `unexpected:${(e as Error)?.message}`;
}

const EXPECTED: Record<IdTokenScenario, string | null> = {
  valid: null,
  'sig-payload-edited': 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
  'sig-stripped': 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
  'sig-truncated': 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
  'sig-unknown-key-unknown-kid': 'ERR_JWKS_NO_MATCHING_KEY',
  'sig-unknown-key-real-kid': 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
  'alg-none': 'ERR_JOSE_ALG_NOT_ALLOWED',
  'alg-None': 'ERR_JOSE_ALG_NOT_ALLOWED',
  'alg-NONE': 'ERR_JOSE_ALG_NOT_ALLOWED',
  'alg-nOnE': 'ERR_JOSE_ALG_NOT_ALLOWED',
  'alg-none-no-dot': 'ERR_JWS_INVALID',
  'alg-hs256-public-key-pem': 'ERR_JOSE_ALG_NOT_ALLOWED',
  'alg-hs256-public-key-jwk': 'ERR_JOSE_ALG_NOT_ALLOWED',
  'alg-hs256-client-secret': 'ERR_JOSE_ALG_NOT_ALLOWED',
  'embedded-jwk': 'ERR_JWKS_NO_MATCHING_KEY',
  'jku-header': 'ERR_JWKS_NO_MATCHING_KEY',
  'x5u-header': 'ERR_JWKS_NO_MATCHING_KEY',
  'kid-absent-single-key': null,
  'kid-injection': 'ERR_JOSE_ALG_NOT_ALLOWED',
  'crit-unknown': 'ERR_JOSE_NOT_SUPPORTED',
  'env-key': 'ERR_JWKS_NO_MATCHING_KEY',
  'iss-foreign': 'ERR_JWT_CLAIM_VALIDATION_FAILED:iss',
  'iss-other-env': 'ERR_JWT_CLAIM_VALIDATION_FAILED:iss',
  'iss-trailing-slash': 'ERR_JWT_CLAIM_VALIDATION_FAILED:iss',
  'iss-case': 'ERR_JWT_CLAIM_VALIDATION_FAILED:iss',
  'aud-wrong': 'ERR_JWT_CLAIM_VALIDATION_FAILED:aud',
  'aud-missing': 'ERR_JWT_CLAIM_VALIDATION_FAILED:aud',
  'aud-untrusted-extra': 'AUD_UNTRUSTED',
  'aud-single-element-array': null,
  'exp-past': 'ERR_JWT_EXPIRED',
  'exp-missing': 'ERR_JWT_CLAIM_VALIDATION_FAILED:exp',
  'nbf-future': 'ERR_JWT_CLAIM_VALIDATION_FAILED:nbf',
  'iat-missing': 'ERR_JWT_CLAIM_VALIDATION_FAILED:iat',
  'nonce-mismatch': 'NONCE_MISMATCH',
  'nonce-missing': 'NONCE_MISSING',
  'sub-missing': 'ERR_JWT_CLAIM_VALIDATION_FAILED:sub',
  'ctx-other-tenant': 'CTX_MISMATCH',
  'malformed-two-segments': 'ERR_JWS_INVALID',
  'malformed-garbage-base64': 'ERR_JWS_INVALID',
};

async function realKeyVerifies(
  token: string,
  opts: { crit?: Record<string, boolean> } = {},
): Promise<boolean> {
  try {
    await compactVerify(token, createLocalJWKSet(jwks), {
      algorithms: ['RS256'],
      ...(opts.crit ? { crit: opts.crit } : {}),
    });
    return true;
  } catch {
    return false;
  }
}
function hmacVerifies(token: string, key: Buffer | string): boolean {
  const [h, p, s] = token.split('.');
  return createHmac('sha256', key).update(`${h}.${p}`).digest('base64url') === s;
}

/** Proof that the scenario is a real fault: the one check it targets is the only thing in the way. */
async function proveFault(scenario: IdTokenScenario, token: string, nonce: string): Promise<void> {
  const signingJwk = jwks.keys[0]!;
  switch (scenario) {
    case 'sig-payload-edited': {
      expect(decodeJwt(token).sub).not.toBe(emulator.users.admin.username);
      expect(await realKeyVerifies(token)).toBe(false);
      return;
    }
    case 'sig-stripped':
      expect(token.endsWith('.')).toBe(true);
      expect(token.split('.')).toHaveLength(3);
      return;
    case 'sig-truncated':
    case 'sig-unknown-key-real-kid':
      expect(decodeProtectedHeader(token).kid).toBe(signingJwk.kid);
      expect(await realKeyVerifies(token)).toBe(false);
      return;
    case 'alg-none':
    case 'alg-None':
    case 'alg-NONE':
    case 'alg-nOnE':
      expect(String(decodeProtectedHeader(token).alg).toLowerCase()).toBe('none');
      expect(token.endsWith('.')).toBe(true);
      expect(decodeJwt(token).nonce).toBe(nonce);
      return;
    case 'alg-none-no-dot':
      expect(token.split('.')).toHaveLength(2);
      expect(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).alg).toBe('none');
      return;
    case 'alg-hs256-public-key-pem': {
      const pem = createPublicKey({
        key: signingJwk as unknown as JsonWebKey,
        format: 'jwk',
      }).export({ type: 'spki', format: 'pem' });
      expect(hmacVerifies(token, pem)).toBe(true);
      return;
    }
    case 'alg-hs256-public-key-jwk':
      expect(hmacVerifies(token, JSON.stringify(signingJwk))).toBe(true);
      return;
    case 'alg-hs256-client-secret':
      expect(hmacVerifies(token, emulator.client.secret!)).toBe(true);
      return;
    case 'kid-injection':
      expect(String(decodeProtectedHeader(token).kid)).toContain('../');
      expect(hmacVerifies(token, Buffer.alloc(0))).toBe(true);
      return;
    case 'embedded-jwk': {
      const h = decodeProtectedHeader(token);
      expect(h.jwk).toBeTruthy();
      await compactVerify(token, await importJWK(h.jwk!, 'RS256'));
      return;
    }
    case 'jku-header':
    case 'x5u-header': {
      const h = decodeProtectedHeader(token);
      const url = (h.jku ?? h.x5u) as string;
      expect(url.startsWith(`${emulator.superidUrl}/harness/`)).toBe(true);
      const flowId = url.split('/').at(-1)!;
      const res = await request(url, { dispatcher: emulatorAgent(emulator) });
      const text = await res.body.text();
      if (h.jku) {
        // A client that follows jku would accept the token: the served keys verify it.
        await compactVerify(token, createLocalJWKSet(JSON.parse(text) as JSONWebKeySet));
      } else {
        expect(text).toContain('BEGIN CERTIFICATE');
        const { X509Certificate } = await import('node:crypto');
        await compactVerify(token, new X509Certificate(text).publicKey);
      }
      const probe = emulator.recorder.all().findLast((e) => e.endpoint === 'harness-probe');
      expect(probe?.flowId).toBe(flowId);
      return;
    }
    case 'sig-unknown-key-unknown-kid': {
      const h = decodeProtectedHeader(token);
      expect(jwks.keys.map((k) => k.kid)).not.toContain(h.kid);
      expect(await realKeyVerifies(token)).toBe(false);
      return;
    }
    case 'env-key':
      expect(decodeJwt(token).iss).toBe(emulator.superidUrl);
      expect(jwks.keys.map((k) => k.kid)).not.toContain(decodeProtectedHeader(token).kid);
      return;
    case 'crit-unknown':
      expect(await realKeyVerifies(token, { crit: { 'urn:so-preflight:unknown-extension': true } })).toBe(
        true,
      );
      return;
    case 'malformed-two-segments':
      expect(token.split('.')).toHaveLength(2);
      return;
    case 'malformed-garbage-base64':
      expect(token.split('.')).toHaveLength(3);
      expect(() => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString())).toThrow();
      return;
    default:
      // Claim scenarios: the signature is genuine, only the claim check stands in the way.
      expect(await realKeyVerifies(token), scenario).toBe(true);
  }
}

test('every id_token scenario is a real fault that a strict client rejects (controls accepted)', async () => {
  test.setTimeout(120_000);
  const outcomes: Record<string, string> = {};
  for (const scenario of ID_TOKEN_SCENARIOS) {
    const flow = emulator.createFlow({ idToken: scenario });
    const nonce = `n-${scenario}-${Math.random().toString(36).slice(2)}`;
    const auth = await headlessAuthorize(emulator, {
      flow,
      authorize: { redirect_uri: REDIRECT, state: 's', nonce },
    });
    expect(auth.params['code'], `${scenario}: authorize ${JSON.stringify(auth.steps)}`).toBeTruthy();
    const tok = await redeemCode(emulator, { code: auth.params['code']!, redirectUri: REDIRECT });
    expect(tok.status, scenario).toBe(200);
    const idToken = tok.json['id_token'] as string;
    expect(flow.tokens().idTokens).toEqual([idToken]);
    const forged = flow.forged();
    if (scenario === 'valid') expect(forged).toEqual([]);
    else {
      expect(forged).toHaveLength(1);
      expect(forged[0]!.token).toBe(idToken);
      expect(forged[0]!.tampered.length, scenario).toBeGreaterThan(0);
      expect(forged[0]!.ineffective).toBeUndefined();
    }
    let outcome = 'accepted';
    try {
      await strictValidate(idToken, nonce);
    } catch (e) {
      outcome = codeOf(e);
    }
    outcomes[scenario] = outcome;
    expect(outcome, scenario).toBe(EXPECTED[scenario] ?? 'accepted');
    if (EXPECTED[scenario] !== null) await proveFault(scenario, idToken, nonce);
    // The token endpoint exchange is tagged with the flow.
    expect(flow.exchanges().some((e) => e.endpoint === 'token' && e.status === 200)).toBe(true);
  }
  expect(Object.keys(outcomes)).toHaveLength(ID_TOKEN_SCENARIOS.length);
});

test('implicit/hybrid: authorize-response id_token carries at_hash and nonce; the flow scenario applies there too', async () => {
  const nonce = 'implicit-nonce-1';
  const flow = emulator.createFlow();
  const auth = await headlessAuthorize(emulator, {
    flow,
    authorize: { redirect_uri: REDIRECT, response_type: 'id_token token', state: 'x', nonce },
  });
  expect(auth.params['access_token']).toMatch(/^8A:Cust23456\./);
  const payload = await strictValidate(auth.params['id_token']!, nonce);
  const { createHash } = await import('node:crypto');
  const d = createHash('sha256').update(auth.params['access_token']!).digest();
  expect(payload['at_hash']).toBe(d.subarray(0, 16).toString('base64url'));
  expect(flow.exchanges().find((e) => e.endpoint === 'authorize')?.notes).toContain(
    'response_type=id_token token (deprecated)',
  );

  const forgedFlow = emulator.createFlow({ idToken: 'alg-none' });
  const forged = await headlessAuthorize(emulator, {
    flow: forgedFlow,
    authorize: {
      redirect_uri: REDIRECT,
      response_type: 'code id_token',
      response_mode: 'form_post',
      state: 'y',
      nonce,
    },
  });
  expect(forged.params['code']).toBeTruthy();
  expect(decodeProtectedHeader(forged.params['id_token']!).alg).toBe('none');
  expect(decodeJwt(forged.params['id_token']!)['c_hash']).toBeTruthy();
});

test('rotateSigningKey publishes a new kid and signs with it', async () => {
  // Its own emulator: rotation must not disturb the single-key scenarios above.
  await withEmulator(
    {
      environment: 'sod',
      tenant: 'Cust23456',
      app: { name: 'Rot', type: 'web', redirectUris: [REDIRECT] },
    },
    async (emulator) => {
      const { kid } = await emulator.rotateSigningKey();
      const res = await request(`${emulator.superidUrl}/login/.well-known/jwks`, {
        dispatcher: emulatorAgent(emulator),
      });
      const keys = ((await res.body.json()) as JSONWebKeySet).keys;
      expect(keys.map((k) => k.kid)).toContain(kid);
      expect(keys).toHaveLength(2);
      const flow = emulator.createFlow();
      const auth = await headlessAuthorize(emulator, {
        flow,
        authorize: { redirect_uri: REDIRECT, nonce: 'r' },
      });
      const tok = await redeemCode(emulator, { code: auth.params['code']!, redirectUri: REDIRECT });
      expect(decodeProtectedHeader(tok.json['id_token'] as string).kid).toBe(kid);
      await jwtVerify(tok.json['id_token'] as string, createLocalJWKSet({ keys }), {
        issuer: emulator.superidUrl,
        audience: emulator.client.id,
      });

      // A per-flow rollover: the published-only key signs only the flow that names it.
      const { kid: next } = await emulator.rotateSigningKey({ publishOnly: true });
      const jwks = await request(`${emulator.superidUrl}/login/.well-known/jwks`, {
        dispatcher: emulatorAgent(emulator),
      });
      const published = ((await jwks.body.json()) as JSONWebKeySet).keys;
      expect(published.map((k) => k.kid)).toEqual(expect.arrayContaining([kid, next]));
      expect(published).toHaveLength(3);
      const signedBy = async (options: Parameters<typeof emulator.createFlow>[0]) => {
        const f = emulator.createFlow(options);
        const a = await headlessAuthorize(emulator, {
          flow: f,
          authorize: { redirect_uri: REDIRECT, nonce: 'n' },
        });
        const t = await redeemCode(emulator, { code: a.params['code']!, redirectUri: REDIRECT });
        const idToken = t.json['id_token'] as string;
        await jwtVerify(idToken, createLocalJWKSet({ keys: published }), {
          issuer: emulator.superidUrl,
          audience: emulator.client.id,
        });
        return decodeProtectedHeader(idToken).kid;
      };
      expect(await signedBy({})).toBe(kid);
      expect(await signedBy({ signingKid: next })).toBe(next);
      expect(await signedBy({ signingKid: 'no-such-kid' })).toBe(kid);
    },
  );
});
