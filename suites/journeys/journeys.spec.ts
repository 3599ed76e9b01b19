/**
 * The partner's journeys (config `app.journeys`): each runs signed in through its own flow, and
 * what the app sent the tenant meanwhile is judged for API-NO-CHOKE, API-NO-MIX, API-RATE-10PS
 * and API-WEBHOOKS-NOT-POLLING (no change-tracking read repeated: the travel transaction log,
 * "changed since" queries), and what it wrote for API-DEFAULT-ENTITY, DATA-OWNER-COMPANY,
 * DATA-ASSOCIATE-PERSON (the emulator notes forbidden writes), GDPR-PERSON-SOURCE (the privacy
 * source of each person it created) and DATA-VISIBILITY-PRESERVE (copies of private and group
 * documents stay restricted); a journey marked `{ mailing: true }` is judged for GDPR-EMARKETING
 * by the messages it made the app send to the mail sink, and every journey for OPS-SYSTEM-MESSAGES
 * by the system messages it made the app send and remove. A journey that throws gives `error`
 * for those rules with its own error and a screenshot, never `pass`.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { aloneForSystemUser, bodyText, test } from '../../fixtures/index.ts';
import type { ResolvedConfig } from '../../src/config/schema.ts';
import { loadRunConfig } from '../../fixtures/harness.ts';
import { writeExchange } from '../../fixtures/jobs.ts';
import { startEnvUses } from '../../src/config/load.ts';
import { loadJourneys, type Journey } from '../../fixtures/journey.ts';
import type { FlowSession, Preflight } from '../../fixtures/index.ts';
import { waitFor } from '../../fixtures/preflight.ts';
import type { Evidence } from '../../src/findings.ts';
import type { Judgement } from '../../src/judge/index.ts';
import { MAINTENANCE_NOTE } from '../../src/emulator/netserver/faults.ts';
import {
  failureLines,
  judgeDefaultEntity,
  judgeMaintenance,
  judgeNoMix,
  judgePolling,
  judgeListItemNames,
  judgeMailingConsent,
  judgePersonSource,
  listItemNames,
  judgeProtectedWrites,
  judgeQueries,
  judgeRate,
  judgeSystemMessages,
  judgeVisibilityPreserved,
} from '../../src/judge/index.ts';
import { WRITE_NOTES } from '../../src/emulator/netserver/routes-writes.ts';
import {
  MAILING_CONSENTS,
  PRIVACY_SOURCES,
  RESTRICTED_DOCUMENTS,
} from '../../src/emulator/netserver/data.ts';

/** The journey files the config names (folders: their .ts, .mts, .mjs and .js files, sorted). */
async function journeyFiles(config: ResolvedConfig): Promise<string[]> {
  const files: string[] = [];
  for (const entry of config.app.journeys) {
    const path = resolve(config.configDir, entry);
    if (!existsSync(path))
      throw new Error(`so-preflight run error: app.journeys names ${entry}, which does not exist`);
    if (statSync(path).isDirectory())
      files.push(
        ...readdirSync(path)
          .filter((f) => /\.(ts|mts|mjs|js)$/.test(f) && !f.endsWith('.d.ts'))
          .sort()
          .map((f) => join(path, f)),
      );
    else files.push(path);
  }
  return files;
}

const runConfig = await loadRunConfig();
const journeys: Journey[] = await loadJourneys(await journeyFiles(runConfig));
const alone = aloneForSystemUser(runConfig);

const TRAFFIC_RULES = ['API-NO-CHOKE', 'API-NO-MIX', 'API-RATE-10PS', 'API-WEBHOOKS-NOT-POLLING'] as const;
/** Judged from what the journeys write; a journey that writes nothing leaves them not run. */
const WRITE_RULES = [
  'API-DEFAULT-ENTITY',
  'DATA-OWNER-COMPANY',
  'DATA-ASSOCIATE-PERSON',
  'GDPR-PERSON-SOURCE',
  'AVAIL-MAINTENANCE',
  'LANG-MULTILINGUAL-LISTS',
  'DATA-VISIBILITY-PRESERVE',
  'GDPR-EMARKETING',
  'OPS-SYSTEM-MESSAGES',
] as const;
const RULES = [...TRAFFIC_RULES, ...WRITE_RULES] as const;
/** The same, as the tags the rule coverage gate reads. */
const WRITE_TAGS = [
  '@API-DEFAULT-ENTITY',
  '@DATA-OWNER-COMPANY',
  '@DATA-ASSOCIATE-PERSON',
  '@GDPR-PERSON-SOURCE',
  '@AVAIL-MAINTENANCE',
  '@LANG-MULTILINGUAL-LISTS',
  '@DATA-VISIBILITY-PRESERVE',
  '@GDPR-EMARKETING',
  '@OPS-SYSTEM-MESSAGES',
];
type JourneyRule = (typeof RULES)[number];

