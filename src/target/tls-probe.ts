/**
 * TLS-1.2: which protocol versions an app's HTTPS origin accepts, probed with Node's TLS client.
 * One bounded handshake per version; the certificate's trust is not judged here (a local app
 * often has a self-signed one), only the protocol.
 */
import tls from 'node:tls';

export type TlsVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

export interface HandshakeResult {
  version: TlsVersion;
  /** The server agreed to this version. */
  accepted: boolean;
  /** The local TLS stack cannot offer this version at all (not probed). */
  unsupportedLocally?: boolean;
  /** Why the handshake failed, when it did. */
  error?: string;
}

const LOCAL_REFUSALS = /no protocols available|unsupported protocol|wrong ssl version|version too low/i;

/** One handshake with exactly `version`; resolves within `timeoutMs`. */
export function handshake(
  host: string,
  port: number,
  version: TlsVersion,
  timeoutMs = 5_000,
): Promise<HandshakeResult> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: HandshakeResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(r);
    };
    const legacy = version === 'TLSv1' || version === 'TLSv1.1';
    const socket = tls.connect({
      host,
      port,
      servername: /^[\d.]+$|:/.test(host) ? undefined : host,
      minVersion: version,
      maxVersion: version,
      rejectUnauthorized: false,
      // OpenSSL 3 refuses TLS 1.0/1.1 at its default security level; the probe must still try.
      ...(legacy ? { ciphers: 'DEFAULT:@SECLEVEL=0' } : {}),
    });
    const timer = setTimeout(
      () => finish({ version, accepted: false, error: `no handshake within ${timeoutMs / 1000} s` }),
      timeoutMs,
    );
    socket.once('secureConnect', () => finish({ version, accepted: socket.getProtocol() === version }));
    socket.once('error', (e: NodeJS.ErrnoException) => {
      const message = `${e.code ?? ''} ${e.message}`.trim();
      const short = e.code ?? e.message.split('\n')[0]!.slice(0, 120);
      // A refusal raised before anything was sent is our own stack's limit, not the server's.
      const local =
        legacy && LOCAL_REFUSALS.test(message) && !/alert/i.test(message) && socket.bytesWritten === 0;
      finish({ version, accepted: false, error: short, ...(local ? { unsupportedLocally: true } : {}) });
    });
  });
}

/** Errors that mean the origin was not reached at all (nothing said about its TLS). */
export const UNREACHABLE =
  /^(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT)$|^no handshake within/;

export async function probeTls(origin: string, timeoutMs = 5_000): Promise<HandshakeResult[]> {
  const u = new URL(origin);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const port = Number(u.port || 443);
  const versions: TlsVersion[] = ['TLSv1.2', 'TLSv1.3', 'TLSv1.1', 'TLSv1'];
  const out: HandshakeResult[] = [];
  for (const v of versions) out.push(await handshake(host, port, v, timeoutMs));
  return out;
}
