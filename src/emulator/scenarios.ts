/**
 * The named id_token faults. Each one is a real fault: the emulator first builds the correct
 * token, then re-issues it according to the scenario (edited payload under the old signature,
 * missing or wrong signature, foreign keys, confused algorithms, wrong claims). `valid`,
 * `kid-absent-single-key` and `aud-single-element-array` stay acceptable to a strict client.
 */
import { createHash, createHmac, randomBytes, sign } from 'node:crypto';
import type { IdTokenScenario } from './types.ts';
import { pooledKeyPair, selfSigned, type SigningKey } from './pki.ts';

export const SO_CLAIM = 'http://schemes.superoffice.net/identity/';

export type JsonObject = Record<string, unknown>;

export interface MintContext {
  signing: SigningKey;
  /** Signing key of another environment (env-key scenario). */
  otherEnvKey: () => Promise<SigningKey>;
  issuer: string;
  otherEnvIssuer: string;
  clientId: string;
  clientSecret: string | undefined;
  superidUrl: string;
  flowId: string;
  otherTenant: { ctx: string; webapiUrl: string; netserverUrl: string };
  /** An existing user's claims, used by `sig-payload-edited`. */
  otherUser: { sub: string; associateId: string };
}

export interface Minted {
  token: string;
  header: JsonObject;
  payload: JsonObject;
  tampered: string[];
  /** Set when the scenario could not change anything (e.g. no nonce was requested). */
  ineffective?: string;
}

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