const WRITE_TITLES: Record<(typeof WRITE_RULES)[number], string> = {
  'API-DEFAULT-ENTITY': 'Entities are created from v1/{Entity}/default',
  'DATA-OWNER-COMPANY': 'The owner company is never renamed or deleted',
  'DATA-ASSOCIATE-PERSON': "An associate's person is never moved to another company or deleted",
  'GDPR-PERSON-SOURCE': 'New persons get a privacy source (default "Other integration", API)',
  'AVAIL-MAINTENANCE': 'A maintenance window in the middle of the writes loses no data silently',
  'LANG-MULTILINGUAL-LISTS': 'List items the app creates are multi-language (NO:"Bil";US:"Car")',
  'DATA-VISIBILITY-PRESERVE': 'Copies of private and group documents keep their restriction',
  'GDPR-EMARKETING': 'Mailings go only to persons with e-marketing consent',
  'OPS-SYSTEM-MESSAGES': 'System messages: one per condition and user, removed when it clears',
};

/** The maintenance window a journey's middle write meets: 503 for 3 s, `Retry-After: 2`. */
const WINDOW_MS = 3_000;
const RETRY_AFTER_S = 2;

/** A journey's error as one line: Playwright's first line says what timed out, its call log on what. */
function journeyError(e: unknown): string {
  // Terminal colour codes removed: ESC [ ... m.
  const text = ((e as Error)?.message ?? String(e)).replace(
    new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'),
    '',
  );
  const on = /waiting for (.+)/.exec(text)?.[0];
  return [text.split('\n')[0], on].filter(Boolean).join(', ');
}

/** Run a journey in a signed-in session; resolves with its error as one line, if it threw. */
async function runJourney(
  j: Journey,
  preflight: Preflight,
  session: FlowSession,
): Promise<string | undefined> {
  try {
    await j.run({
      page: session.page,
      app: { baseURL: preflight.harness.baseURL, url: (path) => preflight.appUrl(path) },
      user: { username: session.flow.user.username, isAdministrator: session.flow.user.isAdministrator },
      tenant: preflight.emulator.tenant,
    });
    return undefined;
  } catch (e) {
    return journeyError(e);
  }
}

/** The journey page's visible text ('' when it cannot be read). */
const pageText = async (session: FlowSession) => (await bodyText(session.page)) ?? '';

/**
 * AVAIL-MAINTENANCE: the journey again, in a new session whose middle write (of `writes` in the
 * undisturbed run) opens a maintenance window. Once the window has opened and the page tells of
 * a failure, the harness stops waiting for the journey (it waits for a success it will not see);
 * when the user was not told, it gives the app the window and two Retry-After periods to write
 * again.
 */
