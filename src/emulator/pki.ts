/**
 * The emulator's PKI: a generated CA chain (root CA -> environment CA -> "federated login" leaf
 * that signs tokens), TLS server certificates for 127.0.0.1, ::1, localhost and SuperOffice's own
 * host names (for `superoffice.impersonate`) from the same
 * environment CA, and the JWKS entries for signing keys (`kid` = upper-case hex SHA-1 thumbprint
 * of the certificate, `x5t` = the same thumbprint base64url, `x5c` = leaf then CA chain).
 *
 * X.509 is built with node:crypto and a small DER encoder; no openssl at runtime. RSA key pairs
 * are pooled per process by role so that starting several emulators in one process stays fast.
 */
import {
  X509Certificate,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  randomBytes,
  sign,
  type KeyObject,
} from 'node:crypto';
import { isIP } from 'node:net';
import { SUPEROFFICE_HOST_NAMES } from './hosts.ts';

export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export interface IssuedCert {
  der: Buffer;
  pem: string;
  keys: KeyPair;
  subjectCn: string;
}

/** A signing key as published in JWKS. */
export interface SigningKey {
  kid: string;
  x5t: string;
  cert: IssuedCert;
  /** Leaf then CA chain, base64 DER. */
  x5c: string[];
  jwk: PublicRsaJwk;
}

export interface PublicRsaJwk {
  kty: 'RSA';
  alg: 'RS256';
  use: 'sig';
  e: string;
  n: string;
  kid: string;
  x5t: string;
  x5c: string[];
}

// ---- DER ----

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  while (n > 0) {
    bytes.unshift(n & 0xff);
    n = Math.floor(n / 256);
  }
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), len(content.length), content]);
}
const seq = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));
const octets = (b: Buffer): Buffer => tlv(0x04, b);
const bool = (v: boolean): Buffer => tlv(0x01, Buffer.from([v ? 0xff : 0]));
const explicit = (n: number, content: Buffer): Buffer => tlv(0xa0 + n, content);
function uint(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  let v = b.subarray(i);
  if ((v[0] ?? 0) & 0x80) v = Buffer.concat([Buffer.from([0]), v]);
  return tlv(0x02, v);
}
const small = (n: number): Buffer => uint(Buffer.from([n]));
function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out: number[] = [40 * parts[0]! + parts[1]!];
  for (const p of parts.slice(2)) {
    const stack = [p & 0x7f];
    let v = Math.floor(p / 128);
    while (v > 0) {
      stack.unshift((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    out.push(...stack);
  }
  return tlv(0x06, Buffer.from(out));
}
function bitString(b: Buffer, unused = 0): Buffer {
  return tlv(0x03, Buffer.concat([Buffer.from([unused]), b]));
}
function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(iso.slice(2))) : tlv(0x18, Buffer.from(iso));
}
function name(cn: string, o = 'SuperOffice AS (emulated by so-preflight)'): Buffer {
  const rdn = (type: string, value: Buffer): Buffer => set(seq(oid(type), value));
  return seq(
    rdn('2.5.4.6', tlv(0x13, Buffer.from('NO'))),
    rdn('2.5.4.10', tlv(0x0c, Buffer.from(o))),
    rdn('2.5.4.3', tlv(0x0c, Buffer.from(cn))),
  );
}
function ext(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? seq(oid(id), bool(true), octets(value)) : seq(oid(id), octets(value));
}
function keyUsageBits(bits: number[]): Buffer {
  let byte = 0;
  for (const b of bits) byte |= 0x80 >> b;
  let unused = 0;
  while (unused < 7 && !(byte & (1 << unused))) unused++;
  return bitString(Buffer.from([byte]), unused);
}

const SHA256_RSA = seq(oid('1.2.840.113549.1.1.11'), tlv(0x05, Buffer.alloc(0)));

function spkiDer(key: KeyObject): Buffer {
  return key.export({ type: 'spki', format: 'der' });
}
/** SHA-1 of the subjectPublicKey BIT STRING content (RFC 5280 4.2.1.2 method 1, approximated on the SPKI). */
function keyId(key: KeyObject): Buffer {
  return createHash('sha1').update(spkiDer(key)).digest();
}

export interface CertRequest {
  subjectCn: string;
  keys: KeyPair;
  issuer?: { cert: IssuedCert } | undefined;
  ca?: boolean;
  pathLen?: number;
  /** TLS server names (IP literals or DNS names). */
  serverNames?: string[];
  usage: 'ca' | 'sign' | 'tls';
  days: number;
}

