/**
 * When the key-rollover check signs in again. JWKS clients refetch on an unknown kid at most once
 * per cooldown after a fetch, so after a refused sign-in the check waits for each likely cooldown
 * since the app's last JWKS fetch, shortest first, and signs in again after each (at once when it
 * has already passed: a client that refetches on the token after the one it refused has then seen
 * one). The app is judged to pin its keys only when the last step has passed with no refetch.
 */

/**
 * Cooldowns, each with a second more: a few seconds (apps that set a short one; clients that
 * refetch on the next token, as Microsoft.IdentityModel does on its first refresh request), 10 s,
 * jose's default 30 s, oauth4webapi's (openid-client v6) 60 s.
 */
export const JWKS_COOLDOWNS_MS: readonly number[] = [2_000, 11_000, 31_000, 61_000];

/**
 * One more step for an app seen fetching the JWKS more than once in this run: it does refetch, so
 * it may be one that honours a refresh request at most once per interval (Microsoft.IdentityModel:
 * 5 min after the last, and another check's unknown kid may have used it); it gets that long too.
 */
export const THROTTLED_REFRESH_MS = 301_000;

/**
 * Whether the app gets {@link THROTTLED_REFRESH_MS}: it fetched the JWKS more than once in this
 * run (`answered`: the fetches SuperID answered with keys), so it does refetch.
 */
export function seenRefetching(answered: number): boolean {
  return answered > 1;
}

/** Every step an app may get, for the check's timeout. */
export const ALL_STEPS_MS: readonly number[] = [...JWKS_COOLDOWNS_MS, THROTTLED_REFRESH_MS];

/**
 * How long to wait before the sign-in of step `step` (from 0): `fetches` are the times (ms) of
 * the JWKS fetches recorded in this run, `answered` how many of them SuperID answered with keys.
 * Undefined once the app has had every step it gets.
 */
export function rolloverWait(
  step: number,
  fetches: readonly number[],
  answered: number,
  now: number,
): number | undefined {
  const steps = seenRefetching(answered) ? ALL_STEPS_MS : JWKS_COOLDOWNS_MS;
  const cooldown = steps[step];
  if (cooldown === undefined) return undefined;
  const last = fetches.length ? Math.max(...fetches) : 0;
  return Math.max(0, last + cooldown - now);
}