async function maintenanceRun(
  j: Journey,
  preflight: Preflight,
  writes: number,
  controlText: string,
): Promise<Judgement & { evidence?: Evidence[] }> {
  const where = `journey "${j.name}"`;
  if (writes === 0)
    return {
      status: 'not-run',
      message: `not run: ${where} wrote nothing to the tenant, so there was no write for a maintenance window to meet`,
    };
  const afterWrites = Math.ceil((writes + 1) / 2) - 1;
  const session = await preflight.newFlow({
    user: j.as,
    superIdSession: true,
    api: { maintenance: { afterWrites, windowMs: WINDOW_MS, retryAfterSeconds: RETRY_AFTER_S } },
  });
  const signIn = await preflight.signIn(session);
  if (signIn.outcome !== 'returned')
    return {
      status: 'error',
      message: `cannot judge: the second sign-in did not complete (${signIn.detail})`,
    };
  const start = preflight.emulator.recorder.lastSeq();
  const opened = async () => {
    await preflight.emulator.sync();
    return session.flow.exchanges().find((e) => e.notes.includes(MAINTENANCE_NOTE));
  };
  let failed: string | undefined;
  let finished = false;
  void runJourney(j, preflight, session).then((e) => {
    failed = e;
    finished = true;
  });
  const toldUser = async () => failureLines(await pageText(session), controlText).length > 0;
  const timedCalls = async () =>
    (await preflight.tenantRequests(session, start))
      .filter((e) => e.endpoint === 'api' || e.endpoint === 'api-wrong-host')
      .map((e) => ({
        method: e.method,
        url: e.url,
        status: e.status,
        time: Date.parse(e.time),
        inWindow: e.notes.includes(MAINTENANCE_NOTE),
      }));
  await waitFor(async () => finished || (!!(await opened()) && (await toldUser())), 60_000);
  // A retry needs the window to pass: when the user was not told, give the app the window and
  // two Retry-After periods to write again. The write that met the window, written again and
  // answered, decides the rule (the judge passes it whatever follows), so the wait ends there.
  const window = await opened();
  if (window && !(await toldUser())) {
    const rest = Date.parse(window.time) + WINDOW_MS + 2 * RETRY_AFTER_S * 1000 - Date.now();
    const written = async () =>
      judgeMaintenance({ where, calls: await timedCalls(), pageText: '', controlText: '' }).status === 'pass';
    await waitFor(written, rest);
  }
  await preflight.settle(session.page, session.flow);
  const calls = await timedCalls();
  const judged = judgeMaintenance({ where, calls, pageText: await pageText(session), controlText });
  const evidence: Evidence[] = [await preflight.screenshot(session, `journey-maintenance`)];
  if (failed)
    evidence.push({ kind: 'text', label: 'the journey under the maintenance window', text: failed });
  return { ...judged, evidence };
}

