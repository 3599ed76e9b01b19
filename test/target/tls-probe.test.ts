/**
 * TLS-1.2 against real local HTTPS servers: a modern one passes, one that still accepts TLS 1.0
 * and 1.1 is warned about, one without TLS 1.2 fails, and an origin nobody answers is not run.
 */
import { test, expect } from '@playwright/test';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createEnvironmentPki } from '../../src/emulator/pki.ts';
import { judgeTls } from '../../src/judge/index.ts';
import { probeTls, UNREACHABLE } from '../../src/target/tls-probe.ts';

async function withServer<T>(options: https.ServerOptions, fn: (origin: string) => Promise<T>): Promise<T> {
  const pki = await createEnvironmentPki('sod');
  const server = https.createServer({ key: pki.tlsKeyPem, cert: pki.tlsChainPem, ...options }, (_q, r) =>
    r.end('ok'),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await fn(`https://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

const LEGACY = { minVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' } as const;

test('a server on TLS 1.2 and 1.3 only passes', async () => {
  const judged = await withServer({}, async (origin) =>
    judgeTls([{ origin, results: await probeTls(origin) }], UNREACHABLE),
  );
  expect(judged.status).toBe('pass');
  expect(judged.message).toMatch(
    /^TLS 1\.2 and 1\.3 handshakes succeed with https:\/\/127\.0\.0\.1:\d+; TLS 1\.1 and TLS 1\.0 refused/,
  );
});

test('a server that still accepts TLS 1.0 and 1.1 is warned about, naming both', async () => {
  const judged = await withServer(LEGACY, async (origin) =>
    judgeTls([{ origin, results: await probeTls(origin) }], UNREACHABLE),
  );
  expect(judged.status).toBe('warn');
  expect(judged.message).toMatch(/accepts TLS 1\.1; .* accepts TLS 1\.0: turn TLS 1\.0 and 1\.1 off/);
});

test('a server without TLS 1.2 fails', async () => {
  const judged = await withServer({ ...LEGACY, maxVersion: 'TLSv1.1' }, async (origin) =>
    judgeTls([{ origin, results: await probeTls(origin) }], UNREACHABLE),
  );
  expect(judged.status).toBe('fail');
  expect(judged.message).toMatch(/^no TLS 1\.2 handshake with https:\/\/127\.0\.0\.1:\d+ \(ERR_SSL_/);
});

test('an origin nobody answers is not run, and one unreachable origin does not hide another that fails', async () => {
  // A port that was just free: nothing listens there.
  const closed = await withServer({}, async (origin) => origin);
  const away = { origin: closed, results: await probeTls(closed, 2_000) };
  expect(judgeTls([away], UNREACHABLE)).toEqual({
    status: 'not-run',
    message: expect.stringMatching(
      /^not run: no HTTPS origin of the app could be reached from this machine; not reachable from here: https:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/,
    ),
  });
  const judged = await withServer({ ...LEGACY, maxVersion: 'TLSv1.1' }, async (origin) =>
    judgeTls([away, { origin, results: await probeTls(origin) }], UNREACHABLE),
  );
  expect(judged.status).toBe('fail');
  expect(judged.message).toContain('not reachable from here');
});

test('a version the local TLS stack cannot offer is said to be unprobed, not refused', () => {
  const judged = judgeTls(
    [
      {
        origin: 'https://app.example',
        results: [
          { version: 'TLSv1.2', accepted: true },
          { version: 'TLSv1.3', accepted: false, error: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION' },
          {
            version: 'TLSv1.1',
            accepted: false,
            error: 'ERR_SSL_NO_PROTOCOLS_AVAILABLE',
            unsupportedLocally: true,
          },
          { version: 'TLSv1', accepted: false, error: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION' },
        ],
      },
    ],
    UNREACHABLE,
  );
  expect(judged).toEqual({
    status: 'pass',
    message:
      'TLS 1.2 handshakes succeed with https://app.example; TLS 1.0 refused; TLS 1.1 not probed (the local TLS stack cannot offer it); SSLv2/3 and the SSL Labs grade need an external scan',
  });
  expect(judgeTls([], UNREACHABLE).status).toBe('error');
});
