/**
 * One emulator and one app per run: an app on a fixed port (how partners run them) gives the same
 * rule results with three workers as with one, and an app whose sign-in goes to another SuperID
 * than the run's is refused with one line naming the URL to configure.
 */
import { test, expect } from '@playwright/test';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import type { ResolvedConfig } from '../../src/config/schema.ts';
import { checkSignInTarget } from '../../src/target/run.ts';
import type { AddressInfo } from 'node:net';
import {
  acmeWebConfig,
  cleanScratch,
  explain,
  expectOneLine,
  readReport,
  readResults,
  runCli,
  scratch,
  statuses,
  writeJson,
} from './support.ts';

test.afterEach(cleanScratch);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Rules from several suites, parallel and exclusive ones, that run in well under a minute. */
const RULES = 'AUTH-SCOPE-OPENID,AUTH-STATE,API-USE-CLAIM-URLS,STATUS-CHECK-BEFORE-ACTION,TOKEN-ISSUER';

/**
 * The run's two phases (src/target/phases.ts): the check that changes the tenant state
 * (STATUS-CHECK-BEFORE-ACTION, `@global-state`) starts only once every shared check has ended.
 */
function expectGlobalPhaseLast(out: string): void {
  const records = readResults(out);
  const span = (r: (typeof records)[number]) => ({
    start: Date.parse(r.startedAt!),
    end: Date.parse(r.startedAt!) + r.durationMs,
  });
  // The checks that ran (a skipped one has no start time).
  const ran = records.filter((r) => r.startedAt !== undefined);
  const global = ran.filter((r) => r.ruleIds.includes('STATUS-CHECK-BEFORE-ACTION'));
  const shared = ran.filter((r) => !r.ruleIds.includes('STATUS-CHECK-BEFORE-ACTION'));
  expect(global.length).toBeGreaterThan(0);
  expect(shared.length).toBeGreaterThan(1);
  // Reports name tests by file and title, without the phase they ran in.
  for (const r of records) expect(r.test).toMatch(/^[a-z-]+\/[a-z-]+\.spec\.ts › /);
  const sharedEnd = Math.max(...shared.map((r) => span(r).end));
  for (const r of global) expect(span(r).start, r.test).toBeGreaterThanOrEqual(sharedEnd);
}

test('a fixed-port app: --workers 3 gives the same rule results as --workers 1', async () => {
  test.setTimeout(300_000);
  const port = await freePort();
  const fixed = (config: Record<string, unknown>) =>
    JSON.parse(JSON.stringify(config).replaceAll('${app.port}', String(port))) as Record<string, unknown>;
  const config = writeJson(scratch('preflight.config.json'), fixed(acmeWebConfig()));
  const results: Array<Record<string, string>> = [];
  for (const workers of ['1', '3']) {
    const out = scratch(`report-${workers}`);
    const r = await runCli(
      ['check', '--config', config, '--out', out, '--rules', RULES, '--workers', workers],
      {
        timeoutMs: 240_000,
      },
    );
    expect(r.code, explain(r)).toBe(0);
    const report = readReport(out);
    expect(report.app.baseURL).toBe(`http://127.0.0.1:${port}`);
    results.push(statuses(report));
    expectGlobalPhaseLast(out);
  }
  expect(results[1]).toEqual(results[0]);
  for (const id of RULES.split(',')) expect(results[0]![id], id).toBe('pass');
});

