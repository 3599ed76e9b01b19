/**
 * SECRET-PER-ENV: each SuperOffice environment (SOD, Stage, Online) has its own SuperID, client
 * id, secret and signing keys, and the app must run in at least two. The check starts a second
 * emulated environment (Online, or SOD when the run is Online) with credentials and keys of its
 * own, starts the app a second time with that environment's values in the config's placeholders,
 * and signs a user in through it. The app must sign the user in there, and neither environment's
 * credentials may reach the other's SuperID.
 */
import { GLOBAL_TAG, test } from '../../fixtures/index.ts';
import type { Preflight } from '../../fixtures/index.ts';
import { harnessFor, loadRunConfig } from '../../fixtures/harness.ts';
import { freePort, loadConfig, startEnvUses } from '../../src/config/load.ts';
import type { ResolvedConfig } from '../../src/config/schema.ts';
import type { EnvironmentSlug, Exchange } from '../../src/emulator/types.ts';
import type { Judgement } from '../../src/judge/index.ts';
import { clientCredentialsOf, judgeSecondEnvironment } from '../../src/judge/index.ts';
import { CONTROL_TOKEN_ENV, startRun } from '../../src/target/run.ts';

const RULE = 'SECRET-PER-ENV';
const TITLE = 'The app runs in a second environment with that environment’s own credentials';

const LABEL: Record<EnvironmentSlug, string> = { sod: 'SOD', qaonline: 'Stage', online: 'Online' };

/** Why the second environment cannot be checked for this run's config, if it cannot. */
function unsupported(config: ResolvedConfig): string | undefined {
  if (config.app.type !== 'web')
    return `a ${config.app.type} app has no browser sign-in to repeat in a second environment; that it is configured per environment (SuperID URL, client id, ${config.app.type === 'native' ? 'no secret' : 'secret, private key'}) is attested`;
  if (!config.app.start)
    return 'the app runs outside so-preflight (no app.start), so it cannot be started a second time with another environment’s configuration; attest that it is configured per environment';
  if (config.superoffice.impersonate && !startEnvUses(config, 'superid.url'))
    return 'app.start.env gives the app no ${superid.url}: it names SuperOffice’s hosts itself, so so-preflight cannot point it at a second environment; pass its SuperID URL as ${superid.url} (https://sod.superoffice.com in this run) to have this checked';
  if (!config.usesAppPort)
    return `app.baseURL (${config.app.baseURL}) has a fixed port, so a second instance cannot run beside the first; use \${app.port} for the port to have this checked`;
  return undefined;
}

/** Who sent which client credentials: the `clientId`s and `secret`s of authorize and token requests. */
function credentialsSeen(exchanges: readonly Exchange[], id: string, secret: string | undefined): string[] {
  const seen = new Set<string>();
  for (const e of exchanges) {
    if (e.endpoint !== 'authorize' && e.endpoint !== 'token') continue;
    const c = clientCredentialsOf(e);
    if (c.clientId === id) seen.add('client id');
    if (secret !== undefined && c.secret === secret) seen.add('client secret');
  }
  return [...seen];
}

/** Why this run's app cannot be checked in a second environment (decided once, at load). */
const notSupported = unsupported(await loadRunConfig());

async function secondEnvironment(preflight: Preflight): Promise<Judgement> {
  const config = preflight.config;
  if (notSupported) return { status: 'not-run', message: `not run: ${notSupported}` };
  const firstSlug = config.superoffice.environment;
  const secondSlug: EnvironmentSlug = firstSlug === 'online' ? 'sod' : 'online';
  const [first, second] = [LABEL[firstSlug], LABEL[secondSlug]];
  const port = await freePort();
  const loaded = await loadConfig(config.configFile, { appPort: port });
  const secondConfig: ResolvedConfig = {
    ...loaded,
    superoffice: { ...loaded.superoffice, environment: secondSlug },
    harness: { ...loaded.harness, superidPort: 0, tenantPort: 0 },
  };
  const a = preflight.emulator;
  await a.sync();
  const since = a.recorder.lastSeq();
  // Both environments' TLS chains to roots the app trusts, as public CAs are in production.
  const run = await startRun(secondConfig, port, { trustAlso: a.caPem });
  const b = run.emulator;
  const observe = () => ({
    first,
    second,
    firstSuperid: a.superidUrl,
    secondSuperid: b.superidUrl,
    redeemed: b.recorder
      .all()
      .filter(
        (e) => e.endpoint === 'token' && e.status === 200 && clientCredentialsOf(e).clientId === b.client.id,
      ).length,
    firstCredentialsAtSecond: credentialsSeen(b.recorder.all(), a.client.id, a.client.secret),
    secondCredentialsAtFirst: credentialsSeen(a.recorder.since(since), b.client.id, b.client.secret),
  });
  try {
    if (run.manifest.startError) {
      await a.sync();
      return judgeSecondEnvironment({ ...observe(), startError: run.manifest.startError });
    }
    const token = run.env[CONTROL_TOKEN_ENV]!;
    const { harness, dispose } = await harnessFor(run.manifest, token, 'env2', secondConfig);
    const other = preflight.sibling(harness);
    try {
      const session = await other.newFlow({ superIdSession: true });
      const signIn = await other.signIn(session);
      const probe = config.app.session ? await other.probe(session) : undefined;
      await a.sync();
      return judgeSecondEnvironment({
        ...observe(),
        signIn: { returned: signIn.outcome === 'returned', detail: signIn.detail },
        signedIn: probe?.signedIn,
      });
    } finally {
      await other.dispose();
      await dispose();
    }
  } finally {
    await run.stop();
  }
}

test.describe('environments', () => {
  test(
    'the app runs in a second environment with its own credentials',
    // Alone when it runs: starting a second emulator (its keys) and app is a burst of CPU that
    // would slow other checks' sign-ins past their bounded waits on a small machine. When it
    // cannot run, it holds nothing up.
    { tag: notSupported ? ['@SECRET-PER-ENV'] : ['@SECRET-PER-ENV', GLOBAL_TAG] },
    async ({ preflight }) => {
      // A second emulator and a second app process start and stop inside this check.
      test.slow();
      await preflight.finding({
        rule: RULE,
        check: 'second-environment',
        title: TITLE,
        ...(await secondEnvironment(preflight)),
      });
    },
  );
});
