/**
 * API-WEBHOOKS-NOT-POLLING, the webhook half: once an administrator has signed in (installed the
 * app), the webhooks it registered (`POST v1/Webhook`) are asked for; a user then changes a
 * company (or person) the webhooks subscribe to, SuperOffice delivers the event, and the receiver
 * must answer 2xx and fetch the changed record through the API. Whether the app polls instead is
 * judged from what its journeys send (suites/journeys).
 */
import { aloneForSystemUser, test } from '../../fixtures/index.ts';
import { signedIn } from '../../fixtures/jobs.ts';
import { customerPersonId, SEEDED_COMPANIES } from '../../src/emulator/netserver/data.ts';
import { fetchOf, judgeWebhookReceiver } from '../../src/judge/index.ts';
import { waitFor } from '../../fixtures/preflight.ts';
import { loadRunConfig } from '../../fixtures/harness.ts';

const CHECK = {
  rule: 'API-WEBHOOKS-NOT-POLLING',
  check: 'webhook-receiver',
  title: 'A delivered webhook event is answered and the changed record fetched through the API',
};
/** The changes the harness can make, in the order it prefers them. */
const EVENTS = ['contact.changed', 'contact.created', 'person.changed', 'person.created'] as const;
/** How long the receiver has to fetch the changed record after the delivery. */
const FETCH_WAIT_MS = 10_000;

/** A server-to-server app fetches the record as its system user. */
const alone = aloneForSystemUser(await loadRunConfig());

test.describe('webhooks', () => {
  test(
    'Registered webhooks: a delivered change is answered and fetched',
    { tag: ['@API-WEBHOOKS-NOT-POLLING', ...alone] },
    async ({ preflight }) => {
      if (preflight.config.app.type === 'native') {
        await preflight.finding({
          ...CHECK,
          status: 'not-run',
          message:
            'not run: a native app has no server for SuperOffice to deliver webhook events to; how it learns of changes is attested',
        });
        return;
      }
      const session = await signedIn(preflight, { user: 'admin' });
      if (typeof session === 'string') {
        await preflight.finding({ ...CHECK, status: 'error', message: `cannot judge: ${session}` });
        return;
      }
      await preflight.settle(session.page, session.flow);
      const hooks = (await preflight.emulator.webhooks()).filter((h) => h.State === 'Active');
      if (hooks.length === 0) {
        await preflight.finding({
          ...CHECK,
          status: 'not-run',
          message:
            'not run: the app had registered no active webhook (POST v1/Webhook) once an administrator had signed in, so there was no receiver to check; whether it polls for changes instead is judged from its journeys',
        });
        return;
      }
      const subscribed = EVENTS.find((e) => hooks.some((h) => h.Events.some((x) => x.toLowerCase() === e)));
      if (!subscribed) {
        await preflight.finding({
          ...CHECK,
          status: 'not-run',
          message: `not run: the app's webhooks subscribe to ${[...new Set(hooks.flatMap((h) => h.Events))].join(', ')}; the harness can change companies and persons only (${EVENTS.join(', ')})`,
        });
        return;
      }
      const [entity, event] = subscribed.split('.') as ['contact' | 'person', 'changed' | 'created'];
      const hook = hooks.find((h) => h.Events.some((x) => x.toLowerCase() === subscribed))!;
      // The last seeded company (or its first person): no other check works with it.
      const company = SEEDED_COMPANIES.at(-1)!.contactId;
      const id = entity === 'contact' ? company : customerPersonId(company, 0);
      const start = preflight.emulator.recorder.lastSeq();
      const deliveries = await preflight.emulator.changeRecord({ entity, event, id });
      const delivery = deliveries.find((d) => d.webhookId === hook.WebhookId) ?? deliveries[0];
      if (!delivery) {
        await preflight.finding({
          ...CHECK,
          status: 'error',
          message: `cannot judge: the webhook "${hook.Name}" was gone (deleted or stopped) when the change was made`,
        });
        return;
      }
      const began = Date.now();
      const after = async () =>
        (await preflight.appTenantRequests(start)).map((e) => ({
          method: e.method,
          url: e.url,
          time: Date.parse(e.time),
        }));
      if (delivery.status !== undefined && delivery.status < 300)
        await waitFor(async () => fetchOf(await after(), entity, id) !== undefined, FETCH_WAIT_MS);
      await preflight.finding({
        ...CHECK,
        ...judgeWebhookReceiver({
          hook,
          event: delivery.event,
          entity,
          id,
          ...(delivery.status !== undefined ? { status: delivery.status } : {}),
          ...(delivery.error !== undefined ? { error: delivery.error } : {}),
          after: await after(),
          waitedMs: Date.now() - began,
        }),
        evidence: [
          {
            kind: 'text',
            label: 'deliveries',
            text: deliveries
              .map(
                (d) =>
                  `${d.event} ${d.eventId} -> "${d.name}" ${d.targetUrl}: ${d.status ?? d.error} (${d.ms} ms)`,
              )
              .join('\n'),
          },
        ],
      });
    },
  );
});
