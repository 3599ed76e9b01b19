/**
 * SuperID's key rollover as apps cache keys: a JWKS client refetches on an unknown kid at most
 * once per cooldown (jose's default 30 s, often left as it is). The rollover check signs in again
 * after each likely cooldown since the app's last fetch, shortest first, so an app with a short
 * cooldown is judged in seconds and one with jose's default after waiting it out; neither is
 * taken for an app that pins its keys.
 */
import { test, expect } from '@playwright/test';
import { join } from 'node:path';
import {
  acmeWebConfig,
  cleanScratch,
  explain,
  readReport,
  readResults,
  runCli,
  scratch,
  statuses,
  writeJson,
} from './support.ts';

test.afterEach(() => cleanScratch());

test("an app that keeps jose's default JWKS refetch cooldown (30 s) passes TOKEN-JWKS-REFRESH once it has passed", async () => {
  test.setTimeout(240_000);
  const dir = scratch();
  const config = writeJson(
    join(dir, 'preflight.config.json'),
    acmeWebConfig({}, {}, { JWKS_COOLDOWN_MS: '30000' }),
  );
  const out = join(dir, 'report');
  const r = await runCli(['check', '--config', config, '--out', out, '--rules', 'TOKEN-JWKS-REFRESH'], {
    timeoutMs: 230_000,
  });
  expect(r.code, explain(r)).toBe(0);
  expect(statuses(readReport(out))['TOKEN-JWKS-REFRESH']).toBe('pass');
  const rollover = readResults(out)
    .flatMap((record) => record.findings)
    .find((f) => f.check === 'accepts-rotated-key');
  expect(rollover?.status).toBe('pass');
  // Accepted only after the 30 s: the shorter waits before it found the key not yet refetched.
  const waited = Number(/after waiting (\d+) s since its last JWKS fetch/.exec(rollover?.message ?? '')?.[1]);
  expect(waited, rollover?.message).toBeGreaterThanOrEqual(30);
  expect(waited, rollover?.message).toBeLessThan(45);
});