export function issueCert(req: CertRequest): IssuedCert {
  const now = Date.now();
  const notBefore = new Date(now - 24 * 3600 * 1000);
  const notAfter = new Date(now + req.days * 24 * 3600 * 1000);
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f;
  const issuerName = req.issuer ? name(req.issuer.cert.subjectCn) : name(req.subjectCn);
  const signer = req.issuer ? req.issuer.cert.keys : req.keys;
  const exts: Buffer[] = [];
  if (req.usage === 'ca') {
    exts.push(
      ext('2.5.29.19', true, seq(bool(true), ...(req.pathLen !== undefined ? [small(req.pathLen)] : []))),
    );
    exts.push(ext('2.5.29.15', true, keyUsageBits([5, 6])));
  } else {
    exts.push(ext('2.5.29.19', true, seq()));
    exts.push(ext('2.5.29.15', true, keyUsageBits(req.usage === 'tls' ? [0, 2] : [0])));
  }
  if (req.usage === 'tls') {
    exts.push(ext('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1'))));
    const names = (req.serverNames ?? []).map((n) => {
      const kind = isIP(n);
      if (kind === 4) return tlv(0x87, Buffer.from(n.split('.').map(Number)));
      if (kind === 6) return tlv(0x87, ipv6Bytes(n));
      return tlv(0x82, Buffer.from(n));
    });
    exts.push(ext('2.5.29.17', false, seq(...names)));
  }
  exts.push(ext('2.5.29.14', false, octets(keyId(req.keys.publicKey))));
  exts.push(ext('2.5.29.35', false, seq(tlv(0x80, keyId(signer.publicKey)))));
  const tbs = seq(
    explicit(0, small(2)),
    uint(serial),
    SHA256_RSA,
    issuerName,
    seq(time(notBefore), time(notAfter)),
    name(req.subjectCn),
    spkiDer(req.keys.publicKey),
    explicit(3, seq(...exts)),
  );
  const signature = sign('sha256', tbs, signer.privateKey);
  const der = seq(tbs, SHA256_RSA, bitString(signature));
  return { der, pem: derToPem(der), keys: req.keys, subjectCn: req.subjectCn };
}

