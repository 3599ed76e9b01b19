/**
 * `superoffice.impersonate` end to end: an app that hard-codes https://sod.superoffice.com is
 * checked unchanged and judged; the same app with the proxy taken away, or run on a Node that
 * ignores it, gets one run error line naming the setting, never a verdict on the app.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test, expect } from '@playwright/test';
import { nodeHonoursEnvProxy } from '../../src/target/proxy-hint.ts';
import { validateReport } from '../../src/report/index.ts';
import {
  acmeWebConfig,
  REPO_ROOT,
  cleanScratch,
  explain,
  expectNoStackTrace,
  readReport,
  runCli,
  scratch,
  writeJson,
} from './support.ts';

test.afterEach(cleanScratch);

/** acme-web with SuperOffice's real host written into its setting, as the public samples have it. */
function hardCoded(env: Record<string, string> = {}) {
  return {
    ...acmeWebConfig({}, {}, { SUPEROFFICE_URL: 'https://sod.superoffice.com', ...env }),
    superoffice: { environment: 'sod', tenant: 'Cust12345', impersonate: true },
  };
}

test('an app that hard-codes sod.superoffice.com is signed in and judged through the proxy', async () => {
  test.slow();
  const out = scratch('report');
  const r = await runCli(
    [
      'check',
      '--config',
      writeJson(scratch('preflight.config.json'), hardCoded()),
      '--out',
      out,
      '--rules',
      'AUTH-FEDERATED,API-USE-CLAIM-URLS',
      '--workers',
      '2',
    ],
    { timeoutMs: 240_000 },
  );
  const report = readReport(out);
  expect(validateReport(report).errors).toEqual([]);
  expect(report.runErrors, explain(r)).toEqual([]);
  for (const id of ['AUTH-FEDERATED', 'API-USE-CLAIM-URLS'])
    expect(report.rules.find((rule) => rule.id === id)?.status, `${id}\n${explain(r)}`).toBe('pass');
  expectNoStackTrace(r);
});

/** examples/acme-passport's own config (it hard-codes SuperOffice's host), with extra app env. */
function passport(env: Record<string, string> = {}) {
  const port = 'http://127.0.0.1:${app.port}';
  return {
    app: {
      name: 'Acme Passport',
      vendor: 'Acme AS',
      type: 'web',
      baseURL: port,
      start: {
        command: 'node server.js',
        cwd: join(REPO_ROOT, 'examples', 'acme-passport'),
        env: {
          PORT: '${app.port}',
          PUBLIC_URL: port,
          SUPEROFFICE_CLIENT_ID: '${client.id}',
          SUPEROFFICE_CLIENT_SECRET: '${client.secret}',
          ...env,
        },
        ready: '/healthz',
        timeout: 15_000,
      },
      signIn: { path: '/login' },
      session: { path: '/session', expect: { status: 200 } },
      apiAction: { path: '/contacts' },
      redirectUris: [`${port}/callback`],
      postLogoutRedirectUris: [`${port}/`],
    },
    superoffice: { environment: 'sod', tenant: 'Cust12345', impersonate: true },
  };
}

/** The Debian Node many machines have besides a newer one, when it predates proxy support. */
const OLD_NODE = (() => {
  if (!existsSync('/usr/bin/node')) return undefined;
  const v = spawnSync('/usr/bin/node', ['--version'], { encoding: 'utf8', timeout: 5_000 }).stdout?.trim();
  return v && !nodeHonoursEnvProxy(v) ? v : undefined;
})();

