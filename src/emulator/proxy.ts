/**
 * The impersonation proxy: how an unchanged app that hard-codes `https://sod.superoffice.com`
 * reaches the emulator. The harness exports it to the app as `HTTPS_PROXY` and gives it to the
 * browser as its proxy.
 *
 * - `CONNECT` to a host the emulator answers as (SuperID's un-numbered host, the tenant's numbered
 *   hosts) becomes a plain TCP tunnel to the emulator's loopback listener; TLS ends at the
 *   emulator, whose certificate names those hosts.
 * - `CONNECT` to any other host is intercepted: TLS ends here with a certificate for that host from
 *   the emulator's CA (which the app trusts through `NODE_EXTRA_CA_CERTS` and friends), every
 *   request is recorded as the app's outbound traffic, then sent on to the real host. Requests in
 *   plain HTTP through the proxy are recorded and sent on the same way.
 * - Each listener (one for the app, one for the browser) counts the tunnels it opened to the
 *   emulator, so a run can tell an app that ignores the proxy from one that was never asked to
 *   sign in.
 *
 * Every wait is bounded: upstream requests time out after {@link UPSTREAM_TIMEOUT_MS}, idle
 * tunnels are closed after {@link IDLE_TIMEOUT_MS}.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import net, { type Socket } from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { flatHeaders, listen, readBody } from './http.ts';
import { truncate } from './recorder.ts';

export const UPSTREAM_TIMEOUT_MS = 10_000;
export const IDLE_TIMEOUT_MS = 60_000;

export type ProxyClient = 'app' | 'browser';

/** One request the app (or the browser) sent to a host the emulator does not answer as. */
export interface OutboundRequest {
  client: ProxyClient;
  /** ISO time the request arrived. */
  time: string;
  method: string;
  /** `https://host[:port]/path?query` as the client asked for it. */
  url: string;
  host: string;
  requestHeaders: Record<string, string>;
  /** Truncated to 64 KiB. */
  requestBody: string;
  /** What the client got: the real host's status, or 502 when it could not be reached. */
  status: number;
  /** Why the real host could not be reached, when it could not. */
  error?: string;
  durationMs: number;
}

export interface ProxyOptions {
  /** `host:port` the clients ask for (e.g. `sod.superoffice.com:443`) -> loopback listener. */
  routes: ReadonlyMap<string, { host: string; port: number }>;
  /** TLS key and certificate chain for an intercepted host (issued by the emulator's CA). */
  certificateFor(host: string): { key: string; cert: string };
  onOutbound(request: OutboundRequest): void;
  /** Loopback address to listen on; default `127.0.0.1`. */
  host?: string;
}

export interface ImpersonationProxy {
  /** `http://127.0.0.1:N`, for the app's `HTTPS_PROXY`. */
  readonly appUrl: string;
  /** `http://127.0.0.1:N`, for the browser's proxy setting. */
  readonly browserUrl: string;
  /** Tunnels each client opened to a host the emulator answers as. */
  tunnels(client: ProxyClient): number;
  /** Hosts each client asked for that are neither emulated nor loopback (first 20). */
  otherHosts(client: ProxyClient): string[];
  stop(): Promise<void>;
}

