/**
 * Judges: pure functions from what a check observed (exchanges, page text, probe answers, marks)
 * to a check status with a message. The Playwright side only drives the app and collects the
 * observations; everything that decides pass, fail or error lives here, so "nothing observed"
 * is an `error` by construction and each judge is unit-tested without a browser.
 */
import { findStackTrace } from '../evidence/stacktrace.ts';
import { parseBasic } from '../emulator/http.ts';
import { scanForSecrets } from '../evidence/scan.ts';
import type { SecretInput } from '../evidence/encodings.ts';
import { decoded, parsed, peakWithin } from './shared.ts';

export type JudgedStatus = 'pass' | 'fail' | 'warn' | 'error' | 'not-run';

export interface Judgement {
  status: JudgedStatus;
  message: string;
}

const cannot = (why: string): Judgement => ({ status: 'error', message: `cannot judge: ${why}` });

/** What the session probe answered; `signedIn` is undefined when it gave no usable answer. */
export interface ProbeObservation {
  signedIn: boolean | undefined;
  status: number;
  excerpt: string;
}

/** An API call, as recorded by NetServer. */
export interface CallObservation {
  method: string;
  path: string;
  status: number;
}

export interface RejectionObservation {
  /** The positive control: a valid sign-in reaches a session. */
  control: { ok: true } | { ok: false; reason: string };
  /** Whether the attacked artefact reached the app, and if not, why. */
  delivered: true | string;
  /** The case needs the app to redeem the code (forged id_tokens travel in the token answer). */
  requireRedemption: boolean;
  /** A successful token exchange after the attacked delivery (or an implicit-flow delivery). */
  redeemed: boolean;
  native: boolean;
  /** Web apps: the session probe after the delivery. */
  probe?: ProbeObservation;
  /** API calls made with the flow's tokens after the attacked delivery. */
  apiCalls: readonly CallObservation[];
  /**
   * Set when the attack could not change anything for this app (e.g. "nonce missing" when the app
   * sends no nonce): the case is no attack, so it is `not-run` with this reason, whatever happened.
   */
  ineffective?: string;
}

/**
 * A "must reject" case: pass only on a positive observation that the app refused (a usable
 * probe answer "signed out" and no API call with the flow's tokens after the delivery).
 */
export function judgeRejection(o: RejectionObservation): Judgement {
  if (o.ineffective) return { status: 'not-run', message: `not run: ${o.ineffective}` };
  if (!o.control.ok) return cannot(o.control.reason);
  if (o.delivered !== true) return cannot(o.delivered);
  if (o.requireRedemption && !o.redeemed)
    return cannot('the app never redeemed the authorization code, so the faulty token never reached it');
  const call = o.apiCalls[0];
  if (o.native) {
    if (call)
      return {
        status: 'fail',
        message: `the app accepted the token: it called ${call.method} ${call.path} with it`,
      };
    return { status: 'pass', message: 'the app refused the token: no API call was made with it' };
  }
  if (o.probe?.signedIn === true)
    return {
      status: 'fail',
      message: `the app accepted the token and created a session (session probe answered HTTP ${o.probe.status})`,
    };
  if (call)
    return { status: 'fail', message: `the app used the flow's access token: ${call.method} ${call.path}` };
  if (!o.probe || o.probe.signedIn === undefined)
    return cannot(
      `the session probe gave no answer (${o.probe?.excerpt.slice(0, 120) || 'not asked'}), so "no session" was not observed`,
    );
  return {
    status: 'pass',
    message: "the app refused the sign-in: no session and no API call with the flow's tokens",
  };
}

export interface RefreshOn401Observation {
  /** API calls of the flow after the fault was armed. */
  calls: readonly CallObservation[];
  /** Refresh grants of the flow after the fault was armed. */
  refreshes: number;
}

/** API-TOKEN-REFRESH: an expired access token (401) leads to one refresh and a retried call. */
export function judgeRefreshOn401(o: RefreshOn401Observation): Judgement {
  if (o.calls.length === 0) return cannot('the app made no API call on its API page');
  const first401 = o.calls.findIndex((c) => c.status === 401);
  if (first401 < 0) {
    const statuses = [...new Set(o.calls.map((c) => c.status))].join(', ');
    return cannot(`the app's API calls never met the expired-token 401 (they got HTTP ${statuses})`);
  }
  if (o.refreshes === 0)
    return {
      status: 'fail',
      message:
        'after a 401 the app did not use its refresh token; refresh it (grant_type=refresh_token) and retry instead of failing or signing the user in again',
    };
  if (o.refreshes > 3)
    return { status: 'fail', message: `the app refreshed ${o.refreshes} times for one expiry` };
  const retried = o.calls.slice(first401 + 1).some((c) => c.status < 300);
  if (!retried)
    return {
      status: 'fail',
      message: 'the app refreshed after the 401 but never retried the call successfully',
    };
  return { status: 'pass', message: `got 401, refreshed (${o.refreshes}x) and retried successfully` };
}

export interface RefreshPerCallObservation {
  /** API calls made while the access token was valid (no fault armed). */
  calls: readonly CallObservation[];
  refreshes: number;
  /** Seconds the access token had left when the first call was made. */
  tokenSecondsLeft: number;
}

/** API-TOKEN-REFRESH: a valid access token is reused, not refreshed before every call. */
export function judgeRefreshPerCall(o: RefreshPerCallObservation): Judgement {
  const ok = o.calls.filter((c) => c.status < 300);
  if (ok.length < 2)
    return cannot(`the app made ${ok.length} successful API call(s); two or more are needed to compare`);
  if (o.calls.some((c) => c.status === 401)) return cannot('an API call got 401 although no fault was armed');
  if (o.refreshes > 0)
    return {
      status: 'fail',
      message: `the app refreshed its access token ${o.refreshes} time(s) for ${ok.length} API calls while the token was valid for ${Math.round(o.tokenSecondsLeft / 60)} more minutes: reuse it until it expires (or a call gets 401)`,
    };
  return {
    status: 'pass',
    message: `${ok.length} API calls with one access token and no refresh while it was valid`,
  };
}

export interface ThrottleObservation {
  retryAfterSeconds: number;
  /** The app's API calls after the throttle was armed, with their time (ms). */
  calls: ReadonlyArray<CallObservation & { at: number }>;
  /** Whether the app answered the page request at all, and how long the user waited (ms). */
  answered: boolean;
  elapsedMs: number;
  /** The app's own requests the page still waited for when the judge looked. */
  pendingRequests: number;
  /** Visible text of the page the user ended on, or what the command printed. */
  pageText: string;
  /** A page (web apps, default) or a command (native apps). */
  surface?: 'page' | 'command';
}

/** ERR-THROTTLE-UX: on 429 the app honours Retry-After and tells the user, no storm, no hang. */
export function judgeThrottle(o: ThrottleObservation): Judgement {
  const throttled = o.calls.filter((c) => c.status === 429);
  if (throttled.length === 0) {
    if (o.calls.length === 0) return cannot('the app made no API call on its API page');
    return cannot("none of the app's API calls met the armed 429");
  }
  const first = throttled[0]!.at;
  const windowMs = o.retryAfterSeconds * 1000 - 250;
  const inWindow = o.calls.filter((c) => c.at - first < windowMs).length;
  if (inWindow > 2)
    return {
      status: 'fail',
      message: `${inWindow} calls within the ${o.retryAfterSeconds} s Retry-After window (${throttled.length} throttled in all): wait Retry-After before retrying`,
    };
  const what = o.surface === 'command' ? 'the command' : 'the page';
  if (!o.answered || o.elapsedMs > 20_000)
    return {
      status: 'fail',
      message: `${what} took ${Math.round(o.elapsedMs / 1000)} s or never ${o.surface === 'command' ? 'finished' : 'answered'} while throttled`,
    };
  if (o.pendingRequests > 0)
    return {
      status: 'fail',
      message: `the page still waits for ${o.pendingRequests} request(s) to the app while throttled: the user sees a page that never finishes loading`,
    };
  if (o.pageText.trim() === '')
    return cannot(
      o.surface === 'command' ? 'the command printed nothing' : 'the page the user ended on shows no text',
    );
  return {
    status: 'pass',
    message: `${inWindow} call(s) within Retry-After; ${what} answered in ${Math.round(o.elapsedMs / 100) / 10} s`,
  };
}

export interface ErrorPageObservation {
  /** Visible text and HTML of the page; undefined when the page could not be read. */
  text: string | undefined;
  html: string | undefined;
  /** HTTP status of the document, when known. */
  status?: number;
}

/** ERROR-PAGE: no stack trace or framework error screen; a blank or unreadable page is not a pass. */
export function judgeErrorPage(o: ErrorPageObservation): Judgement & { runtime?: string; excerpt?: string } {
  const hit = (o.text ? findStackTrace(o.text) : undefined) ?? (o.html ? findStackTrace(o.html) : undefined);
  if (hit)
    return {
      status: 'fail',
      message: `the page shows a ${hit.runtime} stack trace`,
      runtime: hit.runtime,
      excerpt: hit.excerpt,
    };
  if (o.text === undefined && o.html === undefined) return cannot('the page could not be read');
  if ((o.text ?? '').trim() === '' && !/<body[^>]*>[\s\S]*\S[\s\S]*<\/body>/i.test(o.html ?? ''))
    return cannot(`the page is blank${o.status ? ` (HTTP ${o.status})` : ''}, so there is nothing to judge`);
  return { status: 'pass', message: 'no stack trace or framework error screen on the page' };
}

