/**
 * Secret handling, judged from everything the browser can see and everything the app prints.
 * Web apps are crawled twice, in browsers bound to their own emulator flows: signed out, then
 * after a full sign-in and the API page; each time the app's home page, its configured pages
 * (sign-in, session, API action, `app.pages`) and the same-origin pages and scripts they link are
 * opened (a bounded crawl, see fixtures/crawl.ts). Every request/response the browser saw (URLs,
 * headers, bodies), every cookie (HttpOnly ones too), web storage and the DOM are searched for the
 * run's seeded secrets in their common encodings; the app's output is searched too.
 */
import { readFileSync, existsSync, statSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import type { BrowserContext, Page } from '@playwright/test';
import { test } from '../../fixtures/index.ts';
import type { FlowSession, Preflight } from '../../fixtures/index.ts';
import {
  crawl,
  pathOf,
  withCookiesSuspended,
  type CrawlExclusions,
  type CrawlResult,
} from '../../fixtures/crawl.ts';
import { scanForSecrets } from '../../src/evidence/scan.ts';
import { judgeOutbound, needsConfig, outboundLeaks } from '../../src/judge/index.ts';
import { cannotJudge, credentialAfter, signedIn } from '../../fixtures/jobs.ts';
import type { SecretInput } from '../../src/evidence/encodings.ts';
import type { Evidence } from '../../src/findings.ts';

interface Artifact {
  where: string;
  text: string;
  /** The app's own origin served it to its pages' scripts (storage, DOM, fetch/XHR bodies, cookies). */
  scriptVisible: boolean;
  isUrl: boolean;
}

/** What the browsers of one test saw, collected as it happens. */
interface Sink {
  artifacts: Artifact[];
  /** Response bodies and headers still being read. */
  pending: Promise<void>[];
  /** Set-Cookie headers the app's origin sent. */
  appSetCookies: string[];
  /** Names of cookies set by SuperID / NetServer (and the harness's flow cookie). */
  foreignCookieNames: Set<string>;
  /** Names of cookies SuperID itself set (its single-sign-on session). */
  superidCookieNames: Set<string>;
}

/** What the crawl opened, signed out and signed in. */
interface Coverage {
  signedOut: CrawlResult;
  signedIn: CrawlResult;
  /** Anything the signed-in crawl changed about the session. */
  notes: string[];
}

interface Capture {
  session: FlowSession;
  artifacts: Artifact[];
  appSetCookies: string[];
  foreignCookieNames: Set<string>;
  /** Undefined when nothing was crawled (native apps, the log check). */
  coverage: Coverage | undefined;
}

const TEXT_TYPES = /(text\/|javascript|json|xml|css|x-www-form-urlencoded)/i;

/** Bounds of each crawl (signed out, signed in). */
const CRAWL = { maxDepth: 2, maxVisits: 25, navigationTimeout: 8_000 };
/** Paths listed per crawl in the coverage evidence. */
const LISTED_PER_CRAWL = 15;

/** Record everything `context` sends and receives into `sink`; `label` prefixes each place. */
function watch(
  context: BrowserContext,
  sink: Sink,
  origins: { app: string; superid: string },
  label = '',
): void {
  const { artifacts, pending } = sink;
  context.on('request', (req) => {
    artifacts.push({
      where: `${label}URL ${req.method()} ${req.url().slice(0, 120)}`,
      text: req.url(),
      scriptVisible: false,
      isUrl: true,
    });
    const headers = Object.entries(req.headers())
      .map(([k, v]) => `${k}: ${v}`)
      .join('\n');
    artifacts.push({
      where: `${label}request headers of ${req.method()} ${req.url().slice(0, 120)}`,
      text: headers,
      scriptVisible: false,
      isUrl: false,
    });
    const body = req.postData();
    if (body)
      artifacts.push({
        where: `${label}request body of ${req.method()} ${req.url().slice(0, 120)}`,
        text: body,
        scriptVisible: false,
        isUrl: false,
      });
  });
  context.on('response', (res) => {
    const type = res.headers()['content-type'] ?? '';
    const origin = originOf(res.url());
    const fromApp = origin === origins.app;
    const rt = res.request().resourceType();
    const headers = Object.entries(res.headers())
      .map(([k, v]) => `${k}: ${v}`)
      .join('\n');
    artifacts.push({
      where: `${label}response headers of ${res.url().slice(0, 120)}`,
      text: headers,
      scriptVisible: false,
      isUrl: false,
    });
    pending.push(
      res
        .headersArray()
        .then((all) => {
          for (const h of all) {
            if (h.name.toLowerCase() !== 'set-cookie') continue;
            const name = h.value.split('=')[0]!.trim();
            if (fromApp) sink.appSetCookies.push(h.value);
            else sink.foreignCookieNames.add(name);
            if (origin === origins.superid) sink.superidCookieNames.add(name);
          }
        })
        .catch(() => undefined),
    );
    if (!TEXT_TYPES.test(type)) return;
    pending.push(
      res
        .text()
        .then((text) => {
          artifacts.push({
            where: `${label}${rt} ${res.url().slice(0, 120)}`,
            text,
            scriptVisible:
              fromApp && (rt === 'fetch' || rt === 'xhr' || rt === 'script' || rt === 'document'),
            isUrl: false,
          });
        })
        .catch(() => undefined),
    );
  });
}

/** Wait for every response being read, including those that arrive meanwhile. */
async function flush(sink: Sink): Promise<void> {
  for (let done = 0; done < sink.pending.length;) {
    const batch = sink.pending.slice(done);
    done = sink.pending.length;
    await Promise.all(batch);
  }
}

/** Web storage and DOM of a page, as script-visible artifacts. */
async function snapshot(page: Page, sink: Sink, label = ''): Promise<void> {
  const storage = await page
    .evaluate(() => {
      const dump = (s: Storage) =>
        Object.fromEntries(
          Array.from({ length: s.length }, (_, i) => s.key(i) ?? '').map((k) => [k, s.getItem(k)]),
        );
      return JSON.stringify({ local: dump(localStorage), session: dump(sessionStorage) });
    })
    .catch(() => '');
  if (storage)
    sink.artifacts.push({
      where: `${label}web storage of ${page.url()}`,
      text: storage,
      scriptVisible: true,
      isUrl: false,
    });
  sink.artifacts.push({
    where: `${label}DOM of ${page.url()}`,
    text: await page.content().catch(() => ''),
    scriptVisible: true,
    isUrl: false,
  });
}

/** Every cookie of the context (HttpOnly ones too), as artifacts. */
async function cookieArtifacts(context: BrowserContext, sink: Sink, label = ''): Promise<void> {
  for (const c of await context.cookies()) {
    sink.artifacts.push({
      where: `${label}cookie ${c.name} (${c.domain})`,
      text: `${c.name}=${c.value}`,
      scriptVisible: true,
      isUrl: false,
    });
  }
}

/**
 * Where a crawl starts and what it never opens. Both start at baseURL, the configured pages and
 * `app.pages`. Neither opens the sign-out path, sign-out-looking links or the redirect URIs. The
 * signed-in crawl does not open `signIn.path` either: it would start another sign-in, and it
 * was opened during the sign-in anyway.
 */
function crawlPlan(
  preflight: Preflight,
  phase: 'signed-out' | 'signed-in',
): { seeds: string[]; exclude: CrawlExclusions } {
  const { app } = preflight.config;
  const paths: string[] = [];
  if ('path' in app.signIn && phase === 'signed-out') paths.push(app.signIn.path);
  if ('page' in app.signIn) paths.push(app.signIn.page);
  if ('steps' in app.signIn) for (const step of app.signIn.steps) if ('goto' in step) paths.push(step.goto);
  if (app.session) paths.push(app.session.path);
  if (app.apiAction && 'path' in app.apiAction) paths.push(app.apiAction.path);
  paths.push(...app.pages);
  const excludedPaths = app.signOut ? [app.signOut.path] : [];
  if ('path' in app.signIn && phase === 'signed-in') excludedPaths.push(app.signIn.path);
  return {
    seeds: [preflight.harness.baseURL, ...paths.map((p) => preflight.appUrl(p))],
    exclude: { paths: excludedPaths, redirectUris: app.redirectUris },
  };
}

/** Why a crawl cannot stand for the app's pages: it got no answer from the app at all. */
function unanswered(phase: string, r: CrawlResult): string | undefined {
  if (r.answered > 0) return undefined;
  const why = r.visits.find((v) => v.error)?.error;
  return `the ${phase} crawl got no answer from the app (${r.visits.length} page(s) tried${why ? `: ${why}` : ''})`;
}

async function captureSignedInBrowser(
  preflight: Preflight,
  options: { crawl: boolean },
): Promise<Capture | { error: string }> {
  const control = await preflight.control();
  if (!control.ok) return { error: control.reason };
  const { config } = preflight;
  const origins = {
    app: preflight.harness.baseURL ? new URL(preflight.harness.baseURL).origin : '',
    superid: originOf(preflight.emulator.superidUrl),
  };
  const sink: Sink = {
    artifacts: [],
    pending: [],
    appSetCookies: [],
    foreignCookieNames: new Set<string>(),
    superidCookieNames: new Set<string>(),
  };
  // Native apps have no pages of their own to crawl; they keep the sign-in's traffic only.
  const crawling = options.crawl && origins.app !== '' && config.app.type !== 'native';
  const bounds = {
    ...CRAWL,
    origin: origins.app,
    budget: Math.min(20_000, Math.max(5_000, Math.round(config.harness.testTimeout / 6))),
  };

  let signedOut: CrawlResult | undefined;
  if (crawling) {
    // Its own flow, so whatever reaches SuperID from this browser stays apart from other tests.
    const out = await preflight.newFlow();
    sink.foreignCookieNames.add(out.flow.cookie.name);
    const label = 'signed out: ';
    watch(out.context, sink, origins, label);
    signedOut = await crawl(out.context, {
      ...bounds,
      ...crawlPlan(preflight, 'signed-out'),
      onPage: async (page) => {
        await snapshot(page, sink, label);
        await flush(sink);
      },
    });
    const why = unanswered('signed-out', signedOut);
    if (why) return { error: why };
    await flush(sink);
    await cookieArtifacts(out.context, sink, label);
  }

  const session = await preflight.newFlow();
  sink.foreignCookieNames.add(session.flow.cookie.name);
  watch(session.context, sink, origins);
  const signIn = await preflight.signIn(session);
  if (signIn.outcome !== 'returned') return { error: signIn.detail };
  if (config.app.type === 'native') {
    // The native app answers the browser once on its loopback listener, then works on its own;
    // its API action (when configured) then does the token work a user's later runs do.
    await session.native?.process.waitForExit(10_000);
    if (config.app.apiAction) await preflight.apiAction(session);
  } else {
    await preflight.visitApiAction(session);
  }

  let coverage: Coverage | undefined;
  if (crawling && signedOut) {
    const redeemed = preflight.tokenRedemptions(session).length;
    // Without SuperID's single-sign-on cookie, a page that sends the browser to SuperID stops at
    // its sign-in page instead of coming back to the app with a code the app would redeem.
    const superidHost = new URL(preflight.emulator.superidUrl).hostname;
    const signedIn = await withCookiesSuspended(
      session.context,
      (c) =>
        sink.superidCookieNames.has(c.name) &&
        c.name !== session.flow.cookie.name &&
        c.domain.replace(/^\./, '') === superidHost,
      () =>
        crawl(session.context, {
          ...bounds,
          ...crawlPlan(preflight, 'signed-in'),
          onPage: async (page) => {
            await snapshot(page, sink);
            await flush(sink);
          },
        }),
    );
    const why = unanswered('signed-in', signedIn);
    if (why) return { error: why };
    const notes: string[] = [];
    const more = preflight.tokenRedemptions(session).length - redeemed;
    if (more > 0) notes.push(`the app redeemed ${more} more authorization code(s) during the crawl`);
    if (config.app.session) {
      const probe = await preflight.probe(session);
      if (!probe.signedIn)
        notes.push(
          `after the crawl the session probe says signed out (HTTP ${probe.status}): some pages may have been seen signed out`,
        );
    }
    coverage = { signedOut, signedIn, notes };
  }

  await flush(sink);
  await cookieArtifacts(session.context, sink);
  for (const page of session.context.pages()) {
    // Web apps: their own origin; native apps: the loopback page they answered with.
    if (origins.app ? originOf(page.url()) !== origins.app : originOf(page.url()) === origins.superid)
      continue;
    await snapshot(page, sink);
  }
  return {
    session,
    artifacts: sink.artifacts,
    appSetCookies: sink.appSetCookies,
    foreignCookieNames: sink.foreignCookieNames,
    coverage,
  };
}

/** How much the crawl saw, for messages: app pages that answered, and distinct app resources. */
function coverageCounts(c: Coverage): { pages: number; resources: number } {
  const pages = new Set<string>();
  const resources = new Set<string>();
  for (const r of [c.signedOut, c.signedIn]) {
    for (const v of r.visits) if (v.status !== undefined) (v.kind === 'page' ? pages : resources).add(v.url);
    for (const url of r.resources) resources.add(url);
  }
  return { pages: pages.size, resources: resources.size };
}

/** The coverage evidence: what each crawl opened (paths only) and what those pages loaded. */
function coverageEvidence(c: Coverage, artifacts: number): Evidence {
  const lines: string[] = [];
  const { pages, resources } = coverageCounts(c);
  lines.push(
    `searched ${artifacts} browser artifacts from ${pages} app page(s) and ${resources} script(s)/resource(s); crawl bounds: depth ${CRAWL.maxDepth}, ${CRAWL.maxVisits} navigations, ${CRAWL.navigationTimeout / 1000} s each`,
  );
  for (const [name, r] of [
    ['signed out', c.signedOut],
    ['signed in', c.signedIn],
  ] as const) {
    const stopped = r.stoppedBy
      ? `; stopped at the ${r.stoppedBy === 'max-visits' ? 'navigation limit' : 'time budget'} with ${r.left} link(s) unopened`
      : '';
    lines.push(
      `${name}: opened ${r.visits.length}, ${r.answered} answered by the app, ${r.resources.length} app resource(s) loaded by them${stopped}`,
    );
    if (r.blocked.length)
      lines.push(
        `  not followed (a page tried to go there): ${r.blocked
          .slice(0, 5)
          .map((u) =>
            originOf(u) === originOf(r.visits[0]?.url ?? '') ? pathOf(u) : originOf(u) || u.slice(0, 40),
          )
          .join(', ')}`,
      );
    const items = [
      ...r.visits.map((v) => {
        const answer =
          v.status !== undefined ? `${v.status}` : `no answer${v.error ? ` (${v.error.slice(0, 80)})` : ''}`;
        const landed = v.landedOn
          ? originOf(v.landedOn) === originOf(v.url)
            ? ` -> ${pathOf(v.landedOn)}`
            : ` -> ended at ${originOf(v.landedOn) || v.landedOn.slice(0, 40)} (another origin: not crawled)`
          : '';
        return `  ${v.kind === 'page' ? 'page' : 'resource'} ${pathOf(v.url)}: ${answer}${landed}`;
      }),
      ...r.resources.map((url) => `  loaded ${pathOf(url)}`),
    ];
    lines.push(...items.slice(0, LISTED_PER_CRAWL));
    if (items.length > LISTED_PER_CRAWL) lines.push(`  ... and ${items.length - LISTED_PER_CRAWL} more`);
  }
  lines.push(...c.notes.map((n) => `note: ${n}`));
  return { kind: 'text', label: 'pages and resources searched', text: lines.join('\n') };
}

function originOf(url: string): string {
  return URL.canParse(url) ? new URL(url).origin : '';
}

function findIn(
  artifacts: Artifact[],
  secrets: SecretInput[],
  filter: (a: Artifact) => boolean = () => true,
): string[] {
  const places: string[] = [];
  for (const a of artifacts) {
    if (!filter(a)) continue;
    const hits = scanForSecrets(a.text, secrets);
    if (hits.length) places.push(`${a.where} (${[...new Set(hits.map((h) => h.encoding))].join(', ')})`);
  }
  return [...new Set(places)];
}

/** A secret value with what it is (`access-token`, `client-secret`, ...). */
type KindedSecret = { value: string; kind: string };

/** The system-user tickets the app sent NetServer so far (server-to-server apps). */
function ticketsUsed(preflight: Preflight): KindedSecret[] {
  const tickets = preflight.emulator.recorder
    .all()
    .map((e) => credentialAfter('SOTicket', e.requestHeaders['authorization']))
    .filter((t): t is string => !!t);
  return [...new Set(tickets)].map((value) => ({ value, kind: 'system-user ticket' }));
}

function privateKeySecrets(file: string | undefined): KindedSecret[] {
  if (!file || !existsSync(file)) return [];
  return [{ value: readFileSync(file, 'utf8').trim(), kind: 'private-key' }];
}

test.describe('secrets in the browser', () => {
  test(
    'Client secret, refresh token, private key and tickets stay out of the browser',
    {
      tag: [
        '@SECRET-AS-PASSWORD',
        '@TOKEN-REFRESH-NOT-IN-BROWSER',
        '@TOKEN-ACCESS-STORAGE',
        '@PRIVATE-KEY-SAFE',
        '@TICKET-NOT-IN-URL',
        '@SECRET-NOT-IN-URL',
        '@COOKIE-HTTPONLY-SECURE',
      ],
    },
    async ({ preflight }) => {
      const captured = await captureSignedInBrowser(preflight, { crawl: true });
      const rules = [
        'SECRET-AS-PASSWORD',
        'TOKEN-REFRESH-NOT-IN-BROWSER',
        'TOKEN-ACCESS-STORAGE',
        'TICKET-NOT-IN-URL',
        'SECRET-NOT-IN-URL',
        'COOKIE-HTTPONLY-SECURE',
      ];
      if (preflight.config.app.type === 'server-to-server') rules.push('PRIVATE-KEY-SAFE');
      if ('error' in captured) {
        for (const rule of rules) {
          await preflight.finding({
            rule,
            check: 'browser-artifacts',
            title: 'Browser artifacts after sign-in',
            status: 'error',
            message: `cannot judge: ${captured.error}`,
          });
        }
        return;
      }
      const { session, artifacts, coverage } = captured;
      const { emulator, config } = preflight;
      const tokens = session.flow.tokens();
      const shot = await preflight.screenshot(session, 'signed-in-api-page');
      // What was searched, for every judgement made from the browser's artifacts.
      const searched: Evidence[] = coverage ? [coverageEvidence(coverage, artifacts.length)] : [];
      const counts = coverage ? coverageCounts(coverage) : undefined;
      const scope = counts
        ? `searched ${artifacts.length} browser artifacts from ${counts.pages} app page(s) and ${counts.resources} script(s)/resource(s), signed out and signed in`
        : `searched ${artifacts.length} browser artifacts`;

      // SECRET-AS-PASSWORD
      const secret = emulator.client.secret;
      if (secret !== undefined) {
        const places = findIn(artifacts, [{ value: secret, kind: 'client-secret' }]);
        const fromBrowser = emulator.recorder
          .all()
          .filter(
            (e) =>
              (e.endpoint === 'token' || e.endpoint === 'system-user') &&
              e.from === 'browser' &&
              (e.requestBody + e.url + JSON.stringify(e.requestHeaders)).includes(secret),
          );
        const found = [
          ...places,
          ...fromBrowser.map((e) => `browser call to SuperID ${e.endpoint} endpoint carrying the secret`),
        ];
        await preflight.finding({
          rule: 'SECRET-AS-PASSWORD',
          check: 'client-secret-not-in-browser',
          title: 'The client secret never reaches the browser',
          status: found.length ? 'fail' : 'pass',
          message: found.length
            ? `the client secret is visible to the browser in: ${found.slice(0, 5).join('; ')}`
            : `${scope}: no client secret`,
          evidence: [shot, ...searched],
        });
      } else {
        // A public client (native app) is given no secret: it must not present one of its own.
        const tokenCalls = captured.session.flow.exchanges().filter((e) => e.endpoint === 'token');
        const withSecret = tokenCalls.filter(
          (e) =>
            new URLSearchParams(e.requestBody).has('client_secret') ||
            'client_secret' in e.query ||
            /^basic /i.test(e.requestHeaders['authorization'] ?? ''),
        );
        await preflight.finding({
          rule: 'SECRET-AS-PASSWORD',
          check: 'public-client-sends-no-secret',
          title: 'The public client presents no client secret of its own',
          status: tokenCalls.length === 0 ? 'error' : withSecret.length ? 'fail' : 'pass',
          message:
            tokenCalls.length === 0
              ? 'cannot judge: the app made no token request in this flow'
              : withSecret.length
                ? `the app sent a client secret to SuperID (${withSecret.length} of ${tokenCalls.length} token requests) although it is a public client: a secret shipped in a desktop or CLI app is public; use PKCE without a secret`
                : `${tokenCalls.length} token request(s) without a client secret (PKCE public client)`,
          evidence: withSecret
            .slice(0, 1)
            .map((e) => preflight.exchangeEvidence('token request with a secret', e)),
        });
      }

      // TOKEN-REFRESH-NOT-IN-BROWSER
      if (tokens.refreshTokens.length) {
        const places = findIn(
          artifacts,
          tokens.refreshTokens.map((value) => ({ value, kind: 'refresh-token' })),
        );
        await preflight.finding({
          rule: 'TOKEN-REFRESH-NOT-IN-BROWSER',
          check: 'refresh-token-not-in-browser',
          title: 'The refresh token is never stored in or sent to the browser',
          status: places.length ? 'fail' : 'pass',
          message: places.length
            ? `the refresh token is visible to the browser in: ${places.slice(0, 5).join('; ')}`
            : 'no refresh token in cookies, storage, DOM or any browser traffic',
          evidence: searched,
        });
      } else {
        await preflight.finding({
          rule: 'TOKEN-REFRESH-NOT-IN-BROWSER',
          check: 'refresh-token-not-in-browser',
          title: 'The refresh token is never stored in or sent to the browser',
          status: 'not-run',
          message:
            'not run: the app obtained no refresh token in this flow, so there was none to look for in the browser',
        });
      }

      // TOKEN-ACCESS-STORAGE: access tokens visible to scripts warn; tickets/app tokens fail.
      const accessPlaces = findIn(
        artifacts,
        tokens.accessTokens.map((value) => ({ value, kind: 'access-token' })),
        (a) => a.scriptVisible && !a.where.startsWith('cookie'),
      );
      const cookiePlaces = findIn(
        artifacts,
        tokens.accessTokens.map((value) => ({ value, kind: 'access-token' })),
        (a) => a.where.startsWith('cookie'),
      );
      const ticketPattern = /(?:^|[^A-Za-z0-9])7T(?::|%3A)[A-Za-z0-9+/=_-]{8,}/i;
      const ticketPlaces = artifacts
        .filter((a) => a.scriptVisible && ticketPattern.test(a.text))
        .map((a) => a.where);
      await preflight.finding({
        rule: 'TOKEN-ACCESS-STORAGE',
        check: 'tokens-not-script-visible',
        title: 'Access tokens and system tickets are not exposed to browser scripts',
        status: ticketPlaces.length ? 'fail' : accessPlaces.length || cookiePlaces.length ? 'warn' : 'pass',
        message: ticketPlaces.length
          ? `a system-user ticket is visible to the browser in: ${ticketPlaces.slice(0, 3).join('; ')}`
          : accessPlaces.length || cookiePlaces.length
            ? `the access token is visible to the browser in: ${[...accessPlaces, ...cookiePlaces].slice(0, 3).join('; ')}; keep it on the server`
            : 'no access token or ticket in cookies, storage, DOM or script-visible responses',
        evidence: searched,
      });

      // PRIVATE-KEY-SAFE
      if (config.app.type === 'server-to-server') {
        const places = findIn(artifacts, privateKeySecrets(emulator.privateKeyFile));
        const pemHeader = artifacts
          .filter((a) => /-----BEGIN [A-Z ]*PRIVATE KEY-----|<RSAKeyValue>[\s\S]*<D>/.test(a.text))
          .map((a) => a.where);
        const all = [...new Set([...places, ...pemHeader])];
        await preflight.finding({
          rule: 'PRIVATE-KEY-SAFE',
          check: 'private-key-not-in-browser',
          title: "The app's RSA private key never reaches the browser",
          status: all.length ? 'fail' : 'pass',
          message: all.length
            ? `private key material is visible to the browser in: ${all.slice(0, 3).join('; ')}`
            : 'no private key material in any browser artifact (storage at rest: attest manually)',
          evidence: searched,
        });
      }

      // TICKET-NOT-IN-URL: credentials in URLs the browser requested.
      const urlSecrets: SecretInput[] = [
        ...tokens.accessTokens.map((value) => ({ value, kind: 'access-token' })),
        ...tokens.refreshTokens.map((value) => ({ value, kind: 'refresh-token' })),
        ...tokens.idTokens.map((value) => ({ value, kind: 'id-token' })),
      ];
      const inUrls = [
        ...findIn(artifacts, urlSecrets, (a) => a.isUrl),
        ...artifacts
          .filter(
            (a) =>
              a.isUrl && (/(7T|8A|7A)(:|%3A)[A-Za-z0-9]/i.test(a.text) || /<usec>|%3Cusec%3E/i.test(a.text)),
          )
          .map((a) => a.where),
      ];
      await preflight.finding({
        rule: 'TICKET-NOT-IN-URL',
        check: 'no-credentials-in-urls',
        title: 'No ticket, token or <usec> value appears in a URL the browser requests',
        status: inUrls.length ? 'fail' : 'pass',
        message: inUrls.length
          ? `credentials in URLs: ${[...new Set(inUrls)].slice(0, 3).join('; ')}`
          : 'no credential in any URL the browser requested',
        evidence: searched,
      });

      // SECRET-NOT-IN-URL: what the app's server sent to SuperID.
      const inQuery = emulator.recorder
        .all()
        .filter(
          (e) =>
            (e.endpoint === 'token' || e.endpoint === 'system-user' || e.endpoint === 'revoke') &&
            Object.keys(e.query).some((k) => /client_secret|ApplicationToken|refresh_token/i.test(k)),
        );
      await preflight.finding({
        rule: 'SECRET-NOT-IN-URL',
        check: 'secret-not-in-query',
        title: 'The client secret and refresh token are not sent in URL query strings',
        status: inQuery.length ? 'fail' : 'pass',
        message: inQuery.length
          ? `${inQuery.length} call(s) to SuperID put ${[...new Set(inQuery.flatMap((e) => Object.keys(e.query).filter((k) => /secret|token/i.test(k))))].join(', ')} in the query string (it ends up in proxy and server logs): send them in the form body or with HTTP Basic`
          : 'token requests carry their secrets in the body or Authorization header',
        evidence: inQuery
          .slice(0, 1)
          .map((e) => preflight.exchangeEvidence('token request with secrets in the URL', e)),
      });

      // COOKIE-HTTPONLY-SECURE: every cookie the app set, by Set-Cookie or by script.
      const fromHeaders = new Map<string, { httpOnly: boolean; secure: boolean }>();
      for (const line of captured.appSetCookies) {
        const name = line.split('=')[0]!.trim();
        if (/;\s*expires=thu, 01 jan 1970/i.test(line) || /;\s*max-age=0\b/i.test(line)) continue;
        fromHeaders.set(name, { httpOnly: /;\s*httponly\b/i.test(line), secure: /;\s*secure\b/i.test(line) });
      }
      const jar = preflight.harness.baseURL
        ? await session.context.cookies(new URL(preflight.harness.baseURL).origin)
        : [];
      const byScript = jar.filter(
        (c) => !fromHeaders.has(c.name) && !captured.foreignCookieNames.has(c.name),
      );
      const cookies = [
        ...[...fromHeaders].map(([name, f]) => ({ name, ...f })),
        ...byScript.map((c) => ({ name: c.name, httpOnly: c.httpOnly, secure: c.secure })),
      ];
      const noHttpOnly = cookies.filter((c) => !c.httpOnly).map((c) => c.name);
      const noSecure = cookies.filter((c) => !c.secure).map((c) => c.name);
      const strict = config.app.certification === 'standard';
      await preflight.finding({
        rule: 'COOKIE-HTTPONLY-SECURE',
        check: 'cookie-flags',
        title: 'Every cookie the app sets is HttpOnly and Secure',
        status: noHttpOnly.length || (strict && noSecure.length) ? 'fail' : noSecure.length ? 'warn' : 'pass',
        message:
          cookies.length === 0
            ? 'the app set no cookies'
            : [
                noHttpOnly.length ? `without HttpOnly: ${noHttpOnly.join(', ')}` : '',
                noSecure.length ? `without Secure: ${noSecure.join(', ')}` : '',
              ]
                .filter(Boolean)
                .join('; ') ||
              `${cookies.length} cookie(s), all HttpOnly and Secure: ${cookies.map((c) => c.name).join(', ')}`,
      });
    },
  );

  test('The app writes no secrets to its logs', { tag: ['@LOG-NO-SECRETS'] }, async ({ preflight }) => {
    const { emulator, harness, config } = preflight;
    // An app the run did not start (attach mode, or no app.start): its output is not ours to see.
    // Native apps are started by the harness for every sign-in, so their output is always seen.
    const attached = config.app.type !== 'native' && (await emulator.app(Number.MAX_SAFE_INTEGER)).attached;
    if (attached && config.app.logFiles.length === 0) {
      await preflight.finding({
        rule: 'LOG-NO-SECRETS',
        check: 'logs-clean',
        title: "The app's output holds no secrets",
        status: 'not-run',
        message:
          'not run: so-preflight did not start the app, so it saw none of its output; list the files the app logs to in app.logFiles',
      });
      return;
    }
    // The sign-in and the API page make the app do its token work; no crawl needed for its logs.
    const captured = await captureSignedInBrowser(preflight, { crawl: false });
    if ('error' in captured) {
      await preflight.finding({
        rule: 'LOG-NO-SECRETS',
        check: 'logs-clean',
        title: "The app's output holds no secrets",
        status: 'error',
        message: `cannot judge: ${captured.error}`,
      });
      return;
    }
    const tokens = captured.session.flow.tokens();
    const secrets: SecretInput[] = [
      ...(emulator.client.secret ? [{ value: emulator.client.secret, kind: 'client-secret' }] : []),
      ...tokens.accessTokens.map((value) => ({ value, kind: 'access-token' })),
      ...tokens.refreshTokens.map((value) => ({ value, kind: 'refresh-token' })),
      ...tokens.idTokens.map((value) => ({ value, kind: 'id-token' })),
      { value: captured.session.flow.user.password, kind: 'password' },
      ...privateKeySecrets(emulator.privateKeyFile),
      // System-user tickets the app used (server-to-server apps): never in a log either.
      ...ticketsUsed(preflight),
    ];
    const sources: Array<{ where: string; text: string }> = attached
      ? []
      : [{ where: 'app output (stdout/stderr)', text: (await harness.appOutput()).join('\n') }];
    for (const f of config.app.logFiles) {
      const file = resolve(config.configDir, f);
      if (existsSync(file)) sources.push({ where: f, text: readFileSync(file, 'utf8') });
    }
    const hits = sources.flatMap((s) =>
      scanForSecrets(s.text, secrets).map((h) => `${h.secretKind ?? 'secret'} in ${s.where} (${h.encoding})`),
    );
    await preflight.finding({
      rule: 'LOG-NO-SECRETS',
      check: 'logs-clean',
      title: "The app's output holds no secrets",
      status: hits.length ? 'fail' : 'pass',
      message: hits.length
        ? `found ${[...new Set(hits)].slice(0, 4).join('; ')}: log events, never token or secret values`
        : `searched ${sources.map((s) => s.where).join(', ')}: no client secret, token, ticket or password`,
    });
  });
});

test.describe('secrets sent to other hosts', () => {
  test(
    "The app sends no token or secret to hosts other than SuperOffice's",
    { tag: ['@LOG-NO-SECRETS', '@SECRET-AS-PASSWORD'] },
    async ({ preflight }) => {
      const { emulator } = preflight;
      test.skip(
        !preflight.harness.browserProxy,
        "the app's traffic to other hosts is seen only while so-preflight stands in for SuperOffice's hosts (superoffice.impersonate)",
      );
      const checks = [
        {
          rule: 'LOG-NO-SECRETS',
          check: 'no-tokens-to-other-hosts',
          title:
            "No token or ticket is sent to a host other than SuperOffice's (telemetry, analytics, third parties)",
          kinds: ['access-token', 'refresh-token', 'id-token', 'system-user ticket', 'token'],
          what: 'tokens and tickets',
        },
        {
          rule: 'SECRET-AS-PASSWORD',
          check: 'secret-not-sent-elsewhere',
          title: 'The client secret, private key and password are sent to SuperID only',
          kinds: ['client-secret', 'private-key', 'password'],
          what: 'the client secret, the private key and the password',
        },
      ];
      const captured = await captureSignedInBrowser(preflight, { crawl: false });
      if ('error' in captured) {
        for (const c of checks) await cannotJudge(preflight, c.rule, c.check, c.title, captured.error);
        return;
      }
      // The session page too: apps report page views (telemetry) there as often as anywhere.
      if (preflight.config.app.session) await preflight.probe(captured.session).catch(() => undefined);
      // Telemetry is often sent in the background after the page answered: a bounded moment for it.
      await captured.session.page.waitForTimeout(1_500);
      await emulator.sync();
      const tokens = captured.session.flow.tokens();
      const known: KindedSecret[] = [
        ...(emulator.client.secret ? [{ value: emulator.client.secret, kind: 'client-secret' }] : []),
        ...privateKeySecrets(emulator.privateKeyFile),
        ...Object.values(emulator.users).map((u) => ({ value: u.password, kind: 'password' })),
        ...tokens.accessTokens.map((value) => ({ value, kind: 'access-token' })),
        ...tokens.refreshTokens.map((value) => ({ value, kind: 'refresh-token' })),
        ...tokens.idTokens.map((value) => ({ value, kind: 'id-token' })),
        ...ticketsUsed(preflight),
      ];
      // Every other credential the run issued (other flows' tokens, codes, tickets) counts too.
      const seen = new Set(known.map((k) => k.value));
      const secrets: SecretInput[] = [
        ...known,
        ...emulator
          .secrets()
          .filter((v) => !seen.has(v))
          .map((value) => ({ value, kind: 'token' })),
      ];
      const outbound = emulator.recorder.all().filter((e) => e.origin === 'outbound');
      const requests = outbound.map((e) => ({
        host: new URL(e.url).hostname,
        method: e.method,
        path: e.path,
        from: e.from,
        url: e.url,
        requestHeaders: e.requestHeaders,
        requestBody: e.requestBody,
      }));
      const leaks = outboundLeaks(requests, secrets);
      const stats = await emulator.proxyStats();
      for (const c of checks) {
        const judged = judgeOutbound({
          leaks,
          kinds: c.kinds,
          requests: requests.length,
          hosts: [...new Set(requests.map((r) => r.host))],
          appTunnels: stats?.tunnels.app ?? 0,
          what: c.what,
        });
        const leak = leaks.find((l) => l.kinds.some((k) => c.kinds.includes(k)));
        const leaked = leak ? outbound[leak.index] : undefined;
        await preflight.finding({
          rule: c.rule,
          check: c.check,
          title: c.title,
          ...judged,
          evidence: leaked
            ? [preflight.exchangeEvidence('request to another host carrying a secret', leaked)]
            : [],
        });
      }
    },
  );
});

test.describe('native token store', () => {
  test(
    'The native app keeps its tokens where only its user can read them',
    { tag: ['@TOKEN-ACCESS-STORAGE', '@SECRET-AS-PASSWORD'] },
    async ({ preflight }) => {
      const { config } = preflight;
      test.skip(config.app.type !== 'native', 'web and server-to-server apps keep tokens on their server');
      const rule = 'TOKEN-ACCESS-STORAGE';
      const check = 'token-store-private';
      const title =
        "The token store is readable by the app's user only and holds no client secret or password";
      if (!config.app.tokenStore)
        return preflight.finding({
          rule,
          check,
          title,
          ...needsConfig(
            'app.tokenStore',
            'where the app keeps its tokens, relative to its home folder (e.g. ".config/acme/tokens.json"), so its permissions can be checked',
          ),
        });
      if (process.platform === 'win32')
        return preflight.finding({
          rule,
          check,
          title,
          status: 'not-run',
          message: 'not run: file permissions are checked on Linux and macOS only',
        });
      const session = await signedIn(preflight);
      if (typeof session === 'string') return cannotJudge(preflight, rule, check, title, session);
      await session.native?.process.waitForExit(15_000);
      const home = session.native?.home ?? '';
      const file = resolve(home, config.app.tokenStore);
      if (!existsSync(file))
        return cannotJudge(
          preflight,
          rule,
          check,
          title,
          `after a sign-in there is no ${config.app.tokenStore} in the run's home folder (the app keeps its tokens elsewhere, or not at all: check app.tokenStore)`,
        );
      const problems: string[] = [];
      for (const path of [file, dirname(file)]) {
        const mode = statSync(path).mode & 0o777;
        if (mode & 0o077)
          problems.push(
            `${relative(home, path) || '.'} has mode ${mode.toString(8).padStart(4, '0')}: other users of the machine can ${mode & 0o044 ? 'read' : 'use'} it`,
          );
      }
      const content = readFileSync(file, 'utf8');
      const hits = scanForSecrets(content, [
        ...(preflight.emulator.client.secret
          ? [{ value: preflight.emulator.client.secret, kind: 'client-secret' }]
          : []),
        { value: session.flow.user.password, kind: 'password' },
      ]);
      for (const hit of hits)
        problems.push(`${config.app.tokenStore} holds the ${hit.secretKind ?? 'secret'}`);
      const tokens = session.flow.tokens();
      const holdsTokens = [...tokens.accessTokens, ...tokens.refreshTokens].some((t) => content.includes(t));
      await preflight.finding({
        rule,
        check,
        title,
        status: problems.length ? 'fail' : 'pass',
        message: problems.length
          ? `${problems.join('; ')}: create the folder with mode 0700 and the file with 0600 (or use the OS keychain)`
          : `${config.app.tokenStore} and its folder are private to the user (no group or other permissions)${holdsTokens ? '' : '; it holds no token in clear'}`,
      });
    },
  );
});