/** `host:port` of a CONNECT target or absolute URL, lower-cased, with the default port filled in. */
export function authorityOf(target: string, defaultPort: number): { host: string; port: number } | undefined {
  const m = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(target.trim().toLowerCase());
  if (!m?.[1]) return undefined;
  const port = m[2] ? Number(m[2]) : defaultPort;
  if (!Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { host: m[1], port };
}

export async function startProxy(options: ProxyOptions): Promise<ImpersonationProxy> {
  const bindHost = options.host ?? '127.0.0.1';
  const sockets = new Set<Duplex>();
  const counts: Record<ProxyClient, number> = { app: 0, browser: 0 };
  const others: Record<ProxyClient, Set<string>> = { app: new Set(), browser: new Set() };
  const certCache = new Map<string, tls.SecureContext>();

  const track = (s: Duplex): void => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };

  const contextFor = (host: string): tls.SecureContext => {
    let ctx = certCache.get(host);
    if (!ctx) {
      ctx = tls.createSecureContext(options.certificateFor(host));
      certCache.set(host, ctx);
    }
    return ctx;
  };

  /** Records one intercepted request and sends it on to the real host. */
  const forward = async (
    client: ProxyClient,
    req: IncomingMessage,
    res: ServerResponse,
    target: { scheme: 'http' | 'https'; host: string; port: number; path: string },
  ): Promise<void> => {
    const started = Date.now();
    const body = await readBody(req, UPSTREAM_TIMEOUT_MS);
    const defaultPort = target.scheme === 'https' ? 443 : 80;
    const hostPart = target.host.includes(':') ? `[${target.host}]` : target.host;
    const url = `${target.scheme}://${hostPart}${target.port === defaultPort ? '' : `:${target.port}`}${target.path}`;
    const record = (status: number, error?: string): void =>
      options.onOutbound({
        client,
        time: new Date(started).toISOString(),
        method: req.method ?? 'GET',
        url,
        host: target.host,
        requestHeaders: flatHeaders(req.headers),
        requestBody: truncate(body.buf.toString('utf8')),
        status,
        ...(error ? { error } : {}),
        durationMs: Date.now() - started,
      });
    const headers = { ...req.headers };
    delete headers['proxy-connection'];
    delete headers['proxy-authorization'];
    const lib = target.scheme === 'https' ? https : http;
    const upstream = lib.request({
      host: target.host,
      port: target.port,
      method: req.method,
      path: target.path,
      headers,
      servername: net.isIP(target.host) ? undefined : target.host,
      timeout: UPSTREAM_TIMEOUT_MS,
    });
    upstream.on('timeout', () => upstream.destroy(new Error(`no answer in ${UPSTREAM_TIMEOUT_MS / 1000} s`)));
    upstream.on('response', (up) => {
      record(up.statusCode ?? 502);
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', (e: NodeJS.ErrnoException) => {
      const why = e.code ?? e.message;
      record(502, why);
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
        res.end(`so-preflight proxy: ${target.host} could not be reached (${why})\n`);
      } else res.destroy();
    });
    upstream.end(body.buf);
  };

  const makeListener = (client: ProxyClient): http.Server => {
    const server = http.createServer((req, res) => {
      // A plain-HTTP request through the proxy: the request line carries an absolute URL.
      let target: URL;
      try {
        target = new URL(req.url ?? '');
      } catch {
        res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('so-preflight proxy: send absolute URLs (this is a forward proxy)\n');
        return;
      }
      const authority = authorityOf(target.host, 80);
      if (!authority || target.protocol !== 'http:') {
        res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('so-preflight proxy: only http:// URLs may be sent without CONNECT\n');
        return;
      }
      if (options.routes.has(`${authority.host}:443`)) {
        // SuperOffice's hosts answer https only; tell the client where to go.
        res.writeHead(301, { location: `https://${target.host}${target.pathname}${target.search}` });
        res.end();
        return;
      }
      if (others[client].size < 20) others[client].add(authority.host);
      void forward(client, req, res, {
        scheme: 'http',
        ...authority,
        path: `${target.pathname}${target.search}`,
      });
    });
    // Intercepted TLS connections are handed to this server as already-decrypted sockets.
    const intercept = http.createServer();
    intercept.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const sock = req.socket as tls.TLSSocket & { preflightTarget?: { host: string; port: number } };
      const t = sock.preflightTarget;
      if (!t) {
        res.writeHead(502);
        res.end();
        return;
      }
      void forward(client, req, res, { scheme: 'https', ...t, path: req.url ?? '/' });
    });

    server.on('connect', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      track(socket);
      (socket as Socket).setTimeout(IDLE_TIMEOUT_MS, () => socket.destroy());
      const authority = authorityOf(req.url ?? '', 443);
      if (!authority) {
        socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
        return;
      }
      const route = options.routes.get(`${authority.host}:${authority.port}`);
      if (route) {
        counts[client]++;
        const up = net.connect(route.port, route.host);
        track(up);
        up.setTimeout(IDLE_TIMEOUT_MS, () => up.destroy());
        up.once('connect', () => {
          socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
          if (head.length) up.write(head);
          up.pipe(socket);
          socket.pipe(up);
        });
        up.once('error', () => socket.end('HTTP/1.1 502 Bad Gateway\r\nconnection: close\r\n\r\n'));
        socket.once('close', () => up.destroy());
        up.once('close', () => socket.destroy());
        return;
      }
      if (others[client].size < 20) others[client].add(authority.host);
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      const secure = new tls.TLSSocket(socket, {
        isServer: true,
        secureContext: contextFor(authority.host),
        SNICallback: (name, cb) => cb(null, contextFor(name.toLowerCase())),
      }) as tls.TLSSocket & { preflightTarget?: { host: string; port: number } };
      secure.preflightTarget = authority;
      track(secure);
      if (head.length) socket.unshift(head);
      intercept.emit('connection', secure);
    });
    server.on('clientError', (_e, socket) => socket.destroy());
    server.on('connection', (s: Socket) => track(s));
    server.headersTimeout = 20_000;
    server.requestTimeout = 30_000;
    return server;
  };

  const appServer = makeListener('app');
  const browserServer = makeListener('browser');
  const [appPort, browserPort] = await Promise.all([
    listen(appServer, bindHost),
    listen(browserServer, bindHost),
  ]);
  const origin = (p: number): string => `http://${bindHost.includes(':') ? `[${bindHost}]` : bindHost}:${p}`;
  let stopped = false;
  return {
    appUrl: origin(appPort),
    browserUrl: origin(browserPort),
    tunnels: (c) => counts[c],
    otherHosts: (c) => [...others[c]],
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const s of sockets) s.destroy();
      await Promise.all(
        [appServer, browserServer].map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeAllConnections();
            }),
        ),
      );
    },
  };
}