/** A check of AUTH-FEDERATED alone, one worker: all a run error needs to show. */
async function checkAuthFederated(config: unknown) {
  const out = scratch('report');
  const r = await runCli(
    [
      'check',
      '--config',
      writeJson(scratch('preflight.config.json'), config),
      '--out',
      out,
      '--rules',
      'AUTH-FEDERATED',
      '--workers',
      '1',
    ],
    { timeoutMs: 240_000 },
  );
  expect(r.code, explain(r)).toBe(3);
  expect(r.message, explain(r)).toMatch(
    /^so-preflight: incomplete: .*the run itself had 1 error: the app ignores so-preflight's HTTPS proxy: none of its calls to https:\/\/sod\.superoffice\.com arrived/,
  );
  const report = readReport(out);
  expect(report.verdict).toBe('incomplete');
  expect(report.rules.find((rule) => rule.id === 'AUTH-FEDERATED')?.status).toBe('error');
  expectNoStackTrace(r);
  return report;
}

test('acme-passport on a Node that ignores HTTPS_PROXY: exit 3, one line naming that Node', async () => {
  test.skip(!OLD_NODE, 'needs /usr/bin/node older than 22.21 (Debian ships 20)');
  test.slow();
  const report = await checkAuthFederated(passport({ PATH: '/usr/bin:/bin' }));
  expect(report.runErrors).toEqual([
    expect.stringContaining(
      `so it cannot be checked against the emulator; the app runs on Node ${OLD_NODE}, which does not honour HTTPS_PROXY`,
    ),
  ]);
});

test('acme-passport with HTTPS_PROXY taken away: exit 3 and one line saying the app ignores the proxy', async () => {
  test.slow();
  const report = await checkAuthFederated(
    passport({ HTTPS_PROXY: '', https_proxy: '', HTTP_PROXY: '', http_proxy: '' }),
  );
  expect(report.runErrors).toEqual([
    expect.stringContaining('app.start.env sets HTTPS_PROXY and https_proxy to nothing; remove them'),
  ]);
});

test('attach mode does not impersonate: emulator and check --attach refuse such a config in one line', async () => {
  const config = writeJson(scratch('preflight.config.json'), hardCoded());
  const emulator = await runCli(['emulator', '--config', config], { timeoutMs: 30_000 });
  expect(emulator.code, explain(emulator)).toBe(2);
  expect(emulator.message).toMatch(
    /^so-preflight: .*preflight\.config\.json has superoffice\.impersonate: the standalone emulator answers on loopback URLs/,
  );
  const attach = await runCli(['check', '--config', config, '--attach'], { timeoutMs: 30_000 });
  expect(attach.code, explain(attach)).toBe(2);
  expect(attach.message).toMatch(/^so-preflight: --attach cannot stand in for SuperOffice's hosts/);
  expectNoStackTrace(emulator);
  expectNoStackTrace(attach);
});

test('SECRET-PER-ENV under impersonation: an app given ${superid.url} is checked in Online too; a hard-coded one is not run, with the reason', async () => {
  test.slow();
  const configurable = {
    ...acmeWebConfig(),
    superoffice: { environment: 'sod', tenant: 'Cust12345', impersonate: true },
  };
  const out = scratch('report-env');
  const r = await runCli(
    [
      'check',
      '--config',
      writeJson(scratch('env.config.json'), configurable),
      '--out',
      out,
      '--rules',
      'SECRET-PER-ENV',
    ],
    { timeoutMs: 240_000 },
  );
  const rule = readReport(out).rules.find((x) => x.id === 'SECRET-PER-ENV');
  expect(rule?.status, explain(r)).toBe('pass');
  expect(rule?.checks[0]?.message).toContain("started again with Online's SuperID URL");
  const out2 = scratch('report-hard');
  const r2 = await runCli(
    [
      'check',
      '--config',
      writeJson(scratch('hard.config.json'), hardCoded()),
      '--out',
      out2,
      '--rules',
      'SECRET-PER-ENV',
    ],
    { timeoutMs: 240_000 },
  );
  const hard = readReport(out2).rules.find((x) => x.id === 'SECRET-PER-ENV');
  expect(hard?.status, explain(r2)).toBe('not-run');
  expect(hard?.checks[0]?.message).toContain('gives the app no ${superid.url}');
});
