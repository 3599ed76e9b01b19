/**
 * An app the harness cannot start: the run ends incomplete (exit 3), readiness.json says why as a
 * run error, and the one line the CLI prints names the problem with the app's last output lines.
 */
import { test, expect } from '@playwright/test';
import { validateReport } from '../../src/report/index.ts';
import {
  cleanScratch,
  scratch,
  runCli,
  explain,
  expectNoStackTrace,
  readReport,
  writeJson,
} from './support.ts';

test.afterEach(cleanScratch);

function brokenApp(start: Record<string, unknown>): Record<string, unknown> {
  return {
    app: {
      name: 'Broken App',
      type: 'web',
      baseURL: 'http://127.0.0.1:${app.port}',
      start: { env: { PORT: '${app.port}' }, ready: '/healthz', ...start },
      signIn: { path: '/login' },
      session: { path: '/session', expect: { status: 200 } },
      redirectUris: ['http://127.0.0.1:${app.port}/callback'],
    },
  };
}

async function checkBroken(start: Record<string, unknown>) {
  const config = writeJson(scratch('preflight.config.json'), brokenApp(start));
  const out = scratch('report');
  const r = await runCli(['check', '--config', config, '--out', out, '--rules', 'AUTH-SCOPE-OPENID'], {
    timeoutMs: 120_000,
  });
  return { r, out };
}

test('an app whose start command exits at once: exit 3, incomplete, the exit code and its last output named', async () => {
  test.slow();
  const { r, out } = await checkBroken({
    command: `node -e "console.log('booting acme'); console.error('fatal: DATABASE_URL is not set'); process.exit(4)"`,
  });
  expect(r.code, explain(r)).toBe(3);
  expect(r.message, explain(r)).toMatch(
    /^so-preflight: incomplete: partial run: only the rules selected with --rules \(1 rule\) were judged; the run itself had 1 error: the app exited with code 4 before http:\/\/127\.0\.0\.1:(?:\d+|<port>)\/healthz answered; the app said: fatal: DATABASE_URL is not set; fix the run problem and check again$/,
  );
  const report = readReport(out);
  expect(validateReport(report).errors).toEqual([]);
  expect(report.verdict).toBe('incomplete');
  expect(report.runErrors).toHaveLength(1);
  expect(report.runErrors[0]).toContain('the app exited with code 4');
  expect(report.runErrors[0]).toContain('fatal: DATABASE_URL is not set');
  expect(report.rules.find((rule) => rule.id === 'AUTH-SCOPE-OPENID')?.status).toBe('error');
  expectNoStackTrace(r);
});

test('an app that never gets ready: exit 3 after its start timeout, incomplete, the wait and its output named', async () => {
  test.slow();
  const { r, out } = await checkBroken({
    command: 'echo starting up; echo still warming caches; sleep 60',
    timeout: 2000,
  });
  expect(r.code, explain(r)).toBe(3);
  expect(r.message, explain(r)).toMatch(
    /^so-preflight: incomplete: partial run: only the rules selected with --rules \(1 rule\) were judged; the run itself had 1 error: the app did not answer http:\/\/127\.0\.0\.1:(?:\d+|<port>)\/healthz within 2 s; the app said: still warming caches; fix the run problem and check again$/,
  );
  const report = readReport(out);
  expect(report.verdict).toBe('incomplete');
  expect(report.runErrors.join('\n')).toContain('within 2 s');
  expect(report.rules.find((rule) => rule.id === 'AUTH-SCOPE-OPENID')?.status).toBe('error');
  // The app was stopped: the 60 s sleep did not hold the run up.
  expect(r.durationMs, explain(r)).toBeLessThan(60_000);
  expectNoStackTrace(r);
});
