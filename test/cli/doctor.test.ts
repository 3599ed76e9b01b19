/**
 * `so-preflight doctor`: one line per item (Node, browser, ports, CA trust per runtime, config,
 * the app when the harness does not start it); exit 0 when nothing blocks a check, 2 when the
 * config is the problem, 3 when something else blocks, with one closing line on stderr.
 */
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { test, expect } from '@playwright/test';
import {
  acmeWebConfig,
  cleanScratch,
  explain,
  expectNoStackTrace,
  expectOneLine,
  minimalConfig,
  runCli,
  scratch,
  writeJson,
  type CliResult,
} from './support.ts';

test.afterEach(cleanScratch);

const LINE = /^(ok|FAIL|note) {2,}(\S+) +(.+)$/;

function lines(r: CliResult): Array<{ status: string; topic: string; text: string }> {
  return r.stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const m = LINE.exec(l);
      expect(m, `a doctor line: ${JSON.stringify(l)}\n${explain(r)}`).not.toBeNull();
      return { status: m![1]!, topic: m![2]!, text: m![3]! };
    });
}

function line(r: CliResult, topic: string): { status: string; text: string } {
  const found = lines(r).find((l) => l.topic === topic);
  expect(found, `a "${topic}" line\n${explain(r)}`).toBeDefined();
  return { status: found!.status, text: found!.text };
}

function listen(port = 0, host = '127.0.0.1'): Promise<{ server: Server; port: number }> {
  return new Promise((resolveListen) => {
    const server = createServer().listen(port, host, () => {
      const a = server.address();
      resolveListen({ server, port: typeof a === 'object' && a ? a.port : 0 });
    });
  });
}

test('a ready machine and a valid config: exit 0, one line per item, the browser named with its version', async () => {
  const file = writeJson(scratch('preflight.config.json'), acmeWebConfig());
  const r = await runCli(['doctor', '--config', file], { timeoutMs: 90_000 });
  expect(r.code, explain(r)).toBe(0);
  expect(r.stderr, explain(r)).toBe('');
  const all = lines(r);
  expect(all.map((l) => l.topic)).toEqual([
    'node',
    'browser',
    'ports',
    'ca/node',
    'ca/python',
    'ca/dotnet',
    'ca/java',
    'config',
  ]);
  expect(all.filter((l) => l.status === 'FAIL')).toEqual([]);
  expect(line(r, 'node').text).toContain(`Node ${process.versions.node}`);
  expect(line(r, 'browser').text).toMatch(/(Chromium|Chrome) \d+\.\d+/);
  expect(line(r, 'browser').text).toContain('ran a page script');
  expect(line(r, 'ca/node').text).toContain('NODE_EXTRA_CA_CERTS');
  expect(line(r, 'ca/python').text).toMatch(/REQUESTS_CA_BUNDLE.*SSL_CERT_FILE/);
  expect(line(r, 'ca/dotnet').text).toContain('SSL_CERT_FILE');
  expect(line(r, 'ca/java').text).toContain('javax.net.ssl.trustStore');
  expect(line(r, 'config').text).toContain('is valid: web app "Acme Web"');
  expectNoStackTrace(r);
});

test('an invalid config: exit 2, the config line names the problem and its path', async () => {
  const file = writeJson(
    scratch('preflight.config.json'),
    minimalConfig((app) => (app['type'] = 'desktop')),
  );
  const r = await runCli(['doctor', '--config', file], { timeoutMs: 90_000 });
  expect(r.code, explain(r)).toBe(2);
  const config = line(r, 'config');
  expect(config.status).toBe('FAIL');
  expect(config.text).toContain('→ at app.type');
  expectOneLine(r);
  expect(r.message).toMatch(/^so-preflight: doctor: config blocks a check; fix the FAIL line above/);
  expectNoStackTrace(r);
});

test('no config in the folder: exit 2, the config line says to run init', async () => {
  const cwd = scratch('empty');
  mkdirSync(cwd);
  const r = await runCli(['doctor'], { cwd, timeoutMs: 90_000 });
  expect(r.code, explain(r)).toBe(2);
  expect(line(r, 'config')).toEqual({ status: 'FAIL', text: expect.stringContaining('so-preflight init') });
  expectOneLine(r);
});

