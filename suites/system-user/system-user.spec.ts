/**
 * Server-to-server apps working as the tenant's system user: the JWT from PartnerSystemUser must
 * be validated before its ticket is used, and the ticket cached (6 h sliding) and renewed only on
 * 401. Judged from the NetServer traffic after the harness triggers the app's job (`apiAction`).
 */
import { GLOBAL_TAG, test } from '../../fixtures/index.ts';
import {
  callsPerUse,
  credentialAfter,
  signedIn,
  runJob,
  usesASecondApart,
  cannotJudge as error,
} from '../../fixtures/jobs.ts';
import type { Exchange, GlobalFaults } from '../../src/emulator/types.ts';
import { judgeCache, judgeRate, judgeSystemUserCaution, judgeThrottle } from '../../src/judge/index.ts';

test.skip(
  ({ harness }) => harness.config.app.type !== 'server-to-server',
  'system-user checks apply to server-to-server apps: only they get a system-user key (${privateKey.file}) in a run; a web or native app with background jobs that work as the system user checks them with a second config of type server-to-server',
);
test.describe.configure({ mode: 'serial' });

const TICKET_CLAIM = 'http://schemes.superoffice.net/identity/ticket';

function ticketOf(e: Exchange): string | undefined {
  return credentialAfter('SOTicket', e.requestHeaders['authorization']);
}

/** The app's calls to the tenant made with a system-user ticket. */
const systemUserCalls = (exchanges: readonly Exchange[]): Exchange[] =>
  exchanges.filter((e) => e.origin === 'tenant' && e.credential === 'soticket');

function ticketsIssued(exchanges: Exchange[]): string[] {
  const out: string[] = [];
  for (const e of exchanges) {
    try {
      const token = (JSON.parse(e.responseBody) as { Token?: string }).Token;
      const payload = token?.split('.')[1];
      if (!payload) continue;
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<
        string,
        unknown
      >;
      if (typeof claims[TICKET_CLAIM] === 'string') out.push(claims[TICKET_CLAIM] as string);
    } catch {
      // not a JSON answer with a JWT: nothing issued
    }
  }
  return out;
}