function ipv6Bytes(ip: string): Buffer {
  const [head = '', tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

export function derToPem(der: Buffer, label = 'CERTIFICATE'): string {
  const b64 = der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

// ---- keys ----

const pool = new Map<string, Promise<KeyPair>>();

export function newKeyPair(): Promise<KeyPair> {
  return new Promise((resolve, reject) => {
    generateKeyPair('rsa', { modulusLength: 2048 }, (err, publicKey, privateKey) => {
      if (err) reject(err);
      else resolve({ publicKey, privateKey });
    });
  });
}

/** A key pair reused for `role` within this process (CA keys, TLS keys, attacker keys). */
export function pooledKeyPair(role: string): Promise<KeyPair> {
  let p = pool.get(role);
  if (!p) {
    p = newKeyPair();
    pool.set(role, p);
  }
  return p;
}

export function thumbprint(cert: IssuedCert): { kid: string; x5t: string } {
  const digest = createHash('sha1').update(cert.der).digest();
  return { kid: digest.toString('hex').toUpperCase(), x5t: digest.toString('base64url') };
}

export function makeSigningKey(cert: IssuedCert, chain: IssuedCert[]): SigningKey {
  const { kid, x5t } = thumbprint(cert);
  const x5c = [cert, ...chain].map((c) => c.der.toString('base64'));
  const j = cert.keys.publicKey.export({ format: 'jwk' }) as { n: string; e: string };
  return {
    kid,
    x5t,
    cert,
    x5c,
    jwk: { kty: 'RSA', alg: 'RS256', use: 'sig', e: j.e, n: j.n, kid, x5t, x5c },
  };
}

export interface EnvironmentPki {
  root: IssuedCert;
  environmentCa: IssuedCert;
  signing: SigningKey;
  tls: IssuedCert;
  /** PEM for NODE_EXTRA_CA_CERTS: root CA then environment CA. */
  caPem: string;
  /** TLS certificate chain (leaf + environment CA) for the HTTPS servers. */
  tlsChainPem: string;
  tlsKeyPem: string;
}

const ENV_NAMES: Record<string, string> = { sod: 'Development', qaonline: 'Stage', online: 'Production' };

export function environmentLabel(env: string): string {
  return ENV_NAMES[env] ?? env;
}

const ROOT_CN = 'SuperOffice Online Root CA (so-preflight)';
const TLS_NAMES = ['127.0.0.1', '127.0.0.2', '::1', 'localhost', ...SUPEROFFICE_HOST_NAMES];

function issueRoot(keys: KeyPair): IssuedCert {
  return issueCert({ subjectCn: ROOT_CN, keys, usage: 'ca', days: 3650 });
}
function issueEnvironmentCa(keys: KeyPair, root: IssuedCert, label: string): IssuedCert {
  return issueCert({
    subjectCn: `SuperOffice Online ${label} CA (so-preflight)`,
    keys,
    issuer: { cert: root },
    usage: 'ca',
    pathLen: 0,
    days: 3650,
  });
}
function issueSigningLeaf(keys: KeyPair, environmentCa: IssuedCert, label: string): IssuedCert {
  return issueCert({
    subjectCn: `SuperOffice Online ${label} Federated Login (so-preflight)`,
    keys,
    issuer: { cert: environmentCa },
    usage: 'sign',
    days: 3650,
  });
}
function issueTls(keys: KeyPair, environmentCa: IssuedCert): IssuedCert {
  return issueCert({
    subjectCn: 'localhost',
    keys,
    issuer: { cert: environmentCa },
    usage: 'tls',
    serverNames: TLS_NAMES,
    days: 365,
  });
}
function assemblePki(
  root: IssuedCert,
  environmentCa: IssuedCert,
  leaf: IssuedCert,
  tls: IssuedCert,
): EnvironmentPki {
  return {
    root,
    environmentCa,
    signing: makeSigningKey(leaf, [environmentCa, root]),
    tls,
    caPem: root.pem + environmentCa.pem,
    tlsChainPem: tls.pem + environmentCa.pem,
    tlsKeyPem: tls.keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/** Builds the CA chain, signing key and TLS certificate of one emulated environment. */
export async function createEnvironmentPki(environment: string, rolePrefix = ''): Promise<EnvironmentPki> {
  const label = environmentLabel(environment);
  const [rootKeys, envKeys, signKeys, tlsKeys] = await Promise.all([
    pooledKeyPair('root-ca'),
    pooledKeyPair(`${rolePrefix}env-ca-${environment}`),
    pooledKeyPair(`${rolePrefix}signing-${environment}`),
    pooledKeyPair('tls'),
  ]);
  const root = issueRoot(rootKeys);
  const environmentCa = issueEnvironmentCa(envKeys, root, label);
  return assemblePki(
    root,
    environmentCa,
    issueSigningLeaf(signKeys, environmentCa, label),
    issueTls(tlsKeys, environmentCa),
  );
}

// ---- saved PKI (the standalone emulator keeps its CA, signing key and TLS certificate) ----

/** An {@link EnvironmentPki} as PEM text: each certificate with its PKCS#8 private key. */
export interface EnvironmentPkiPems {
  rootCert: string;
  rootKey: string;
  environmentCaCert: string;
  environmentCaKey: string;
  signingCert: string;
  signingKey: string;
  tlsCert: string;
  tlsKey: string;
}

export type PkiPart = 'root' | 'environmentCa' | 'signing' | 'tls';

/** Certificates that end within this time are renewed when a saved PKI is loaded. */
export const RENEW_BEFORE_MS = 7 * 24 * 3600 * 1000;

const keyPem = (keys: KeyPair): string => keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

export function exportEnvironmentPki(pki: EnvironmentPki): EnvironmentPkiPems {
  return {
    rootCert: pki.root.pem,
    rootKey: keyPem(pki.root.keys),
    environmentCaCert: pki.environmentCa.pem,
    environmentCaKey: keyPem(pki.environmentCa.keys),
    signingCert: pki.signing.cert.pem,
    signingKey: keyPem(pki.signing.cert.keys),
    tlsCert: pki.tls.pem,
    tlsKey: pki.tlsKeyPem,
  };
}

/**
 * A saved certificate and its key, if both parse, belong together, were issued by `issuer` (or
 * by itself, for the root), still hold for {@link RENEW_BEFORE_MS} and have the expected use;
 * undefined otherwise (the caller then issues a new one).
 */
function loadIssued(
  certPem: string | undefined,
  privatePem: string | undefined,
  issuer: IssuedCert | 'self',
  use: 'ca' | 'sign' | 'tls',
  now: number,
): IssuedCert | undefined {
  if (!certPem || !privatePem) return undefined;
  try {
    const x509 = new X509Certificate(certPem);
    const privateKey = createPrivateKey(privatePem);
    if (privateKey.asymmetricKeyType !== 'rsa' || !x509.checkPrivateKey(privateKey)) return undefined;
    if (Date.parse(x509.validTo) - now < RENEW_BEFORE_MS || Date.parse(x509.validFrom) > now)
      return undefined;
    if (x509.ca !== (use === 'ca')) return undefined;
    const serverAuth = x509.keyUsage?.includes('1.3.6.1.5.5.7.3.1') ?? false;
    if (serverAuth !== (use === 'tls')) return undefined;
    if (use === 'tls' && TLS_NAMES.some((n) => (isIP(n) ? !x509.checkIP(n) : !x509.checkHost(n))))
      return undefined;
    const signer = issuer === 'self' ? x509 : new X509Certificate(issuer.der);
    if (!x509.checkIssued(signer) || !x509.verify(signer.publicKey)) return undefined;
    const subjectCn = /(?:^|\n)CN=([^\n]*)/.exec(x509.subject)?.[1];
    if (!subjectCn) return undefined;
    return {
      der: x509.raw,
      pem: derToPem(x509.raw),
      keys: { privateKey, publicKey: createPublicKey(privateKey) },
      subjectCn,
    };
  } catch {
    return undefined;
  }
}

/**
 * Rebuilds an environment's PKI from saved PEMs, issuing anew (with fresh keys) only what is
 * missing, unreadable, about to expire or no longer chained: a new root CA also means a new
 * environment CA, and a new environment CA a new signing and TLS certificate. `renewed` names
 * what was issued; empty when everything was reused.
 */
export async function restoreEnvironmentPki(
  environment: string,
  saved: Partial<EnvironmentPkiPems>,
  now = Date.now(),
): Promise<{ pki: EnvironmentPki; renewed: PkiPart[] }> {
  const label = environmentLabel(environment);
  const root = loadIssued(saved.rootCert, saved.rootKey, 'self', 'ca', now);
  const environmentCa = root && loadIssued(saved.environmentCaCert, saved.environmentCaKey, root, 'ca', now);
  const leaf = environmentCa && loadIssued(saved.signingCert, saved.signingKey, environmentCa, 'sign', now);
  const tls = environmentCa && loadIssued(saved.tlsCert, saved.tlsKey, environmentCa, 'tls', now);
  const fresh = (have: IssuedCert | undefined) => (have ? undefined : newKeyPair());
  const keys = await Promise.all([fresh(root), fresh(environmentCa), fresh(leaf), fresh(tls)]);
  const renewed: PkiPart[] = [];
  const reuse = (part: PkiPart, have: IssuedCert | undefined, issue: () => IssuedCert): IssuedCert => {
    if (have) return have;
    renewed.push(part);
    return issue();
  };
  const newRoot = reuse('root', root, () => issueRoot(keys[0]!));
  const newCa = reuse('environmentCa', environmentCa, () => issueEnvironmentCa(keys[1]!, newRoot, label));
  const newLeaf = reuse('signing', leaf, () => issueSigningLeaf(keys[2]!, newCa, label));
  const newTls = reuse('tls', tls, () => issueTls(keys[3]!, newCa));
  return { pki: assemblePki(newRoot, newCa, newLeaf, newTls), renewed };
}

/** A new signing leaf under an existing environment CA (key rotation). */
export async function rotateLeaf(pki: EnvironmentPki, label: string): Promise<SigningKey> {
  const keys = await newKeyPair();
  const leaf = issueCert({
    subjectCn: `SuperOffice Online ${label} Federated Login (so-preflight, rotated)`,
    keys,
    issuer: { cert: pki.environmentCa },
    usage: 'sign',
    days: 3650,
  });
  return makeSigningKey(leaf, [pki.environmentCa, pki.root]);
}

/**
 * A TLS certificate for any other host, from the environment CA, with the TLS certificate's key:
 * what the impersonation proxy shows an app whose outbound HTTPS it records.
 */
export function issueHostCert(pki: EnvironmentPki, host: string): { key: string; cert: string } {
  const cert = issueCert({
    subjectCn: host.slice(0, 64),
    keys: pki.tls.keys,
    issuer: { cert: pki.environmentCa },
    usage: 'tls',
    serverNames: [host],
    days: 30,
  });
  return { key: pki.tlsKeyPem, cert: cert.pem + pki.environmentCa.pem };
}

/** A self-signed certificate for an attacker key (x5u/x5c scenarios). */
export function selfSigned(keys: KeyPair, cn: string): SigningKey {
  const cert = issueCert({ subjectCn: cn, keys, usage: 'sign', days: 365 });
  return makeSigningKey(cert, []);
}