test('no usable browser: exit 3, the browser line says what to install', async () => {
  const empty = scratch('no-browsers');
  mkdirSync(empty);
  const file = writeJson(scratch('preflight.config.json'), acmeWebConfig());
  const r = await runCli(['doctor', '--config', file], {
    env: {
      PREFLIGHT_BROWSER_DISCOVERY: 'playwright',
      PLAYWRIGHT_BROWSERS_PATH: empty,
      PREFLIGHT_CHROMIUM: undefined,
    },
    timeoutMs: 90_000,
  });
  expect(r.code, explain(r)).toBe(3);
  const browser = line(r, 'browser');
  expect(browser.status).toBe('FAIL');
  expect(browser.text).toContain('no Chromium found (PREFLIGHT_BROWSER_DISCOVERY allows playwright)');
  expect(browser.text).toContain('npx playwright install chromium');
  expect(line(r, 'config').status).toBe('ok');
  expectOneLine(r);
  expect(r.message).toMatch(/^so-preflight: doctor: browser blocks a check/);
});

test('a fixed emulator port that is taken: exit 3, the ports line names it', async () => {
  // The emulator listens on another site than the app: 127.0.0.2 on Linux.
  const host = process.platform === 'linux' ? '127.0.0.2' : '127.0.0.1';
  const { server, port } = await listen(0, host);
  try {
    const file = writeJson(scratch('preflight.config.json'), {
      ...acmeWebConfig(),
      harness: { superidPort: port, tenantPort: port + 1 },
    });
    const r = await runCli(['doctor', '--config', file], { timeoutMs: 90_000 });
    expect(r.code, explain(r)).toBe(3);
    const ports = line(r, 'ports');
    expect(ports.status).toBe('FAIL');
    expect(ports.text).toContain(`${host}:${port} (harness.superidPort: in use)`);
    expectOneLine(r);
  } finally {
    server.close();
  }
});

test('an app the harness does not start and that does not answer: exit 3, the app line says so', async () => {
  const { server, port } = await listen();
  await new Promise((done) => server.close(done));
  const file = writeJson(
    scratch('preflight.config.json'),
    minimalConfig((app) => {
      app['baseURL'] = `http://127.0.0.1:${port}`;
      app['redirectUris'] = [`http://127.0.0.1:${port}/callback`];
    }),
  );
  const r = await runCli(['doctor', '--config', file], { timeoutMs: 90_000 });
  expect(r.code, explain(r)).toBe(3);
  expect(line(r, 'app')).toEqual({ status: 'FAIL', text: expect.stringContaining('does not answer') });
  // The app is the partner's to start, so the CA notes say where the CA file comes from.
  expect(line(r, 'ca/node').text).toContain('so-preflight emulator');
  expectOneLine(r);
});

test('a start.env that points a CA variable elsewhere gets a note', async () => {
  const file = writeJson(
    scratch('preflight.config.json'),
    acmeWebConfig({}, {}, { REQUESTS_CA_BUNDLE: '/etc/ssl/certs/ca-certificates.crt' }),
  );
  const r = await runCli(['doctor', '--config', file], { timeoutMs: 90_000 });
  expect(r.code, explain(r)).toBe(0);
  const notes = lines(r).filter((l) => l.topic === 'ca');
  expect(notes).toHaveLength(1);
  expect(notes[0]!.text).toContain('REQUESTS_CA_BUNDLE');
});

test('impersonation: a proxy line says how the app reaches SuperOffice, and FAIL when it cannot', async () => {
  const impersonated = (env: Record<string, string> = {}) => ({
    ...acmeWebConfig({}, {}, { SUPEROFFICE_URL: 'https://sod.superoffice.com', ...env }),
    superoffice: { environment: 'sod', tenant: 'Cust12345', impersonate: true },
  });
  const ok = await runCli(
    ['doctor', '--config', writeJson(scratch('preflight.config.json'), impersonated())],
    {
      timeoutMs: 90_000,
    },
  );
  expect(ok.code, explain(ok)).toBe(0);
  expect(line(ok, 'proxy')).toEqual({
    status: 'note',
    text: expect.stringMatching(
      /^the app reaches the emulated https:\/\/sod\.superoffice\.com through so-preflight's HTTPS proxy/,
    ),
  });

  const cleared = await runCli(
    ['doctor', '--config', writeJson(scratch('cleared.config.json'), impersonated({ HTTPS_PROXY: '' }))],
    { timeoutMs: 90_000 },
  );
  expect(cleared.code, explain(cleared)).toBe(2);
  expect(line(cleared, 'proxy')).toEqual({
    status: 'FAIL',
    text: 'app.start.env sets HTTPS_PROXY to nothing: the app would call the real https://sod.superoffice.com; remove it',
  });
  expectOneLine(cleared);
  expectNoStackTrace(cleared);
});
