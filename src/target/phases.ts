/**
 * How a check run's tests are scheduled: in two phases, as Playwright projects.
 *
 * - `shared`: every test that leaves what other flows see alone, on all workers at once;
 * - `global-state`: the tests tagged {@link GLOBAL_TAG} (signing keys, global faults, tenant state,
 *   consent), one at a time on one worker, after the shared phase has ended. The global phase is
 *   the shared one's teardown project, so it runs even when a shared test failed or timed out.
 *
 * The run lock (fixtures/preflight.ts `RunLock`) still guards every test, so exclusivity never
 * depends on this schedule; the phases only spare shared tests the wait for every exclusive one.
 *
 * A teardown project is never filtered by the command line's `--grep` nor split by `--shard`, so
 * the `--rules` selection goes into each project's own `grep`, and a sharded run keeps one project
 * (its shards' global tests then take the lock in turn, as before).
 */

import type { ResolvedConfig } from '../config/schema.ts';

/** A phase as a Playwright project (the fields of Playwright's `Project` it sets). */
export interface PhaseProject {
  name: string;
  grep?: RegExp;
  grepInvert?: RegExp;
  /** The project that runs once this one has ended, whatever its outcome. */
  teardown?: string;
  workers?: number;
}

/**
 * Tag of checks that change what every flow sees (keys, global faults, tenant state, consent):
 * they run alone, while no other check runs.
 */
export const GLOBAL_TAG = '@global-state';

/**
 * Tag of checks that change a tenant (its state, host or consent) on a tenant of their own,
 * running beside the other checks in the shared phase (see {@link ownTenantsFor}).
 */
export const OWN_TENANT_TAG = '@own-tenant';

/**
 * Type of the annotations in which a check says how the harness ran it when that differs from
 * its tags (a check of a tenant of its own that went back to the run's tenant, alone); the
 * reporter writes them into the check's record in `results.json` (`notes`).
 */
export const NOTE_ANNOTATION = 'so-preflight';

/**
 * Whether a check that changes a tenant may do it on a tenant of its own, which the emulator makes
 * for it: the app must serve whichever tenant signs in. Not so for a server-to-server app (its
 * system user works for the tenant it was set up for), nor for an app whose start hands it the
 * run's tenant (`${tenant.id}` in `app.start`), which may keep to that tenant. Such checks then
 * change the run's tenant in the last phase, alone. An app that keeps to one tenant on its own
 * is found out by the check's sign-in, which then goes back to the run's tenant, alone.
 */
export function ownTenantsFor(config: Pick<ResolvedConfig, 'app'>): boolean {
  if (config.app.type === 'server-to-server') return false;
  return !JSON.stringify(config.app.start ?? {}).includes('${tenant.id}');
}

/** Names of the two phases' projects (they show in Playwright's own output, not in reports). */
export const SHARED_PHASE = 'shared';
export const GLOBAL_PHASE = 'global-state';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A test tagged with one of these rule ids (a whole tag: `@TOKEN` does not match `@TOKEN-X`). */
export function rulesPattern(rules: readonly string[]): string {
  return `@(${rules.map(escape).join('|')})(?![-A-Z0-9.])`;
}

const GLOBAL = `${escape(GLOBAL_TAG)}(?![-\\w])`;

/**
 * The projects of a run selecting `rules` (all when undefined). Sharded: one unnamed project, the
 * selection given on the command line as now.
 */
export function phaseProjects(rules: readonly string[] | undefined, sharded: boolean): PhaseProject[] {
  if (sharded) return [{ name: '' }];
  const selected = rules ? rulesPattern(rules) : '';
  return [
    {
      name: SHARED_PHASE,
      grep: new RegExp(selected),
      grepInvert: new RegExp(GLOBAL),
      teardown: GLOBAL_PHASE,
    },
    {
      name: GLOBAL_PHASE,
      grep: new RegExp(`^(?=[^]*${GLOBAL})${selected ? `(?=[^]*${selected})` : ''}`),
      workers: 1,
    },
  ];
}

/**
 * The default number of Playwright workers (`--workers` overrides it): three on two cores or
 * more, one on a single core. Measured on two cores with the compliant acme-web, a full check took
 * 75–81 s with three workers in six runs of eight, against 86–95 s with two (the shared phase
 * waits on the app, SuperID and quiet periods more than on the CPU), and 82 s with four. The other
 * two runs took 100 s: the key-rotation check met the app's JWKS refetch cooldown, started by a
 * forged token with an unknown kid in a check running beside it, and waited it out. Those forged
 * tokens now go in the last batch (suites/tokens/id-token.spec.ts); three runs since: 80.0, 80.1
 * and 82.6 s.
 */
export function defaultWorkers(cores: number): number {
  return cores >= 2 ? 3 : 1;
}
