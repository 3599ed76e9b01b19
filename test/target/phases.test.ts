/**
 * The run's two phases as Playwright projects (src/target/phases.ts): which project a test lands
 * in, by its tags, with and without a `--rules` selection. Playwright matches a project's grep
 * against the test's titles followed by its tags, as here.
 */
import { test, expect } from '@playwright/test';
import {
  GLOBAL_PHASE,
  GLOBAL_TAG,
  SHARED_PHASE,
  defaultWorkers,
  ownTenantsFor,
  phaseProjects,
  rulesPattern,
} from '../../src/target/phases.ts';

const asGrepped = (title: string, tags: string[]) => `tokens/x.spec.ts ${title} ${tags.join(' ')}`;

/** The projects that would run a test with these tags. */
function phasesOf(projects: ReturnType<typeof phaseProjects>, tags: string[]): string[] {
  const line = asGrepped('a check', tags);
  const match = (g: unknown) => (g === undefined ? true : [g].flat().some((r) => (r as RegExp).test(line)));
  return projects
    .filter((p) => match(p.grep) && !(p.grepInvert !== undefined && match(p.grepInvert)))
    .map((p) => p.name);
}

test('every test runs in exactly one phase: global-state checks last, alone, after the shared phase', () => {
  const projects = phaseProjects(undefined, false);
  expect(projects.map((p) => p.name)).toEqual([SHARED_PHASE, GLOBAL_PHASE]);
  const [shared, global] = projects;
  // The global phase is the shared one's teardown: it runs after it, even when a shared test failed.
  expect(shared!.teardown).toBe(GLOBAL_PHASE);
  expect(Object.keys(shared!)).not.toContain('dependencies');
  expect(global!.workers).toBe(1);
  expect(phasesOf(projects, ['@TOKEN-SIGNATURE'])).toEqual([SHARED_PHASE]);
  expect(phasesOf(projects, ['@TOKEN-SIGNATURE', GLOBAL_TAG])).toEqual([GLOBAL_PHASE]);
  expect(phasesOf(projects, [GLOBAL_TAG, '@STATUS-CHECK-BEFORE-ACTION'])).toEqual([GLOBAL_PHASE]);
  // A tag that merely starts like the global one is not it.
  expect(phasesOf(projects, ['@global-state-ish'])).toEqual([SHARED_PHASE]);
});

test('a --rules selection picks tests within each phase, by whole rule tags', () => {
  const projects = phaseProjects(['TOKEN-SIGNATURE', 'STATUS-HANDLE-421'], false);
  expect(phasesOf(projects, ['@TOKEN-SIGNATURE'])).toEqual([SHARED_PHASE]);
  expect(phasesOf(projects, ['@TOKEN-SIGNATURE', GLOBAL_TAG])).toEqual([GLOBAL_PHASE]);
  expect(phasesOf(projects, [GLOBAL_TAG, '@STATUS-HANDLE-421'])).toEqual([GLOBAL_PHASE]);
  // Not selected: in no phase, whether global or not.
  expect(phasesOf(projects, ['@TOKEN-ISSUER'])).toEqual([]);
  expect(phasesOf(projects, ['@TOKEN-ISSUER', GLOBAL_TAG])).toEqual([]);
  expect(phasesOf(projects, ['@TOKEN-SIGNATURE-EXTRA'])).toEqual([]);
  // The global tag before or after the rule tag.
  expect(phasesOf(projects, [GLOBAL_TAG, '@TOKEN-SIGNATURE'])).toEqual([GLOBAL_PHASE]);
});

test('a sharded run keeps one unnamed project; the selection goes on the command line', () => {
  const projects = phaseProjects(['TOKEN-SIGNATURE'], true);
  expect(projects).toEqual([{ name: '' }]);
  const grep = new RegExp(rulesPattern(['TOKEN-SIGNATURE', 'LANG-1.2']));
  expect(grep.test(asGrepped('x', ['@TOKEN-SIGNATURE']))).toBe(true);
  expect(grep.test(asGrepped('x', ['@LANG-1.2']))).toBe(true);
  expect(grep.test(asGrepped('x', ['@LANG-1x2']))).toBe(false);
  expect(grep.test(asGrepped('x', ['@TOKEN-SIGNATURES']))).toBe(false);
});

test('default workers: three from two cores on, one on a single core', () => {
  expect([1, 2, 4, 16].map(defaultWorkers)).toEqual([1, 3, 3, 3]);
});

test('checks that change a tenant get tenants of their own only when the app serves any tenant', () => {
  const app = (a: Record<string, unknown>) =>
    ({ app: { type: 'web', ...a } }) as Parameters<typeof ownTenantsFor>[0];
  // Attached or started without the run's tenant: any tenant may sign in.
  expect(ownTenantsFor(app({}))).toBe(true);
  expect(ownTenantsFor(app({ start: { command: 'node server.ts', env: { PORT: '${app.port}' } } }))).toBe(
    true,
  );
  // Handed the run's tenant, the app may keep to it; a system user works for its one tenant.
  expect(ownTenantsFor(app({ start: { command: 'node server.ts', env: { TENANT: '${tenant.id}' } } }))).toBe(
    false,
  );
  expect(ownTenantsFor(app({ start: { command: 'flask run --tenant ${tenant.id}' } }))).toBe(false);
  expect(ownTenantsFor(app({ type: 'server-to-server' }))).toBe(false);
});