export function signRs256(header: JsonObject, payload: JsonObject, key: SigningKey): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${sign('sha256', Buffer.from(input), key.cert.keys.privateKey).toString('base64url')}`;
}

export function standardHeader(key: SigningKey): JsonObject {
  return { alg: 'RS256', kid: key.kid, x5t: key.x5t, typ: 'JWT' };
}

/** OIDC `at_hash`/`c_hash`: left half of SHA-256 of the ASCII value, base64url. */
export function halfHash(value: string): string {
  const d = createHash('sha256').update(value, 'ascii').digest();
  return d.subarray(0, d.length / 2).toString('base64url');
}

function hs256(header: JsonObject, payload: JsonObject, key: Buffer | string): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
}

let attacker: Promise<SigningKey> | undefined;
/** A self-signed attacker key (unknown to JWKS), reused within the process. */
export function attackerKey(): Promise<SigningKey> {
  attacker ??= pooledKeyPair('attacker').then((k) => selfSigned(k, 'Attacker (so-preflight)'));
  return attacker;
}

export function attackerJwks(key: SigningKey): JsonObject {
  return { keys: [key.jwk] };
}

/** Re-issues the correct `payload` as `scenario`. */
export async function mintIdToken(
  scenario: IdTokenScenario,
  payload: JsonObject,
  c: MintContext,
): Promise<Minted> {
  const h = standardHeader(c.signing);
  const p: JsonObject = { ...payload };
  const signed = (hh: JsonObject, pp: JsonObject, tampered: string[]): Minted => ({
    token: signRs256(hh, pp, c.signing),
    header: hh,
    payload: pp,
    tampered,
  });
  const withClaims = (changes: JsonObject, removed: string[] = []): Minted => {
    const pp: JsonObject = { ...p, ...changes };
    for (const r of removed) delete pp[r];
    return signed(h, pp, [...Object.keys(changes), ...removed]);
  };
  const segs = (t: string): string[] => t.split('.');
  const now = Math.floor(Date.now() / 1000);

  switch (scenario) {
    case 'valid':
      return signed(h, p, []);
    case 'sig-payload-edited': {
      const good = signRs256(h, p, c.signing);
      const edited = {
        ...p,
        sub: c.otherUser.sub,
        [`${SO_CLAIM}associateid`]: c.otherUser.associateId,
        [`${SO_CLAIM}is_administrator`]: 'True',
      };
      const [hs, , ss] = segs(good);
      return {
        token: `${hs}.${b64(edited)}.${ss}`,
        header: h,
        payload: edited,
        tampered: ['sub', `${SO_CLAIM}associateid`, `${SO_CLAIM}is_administrator`],
      };
    }
    case 'sig-stripped': {
      const [hs, ps] = segs(signRs256(h, p, c.signing));
      return { token: `${hs}.${ps}.`, header: h, payload: p, tampered: ['signature'] };
    }
    case 'sig-truncated': {
      const [hs, ps, ss = ''] = segs(signRs256(h, p, c.signing));
      const sig = Buffer.from(ss, 'base64url');
      return {
        token: `${hs}.${ps}.${sig.subarray(0, sig.length - 16).toString('base64url')}`,
        header: h,
        payload: p,
        tampered: ['signature'],
      };
    }
    case 'sig-unknown-key-unknown-kid': {
      const k = await attackerKey();
      const hh = standardHeader(k);
      return { token: signRs256(hh, p, k), header: hh, payload: p, tampered: ['kid', 'x5t', 'signature'] };
    }
    case 'sig-unknown-key-real-kid': {
      const k = await attackerKey();
      return { token: signRs256(h, p, k), header: h, payload: p, tampered: ['signature'] };
    }
    case 'alg-none':
    case 'alg-None':
    case 'alg-NONE':
    case 'alg-nOnE':
    case 'alg-none-no-dot': {
      const alg = scenario === 'alg-none-no-dot' ? 'none' : scenario.slice(4);
      const hh = { alg, typ: 'JWT' };
      const input = `${b64(hh)}.${b64(p)}`;
      return {
        token: scenario === 'alg-none-no-dot' ? input : `${input}.`,
        header: hh,
        payload: p,
        tampered: ['alg', 'kid', 'x5t', 'signature'],
      };
    }
    case 'alg-hs256-public-key-pem': {
      const hh = { ...h, alg: 'HS256' };
      const pem = c.signing.cert.keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
      return { token: hs256(hh, p, pem), header: hh, payload: p, tampered: ['alg', 'signature'] };
    }
    case 'alg-hs256-public-key-jwk': {
      const hh = { ...h, alg: 'HS256' };
      return {
        token: hs256(hh, p, JSON.stringify(c.signing.jwk)),
        header: hh,
        payload: p,
        tampered: ['alg', 'signature'],
      };
    }
    case 'alg-hs256-client-secret': {
      const hh = { ...h, alg: 'HS256' };
      return {
        token: hs256(hh, p, c.clientSecret ?? ''),
        header: hh,
        payload: p,
        tampered: ['alg', 'signature'],
      };
    }
    case 'embedded-jwk': {
      const k = await attackerKey();
      const { kty, e, n } = k.jwk;
      const hh = { alg: 'RS256', kid: k.kid, typ: 'JWT', jwk: { kty, e, n, kid: k.kid } };
      return {
        token: signRs256(hh, p, k),
        header: hh,
        payload: p,
        tampered: ['jwk', 'kid', 'x5t', 'signature'],
      };
    }
    case 'jku-header': {
      const k = await attackerKey();
      const hh = { alg: 'RS256', kid: k.kid, typ: 'JWT', jku: `${c.superidUrl}/harness/jku/${c.flowId}` };
      return {
        token: signRs256(hh, p, k),
        header: hh,
        payload: p,
        tampered: ['jku', 'kid', 'x5t', 'signature'],
      };
    }
    case 'x5u-header': {
      const k = await attackerKey();
      const hh = {
        alg: 'RS256',
        kid: k.kid,
        x5t: k.x5t,
        typ: 'JWT',
        x5u: `${c.superidUrl}/harness/x5u/${c.flowId}`,
      };
      return {
        token: signRs256(hh, p, k),
        header: hh,
        payload: p,
        tampered: ['x5u', 'kid', 'x5t', 'signature'],
      };
    }
    case 'kid-absent-single-key': {
      const hh = { alg: 'RS256', typ: 'JWT' };
      return { token: signRs256(hh, p, c.signing), header: hh, payload: p, tampered: ['kid', 'x5t'] };
    }
    case 'kid-injection': {
      // The classic: a path-traversal kid that resolves to an empty file, HMAC keyed with nothing.
      const hh = { alg: 'HS256', kid: "../../../../../../../dev/null' UNION SELECT '' --", typ: 'JWT' };
      return {
        token: hs256(hh, p, Buffer.alloc(0)),
        header: hh,
        payload: p,
        tampered: ['alg', 'kid', 'x5t', 'signature'],
      };
    }
    case 'crit-unknown': {
      const hh = {
        ...h,
        crit: ['urn:so-preflight:unknown-extension'],
        'urn:so-preflight:unknown-extension': true,
      };
      return signed(hh, p, ['crit', 'urn:so-preflight:unknown-extension']);
    }
    case 'env-key': {
      const k = await c.otherEnvKey();
      const hh = standardHeader(k);
      return { token: signRs256(hh, p, k), header: hh, payload: p, tampered: ['kid', 'x5t', 'signature'] };
    }
    case 'iss-foreign':
      return withClaims({ iss: 'https://login.evil-idp.example' });
    case 'iss-other-env':
      return withClaims({ iss: c.otherEnvIssuer });
    case 'iss-trailing-slash':
      return withClaims({ iss: `${c.issuer}/` });
    case 'iss-case':
      return withClaims({ iss: c.issuer.replace(/^https:/, 'HTTPS:').replace(/localhost/, 'LocalHost') });
    case 'aud-wrong':
      return withClaims({ aud: randomBytes(16).toString('hex') });
    case 'aud-missing':
      return withClaims({}, ['aud']);
    case 'aud-untrusted-extra': {
      const pp: JsonObject = { ...p, aud: [c.clientId, 'untrusted-' + randomBytes(8).toString('hex')] };
      delete pp['azp'];
      return signed(h, pp, ['aud']);
    }
    case 'aud-single-element-array':
      return withClaims({ aud: [c.clientId] });
    case 'exp-past': {
      const exp = now - 600;
      return withClaims({ iat: exp - 300, nbf: exp - 360, exp });
    }
    case 'exp-missing':
      return withClaims({}, ['exp']);
    case 'nbf-future':
      return withClaims({ nbf: now + 600 });
    case 'iat-missing':
      return withClaims({}, ['iat']);
    case 'nonce-mismatch':
      if (!('nonce' in p)) {
        // A client that sent no nonce has nothing to compare: a nonce in the token binds nothing.
        return {
          ...withClaims({ nonce: randomBytes(16).toString('base64url') }),
          ineffective: 'the authorization request carried no nonce, so there is none to compare',
        };
      }
      return withClaims({ nonce: randomBytes(16).toString('base64url') });
    case 'nonce-missing':
      if (!('nonce' in p)) {
        return {
          ...signed(h, p, []),
          ineffective: 'the authorization request carried no nonce, so there is none to remove',
        };
      }
      return withClaims({}, ['nonce']);
    case 'sub-missing':
      return withClaims({}, ['sub']);
    case 'ctx-other-tenant':
      return withClaims({
        [`${SO_CLAIM}ctx`]: c.otherTenant.ctx,
        [`${SO_CLAIM}webapi_url`]: c.otherTenant.webapiUrl,
        [`${SO_CLAIM}netserver_url`]: c.otherTenant.netserverUrl,
      });
    case 'malformed-two-segments': {
      const [hs, ps] = segs(signRs256(h, p, c.signing));
      return { token: `${hs}.${ps}`, header: h, payload: p, tampered: ['signature'] };
    }
    case 'malformed-garbage-base64': {
      // The signature is genuine over the garbage, so only the decoder stands in the way.
      const input = `${b64(h)}.!!not*base64~~%%`;
      const sig = sign('sha256', Buffer.from(input), c.signing.cert.keys.privateKey).toString('base64url');
      return { token: `${input}.${sig}`, header: h, payload: {}, tampered: ['payload'] };
    }
  }
}

/** Faults of the PartnerSystemUser JWT (GlobalFaults.systemUserJwt). */
export async function mintSystemUserJwt(
  fault: 'valid' | 'bad-signature' | 'wrong-issuer' | 'wrong-audience' | 'expired' | 'alg-none',
  payload: JsonObject,
  signing: SigningKey,
): Promise<string> {
  const h = standardHeader(signing);
  const now = Math.floor(Date.now() / 1000);
  switch (fault) {
    case 'valid':
      return signRs256(h, payload, signing);
    case 'bad-signature': {
      const k = await attackerKey();
      return signRs256(h, payload, k);
    }
    case 'wrong-issuer':
      return signRs256(h, { ...payload, iss: 'SuperOffice AS (forged)' }, signing);
    case 'wrong-audience':
      return signRs256(h, { ...payload, aud: 'spn:0000000000' }, signing);
    case 'expired':
      return signRs256(h, { ...payload, iat: now - 1200, nbf: now - 1260, exp: now - 600 }, signing);
    case 'alg-none':
      return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`;
  }
}

/** Forgeries of the state-change notification token. */
export type NotificationForge =
  'bad-signature' | 'wrong-issuer' | 'wrong-audience' | 'expired' | 'alg-none' | 'unknown-key';

export async function mintNotificationToken(
  payload: JsonObject,
  signing: SigningKey,
  forge: NotificationForge | undefined,
): Promise<string> {
  const h = standardHeader(signing);
  const now = Math.floor(Date.now() / 1000);
  switch (forge) {
    case undefined:
      return signRs256(h, payload, signing);
    case 'bad-signature':
      return signRs256(h, payload, await attackerKey());
    case 'unknown-key': {
      const k = await attackerKey();
      return signRs256(standardHeader(k), payload, k);
    }
    case 'wrong-issuer':
      return signRs256(h, { ...payload, iss: 'https://login.evil-idp.example' }, signing);
    case 'wrong-audience':
      return signRs256(h, { ...payload, aud: randomBytes(16).toString('hex') }, signing);
    case 'expired':
      return signRs256(h, { ...payload, iat: now - 1200, nbf: now - 1260, exp: now - 600 }, signing);
    case 'alg-none':
      return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`;
  }
}