test('checks that change a tenant: on tenants of their own beside the others, or on the run tenant alone when the app keeps to it', async () => {
  test.setTimeout(300_000);
  const changing = [
    'STATUS-CHECK-BEFORE-ACTION',
    'STATUS-HANDLE-421',
    'STATUS-NO-HARDCODED-URL',
    'AUTH-CONSENT-FLOW',
    'AUTH-ADMIN-ONLY-CONSENT',
    'ERR-ACCESS-LOST',
    'STATUS-WEBHOOK',
    'TOKEN-WEBHOOK-VALIDATE',
    'PROV-AUTOMATIC',
    'PROV-UNINSTALL',
  ];
  const rules = [...changing, 'API-USE-CLAIM-URLS'].join(',');
  // Not handed the run's tenant: any tenant may sign in. Set up for Cust12345 by hand (nothing
  // the harness could see): the app refuses the check's own tenant, and the check goes back to
  // the run's tenant, alone; the verdict is the same.
  for (const tenant of ['', 'Cust12345']) {
    const config = writeJson(
      scratch(`tenant-${tenant || 'any'}.config.json`),
      acmeWebConfig(
        {
          stateChangeUrl: 'http://127.0.0.1:${app.port}/webhook',
          provisioning: {
            install: { path: '/install' },
            webPanels: ['acme-web.contacts'],
            uninstall: { path: '/admin/uninstall', click: 'role=button[name="Uninstall Acme Web"]' },
          },
        },
        {},
        { SUPEROFFICE_TENANT: tenant, PANEL_FRAME_ANCESTORS: '${tenant.origin}' },
      ),
    );
    const out = scratch(`report-${tenant || 'any'}`);
    const r = await runCli(['check', '--config', config, '--out', out, '--rules', rules], {
      timeoutMs: 240_000,
    });
    expect(r.code, explain(r)).toBe(0);
    const results = statuses(readReport(out));
    for (const id of rules.split(',')) expect(results[id], `${id} (tenant "${tenant}")`).toBe('pass');
    // No `${tenant.id}` in the app's start: these checks ran in the shared phase (tenant state
    // and host, consent given, relied on by a normal user, declined, revoked, state-change
    // notifications genuine and forged, install and uninstall).
    const records = readResults(out).filter((x) => x.ruleIds.some((id) => changing.includes(id)));
    expect(records.length).toBe(9);
    for (const x of records) expect(x.phase, x.test).toBe('shared');
    // The record says when the check went back to the run's tenant, and so does the output.
    for (const x of records)
      if (tenant) expect(x.notes?.join(' '), x.test).toMatch(/^checked on the run's tenant, alone: /);
      else expect(x.notes, x.test).toBeUndefined();
    if (tenant) expect(r.stdout).toMatch(/^ {2}note .+: checked on the run's tenant, alone: /m);
    else expect(r.stdout).not.toMatch(/^ {2}note /m);
  }
});

test("an app whose sign-in goes to another SuperID: exit 3, one line naming the run's SuperID", async () => {
  test.setTimeout(120_000);
  const config = writeJson(
    scratch('preflight.config.json'),
    acmeWebConfig({}, {}, { SUPEROFFICE_URL: 'https://sod.superoffice.com' }),
  );
  const out = scratch('report');
  const r = await runCli(['check', '--config', config, '--out', out, '--rules', 'AUTH-SCOPE-OPENID'], {
    timeoutMs: 100_000,
  });
  expect(r.code, explain(r)).toBe(3);
  expectOneLine(r);
  expect(r.message).toMatch(
    /the app's sign-in answered HTTP 5\d\d without contacting this run's SuperID https:\/\/127\.0\.0\.\d:\d+: give the app \$\{superid\.url\} as its SuperOffice URL/,
  );
});

test('checkSignInTarget: a sign-in that redirects to another SuperID is named with the expected URL', async () => {
  const server = createHttpServer((_req, res) => {
    res.writeHead(302, { location: 'https://sod.superoffice.com/login/common/oauth/authorize?client_id=x' });
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  try {
    const config = { app: { type: 'web', baseURL: `http://127.0.0.1:${port}`, signIn: { path: '/login' } } };
    const why = await checkSignInTarget(config as unknown as ResolvedConfig, 'https://127.0.0.2:4443');
    expect(why).toBe(
      "the app's sign-in sends the browser to https://sod.superoffice.com, not to this run's SuperID https://127.0.0.2:4443: give the app ${superid.url} as its SuperOffice URL",
    );
    expect(
      await checkSignInTarget(config as unknown as ResolvedConfig, 'https://sod.superoffice.com'),
    ).toBeUndefined();
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('an app that crashes mid-run: later checks report the crash as a run error, exit 3', async () => {
  test.setTimeout(300_000);
  // The app serves for a while, then dies the way a crash does (killed, not shut down).
  const config = writeJson(
    scratch('preflight.config.json'),
    acmeWebConfig({}, { command: 'node server.ts & app=$!; sleep 8; kill -9 $app; wait $app' }),
  );
  const out = scratch('report');
  const rules = 'AUTH-SCOPE-OPENID,AUTH-STATE,API-USE-CLAIM-URLS,API-TOKEN-REFRESH,ERR-THROTTLE-UX';
  const r = await runCli(['check', '--config', config, '--out', out, '--workers', '1', '--rules', rules], {
    timeoutMs: 280_000,
  });
  expect(r.code, explain(r)).toBe(3);
  const report = readReport(out);
  expect(report.verdict).toBe('incomplete');
  expect(report.runErrors.join('\n')).toMatch(/the app exited with code/);
});
