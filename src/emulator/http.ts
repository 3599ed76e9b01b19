/** Small HTTP helpers shared by both origins: bounded body reading, escaping, header capture. */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { AddressInfo, Server } from 'node:net';
import type { CredentialKind } from './types.ts';

/** Request bodies above this size are answered with 413. */
export const MAX_BODY = 1024 * 1024;

export interface ReadBody {
  buf: Buffer;
  tooLarge: boolean;
  aborted: boolean;
}

/** Reads the whole body, keeping at most MAX_BODY bytes; drains the rest so the socket stays usable. */
export function readBody(req: IncomingMessage, timeoutMs = 15_000): Promise<ReadBody> {
  return new Promise((resolve) => {
    const declared = Number(req.headers['content-length'] ?? '0');
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = Number.isFinite(declared) && declared > MAX_BODY;
    let done = false;
    const finish = (aborted: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ buf: Buffer.concat(chunks), tooLarge, aborted });
    };
    const timer = setTimeout(() => finish(true), timeoutMs);
    timer.unref?.();
    if (tooLarge) {
      // Do not read megabytes we are going to refuse anyway.
      req.resume();
      finish(false);
      return;
    }
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        tooLarge = true;
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => finish(false));
    req.on('error', () => finish(true));
    req.on('close', () => finish(!req.complete));
  });
}

export function flatHeaders(h: IncomingHttpHeaders | Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
  }
  return out;
}

/**
 * `browser` when the request carries browser fetch metadata. Node's fetch (undici) sends
 * `Sec-Fetch-Mode: cors` on every request, so that header alone (or `Origin` alone) only counts
 * together with a browser User-Agent; `Sec-Fetch-Site`/`Sec-Fetch-Dest` always count.
 */
export function fromBrowser(h: IncomingHttpHeaders): 'browser' | 'server' {
  if (h['sec-fetch-site'] || h['sec-fetch-dest']) return 'browser';
  const browserUa = /Mozilla\/\d/.test(String(h['user-agent'] ?? ''));
  return browserUa && (h['sec-fetch-mode'] || h['origin']) ? 'browser' : 'server';
}

export function credentialOf(h: IncomingHttpHeaders): CredentialKind {
  const auth = String(h['authorization'] ?? '').trim();
  const scheme = auth.split(/\s+/)[0]?.toLowerCase() ?? '';
  if (scheme === 'bearer') return 'bearer';
  if (scheme === 'soticket') return 'soticket';
  if (scheme === 'basic') return 'basic';
  return 'none';
}

export function queryOf(url: URL): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of url.searchParams) out[k] = k in out ? `${out[k]},${v}` : v;
  return out;
}

export function esc(v: unknown): string {
  return String(v ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Cookie header -> name/value map (first occurrence wins). */
export function cookiesOf(h: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of String(h['cookie'] ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    const k = part.slice(0, i).trim();
    if (k && !(k in out)) {
      try {
        out[k] = decodeURIComponent(part.slice(i + 1).trim());
      } catch {
        out[k] = part.slice(i + 1).trim();
      }
    }
  }
  return out;
}

export function safeJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/** Listens on `host:port` (0: a free port); resolves with the port, rejects with the bind error. */
export function listen(server: Server, host: string, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** HTTP Basic client credentials (`Authorization: Basic base64(id:secret)`, each form-encoded). */
export function parseBasic(header: string): { id: string; secret: string } | undefined {
  const m = /^basic\s+(\S+)$/i.exec(header.trim());
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return undefined;
  const dec = (s: string): string => {
    try {
      return decodeURIComponent(s.replace(/\+/g, ' '));
    } catch {
      return s;
    }
  };
  return { id: dec(decoded.slice(0, i)), secret: dec(decoded.slice(i + 1)) };
}