test.describe('system user', { tag: GLOBAL_TAG }, () => {
  test(
    'Uses the system user with caution: no mass delete, no broad update',
    { tag: ['@API-SYSUSER-CAUTION'] },
    async ({ preflight }) => {
      const rule = 'API-SYSUSER-CAUTION';
      const check = 'no-mass-operations';
      const title = "The app's job makes no mass delete or broad update through the system user";
      const session = await signedIn(preflight);
      if (typeof session === 'string') return error(preflight, rule, check, title, session);
      const { emulator } = preflight;
      // No other check runs now: every system-user call is this app's job.
      const mark = emulator.recorder.lastSeq();
      await runJob(preflight, session);
      await emulator.sync();
      const calls = systemUserCalls(emulator.recorder.since(mark));
      await preflight.finding({
        rule,
        check,
        title,
        ...judgeSystemUserCaution(
          calls.map((e) => ({ method: e.method, url: e.url })),
          1,
        ),
      });
    },
  );

  test(
    'Caches the system-user ticket and renews it once on 401',
    { tag: ['@API-SYSUSER-CACHE', '@API-TOKEN-REFRESH'] },
    async ({ preflight }) => {
      const rule = 'API-SYSUSER-CACHE';
      const session = await signedIn(preflight);
      if (typeof session === 'string')
        return error(preflight, rule, 'ticket-cached', 'The ticket is reused across jobs', session);
      const { recorder } = preflight.emulator;
      const mark = recorder.lastSeq();
      for (let i = 0; i < 3; i++) await runJob(preflight, session);
      const after = recorder.since(mark);
      const exchanges = after.filter((e) => e.endpoint === 'system-user');
      const ticketCalls = systemUserCalls(after);
      if (ticketCalls.length === 0) {
        return error(
          preflight,
          rule,
          'ticket-cached',
          'The ticket is reused across jobs',
          `three runs of ${preflight.apiActionLabel} made no system-user API call`,
        );
      }
      const cached = {
        status: exchanges.length <= 1 ? ('pass' as const) : ('fail' as const),
        message: `${exchanges.length} PartnerSystemUser exchange(s) for ${ticketCalls.length} API call(s) in 3 jobs${exchanges.length > 1 ? ': cache the ticket (valid 6 h, sliding) and renew it only on 401' : ''}`,
      };
      await preflight.finding({
        rule,
        check: 'ticket-cached',
        title: 'The ticket is reused across jobs instead of a PartnerSystemUser exchange per call',
        ...cached,
      });
      // The system user's ticket is this app's API credential: API-TOKEN-REFRESH asks of it what
      // it asks of a user's access token (reuse while valid, renew once on 401).
      await preflight.finding({
        rule: 'API-TOKEN-REFRESH',
        check: 'no-refresh-while-valid',
        title: 'While the system-user ticket is valid the app calls the API without renewing it first',
        ...cached,
      });

      await preflight.emulator.expireTickets();
      const mark2 = recorder.lastSeq();
      await runJob(preflight, session);
      const after2 = recorder.since(mark2);
      const renewals = after2.filter((e) => e.endpoint === 'system-user').length;
      const got401 = after2.some((e) => e.credential === 'soticket' && e.status === 401);
      const retried = after2.some((e) => e.credential === 'soticket' && e.status < 300);
      const renewed = {
        status:
          got401 && renewals === 1 && retried
            ? ('pass' as const)
            : got401
              ? ('fail' as const)
              : ('error' as const),
        message: !got401
          ? 'cannot judge: the app made no call with the expired ticket'
          : renewals === 1 && retried
            ? 'one renewal, then a successful retry'
            : `${renewals} renewal(s) after the 401${retried ? '' : ' and no successful retry'}`,
      };
      await preflight.finding({
        rule,
        check: 'renew-on-401',
        title: 'An expired ticket (401) is renewed with exactly one exchange and the call retried',
        ...renewed,
      });
      await preflight.finding({
        rule: 'API-TOKEN-REFRESH',
        check: 'refresh-on-401',
        title: 'After a 401 the app renews the system-user ticket once and retries',
        ...renewed,
      });
    },
  );

  const forgeries: Array<NonNullable<GlobalFaults['systemUserJwt']>> = [
    'bad-signature',
    'wrong-issuer',
    'wrong-audience',
    'expired',
    'alg-none',
  ];
  test(
    'Validates the system-user JWT before using its ticket',
    { tag: ['@TOKEN-SYSUSER-VALIDATE', '@TOKEN-VALIDATE-ALL'] },
    async ({ preflight }) => {
      const rule = 'TOKEN-SYSUSER-VALIDATE';
      const session = await signedIn(preflight);
      if (typeof session === 'string') {
        for (const f of forgeries)
          await error(preflight, rule, f, `Rejects a system-user JWT (${f})`, session);
        return;
      }
      const { emulator } = preflight;
      for (const forge of forgeries) {
        const title = `Does not use the ticket from a system-user JWT with ${forge.replace('-', ' ')}`;
        await emulator.expireTickets();
        await emulator.setFaults({ systemUserJwt: forge });
        const mark = emulator.recorder.lastSeq();
        await runJob(preflight, session);
        const after = emulator.recorder.since(mark);
        await emulator.setFaults({});
        const exchanges = after.filter((e) => e.endpoint === 'system-user');
        const forgedTickets = ticketsIssued(exchanges);
        if (forgedTickets.length === 0) {
          await error(
            preflight,
            rule,
            forge,
            title,
            'the app did not ask PartnerSystemUser for a new ticket after its ticket expired',
          );
          continue;
        }
        const used = after.filter((e) => e.origin === 'tenant' && forgedTickets.includes(ticketOf(e) ?? ''));
        const status = used.length ? 'fail' : 'pass';
        await preflight.finding({
          rule,
          check: forge,
          title,
          status,
          message: used.length
            ? `the app sent the ticket from a forged JWT (${forge}) to NetServer: validate issuer "SuperOffice AS", audience spn:{serial}, signature and lifetime first`
            : 'the forged JWT was refused: its ticket never reached NetServer',
          evidence: [preflight.exchangeEvidence('PartnerSystemUser answer', exchanges[0]!)],
        });
        await preflight.finding({
          rule: 'TOKEN-VALIDATE-ALL',
          check: `system-user-${forge}`,
          title,
          status,
          message: status === 'pass' ? 'rejected' : `accepted; see ${rule}`,
        });
      }
    },
  );

  test(
    'Backs off when the system user is throttled',
    { tag: ['@ERR-THROTTLE-UX'] },
    async ({ preflight }) => {
      const rule = 'ERR-THROTTLE-UX';
      const check = 'backoff-on-429';
      const title =
        "On 429 the app's job honours Retry-After and reports it, instead of a retry storm or a hang";
      const retryAfter = 3;
      const session = await signedIn(preflight);
      if (typeof session === 'string') return error(preflight, rule, check, title, session);
      const { emulator } = preflight;
      // A first job gets the ticket, so the throttle meets API calls rather than the exchange.
      await runJob(preflight, session);
      await emulator.setFaults({ systemUserThrottle: { calls: 50, retryAfterSeconds: retryAfter } });
      const mark = emulator.recorder.lastSeq();
      try {
        const seen = await preflight.apiAction(session);
        await emulator.sync();
        const calls = systemUserCalls(emulator.recorder.since(mark)).map((e) => ({
          method: e.method,
          path: e.path,
          status: e.status,
          at: Date.parse(e.time),
        }));
        const judged = judgeThrottle({
          retryAfterSeconds: retryAfter,
          calls,
          answered: seen.answered,
          elapsedMs: seen.elapsedMs,
          pendingRequests: seen.pending,
          pageText: seen.text,
        });
        await preflight.finding({
          rule,
          check,
          title,
          status: judged.status,
          message: judged.message,
          evidence: [await preflight.shown(session, seen, 'throttled')],
        });
      } finally {
        await emulator.setFaults({});
      }
    },
  );

  test(
    'Keeps the system user to 10 API calls per second, and caches what rarely changes',
    { tag: ['@API-RATE-10PS', '@API-CACHE'] },
    async ({ preflight }) => {
      const rate = {
        rule: 'API-RATE-10PS',
        check: 'peak-rate',
        title: "The app's system-user API calls stay within 10 per second",
      };
      const cache = {
        rule: 'API-CACHE',
        check: 'no-repeat-lookups',
        title: 'The job fetches lists and metadata once and reuses them, not on every run',
      };
      const session = await signedIn(preflight);
      if (typeof session === 'string') {
        for (const c of [rate, cache]) await error(preflight, c.rule, c.check, c.title, session);
        return;
      }
      const { emulator } = preflight;
      // No other check runs now: every system-user call is this app's, three jobs a second apart.
      const marks = await usesASecondApart(preflight, () => runJob(preflight, session));
      await emulator.sync();
      const calls = systemUserCalls(emulator.recorder.since(marks[0]!));
      await preflight.finding({
        ...rate,
        ...judgeRate({
          times: calls.map((e) => Date.parse(e.time)),
          certification: preflight.config.app.certification,
        }),
      });
      const views = callsPerUse(calls, marks);
      await preflight.finding({ ...cache, ...judgeCache({ views, acrossViews: true, what: 'job runs' }) });
    },
  );
});
