/**
 * Tenant state-change notifications (SuperOffice's state-change webhook): forged ones must be refused and not acted
 * on; genuine Suspend/Resume must stop and restore calls to the tenant. Judged from the NetServer
 * traffic of the app's API action after each notification.
 */
import { tenantChangeTags, test } from '../../fixtures/index.ts';
import type { FlowSession, Preflight } from '../../fixtures/index.ts';
import { loadRunConfig } from '../../fixtures/harness.ts';
import { signedIn, signedInToChange, runJob, cannotJudge as error } from '../../fixtures/jobs.ts';
import { needsConfig } from '../../src/judge/index.ts';

test.skip(({ harness }) => harness.config.app.type === 'native', 'native apps have no state-change URL');
test.describe.configure({ mode: 'serial' });

async function post(
  preflight: Preflight,
  session: FlowSession,
  body: Record<string, unknown>,
): Promise<number | undefined> {
  const url = preflight.config.app.stateChangeUrl;
  if (!url) return undefined;
  const res = await session.context.request
    .post(url, { data: body, timeout: 10_000, failOnStatusCode: false })
    .catch(() => undefined);
  return res?.status();
}

/** The API calls the app made for the check's tenant while it did its API action. */
async function apiCallsOfJob(preflight: Preflight, session: FlowSession): Promise<number> {
  const mark = preflight.emulator.recorder.lastSeq();
  await runJob(preflight, session);
  return (await preflight.changedTenantTraffic(session, mark)).filter(
    (e) => e.origin === 'tenant' && e.endpoint === 'api',
  ).length;
}

/** A notification about the check's tenant (its own, or the run's). */
const notification = (
  preflight: Preflight,
  o: Parameters<Preflight['emulator']['stateChangeNotification']>[0],
) => preflight.emulator.stateChangeNotification({ ...o, tenant: preflight.changedTenant });

/**
 * Signed in on a tenant of the check's own, where the app's API action calls that tenant (else
 * on the run's tenant, alone): a notification about it must not reach other checks' tenant.
 */
const signedInForNotifications = (preflight: Preflight) =>
  signedInToChange(preflight, {}, undefined, {
    onRunTenant: signedIn,
    serves: async (session) =>
      (await apiCallsOfJob(preflight, session)) > 0 ? undefined : `the app's API action made no call to it`,
  });

// On a tenant of each check's own when the app serves any tenant (fixtures/index.ts).
test.describe('tenant state-change notifications', { tag: tenantChangeTags(await loadRunConfig()) }, () => {
  test(
    'Rejects forged state-change notifications',
    { tag: ['@TOKEN-WEBHOOK-VALIDATE', '@TOKEN-VALIDATE-ALL'] },
    async ({ preflight }) => {
      const rule = 'TOKEN-WEBHOOK-VALIDATE';
      const title0 = 'Forged notifications are refused';
      if (!preflight.config.app.stateChangeUrl) {
        // The missing URL itself is STATUS-WEBHOOK's finding; here there is nothing to attack.
        const judged = needsConfig(
          'app.stateChangeUrl',
          'the URL SuperOffice posts tenant state changes to; STATUS-WEBHOOK reports it missing',
        );
        return preflight.finding({ rule, check: 'forged-suspend', title: title0, ...judged });
      }
      const session = await signedInForNotifications(preflight);
      if (typeof session === 'string') return error(preflight, rule, 'forged-suspend', title0, session);
      if ((await apiCallsOfJob(preflight, session)) === 0) {
        return error(
          preflight,
          rule,
          'forged-suspend',
          title0,
          `the app's API action (${preflight.apiActionLabel}) made no API call, so acting on a notification cannot be seen`,
        );
      }
      const forgeries = [
        'bad-signature',
        'wrong-issuer',
        'wrong-audience',
        'expired',
        'alg-none',
        'unknown-key',
      ] as const;
      for (const forge of forgeries) {
        const title = `A Suspend notification whose token has ${forge.replace('-', ' ')} is refused and not acted on`;
        const body = await notification(preflight, { changeType: 2, forge });
        const status = await post(preflight, session, body);
        const calls = await apiCallsOfJob(preflight, session);
        const acted = calls === 0;
        const refused = status !== undefined && status >= 400 && status < 500;
        await preflight.finding({
          rule,
          check: `forged-${forge}`,
          title,
          status:
            refused && !acted ? 'pass' : acted || (status !== undefined && status < 300) ? 'fail' : 'warn',
          message:
            refused && !acted
              ? `answered HTTP ${status} and kept working`
              : acted
                ? `the app acted on a forged Suspend (HTTP ${status ?? 'no answer'}): it stopped calling the tenant; validate the notification token first`
                : `HTTP ${status ?? 'no answer'} (expected 4xx), but the app kept working`,
        });
        await preflight.finding({
          rule: 'TOKEN-VALIDATE-ALL',
          check: `webhook-${forge}`,
          title,
          status: acted ? 'fail' : 'pass',
          message: acted ? `acted on a forged notification; see ${rule}` : 'not acted on',
        });
        if (acted) await post(preflight, session, await notification(preflight, { changeType: 3 }));
      }
    },
  );

  test('Acts on genuine state-change notifications', { tag: ['@STATUS-WEBHOOK'] }, async ({ preflight }) => {
    const rule = 'STATUS-WEBHOOK';
    const title = 'A genuine Suspend stops calls to the tenant and a Resume restores them';
    if (!preflight.config.app.stateChangeUrl) {
      await preflight.finding({
        rule,
        check: 'suspend-resume',
        title,
        status: 'fail',
        message:
          'no app.stateChangeUrl: standard apps must register a State Change URL and act on its notifications',
      });
      return;
    }
    const session = await signedInForNotifications(preflight);
    if (typeof session === 'string') return error(preflight, rule, 'suspend-resume', title, session);
    const before = await apiCallsOfJob(preflight, session);
    if (before === 0)
      return error(
        preflight,
        rule,
        'suspend-resume',
        title,
        'the job made no API call before the notification',
      );
    const s1 = await post(preflight, session, await notification(preflight, { changeType: 2 }));
    const whileSuspended = await apiCallsOfJob(preflight, session);
    const s2 = await post(preflight, session, await notification(preflight, { changeType: 3 }));
    const afterResume = await apiCallsOfJob(preflight, session);
    const ok =
      s1 !== undefined && s1 < 300 && whileSuspended === 0 && s2 !== undefined && s2 < 300 && afterResume > 0;
    await preflight.finding({
      rule,
      check: 'suspend-resume',
      title,
      status: ok ? 'pass' : 'fail',
      message: `Suspend -> HTTP ${s1 ?? 'no answer'}, ${whileSuspended} API call(s) while suspended; Resume -> HTTP ${s2 ?? 'no answer'}, ${afterResume} API call(s) after`,
    });
  });
});
