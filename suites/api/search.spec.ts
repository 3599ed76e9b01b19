/**
 * Searches start at 3 characters (API-SEARCH-MIN3): for each search input the config names
 * (`app.search`), a signed-in browser types 1, 2 and then 3 characters, one character at a time
 * as a user does, each time on a freshly loaded page, and submits (Enter, or the configured
 * button). A NetServer request carrying 1 or 2 typed characters fails; the 3-character try must
 * search, which shows the input is the app's search (else nothing was observed: an error).
 */
import { test, waitFor } from '../../fixtures/index.ts';
import { signedIn } from '../../fixtures/jobs.ts';
import type { Evidence } from '../../src/findings.ts';
import { carriesSearchText, judgeSearchMin3, needsConfig, type SearchTry } from '../../src/judge/index.ts';
import type { Exchange } from '../../src/emulator/types.ts';

/** Typed one character at a time; distinctive, so a request carrying it is the search. */
const TRIES = ['Q', 'Qz', 'Qzx'];
/**
 * How long a try waits for its search: longer than the usual search-as-you-type debounce (about
 * 300 ms), so a late search is seen. A try whose search is seen sooner ends then.
 */
const AFTER_TYPING_MS = 1_200;

const RULE = 'API-SEARCH-MIN3';
const TITLE = 'Searches start after at least 3 typed characters';

test.describe('search', () => {
  test(
    'starts searching only after 3 typed characters',
    { tag: ['@API-SEARCH-MIN3'] },
    async ({ preflight }) => {
      const { app } = preflight.config;
      const check = 'search-min-3';
      if (app.type !== 'web') {
        await preflight.finding({
          rule: RULE,
          check,
          title: TITLE,
          status: 'not-run',
          message: `not run: only a web app's search inputs are driven in the browser; attest this for a ${app.type} app`,
        });
        return;
      }
      if (app.search === undefined) {
        const j = needsConfig(
          'app.search',
          'its search inputs, to type 1, 2 and 3 characters into; [] when it has none',
        );
        await preflight.finding({ rule: RULE, check, title: TITLE, ...j });
        return;
      }
      if (app.search.length === 0) {
        await preflight.finding({
          rule: RULE,
          check,
          title: TITLE,
          status: 'not-run',
          message: 'not run: app.search says the app has no search inputs; attest that it has none',
        });
        return;
      }
      test.setTimeout(preflight.config.harness.testTimeout + app.search.length * TRIES.length * 15_000);
      const session = await signedIn(preflight);
      if (typeof session === 'string') {
        await preflight.finding({
          rule: RULE,
          check,
          title: TITLE,
          status: 'error',
          message: `cannot judge: ${session}`,
        });
        return;
      }
      const { page, flow } = session;
      for (const [i, search] of app.search.entries()) {
        const where = `${search.input} on ${search.path}`;
        const tries: SearchTry[] = [];
        const evidence: Evidence[] = [];
        let problem: string | undefined;
        for (const text of TRIES) {
          try {
            await page.goto(preflight.appUrl(search.path), { waitUntil: 'load', timeout: 15_000 });
            const input = page.locator(search.input).first();
            await input.waitFor({ state: 'visible', timeout: 10_000 });
            await input.fill('', { timeout: 5_000 });
            const mark = await preflight.mark(session);
            await input.pressSequentially(text, { delay: 80, timeout: 10_000 });
            if (search.submit) await page.locator(search.submit).first().click({ timeout: 5_000 });
            else await input.press('Enter', { timeout: 5_000 });
            const searches = () =>
              preflight.apiCalls(session, mark).filter((e) => carriesSearchText(tenantRequest(e), text));
            // Until a search carrying the text is seen (the try is judged by it), or long
            // enough for a debounced search to have gone out.
            await waitFor(async () => {
              await preflight.emulator.sync();
              return searches().length > 0;
            }, AFTER_TYPING_MS);
            await preflight.settle(page, flow);
            const requests = searches();
            tries.push({ text, requests: requests.map(tenantRequest) });
            const first = requests[0];
            if (first)
              evidence.push(preflight.exchangeEvidence(`search for '${text}' (${text.length} typed)`, first));
          } catch (e) {
            problem = `typing '${text}' into ${where} failed: ${(e as Error).message.split('\n')[0]}; check app.search`;
            break;
          }
        }
        const j = problem
          ? { status: 'error' as const, message: `cannot judge: ${problem}` }
          : judgeSearchMin3(where, tries);
        if (j.status !== 'pass') evidence.push(await preflight.screenshot(session, `search-${i + 1}`));
        await preflight.finding({
          rule: RULE,
          check: app.search.length > 1 ? `${check}-${i + 1}` : check,
          title: app.search.length > 1 ? `${TITLE} (${where})` : TITLE,
          ...j,
          evidence,
        });
      }
    },
  );
});

function tenantRequest(e: Exchange): { method: string; url: string; body: string } {
  return { method: e.method, url: e.url, body: e.requestBody };
}
