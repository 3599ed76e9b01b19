/**
 * The key-rollover check's waits (suites/tokens/rollover.ts): each likely JWKS refetch cooldown
 * since the app's last fetch, shortest first, at once when already past; five minutes more only
 * for an app seen refetching the JWKS, never for one that fetched it once (a pinned key).
 */
import { test, expect } from '@playwright/test';
import { JWKS_COOLDOWNS_MS, THROTTLED_REFRESH_MS, rolloverWait } from '../../suites/tokens/rollover.ts';

const now = 1_000_000;

test('waits for each cooldown since the last JWKS fetch, shortest first, then stops', () => {
  const fetches = [now - 60_000, now - 500];
  const waits = JWKS_COOLDOWNS_MS.map((_, step) => rolloverWait(step, fetches, 1, now));
  expect(waits).toEqual([1_500, 10_500, 30_500, 60_500]);
  expect(rolloverWait(JWKS_COOLDOWNS_MS.length, fetches, 1, now)).toBeUndefined();
});

test('a cooldown already past gives a sign-in at once, not a skipped step', () => {
  const fetches = [now - 45_000];
  expect([0, 1, 2, 3].map((step) => rolloverWait(step, fetches, 1, now))).toEqual([0, 0, 0, 16_000]);
  // No fetch recorded at all (an app checked with --attach that fetched before the run).
  expect([0, 1, 2, 3].map((step) => rolloverWait(step, [], 0, now))).toEqual([0, 0, 0, 0]);
  expect(rolloverWait(4, [], 0, now)).toBeUndefined();
});

test('an app seen refetching gets one more step, for a refresh interval of five minutes', () => {
  const fetches = [now - 90_000, now - 20_000];
  expect(rolloverWait(4, fetches, 2, now)).toBe(THROTTLED_REFRESH_MS - 20_000);
  expect(THROTTLED_REFRESH_MS).toBeGreaterThan(5 * 60_000);
  expect(rolloverWait(5, fetches, 2, now)).toBeUndefined();
  // Fetches SuperID did not answer with keys (an outage) are no evidence of refetching.
  expect(rolloverWait(4, fetches, 1, now)).toBeUndefined();
});