/** AUTH-CODE-SINGLE-USE: a replayed callback does not make the app redeem the code again and again. */
export function judgeCodeReplay(o: { redemptionsOfCode: number; deliveries: number }): Judgement {
  if (o.deliveries === 0) return cannot('the callback was never delivered');
  if (o.redemptionsOfCode === 0)
    return cannot('the app never redeemed the code, so its reuse was not observed');
  if (o.redemptionsOfCode > 2)
    return {
      status: 'fail',
      message: `the app redeemed the same code ${o.redemptionsOfCode} times for ${o.deliveries} deliveries of the callback`,
    };
  return {
    status: 'pass',
    message: `the code was redeemed ${o.redemptionsOfCode} time(s) for ${o.deliveries} deliveries; SuperID refused the reuse and the app did not loop`,
  };
}

/** A rule that needs configuration the user did not give: `not-run`, naming the key to add. */
export function needsConfig(key: string, why: string): Judgement {
  return { status: 'not-run', message: `not run: add ${key} to the config (${why})` };
}

/** One API call, by the host it went to: the tenant's host before a move, after it, or SuperID's. */
export interface HostCall {
  host: 'old' | 'moved' | 'auth';
  status: number;
}

export interface TenantMoveObservation {
  /** The app's API calls before the move (baseline), in order. */
  before: readonly HostCall[];
  /** The app's API calls after the move, in order. */
  after: readonly HostCall[];
  /** How many times the app did its API work after the move. */
  uses: number;
}

/**
 * Node's fetch (undici) repeats a request answered 421 once by itself, so one attempt of the app
 * can show as two; more than this many old-host calls per use is "retrying the same host".
 */
const OLD_HOST_CALLS_PER_USE = 4;

/** STATUS-HANDLE-421: after a move, a 421 means "re-resolve and retry", not "give up" or "retry forever". */
export function judgeHandle421(o: TenantMoveObservation): Judgement {
  if (o.after.length === 0) return cannot('the app made no API call after the tenant moved');
  if ([...o.before, ...o.after].every((c) => c.host === 'auth'))
    return cannot("the app never called the tenant's own host, so there was no move for it to follow");
  const old = o.after.filter((c) => c.host === 'old').length;
  const followed = o.after.some((c) => c.host === 'moved' && c.status < 400);
  // Going straight to the new host shows the app asked the state API again, not what it does on a 421.
  if (old === 0 && followed)
    return cannot(
      'the app reached the new host without calling the old one after the move, so it never met a 421 and its handling of one was not seen',
    );
  if (!followed)
    return {
      status: 'fail',
      message: `after the tenant moved the app made ${old} call(s) to the old host (421) and none that succeeded on the new one: on 421 ask the state API for the tenant's Endpoint and retry there once`,
    };
  if (old > OLD_HOST_CALLS_PER_USE * Math.max(1, o.uses))
    return {
      status: 'fail',
      message: `${old} calls to the old host after the move for ${o.uses} use(s) of the app: re-resolve on the first 421 instead of retrying the same host`,
    };
  return {
    status: 'pass',
    message: `followed the move: ${old} call(s) to the old host answered 421, then the API succeeded on the new host`,
  };
}

/**
 * STATUS-NO-HARDCODED-URL: tenant hosts come from the webapi_url claim and the state API; never
 * built from the sign-in host, never kept after a move.
 */
export function judgeNoHardcodedUrl(o: TenantMoveObservation): Judgement {
  const all = [...o.before, ...o.after];
  if (all.length === 0) return cannot('the app made no API call');
  const auth = all.filter((c) => c.host === 'auth').length;
  if (auth > 0)
    return {
      status: 'fail',
      message: `${auth} of ${all.length} API call(s) went to SuperID's host: take the tenant's host from the webapi_url claim and the state API, never build it from the sign-in host`,
    };
  if (o.after.length === 0) return cannot('the app made no API call after the tenant moved');
  if (!o.after.some((c) => c.host === 'moved'))
    return {
      status: 'fail',
      message: `after the tenant moved the app kept calling the old host (${o.after.length} call(s)): resolve the endpoint through the state API instead of keeping a stored host`,
    };
  return {
    status: 'pass',
    message: 'every API call went to a host named by the claim or by the state API after the move',
  };
}

/** One request the app sent to the tenant (path with its query string, as received). */
export interface TenantRequest {
  method: string;
  /** Path and query, e.g. `/Cust12345/api/v1/Contact?$select=name&$top=10`. */
  url: string;
}

/** The path of a tenant request (`/Cust12345/api/v1/Contact/4`), without its query. */
function pathOf(req: TenantRequest): string {
  return new URL(req.url, 'https://tenant.invalid').pathname;
}