test.describe('journeys', () => {
  if (journeys.length === 0) {
    // Without journeys nothing shows how the app writes: say so, rule by rule.
    test('journeys: what the app writes', { tag: WRITE_TAGS }, async ({ preflight }) => {
      const native = preflight.config.app.type === 'native';
      for (const rule of WRITE_RULES)
        await preflight.finding({
          rule,
          check: 'journeys-writes',
          title: WRITE_TITLES[rule],
          status: 'not-run',
          message: native
            ? 'not run: journeys drive pages in a browser, and a native app has none; what it writes is attested'
            : rule === 'OPS-SYSTEM-MESSAGES'
              ? 'not run: app.journeys names no journey; a journey that brings about what the app tells users with a system message (an expired connection, say) and then clears it shows how the app uses them'
              : 'not run: app.journeys names no journey; journeys that create and edit companies and persons (or trigger the jobs that do) show how the app writes to the tenant',
        });
    });
  }
  for (const j of journeys) {
    const slug = j.name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '');
    test(
      `journey: ${j.name}`,
      { tag: [...TRAFFIC_RULES.map((r) => `@${r}`), ...WRITE_TAGS, ...alone] },
      async ({ preflight }) => {
        // The journey runs twice: undisturbed, then under a maintenance window.
        test.slow();
        const title = (what: string) => `${what} (journey "${j.name}")`;
        const titles: Record<JourneyRule, string> = {
          'API-NO-CHOKE': title('List and search queries are light on the database'),
          'API-NO-MIX': title('REST or SOAP, not both'),
          'API-RATE-10PS': title('At most 10 API calls per second'),
          'API-WEBHOOKS-NOT-POLLING': title('Changes come by webhook, not by polling'),
          'API-DEFAULT-ENTITY': title(WRITE_TITLES['API-DEFAULT-ENTITY']),
          'DATA-OWNER-COMPANY': title(WRITE_TITLES['DATA-OWNER-COMPANY']),
          'DATA-ASSOCIATE-PERSON': title(WRITE_TITLES['DATA-ASSOCIATE-PERSON']),
          'GDPR-PERSON-SOURCE': title(WRITE_TITLES['GDPR-PERSON-SOURCE']),
          'AVAIL-MAINTENANCE': title(WRITE_TITLES['AVAIL-MAINTENANCE']),
          'LANG-MULTILINGUAL-LISTS': title(WRITE_TITLES['LANG-MULTILINGUAL-LISTS']),
          'DATA-VISIBILITY-PRESERVE': title(WRITE_TITLES['DATA-VISIBILITY-PRESERVE']),
          'GDPR-EMARKETING': title(WRITE_TITLES['GDPR-EMARKETING']),
          'OPS-SYSTEM-MESSAGES': title(WRITE_TITLES['OPS-SYSTEM-MESSAGES']),
        };
        const errorAll = async (
          why: string,
          evidence = [] as Awaited<ReturnType<typeof preflight.screenshot>>[],
        ) => {
          for (const rule of RULES)
            await preflight.finding({
              rule,
              check: `journey-${slug}`,
              title: titles[rule],
              status: 'error',
              message: `cannot judge: ${why}`,
              evidence,
            });
        };
        const control = await preflight.control();
        if (!control.ok) return errorAll(control.reason);
        const session = await preflight.newFlow({ user: j.as, superIdSession: true });
        const signIn = await preflight.signIn(session);
        if (signIn.outcome !== 'returned') return errorAll(`the sign-in did not complete (${signIn.detail})`);
        const start = preflight.emulator.recorder.lastSeq();
        const began = Date.now();
        const failed = await runJourney(j, preflight, session);
        if (failed)
          return errorAll(
            `the journey failed after ${Math.round((Date.now() - began) / 100) / 10} s: ${failed}`,
            [await preflight.screenshot(session, `journey-${slug}-failed`)],
          );
        await preflight.settle(session.page, session.flow);
        const requests = await preflight.tenantRequests(session, start);
        const calls = requests.filter((e) => e.endpoint === 'api' || e.endpoint === 'api-wrong-host');
        if (requests.length === 0) return errorAll('the app made no API call during the journey');
        const where = `journey "${j.name}"`;
        const controlText = await pageText(session);
        const writes = requests.map((e) => ({ method: e.method, url: e.url, notes: e.notes }));
        const exchanges = requests.map(writeExchange);
        const judged = {
          'API-DEFAULT-ENTITY': judgeDefaultEntity(writes, where),
          'DATA-OWNER-COMPANY': judgeProtectedWrites({
            requests: writes,
            notes: [WRITE_NOTES.ownerRenamed, WRITE_NOTES.ownerDeleted],
            entity: 'contact',
            where,
            protectedWhat: "the owner company's name or existence",
          }),
          'DATA-ASSOCIATE-PERSON': judgeProtectedWrites({
            requests: writes,
            notes: [WRITE_NOTES.associateMoved, WRITE_NOTES.associateDeleted],
            entity: 'person',
            where,
            protectedWhat: "an associate's person record, its company or existence",
          }),
          'GDPR-PERSON-SOURCE': judgePersonSource(exchanges, where, PRIVACY_SOURCES),
          'LANG-MULTILINGUAL-LISTS': judgeListItemNames(listItemNames(exchanges), where),
          'DATA-VISIBILITY-PRESERVE': judgeVisibilityPreserved(exchanges, RESTRICTED_DOCUMENTS, where),
          'GDPR-EMARKETING': j.mailing
            ? judgeMailingConsent({
                mails: preflight.emulator.recorder
                  .since(start)
                  .filter((e) => e.endpoint === 'mail')
                  .map((e) => ({ url: e.url, body: e.requestBody })),
                people: MAILING_CONSENTS,
                where,
                wired: startEnvUses(preflight.config, 'mail.url'),
              })
            : {
                status: 'not-run' as const,
                message: `not run: ${where} is not marked as sending a mailing ({ mailing: true }), so the messages it sends (if any) are not judged as e-marketing`,
              },
          'OPS-SYSTEM-MESSAGES': judgeSystemMessages({
            calls: requests.map((e) => ({
              method: e.method,
              url: e.url,
              status: e.status,
              body: e.requestBody,
            })),
            where,
          }),
          'AVAIL-MAINTENANCE': await maintenanceRun(
            j,
            preflight,
            requests.filter((e) => !['GET', 'HEAD'].includes(e.method.toUpperCase()) && e.status < 300)
              .length,
            controlText,
          ),
          'API-NO-CHOKE': judgeQueries(requests.map((e) => ({ method: e.method, url: e.url }))),
          'API-NO-MIX': judgeNoMix(
            (await preflight.appTenantRequests(start)).map((e) => ({ method: e.method, url: e.url })),
          ),
          'API-RATE-10PS': judgeRate({
            times: calls.map((e) => Date.parse(e.time)),
            certification: preflight.config.app.certification,
          }),
          'API-WEBHOOKS-NOT-POLLING': judgePolling({
            calls: requests.map((e) => ({
              method: e.method,
              url: e.url,
              time: Date.parse(e.time),
              body: e.requestBody,
            })),
            where,
            webhooks: await preflight.emulator.webhooks(),
          }),
        };
        for (const rule of RULES)
          await preflight.finding({ rule, check: `journey-${slug}`, title: titles[rule], ...judged[rule] });
      },
    );
  }
});