/** The path of a tenant request below the tenant's API root (`v1/Contact/4`). */
function apiPathOf(req: TenantRequest): string {
  return pathOf(req).replace(/^\/[^/]+\/api\//i, '');
}

/** An OR chain this long in one `$filter` should be an `IN` (or fewer calls). */
const MAX_OR_TERMS = 5;

/** What makes one OData request heavy on the tenant's database (empty when it is fine). */
export function odataProblems(req: TenantRequest): string[] {
  const u = new URL(req.url, 'https://tenant.invalid');
  const path = decodeURIComponent(u.pathname);
  const q = new Map([...u.searchParams].map(([k, v]) => [k.toLowerCase(), v]));
  const problems: string[] = [];
  if (/\/\$count$/i.test(path) || q.get('$count') === 'true' || q.has('$inlinecount'))
    problems.push('asks for a count');
  // Only queries over a collection (an OData option, or an archive) are judged further.
  const archive = /\/api\/v1\/Archive\//i.test(path);
  const query = [...q.keys()].some((k) => k.startsWith('$')) || archive;
  if (!query || req.method !== 'GET') return problems;
  if (q.has('$top') && !q.has('$orderby')) problems.push('$top without $orderby');
  if (archive && !q.has('$filter')) problems.push('an archive query without $filter');
  if (!q.has('$select')) problems.push('no $select');
  const ors = (q.get('$filter') ?? '').split(/\s+or\s+/i).length - 1;
  if (ors >= MAX_OR_TERMS) problems.push(`${ors + 1} terms OR-ed in $filter (use "in")`);
  if (!q.has('$top') && !q.has('$filter') && !archive)
    problems.push('reads the whole collection (no $top or $filter)');
  return problems;
}

/** Whether a request is a list or search query (the kind API-NO-CHOKE judges). */
export function isODataQuery(req: TenantRequest): boolean {
  const u = new URL(req.url, 'https://tenant.invalid');
  return (
    [...u.searchParams.keys()].some((k) => k.startsWith('$')) ||
    /\/api\/v1\/Archive\//i.test(u.pathname) ||
    /\/\$count$/i.test(u.pathname)
  );
}

/** API-NO-CHOKE: list and search queries that do not choke the tenant's database. */
export function judgeQueries(requests: readonly TenantRequest[]): Judgement {
  if (requests.length === 0) return cannot('the app made no API call');
  const queries = requests.filter(isODataQuery);
  if (queries.length === 0)
    return {
      status: 'not-run',
      message:
        'not run: the app made no list or search query (no OData options, no archive) while it was driven, so there was nothing to lint',
    };
  const bad = queries.map((r) => ({ r, problems: odataProblems(r) })).filter((x) => x.problems.length > 0);
  if (bad.length)
    return {
      status: 'fail',
      message: `${bad.length} of ${queries.length} queries are heavy on the database: ${bad
        .slice(0, 3)
        .map((x) => `${x.r.method} ${x.r.url.replace(/^https?:\/\/[^/]+/, '')} (${x.problems.join(', ')})`)
        .join(
          '; ',
        )}; select only the fields you need, $orderby the primary key with $top/$skip, filter, never count`,
    };
  return {
    status: 'pass',
    message: `${queries.length} list or search quer${queries.length === 1 ? 'y' : 'ies'}, each with $select, bounded and ordered, no counts`,
  };
}

/** API-NO-MIX: REST or SOAP, not both. */
export function judgeNoMix(requests: readonly TenantRequest[]): Judgement {
  if (requests.length === 0) return cannot('the app made no API call');
  const soap = requests.filter((r) => /\/Remote\/Services\d*\//i.test(pathOf(r)));
  const rest = requests.filter((r) => /\/api\//i.test(pathOf(r)));
  if (soap.length && rest.length)
    return {
      status: 'fail',
      message: `the app uses both REST (${rest.length} call(s)) and SOAP (${soap.length}, e.g. ${pathOf(soap[0]!)}): use one of them`,
    };
  return {
    status: 'pass',
    message: `${requests.length} API call(s), all ${soap.length ? 'SOAP' : 'REST'}`,
  };
}

/** API-RATE-10PS: the most API calls of one user (or the system user) inside any one second. */
export function peakPerSecond(times: readonly number[]): number {
  return peakWithin(times, 1000);
}

/** No more than 10 calls per second: custom apps fail above it, standard apps are warned. */
export function judgeRate(o: { times: readonly number[]; certification: 'standard' | 'custom' }): Judgement {
  if (o.times.length === 0) return cannot('the app made no API call');
  const peak = peakPerSecond(o.times);
  if (peak <= 10)
    return {
      status: 'pass',
      message: `at most ${peak} API call(s) in any one second (${o.times.length} in all)`,
    };
  return {
    status: o.certification === 'custom' ? 'fail' : 'warn',
    message: `${peak} API calls within one second (limit 10): batch or cache, and do not fan out one call per row`,
  };
}

/** A request the app (or its pages) sent to a host that is not SuperOffice's, seen by the proxy. */
export interface OutboundObservation {
  host: string;
  method: string;
  path: string;
  from: 'browser' | 'server';
  url: string;
  requestHeaders: Record<string, string>;
  requestBody: string;
}

export interface OutboundLeak {
  /** Position of the request in the list judged. */
  index: number;
  host: string;
  request: string;
  from: 'browser' | 'server';
  /** Secret kinds found (`access-token`, `client-secret`, ...). */
  kinds: string[];
  /** Where in the request: `URL`, `header authorization`, `body`. */
  where: string[];
}

/** The secrets each outbound request carries, anywhere in its URL, headers or body. */
export function outboundLeaks(
  requests: readonly OutboundObservation[],
  secrets: readonly SecretInput[],
): OutboundLeak[] {
  const leaks: OutboundLeak[] = [];
  for (const [index, r] of requests.entries()) {
    const parts: Array<[string, string]> = [
      ['URL', r.url],
      ...Object.entries(r.requestHeaders).map(([k, v]): [string, string] => [`header ${k}`, v]),
      ['body', r.requestBody],
    ];
    const kinds = new Set<string>();
    const where = new Set<string>();
    for (const [label, text] of parts) {
      for (const hit of scanForSecrets(text, secrets)) {
        kinds.add(hit.secretKind ?? 'secret');
        where.add(label);
      }
    }
    if (kinds.size)
      leaks.push({
        index,
        host: r.host,
        request: `${r.method} ${r.path}`,
        from: r.from,
        kinds: [...kinds],
        where: [...where],
      });
  }
  return leaks;
}

/**
 * Whether any of `kinds` left for another host. Needs a positive observation that the proxy sees
 * the app's traffic at all (`appTunnels` > 0), else `error`.
 */
export function judgeOutbound(o: {
  leaks: readonly OutboundLeak[];
  kinds: readonly string[];
  requests: number;
  hosts: readonly string[];
  appTunnels: number;
  what: string;
}): Judgement {
  const relevant = o.leaks.filter((l) => l.kinds.some((k) => o.kinds.includes(k)));
  if (relevant.length) {
    const shown = relevant
      .slice(0, 3)
      .map(
        (l) =>
          `${l.kinds.filter((k) => o.kinds.includes(k)).join(' and ')} sent to ${l.host} (${l.request}, in the ${l.where.join(', ')}${l.from === 'browser' ? ', from the browser' : ''})`,
      );
    return {
      status: 'fail',
      message: `${shown.join('; ')}${relevant.length > 3 ? ` and ${relevant.length - 3} more` : ''}: ${o.what} must never leave for hosts other than SuperOffice's`,
    };
  }
  if (o.appTunnels === 0)
    return cannot("the proxy saw none of the app's traffic, so what it sends elsewhere is unknown");
  return {
    status: 'pass',
    message:
      o.requests === 0
        ? `the app reached SuperOffice's hosts through the proxy (${o.appTunnels} connection(s)) and sent nothing to any other host`
        : `${o.requests} request(s) to other hosts (${o.hosts.slice(0, 5).join(', ')}), none carrying ${o.what}`,
  };
}

/** What the TLS probe found for one HTTPS origin of the app. */
export interface TlsObservation {
  origin: string;
  results: ReadonlyArray<{
    version: string;
    accepted: boolean;
    unsupportedLocally?: boolean;
    error?: string;
  }>;
}

const TLS_NAME: Record<string, string> = {
  TLSv1: 'TLS 1.0',
  'TLSv1.1': 'TLS 1.1',
  'TLSv1.2': 'TLS 1.2',
  'TLSv1.3': 'TLS 1.3',
};

/**
 * TLS-1.2: every reachable origin must complete a TLS 1.2 handshake (fail otherwise); TLS 1.0/1.1
 * accepted is a warning (SSLv2/3 and grading are for an external scan). `unreachable` tells which
 * errors mean the origin was not reached at all; when none was reached the rule is not run.
 */
export function judgeTls(origins: readonly TlsObservation[], unreachable: RegExp): Judgement {
  if (origins.length === 0) return cannot('no HTTPS origin was probed');
  const at12 = (o: TlsObservation) => o.results.find((r) => r.version === 'TLSv1.2');
  const away = origins.filter((o) => !at12(o)?.accepted && unreachable.test(at12(o)?.error ?? ''));
  const reached = origins.filter((o) => !away.includes(o));
  const awayNote = away.length
    ? `; not reachable from here: ${away.map((o) => `${o.origin} (${at12(o)?.error})`).join(', ')}`
    : '';
  if (reached.length === 0)
    return {
      status: 'not-run',
      message: `not run: no HTTPS origin of the app could be reached from this machine${awayNote}: scan the hosted app (e.g. SSL Labs)`,
    };
  const no12 = reached.filter((o) => !at12(o)?.accepted);
  if (no12.length)
    return {
      status: 'fail',
      message: `no TLS 1.2 handshake with ${no12.map((o) => `${o.origin} (${at12(o)?.error ?? 'refused'})`).join('; ')}: offer TLS 1.2 (and 1.3)${awayNote}`,
    };
  const legacy = reached.flatMap((o) =>
    o.results
      .filter((r) => (r.version === 'TLSv1' || r.version === 'TLSv1.1') && r.accepted)
      .map((r) => `${o.origin} accepts ${TLS_NAME[r.version]}`),
  );
  const names = reached.map((o) => o.origin).join(', ');
  if (legacy.length)
    return {
      status: 'warn',
      message: `${legacy.join('; ')}: turn TLS 1.0 and 1.1 off; TLS 1.2 handshakes succeed with ${names}${awayNote}`,
    };
  const legacyResults = reached.flatMap((o) =>
    o.results.filter((r) => r.version === 'TLSv1' || r.version === 'TLSv1.1'),
  );
  const refused = [
    ...new Set(legacyResults.filter((r) => !r.unsupportedLocally).map((r) => TLS_NAME[r.version])),
  ];
  const unprobed = [
    ...new Set(legacyResults.filter((r) => r.unsupportedLocally).map((r) => TLS_NAME[r.version])),
  ];
  const v13 = reached.every((o) => o.results.find((r) => r.version === 'TLSv1.3')?.accepted);
  return {
    status: 'pass',
    message: `TLS 1.2${v13 ? ' and 1.3' : ''} handshakes succeed with ${names}${refused.length ? `; ${refused.join(' and ')} refused` : ''}${unprobed.length ? `; ${unprobed.join(' and ')} not probed (the local TLS stack cannot offer ${unprobed.length > 1 ? 'them' : 'it'})` : ''}; SSLv2/3 and the SSL Labs grade need an external scan${awayNote}`,
  };
}

/** A tenant API call with what the emulator noted about it (see netserver/routes-writes.ts). */
export interface WriteObservation extends TenantRequest {
  notes: readonly string[];
}

const ENTITY_CREATE = /\/api\/v1\/([A-Za-z]+)\/?$/;

/** The entity a request creates (`POST v1/Contact` -> `contact`), if it creates one. */
export function createdEntity(req: TenantRequest): string | undefined {
  if (req.method.toUpperCase() !== 'POST') return undefined;
  const m = ENTITY_CREATE.exec(pathOf(req));
  const entity = m?.[1]?.toLowerCase();
  return entity && !['agents', 'agent'].includes(entity) ? entity : undefined;
}

/**
 * API-DEFAULT-ENTITY: every entity the app creates was started from `GET v1/{Entity}/default`
 * earlier in the same traffic. No creation observed: not run, with what would show one.
 */
export function judgeDefaultEntity(requests: readonly TenantRequest[], where: string): Judgement {
  const creates = requests.map((r, i) => ({ r, i, entity: createdEntity(r) })).filter((c) => c.entity);
  if (creates.length === 0)
    return {
      status: 'not-run',
      message: `not run: no entity was created in ${where}; a journey that creates a contact, person or sale shows how the app builds it`,
    };
  const defaulted = (entity: string, before: number) =>
    requests
      .slice(0, before)
      .some(
        (r) =>
          r.method.toUpperCase() === 'GET' && pathOf(r).toLowerCase().endsWith(`/api/v1/${entity}/default`),
      );
  const bare = creates.filter((c) => !defaulted(c.entity!, c.i));
  const names = (list: typeof creates) => [...new Set(list.map((c) => c.entity!))].join(', ');
  if (bare.length)
    return {
      status: 'fail',
      message: `${bare.length} of ${creates.length} created entities (${names(bare)}) were posted without first getting v1/{Entity}/default, so the tenant's preference-derived defaults are lost: start from the default entity`,
    };
  return {
    status: 'pass',
    message: `${creates.length} created entit${creates.length === 1 ? 'y' : 'ies'} (${names(creates)}), each started from v1/{Entity}/default`,
  };
}

/**
 * A data-safety rule judged from the emulator's notes on the app's writes: any request carrying
 * one of `notes` fails; writes to the entity (`writes`) without such a note pass; no write to
 * the entity at all is not run.
 */
export function judgeProtectedWrites(o: {
  requests: readonly WriteObservation[];
  notes: readonly string[];
  entity: 'contact' | 'person';
  where: string;
  protectedWhat: string;
}): Judgement {
  const writes = o.requests.filter(
    (r) =>
      ['PUT', 'PATCH', 'DELETE'].includes(r.method.toUpperCase()) &&
      new RegExp(`/api/v1/${o.entity}/\\d+/?$`, 'i').test(pathOf(r)),
  );
  const bad = writes.filter((r) => r.notes.some((n) => o.notes.includes(n)));
  if (bad.length)
    return {
      status: 'fail',
      message: `${bad
        .slice(0, 3)
        .map((r) => `${r.method} ${pathOf(r)}: ${r.notes.filter((n) => o.notes.includes(n)).join(', ')}`)
        .join('; ')}: never change ${o.protectedWhat}`,
    };
  if (writes.length === 0)
    return {
      status: 'not-run',
      message: `not run: no ${o.entity} was updated or deleted in ${o.where}; a journey that edits ${o.entity === 'contact' ? 'companies' : 'persons'} shows whether ${o.protectedWhat} is left alone`,
    };
  return {
    status: 'pass',
    message: `${writes.length} ${o.entity} update(s) or delete(s) in ${o.where}, none touching ${o.protectedWhat}`,
  };
}

/** A job's deletes through the system user at or above this count are a mass delete. */
export const MASS_DELETE = 5;
/** A job's updates through the system user at or above this count are a broad update. */
export const BROAD_UPDATE = 25;

/**
 * API-SYSUSER-CAUTION: what one run of the app's job did through the system user. A mass delete
 * fails (the customer's database must survive the app); broad updates are flagged (`warn`, with
 * the figures) for the reviewer's judgement; no system-user call at all is an error.
 */
export function judgeSystemUserCaution(calls: readonly TenantRequest[], jobs: number): Judgement {
  if (calls.length === 0) return cannot('the job made no call through the system user');
  const deletes = calls.filter((r) => r.method.toUpperCase() === 'DELETE');
  const updates = calls.filter(
    (r) => ['PUT', 'PATCH', 'POST'].includes(r.method.toUpperCase()) && !/\/agents?\//i.test(apiPathOf(r)),
  );
  const perJob = (n: number) => Math.ceil(n / Math.max(1, jobs));
  const sample = (list: readonly TenantRequest[]) =>
    [
      ...new Set(
        list.map((r) => `${r.method.toUpperCase()} ${apiPathOf(r).replace(/\/\d+(?=\/|$)/g, '/{id}')}`),
      ),
    ]
      .slice(0, 3)
      .join(', ');
  if (perJob(deletes.length) >= MASS_DELETE)
    return {
      status: 'fail',
      message: `${deletes.length} deletes through the system user in ${jobs} job run(s) (${sample(deletes)}): a mass delete; delete only records the app created, cap each run and log every destructive call`,
    };
  if (perJob(updates.length) >= BROAD_UPDATE)
    return {
      status: 'warn',
      message: `${updates.length} writes through the system user in ${jobs} job run(s) (${sample(updates)}): a broad update; limit it to the records the app owns`,
    };
  return {
    status: 'pass',
    message: `${calls.length} system-user call(s) in ${jobs} job run(s): ${deletes.length} delete(s), ${updates.length} write(s); no mass delete or broad update (the system user's overall use is attested)`,
  };
}

/**
 * Tenant resources that rarely change (the current principal, lists and their items, UDF
 * metadata, preferences, countries, currencies, associates, user groups, licences): an app
 * caches them instead of fetching them for every page view or job.
 */
const RARELY_CHANGING =
  /^v1\/(User\/currentPrincipal|MDOList\/[^/]+|List\/[^/]+(\/Items(\/.*)?)?|UserDefinedFieldInfo(\/.*)?|Preference(\/.*)?|Country(\/.*)?|Currency(\/.*)?|Associate(\/\d+)?|UserGroup(\/.*)?|License(\/.*)?|Agents\/(List|MDO|UserDefinedFieldInfo|Preference)\/.*)$/i;

/** `v1/...` with its query, when the request reads a rarely-changing resource. */
export function rarelyChangingKey(req: TenantRequest): string | undefined {
  const u = new URL(req.url, 'https://tenant.invalid');
  const path = decodeURIComponent(apiPathOf(req));
  const method = req.method.toUpperCase();
  const agent = /^v1\/Agents\//i.test(path);
  if (!RARELY_CHANGING.test(path) || (agent ? method !== 'POST' : method !== 'GET')) return undefined;
  const query = [...u.searchParams].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`);
  return `${path}${query.length ? `?${query.join('&')}` : ''}`;
}

/**
 * API-CACHE over `views` (the app's API traffic per page view, job or run). `acrossViews`: the
 * views share one app process that could cache (web pages, server jobs); a native app's runs are
 * separate processes, so only repeats within one run count. A resource fetched in every view
 * (at least 3) fails; a repeat short of that warns; no lookup at all passes with the figures.
 * Only answered (2xx) lookups count: a failed one has nothing to cache.
 */
export function judgeCache(o: {
  views: readonly (readonly (TenantRequest & { status?: number })[])[];
  acrossViews: boolean;
  what: string;
}): Judgement {
  const calls = o.views.reduce((n, v) => n + v.length, 0);
  if (calls === 0) return cannot(`the app made no API call in ${o.views.length} ${o.what}`);
  // Only an answer can be cached: lookups that failed (401, 421, 429...) are retries, not waste.
  const answered = (r: { status?: number }) => r.status === undefined || (r.status >= 200 && r.status < 300);
  if (!o.views.some((v) => v.some(answered)))
    return cannot(`none of the app's ${calls} API call(s) in ${o.views.length} ${o.what} was answered`);
  const perView = o.views.map((v) => {
    const m = new Map<string, number>();
    for (const r of v.filter(answered)) {
      const key = rarelyChangingKey(r);
      if (key) m.set(key, (m.get(key) ?? 0) + 1);
    }
    return m;
  });
  const keys = new Set(perView.flatMap((m) => [...m.keys()]));
  const findings: Array<{ key: string; count: number; everyView: boolean }> = [];
  for (const key of keys) {
    const inViews = perView.filter((m) => m.has(key)).length;
    const count = perView.reduce((n, m) => n + (m.get(key) ?? 0), 0);
    const within = perView.some((m) => (m.get(key) ?? 0) > 1);
    if (within || (o.acrossViews && inViews > 1))
      findings.push({
        key,
        count,
        everyView: o.acrossViews && o.views.length >= 3 && inViews === o.views.length,
      });
  }
  if (findings.length) {
    const shown = findings
      .slice(0, 3)
      .map((f) => `${f.key} fetched ${f.count} times in ${o.views.length} ${o.what}`)
      .join('; ');
    return {
      status: findings.some((f) => f.everyView || f.count >= 3) ? 'fail' : 'warn',
      message: `${shown}: cache rarely changing data (per user or tenant, with a lifetime of minutes or more) instead of fetching it again`,
    };
  }
  return {
    status: 'pass',
    message:
      keys.size === 0
        ? `${calls} API call(s) in ${o.views.length} ${o.what}, none to the current principal, lists or metadata`
        : `${[...keys].slice(0, 3).join(', ')} fetched once in ${o.views.length} ${o.what} and reused`,
  };
}

/** One request the app sent to the tenant, with its body (form or JSON, as received). */
export interface TenantRequestWithBody extends TenantRequest {
  body: string;
}

/**
 * Whether a request carries `text` as a whole search value, in any letter case: an OData literal
 * (`name begins 'Qz'`, `contains(name,'Qz')`), a query parameter (`?q=Qz`), a JSON or form field,
 * or a wildcard pattern (`Qz*`, `Qz%`). A longer word that merely contains it does not count.
 */
export function carriesSearchText(req: TenantRequestWithBody, text: string): boolean {
  const escaped = text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const whole = new RegExp(`(?:^|['"=:(,\\s/])${escaped}(?:$|['"&),\\s*%/])`, 'i');
  return whole.test(decoded(req.url)) || whole.test(decoded(req.body));
}

/** What typing one text into a search input (and submitting it) made the app send to NetServer. */
export interface SearchTry {
  text: string;
  /** The tenant requests, after the typing started, that carried the typed text. */
  requests: readonly TenantRequestWithBody[];
}

/**
 * API-SEARCH-MIN3 for one search input: a search sent for 1 or 2 typed characters fails; the
 * 3-character try must have searched (the positive control showing the input is the app's search),
 * else nothing was observed and the check is an error.
 */
export function judgeSearchMin3(where: string, tries: readonly SearchTry[]): Judgement {
  const early = tries.filter((t) => t.text.length < 3 && t.requests.length > 0);
  if (early.length) {
    const first = early[0]!;
    const req = first.requests[0]!;
    return {
      status: 'fail',
      message: `${where} searched NetServer after ${first.text.length} typed character${first.text.length === 1 ? '' : 's'} ('${first.text}'): ${req.method} ${pathOf(req)}; start searching at 3 characters, in the page and in the endpoint behind it`,
    };
  }
  const control = tries.find((t) => t.text.length >= 3);
  if (!control) return cannot(`${where}: no try with 3 characters`);
  if (control.requests.length === 0)
    return cannot(
      `typing '${control.text}' into ${where} made no NetServer request carrying it, so this is not the app's search or it did not submit; check app.search (path, input, submit)`,
    );
  const req = control.requests[0]!;
  return {
    status: 'pass',
    message: `${where}: no search for 1 or 2 typed characters; '${control.text}' searched (${req.method} ${pathOf(req)})`,
  };
}

/** Which of `names` a page or an output shows, each as a whole (case-sensitive, as seeded). */
export function namesShown(text: string, names: readonly string[]): string[] {
  return names.filter((n) => text.includes(n));
}

/**
 * Words a message about denied access uses (English and the Scandinavian languages SuperOffice
 * ships): access, rights, permission, authorised, allowed, denied, forbidden, restricted,
 * privilege; tilgang, rettighet, behörighet, adgang.
 */
const DENIAL =
  /\b(access|rights?|permissions?|authori[sz](ed|ation)|allowed|denied|forbidden|restricted|privileges?|not permitted|tilgang|rettighet(er)?|behörighet(er)?|adgang)\b/i;

/**
 * The lines of `text` that tell of denied access and are new compared with `control` (what the
 * same page shows a user with full rights), so a footer's "All rights reserved" does not count.
 */
export function denialLines(text: string, control: string): string[] {
  return newLines(text, control, DENIAL);
}

/** The lines of `text` that match `pattern` and that `control` does not have. */
function newLines(text: string, control: string, pattern: RegExp): string[] {
  const seen = new Set(
    control
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean),
  );
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !seen.has(l) && pattern.test(l));
}

/**
 * API-RESPECT-SENTRY: a company Sentry hides from a user must not reach that user. `controlShown`
 * is what the same view showed a user with full rights (the hidden company among it: the positive
 * control that this view lists companies); the restricted user's view must show some of the others
 * (it worked) and not the hidden one.
 */
export function judgeSentryHidden(o: {
  where: string;
  hidden: string;
  controlShown: readonly string[];
  restrictedText: string;
  /** Calls with the restricted user's token during the view, and the app's system-user calls. */
  userCalls: number;
  systemCalls: number;
}): Judgement {
  const others = namesShown(
    o.restrictedText,
    o.controlShown.filter((n) => n !== o.hidden),
  );
  if (o.restrictedText.includes(o.hidden))
    return {
      status: 'fail',
      message: `${o.where} showed "${o.hidden}" to a user whom Sentry hides it from (their own calls never returned it${
        o.userCalls === 0 ? '; the view made no call with their token' : ''
      }${o.systemCalls ? `; the app called the tenant as the system user ${o.systemCalls} time(s) meanwhile` : ''}): fetch what a user sees with that user's token, and never show one user's results to another`,
    };
  if (o.userCalls === 0 && others.length === 0)
    return cannot(`${o.where} made no call with the restricted user's token and showed no company`);
  if (others.length === 0)
    return cannot(
      `${o.where} showed the restricted user none of the ${o.controlShown.length} companies it showed a user with full rights, so it did not list what they may see`,
    );
  return {
    status: 'pass',
    message: `${o.where} hid "${o.hidden}" from a user Sentry hides it from, and still showed them ${others.length} other compan${others.length === 1 ? 'y' : 'ies'}`,
  };
}

/**
 * ERR-USER-FEEDBACK: when Sentry denies a user's reads (403), the page (or a native app's output)
 * must say so, compared with what it shows a user with full rights; a crash, a server error, a
 * hang or an empty view without a word fails. No denied call means nothing was denied: not run.
 */
export function judgeDenialFeedback(o: {
  where: string;
  /** 403 answers the app got for the user's company and person reads during the view. */
  denied: number;
  answered: boolean;
  /** HTTP status of the page (web apps). */
  status?: number;
  controlText: string;
  deniedText: string;
  /** A stack trace or framework error screen found in the denied view. */
  crash?: string;
}): Judgement {
  if (o.denied === 0)
    return {
      status: 'not-run',
      message: `not run: ${o.where} made no company or person call with the user's token, so Sentry had nothing to deny; point apiAction at a view that reads tenant data in the user's name`,
    };
  if (!o.answered)
    return {
      status: 'fail',
      message: `with the user's reads denied (403), ${o.where} never finished loading: stop and tell the user which rights they lack`,
    };
  if (o.crash)
    return {
      status: 'fail',
      message: `with the user's reads denied (403), ${o.where} crashed with ${o.crash}: catch the 403 and tell the user which rights they lack`,
    };
  if (o.status !== undefined && o.status >= 500)
    return {
      status: 'fail',
      message: `with the user's reads denied (403), ${o.where} answered HTTP ${o.status}: a denial is not a server error; tell the user which rights they lack`,
    };
  const lines = denialLines(o.deniedText, o.controlText);
  if (lines.length === 0)
    return {
      status: 'fail',
      message: `with the user's reads denied (403), ${o.where} said nothing about it (no new text about access, rights or permissions), so an empty view reads as "no data": tell the user what they lack rights for`,
    };
  return {
    status: 'pass',
    message: `with the user's reads denied (403), ${o.where} told them: "${lines[0]!.slice(0, 160)}"`,
  };
}

/** A write the app sent the tenant, with what NetServer answered. */
export interface WriteExchange extends TenantRequest {
  body: string;
  status: number;
  responseBody: string;
}

/** The privacy (consent) sources of the tenant: their ids and keys. */
export interface PrivacySource {
  id: number;
  key: string;
}

/** A member of a JSON object, whatever its case (`ConsentSourceKey`, `consentSourceKey`). */
function member(o: unknown, name: string): unknown {
  if (!o || typeof o !== 'object') return undefined;
  const hit = Object.entries(o).find(([k]) => k.toLowerCase() === name.toLowerCase());
  return hit?.[1];
}

/**
 * GDPR-PERSON-SOURCE: every person the app creates gets a privacy source from the tenant's list
 * (default "Other integration", key `API`), in the new person's `Consents` or by
 * `PUT v1/Person/{id}/Consent/{purpose}?source=...` afterwards. A person left without one fails;
 * no person created is not run.
 */
export function judgePersonSource(
  requests: readonly WriteExchange[],
  where: string,
  sources: readonly PrivacySource[],
): Judgement {
  const keyOf = (source: unknown, id: unknown): string | undefined => {
    if (typeof source === 'string' && source.trim()) return source.trim().toUpperCase();
    const n = Number(id);
    if (Number.isInteger(n) && n > 0) return sources.find((s) => s.id === n)?.key ?? `id ${n}`;
    return undefined;
  };
  const known = new Set(sources.map((s) => s.key));
  const created: Array<{ id: number | undefined; keys: string[] }> = [];
  for (const r of requests) {
    const path = apiPathOf(r);
    if (r.method.toUpperCase() === 'POST' && /^v1\/person\/?$/i.test(path) && r.status < 300) {
      const consents = member(parsed(r.body), 'Consents');
      const keys = (Array.isArray(consents) ? consents : [])
        .map((c) => keyOf(member(c, 'ConsentSourceKey'), member(c, 'ConsentSourceId')))
        .filter((k): k is string => k !== undefined);
      const id = Number(member(parsed(r.responseBody), 'PersonId'));
      created.push({ id: Number.isInteger(id) ? id : undefined, keys });
      continue;
    }
    const set = /^v1\/person\/(\d+)\/consent\/[^/]+$/i.exec(path);
    if (set && r.method.toUpperCase() === 'PUT' && r.status < 300) {
      const key = keyOf(new URL(r.url, 'https://tenant.invalid').searchParams.get('source'), undefined);
      const person = created.find((c) => c.id === Number(set[1]));
      if (person && key) person.keys.push(key);
    }
  }
  if (created.length === 0)
    return {
      status: 'not-run',
      message: `not run: no person was created in ${where}; a journey that creates a person shows which privacy source the app gives it`,
    };
  const without = created.filter((c) => c.keys.length === 0);
  if (without.length)
    return {
      status: 'fail',
      message: `${without.length} of ${created.length} person(s) created in ${where} got no privacy source (no ConsentSourceKey in Consents, no Consent PUT with source=), so the tenant records their source as unknown: default to "Other integration" (key API) and let the customer choose another from their list`,
    };
  const unknown = created.flatMap((c) => c.keys).filter((k) => !known.has(k));
  if (unknown.length)
    return {
      status: 'fail',
      message: `persons created in ${where} got privacy source ${[...new Set(unknown)].join(', ')}, which is not in the tenant's list (${[...known].join(', ')}): use the default "Other integration" (key API) or a source the customer picked from their list`,
    };
  const keys = [...new Set(created.flatMap((c) => c.keys))];
  if (!keys.includes('API'))
    return {
      status: 'warn',
      message: `persons created in ${where} got privacy source ${keys.join(', ')}, not "Other integration" (key API): fine when the journey chose it from the customer's list, but with nothing chosen the default must be API`,
    };
  return {
    status: 'pass',
    message: `${created.length} person(s) created in ${where}, each with a privacy source from the tenant's list (${keys.join(', ')})`,
  };
}

/**
 * Words a page uses to say a change was not saved (English and Norwegian): unavailable, try
 * again, could not, failed, not saved, maintenance, went wrong, error; utilgjengelig, prøv igjen,
 * ikke lagret.
 */
const FAILURE =
  /\b(unavailable|try again|could ?n[o']t|can ?n[o']t|failed|failure|not (been )?(saved|updated|stored|created)|maintenance|went wrong|errors?|utilgjengelig|prøv igjen|ikke lagret)\b/i;

/** The lines of a page that tell of a failure and that the page of an undisturbed run lacks. */
export function failureLines(text: string, control: string): string[] {
  return newLines(text, control, FAILURE);
}

/** One tenant call of a flow, in order, as AVAIL-MAINTENANCE reads it. */
export interface TimedCall extends TenantRequest {
  status: number;
  /** Epoch ms. */
  time: number;
  /** Answered 503 inside the maintenance window. */
  inWindow: boolean;
}

/**
 * AVAIL-MAINTENANCE: a write of a journey met a maintenance window (503). The app either wrote it
 * again once the window had passed, or told the user the change was not saved (a failure line the
 * undisturbed run's last page lacks); going on as if it had been saved loses the data silently.
 */
export function judgeMaintenance(o: {
  where: string;
  calls: readonly TimedCall[];
  /** What the user saw at the end, and what the undisturbed run showed at its end. */
  pageText: string;
  controlText: string;
}): Judgement {
  const isWrite = (c: TimedCall) => !['GET', 'HEAD'].includes(c.method.toUpperCase());
  const first = o.calls.findIndex((c) => c.inWindow && isWrite(c));
  if (first < 0)
    return cannot(
      `${o.where} made fewer writes than in its undisturbed run, so the maintenance window never met a write`,
    );
  const hit = o.calls[first]!;
  const where = `${hit.method} ${pathOf(hit)}`;
  const redo = o.calls
    .slice(first + 1)
    .find((c) => c.method === hit.method && pathOf(c) === pathOf(hit) && c.status < 300);
  if (redo)
    return {
      status: 'pass',
      message: `${where} met a maintenance window (503) in ${o.where}, and the app wrote it again ${Math.round((redo.time - hit.time) / 100) / 10} s later`,
    };
  const told = failureLines(o.pageText, o.controlText);
  if (told.length)
    return {
      status: 'pass',
      message: `${where} met a maintenance window (503) in ${o.where}, and the app told the user: "${told[0]!.slice(0, 160)}"`,
    };
  const after = o.calls.slice(first + 1).filter((c) => isWrite(c) && c.status < 300).length;
  return {
    status: 'fail',
    message: `${where} met a maintenance window (503) in ${o.where}; the app neither wrote it again nor told the user${
      after ? `, and went on with ${after} other write(s)` : ''
    }, so the change is lost without a word: retry after Retry-After, or say what was not saved`,
  };
}

/** A web panel the app saved (`Agents/List/SaveWebPanel`), as NetServer numbered it. */
export interface WebPanel {
  id: number;
  name: string;
  tooltip: string;
  description: string;
  url: string;
  progId: string;
}

/**
 * The web panels the app created in a run, and those still there at the end, from its calls to
 * the List agent in order: `SaveWebPanel` creates or updates, `DeleteWebPanel` (id in the query or
 * body) and `DeleteAppWebPanels` (all of the app's) remove.
 */
export function webPanelsFrom(calls: readonly WriteExchange[]): {
  created: WebPanel[];
  remaining: WebPanel[];
} {
  const created = new Map<number, WebPanel>();
  const remaining = new Map<number, WebPanel>();
  const text = (o: unknown, name: string) => {
    const v = member(o, name);
    return typeof v === 'string' ? v : '';
  };
  for (const c of calls) {
    if (c.status >= 300 || c.method.toUpperCase() !== 'POST') continue;
    const fn = /\/v1\/agents?\/list\/([a-z]+)$/i.exec(pathOf(c))?.[1]?.toLowerCase();
    if (fn === 'savewebpanel') {
      const body = parsed(c.body);
      const id = Number(member(parsed(c.responseBody), 'WebPanelId'));
      if (!Number.isInteger(id) || id <= 0) continue;
      const panel: WebPanel = {
        id,
        name: text(body, 'Name'),
        tooltip: text(body, 'Tooltip'),
        description: text(body, 'Description'),
        url: text(body, 'Url'),
        progId: text(body, 'ProgId'),
      };
      created.set(id, panel);
      remaining.set(id, panel);
    } else if (fn === 'deletewebpanel') {
      const q = new URL(c.url, 'https://tenant.invalid').searchParams;
      const id = Number(q.get('webPanelId') ?? q.get('WebPanelId') ?? member(parsed(c.body), 'WebPanelId'));
      remaining.delete(id);
    } else if (fn === 'deleteappwebpanels') remaining.clear();
  }
  return { created: [...created.values()], remaining: [...remaining.values()] };
}

const noPanels = (what: string): Judgement => ({
  status: 'not-run',
  message: `not run: the app created no web panel in this run (an administrator installed it), so there are no ${what} to check; when the app has web panels, name them in app.provisioning.webPanels and its install URL in app.provisioning.install`,
});

/** WEBPANEL-URL-VARS: every web panel URL carries `<uctx>` and `<usid>`, and never `<usec>`. */
export function judgePanelUrls(panels: readonly WebPanel[]): Judgement {
  if (panels.length === 0) return noPanels('web-panel URLs');
  const has = (url: string, v: string) => decoded(url).toLowerCase().includes(`<${v}>`);
  const bad = panels.flatMap((p) => {
    const problems = [
      ...(has(p.url, 'usec') ? ["carries <usec>, the user's secret"] : []),
      ...['uctx', 'usid'].filter((v) => !has(p.url, v)).map((v) => `lacks <${v}>`),
    ];
    return problems.length ? [`"${p.name || p.id}" (${p.url || 'no URL'}) ${problems.join(' and ')}`] : [];
  });
  if (bad.length)
    return {
      status: 'fail',
      message: `${bad.slice(0, 3).join('; ')}: a web panel URL takes <uctx> and <usid>, never <usec>, so the app signs the user in itself`,
    };
  return {
    status: 'pass',
    message: `${panels.length} web panel URL(s) carry <uctx> and <usid> and no <usec>`,
  };
}

/** WEBPANEL-DESCRIPTION: a web panel's name, tooltip or description names the app or its vendor. */
export function judgePanelDescriptions(
  panels: readonly WebPanel[],
  app: { name: string; vendor?: string },
): Judgement {
  if (panels.length === 0) return noPanels('web-panel descriptions');
  const names = [app.name, app.vendor].filter((n): n is string => !!n).map((n) => n.toLowerCase());
  const anonymous = panels.filter(
    (p) => !names.some((n) => `${p.name}\n${p.tooltip}\n${p.description}`.toLowerCase().includes(n)),
  );
  if (anonymous.length)
    return {
      status: 'fail',
      message: `web panel(s) ${anonymous.map((p) => `"${p.name || p.id}"`).join(', ')} name neither the app ("${app.name}") nor its vendor${app.vendor ? ` ("${app.vendor}")` : ''} in their name, tooltip or description, so administrators cannot tell whose they are`,
    };
  return {
    status: 'pass',
    message: `${panels.length} web panel(s), each naming the app or its vendor`,
  };
}

/**
 * PROV-AUTOMATIC: the web panels the app declares (`app.provisioning.webPanels`, by name or
 * ProgId) were created by
 * the app itself once an administrator signed in; nothing declared and nothing created is not run.
 */
export function judgeProvisioned(declared: readonly string[], created: readonly WebPanel[]): Judgement {
  if (declared.length === 0)
    return created.length
      ? {
          status: 'pass',
          message: `the app created ${created.length} web panel(s) by itself at install (${created.map((p) => `"${p.name}"`).join(', ')}); name them in app.provisioning.webPanels so a missing one fails`,
        }
      : {
          status: 'not-run',
          message:
            'not run: app.provisioning.webPanels names nothing, and the app created no web panel at install; name what the app sets up (and its install URL, app.provisioning.install) to check it is created without manual steps',
        };
  const names = new Set(created.flatMap((p) => [p.name, p.progId]));
  const missing = declared.filter((d) => !names.has(d));
  if (missing.length)
    return {
      status: 'fail',
      message: `after the install the app had not created ${missing.map((m) => `"${m}"`).join(', ')} of the declared web panels: create everything the app needs at install, so no administrator has to set it up by hand`,
    };
  return {
    status: 'pass',
    message: `the app created all ${declared.length} declared web panel(s) itself at install`,
  };
}

/** PROV-UNINSTALL: after the administrator uninstalled the app, none of its web panels is left. */
export function judgeUninstalled(o: {
  created: readonly WebPanel[];
  remaining: readonly WebPanel[];
  where: string;
}): Judgement {
  if (o.created.length === 0) return noPanels('provisioned items to remove');
  if (o.remaining.length)
    return {
      status: 'fail',
      message: `after the uninstall at ${o.where}, ${o.remaining.length} of the app's ${o.created.length} web panel(s) are still in the tenant (${o.remaining.map((p) => `"${p.name || p.id}"`).join(', ')}): remove everything the app set up (GetAppWebPanels, then DeleteWebPanel or DeleteAppWebPanels)`,
    };
  return {
    status: 'pass',
    message: `the uninstall at ${o.where} removed all ${o.created.length} web panel(s) the app had created`,
  };
}

/** TICKET-NOT-IN-URL, for web panels: no panel URL hands the user's secret (`<usec>`) to the app. */
export function judgePanelTickets(panels: readonly WebPanel[]): Judgement {
  if (panels.length === 0) return noPanels('web-panel URLs');
  const leaking = panels.filter((p) => /<usec>/i.test(decoded(p.url)));
  if (leaking.length)
    return {
      status: 'fail',
      message: `web panel(s) ${leaking.map((p) => `"${p.name || p.id}"`).join(', ')} put <usec>, the user's SuperOffice ticket, in their URL, where browser history, proxies and logs keep it: sign the user in through SuperID instead`,
    };
  return { status: 'pass', message: `none of the ${panels.length} web panel URL(s) carries <usec>` };
}

/** The names of the list items the app created or saved: `POST v1/List/{list}/Items`, `SaveListItemEntity`. */
export function listItemNames(calls: readonly WriteExchange[]): string[] {
  const names: string[] = [];
  for (const c of calls) {
    if (c.status >= 300) continue;
    const path = apiPathOf(c);
    const method = c.method.toUpperCase();
    let item: unknown;
    if (method === 'POST' && /^v1\/List\/[^/]+\/Items\/?$/i.test(path)) item = parsed(c.body);
    else if ((method === 'PUT' || method === 'PATCH') && /^v1\/List\/[^/]+\/Items\/[^/]+$/i.test(path))
      item = parsed(c.body);
    else if (method === 'POST' && /^v1\/Agents?\/List\/SaveListItemEntity$/i.test(path))
      item = member(parsed(c.body), 'ListItemEntity') ?? parsed(c.body);
    const name = member(item, 'Name');
    if (typeof name === 'string') names.push(name);
  }
  return names;
}

/** The languages of a multi-language text (`NO:"Bil";US:"Car"`), or undefined when it is not one. */
export function multiLanguageParts(text: string): string[] | undefined {
  const parts = text
    .trim()
    .replace(/;\s*$/, '')
    .split(/;(?=\s*[A-Za-z]{2}\s*:\s*")/);
  const langs: string[] = [];
  for (const p of parts) {
    const m = /^\s*([A-Z]{2})\s*:\s*"([^"]*)"\s*$/.exec(p);
    if (!m) return undefined;
    langs.push(m[1]!);
  }
  return langs;
}

/**
 * LANG-MULTILINGUAL-LISTS: every list item name the app writes uses SuperOffice's multi-language
 * format with at least two languages (`NO:"Bil";US:"Car"`). A plain or malformed name fails; a
 * single language warns; no list item written is not run.
 */
export function judgeListItemNames(names: readonly string[], where: string): Judgement {
  if (names.length === 0)
    return {
      status: 'not-run',
      message: `not run: the app created no list item in ${where}, so there is no list-item name to check`,
    };
  const looksMulti = (n: string) => /(^|;)\s*[A-Za-z]{2}\s*:/.test(n);
  const plain = names.filter((n) => !multiLanguageParts(n));
  if (plain.length) {
    const example = plain[0]!;
    return {
      status: 'fail',
      message: `list item "${example.slice(0, 80)}" (${plain.length} of ${names.length} written in ${where}) ${
        looksMulti(example) ? 'is malformed multi-language text' : 'has one text for every language'
      }: write names as NO:"Bil";US:"Car", one quoted text per language code`,
    };
  }
  const single = names.filter((n) => multiLanguageParts(n)!.length < 2);
  if (single.length)
    return {
      status: 'warn',
      message: `list item "${single[0]!.slice(0, 80)}" written in ${where} has only one language: give customers' other languages their own text`,
    };
  return {
    status: 'pass',
    message: `${names.length} list item name(s) written in ${where}, each in the multi-language format (${[...new Set(names.flatMap((n) => multiLanguageParts(n)!))].join(', ')})`,
  };
}

/** A seeded document only some users may see (DATA-VISIBILITY-PRESERVE). */
export interface RestrictedDocument {
  id: number;
  header: string;
  /** Who may see it, as the report says it: "one user (Associate)", "the Sales group (Group)". */
  visibleTo: string;
}

/**
 * Whether a `VisibleFor` keeps a record restricted: `restricted` when every entry limits it to an
 * associate or a group, `public` when it is missing, empty or has an `All` entry (NetServer then
 * shows the record to everyone), `unknown` for values this judge does not know.
 */
export function visibilityOf(visibleFor: unknown): 'restricted' | 'public' | 'unknown' {
  if (!Array.isArray(visibleFor) || visibleFor.length === 0) return 'public';
  const kinds = visibleFor.map((v) => {
    const k = member(v, 'Visibility');
    return typeof k === 'string' ? k.trim().toLowerCase() : undefined;
  });
  if (kinds.includes('all')) return 'public';
  return kinds.every((k) => k === 'associate' || k === 'group') ? 'restricted' : 'unknown';
}

/** The `VisibleFor` a document update sets: an object's member or a JSON Patch operation's value. */
function visibleForSet(body: unknown): { set: boolean; value: unknown } {
  if (Array.isArray(body)) {
    const op = body.find(
      (o) =>
        /^\/?visiblefor$/i.test(String(member(o, 'path') ?? '')) &&
        /^(replace|add|remove)$/i.test(String(member(o, 'op') ?? '')),
    );
    if (!op) return { set: false, value: undefined };
    return { set: true, value: /remove/i.test(String(member(op, 'op'))) ? [] : member(op, 'value') };
  }
  if (body && typeof body === 'object' && Object.keys(body).some((k) => k.toLowerCase() === 'visiblefor'))
    return { set: true, value: member(body, 'VisibleFor') };
  return { set: false, value: undefined };
}

/**
 * DATA-VISIBILITY-PRESERVE: a document the app creates from a restricted seeded one (its `Header`
 * contains the original's, as "Copy of ..." does) must stay restricted, and an update of a
 * restricted document must not make it public. No copy of a restricted document is not run:
 * copying public documents or writing new ones shows nothing about restrictions.
 */
export function judgeVisibilityPreserved(
  requests: readonly WriteExchange[],
  restricted: readonly RestrictedDocument[],
  where: string,
): Judgement {
  const byHeader = [...restricted].sort((a, b) => b.header.length - a.header.length);
  const findings: string[] = [];
  const unsure: string[] = [];
  let judged = 0;
  for (const r of requests) {
    if (r.status >= 300) continue;
    const method = r.method.toUpperCase();
    const path = apiPathOf(r);
    const body = parsed(r.body);
    if (method === 'POST' && /^v1\/document\/?$/i.test(path)) {
      const header = String(member(body, 'Header') ?? '').toLowerCase();
      const source = header ? byHeader.find((d) => header.includes(d.header.toLowerCase())) : undefined;
      if (!source) continue;
      judged++;
      const seen = visibilityOf(member(body, 'VisibleFor'));
      const what = `POST v1/Document "${String(member(body, 'Header'))}", a copy of "${source.header}" (visible to ${source.visibleTo})`;
      if (seen === 'public')
        findings.push(
          `${what}, was created visible to everyone (${member(body, 'VisibleFor') === undefined ? 'no VisibleFor' : `VisibleFor ${JSON.stringify(member(body, 'VisibleFor'))}`})`,
        );
      else if (seen === 'unknown')
        unsure.push(`${what} has VisibleFor ${JSON.stringify(member(body, 'VisibleFor'))}`);
      continue;
    }
    const update = /^v1\/document\/(\d+)$/i.exec(path);
    if (update && (method === 'PUT' || method === 'PATCH')) {
      const source = restricted.find((d) => d.id === Number(update[1]));
      if (!source) continue;
      const set = visibleForSet(body);
      if (!set.set) continue;
      judged++;
      const seen = visibilityOf(set.value);
      const what = `${method} v1/Document/${source.id} ("${source.header}", visible to ${source.visibleTo})`;
      if (seen === 'public') findings.push(`${what} made it visible to everyone`);
      else if (seen === 'unknown') unsure.push(`${what} set VisibleFor ${JSON.stringify(set.value)}`);
    }
  }
  if (findings.length)
    return {
      status: 'fail',
      message: `${where} removed a visibility restriction: ${findings.join('; ')}. Copy VisibleFor from the original, so a private document stays private and a group's stays the group's`,
    };
  if (unsure.length)
    return {
      status: 'warn',
      message: `${where}: ${unsure.join('; ')}, which is neither Associate nor Group: check that the copy is as restricted as the original`,
    };
  if (judged === 0)
    return {
      status: 'not-run',
      message: `not run: ${where} copied no private or group document (each seeded company has ${[...new Set(restricted.map((d) => `"${d.header}"`))].join(' and ')}); a journey that copies documents shows whether the copies keep their restriction`,
    };
  return {
    status: 'pass',
    message: `${judged} ${judged === 1 ? 'copy or update' : 'copies or updates'} of private or group documents in ${where} kept their restriction (VisibleFor by associate or group)`,
  };
}

/** A seeded person a mailing could go to, with their e-marketing consent. */
export interface MailingPerson {
  email: string;
  name: string;
  emarketing: 'granted' | 'none' | 'withdrawn';
}

/**
 * GDPR-EMARKETING for a journey that sends a mailing: the messages that reached the mail sink
 * meanwhile (`${mail.url}`) must be addressed only to persons with e-marketing consent. A seeded
 * person's address anywhere in a message (JSON, form or MIME, percent-encoded or not) makes them
 * a recipient. No message, or none to a seeded person, is not run: nothing was sent to judge.
 */
export function judgeMailingConsent(o: {
  mails: ReadonlyArray<{ url: string; body: string }>;
  people: readonly MailingPerson[];
  where: string;
  /** Whether the config hands the app `${mail.url}` at all. */
  wired: boolean;
}): Judgement {
  const { mails, people, where } = o;
  if (mails.length === 0)
    return {
      status: 'not-run',
      message: o.wired
        ? `not run: no message reached the mail sink during ${where}: the journey must send the mailing (to a company's persons) through the mail service the app was given as \${mail.url}`
        : `not run: the app sent no message to so-preflight's mail sink during ${where}, and app.start.env names no \${mail.url}: point the app's mail service (its HTTP mail API base URL) at \${mail.url} (also in SO_PREFLIGHT_MAIL_URL)`,
    };
  const text = mails.map((m) => `${decoded(m.url)}\n${decoded(m.body)}\n${m.body}`.toLowerCase()).join('\n');
  const reached = people.filter((p) => text.includes(p.email.toLowerCase()));
  if (reached.length === 0)
    return {
      status: 'not-run',
      message: `not run: ${mails.length} message(s) reached the mail sink during ${where}, none addressed to a seeded customer person; a mailing to a company's persons shows whether the app checks their consent`,
    };
  const without = reached.filter((p) => p.emarketing !== 'granted');
  if (without.length)
    return {
      status: 'fail',
      message: `the mailing in ${where} went to ${without.length} person(s) without e-marketing consent: ${without
        .map(
          (p) =>
            `${p.name} <${p.email}> (${p.emarketing === 'withdrawn' ? 'consent withdrawn' : 'never gave consent'})`,
        )
        .join(
          ', ',
        )}. Before sending, read each person's Consents and mail only those with an EMARKETING consent that is not WITHDRAWN`,
    };
  const left = people.filter((p) => p.emarketing !== 'granted').length;
  return {
    status: 'pass',
    message: `the mailing in ${where} went to ${reached.length} person(s), each with e-marketing consent; none of the ${left} seeded persons without it (never given or withdrawn) received it`,
  };
}

/** What a second instance of the app, configured for another environment, did (SECRET-PER-ENV). */
export interface SecondEnvironmentRun {
  /** Display names of the run's environment and the second one, e.g. "SOD" and "Online". */
  first: string;
  second: string;
  /** The two SuperID origins. */
  firstSuperid: string;
  secondSuperid: string;
  /** Why the second instance could not be started or its sign-in did not go to its SuperID. */
  startError?: string | undefined;
  /** The second sign-in: whether it came back to the app, and if not, why. */
  signIn?: { returned: boolean; detail: string } | undefined;
  /** The app's session probe after that sign-in (undefined: no probe, or it observed nothing). */
  signedIn?: boolean | undefined;
  /** Authorization codes the second SuperID redeemed for the second client (HTTP 200). */
  redeemed: number;
  /** Which of the first environment's credentials reached the second SuperID. */
  firstCredentialsAtSecond: readonly string[];
  /** Which of the second environment's credentials reached the first SuperID. */
  secondCredentialsAtFirst: readonly string[];
}

/**
 * SECRET-PER-ENV: the app, started again with a second environment's SuperID URL, client id,
 * secret and signing keys, must sign the user in there, and no environment's credentials may
 * reach the other's SuperID. A second instance that does not start, or a sign-in the harness
 * could not drive, is an error: nothing was observed.
 */
export function judgeSecondEnvironment(o: SecondEnvironmentRun): Judgement {
  const { first, second } = o;
  if (o.firstCredentialsAtSecond.length)
    return {
      status: 'fail',
      message: `the app configured for ${second} sent ${first}'s ${o.firstCredentialsAtSecond.join(' and ')} to ${second}'s SuperID: each environment has its own client id and secret; take them from the environment's configuration, never from another's`,
    };
  if (o.secondCredentialsAtFirst.length)
    return {
      status: 'fail',
      message: `the app configured for ${second} sent its ${o.secondCredentialsAtFirst.join(' and ')} to ${first}'s SuperID: it still reaches ${first} (a cached or hard-coded SuperID URL, discovery document or key set); take every SuperID address from the environment's configuration`,
    };
  if (o.startError) {
    const toFirst = o.startError.includes(`sends the browser to ${new URL(o.firstSuperid).origin}`);
    const wrongTarget =
      toFirst || /sends the browser to|without contacting this run's SuperID/.test(o.startError);
    return wrongTarget
      ? {
          status: 'fail',
          message: toFirst
            ? `started with ${second}'s configuration, the app's sign-in sends users to ${first}'s SuperID (${new URL(o.firstSuperid).origin}) instead of ${second}'s (${new URL(o.secondSuperid).origin}): something it keeps (a cached discovery document, a hard-coded URL) belongs to ${first}; take every SuperID address from the environment's configuration`
            : `started with ${second}'s configuration, ${o.startError.replace(/: give the app .*$/, '')}: the app does not send users to ${second}'s SuperID`,
        }
      : {
          status: 'error',
          message: `cannot judge: a second instance of the app, configured for ${second}, did not start: ${o.startError}`,
        };
  }
  if (!o.signIn?.returned)
    return {
      status: 'error',
      message: `cannot judge: the sign-in through the instance configured for ${second} did not complete (${o.signIn?.detail ?? 'not started'})`,
    };
  if (o.signedIn === false)
    return {
      status: 'fail',
      message: `the app configured for ${second} did not sign the user in after ${second}'s SuperID sent them back (${o.redeemed ? 'the code was redeemed, but no session followed' : 'no code was redeemed at its SuperID'}), while the same sign-in works in ${first}: something in the app still belongs to ${first} (keys, issuer, credentials)`,
    };
  if (o.redeemed === 0)
    return {
      status: o.signedIn ? 'fail' : 'error',
      message: o.signedIn
        ? `the app configured for ${second} signed the user in without redeeming a code at ${second}'s SuperID: it did not use that environment's token endpoint`
        : `cannot judge: the instance configured for ${second} redeemed no code, and the app has no session probe (app.session) to say whether the user got in`,
    };
  return {
    status: 'pass',
    message: `started again with ${second}'s SuperID URL, client id, secret and signing keys, the app signed the user in there (${o.redeemed} code(s) redeemed with ${second}'s client id${o.signedIn ? ', session established' : ''}); neither environment's credentials reached the other's SuperID`,
  };
}

/** The client id and whether a secret came with an authorize or token request (query, form or Basic). */
export function clientCredentialsOf(e: {
  url: string;
  requestBody: string;
  requestHeaders: Record<string, string>;
}): { clientId?: string; secret?: string } {
  const out: { clientId?: string; secret?: string } = {};
  const query = new URL(e.url, 'https://superid.invalid').searchParams;
  const form = new URLSearchParams(e.requestBody);
  const id = form.get('client_id') ?? query.get('client_id');
  const secret = form.get('client_secret') ?? query.get('client_secret');
  if (id) out.clientId = id;
  if (secret) out.secret = secret;
  const basic = parseBasic(e.requestHeaders['authorization'] ?? '');
  if (basic) {
    out.clientId = basic.id;
    out.secret = basic.secret;
  }
  return out;
}

export * from './changes.ts';
export * from './system-messages.ts';
export * from './secret-rotation.ts';
export * from './framed-panel.ts';
