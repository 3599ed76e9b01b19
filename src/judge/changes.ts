/**
 * API-WEBHOOKS-NOT-POLLING: how the app learns what changed in the tenant. Reading the travel
 * transaction log (or asking for records changed since a time) over and over is polling; a
 * webhook tells the app, and its receiver then fetches the record through the API.
 */
import type { Judgement } from './index.ts';
import { decoded } from './shared.ts';

/** An API request the app sent, as the emulator recorded it. */
export interface ChangeCall {
  method: string;
  url: string;
  /** ms since the epoch. */
  time: number;
  body?: string;
}

/** A webhook the app registered (as the emulator lists it). */
export interface RegisteredWebhook {
  Name: string;
  Events: readonly string[];
  TargetUrl: string;
}

const TRAVEL_LOG = /traveltransactionlog/i;
/** A filter on when records changed: `updated gt '...'`, `updatedDate ge ...`, `ttime after ...`. */
const SINCE =
  /\b(updated|updateddate|updated_date|registered|registereddate|lastmodified|modified|ttime)\s+(gt|ge|after|afterequal)\b/i;

function shortUrl(url: string): string {
  const u = URL.canParse(url) ? new URL(url) : undefined;
  const text = u ? decoded(`${u.pathname}${u.search}`).replace(/^\/[^/]+\/api\//, '') : url;
  return text.length > 140 ? `${text.slice(0, 137)}...` : text;
}

/** Where a change-tracking request asks: the travel log, or one resource's "changed since" query. */
function changeQuery(c: ChangeCall): { kind: 'log' | 'since'; key: string } | undefined {
  const text = decoded(c.url);
  if (TRAVEL_LOG.test(text) || (c.body !== undefined && TRAVEL_LOG.test(c.body)))
    return { kind: 'log', key: 'traveltransactionlog' };
  if (c.method.toUpperCase() !== 'GET' || !SINCE.test(text)) return undefined;
  const path = URL.canParse(c.url)
    ? new URL(c.url).pathname.toLowerCase()
    : text.split('?')[0]!.toLowerCase();
  return { kind: 'since', key: path };
}

const webhookText = (hooks: readonly RegisteredWebhook[]): string =>
  hooks.length === 0
    ? ''
    : `; webhooks registered: ${hooks.map((h) => `"${h.Name}" (${h.Events.join(', ')})`).join('; ')}`;

/**
 * One journey's traffic: the same change-tracking read twice or more is polling (fail); once is a
 * warning (a scheduler that runs it is polling); none is a pass that says what was seen.
 */
export function judgePolling(o: {
  calls: readonly ChangeCall[];
  where: string;
  webhooks: readonly RegisteredWebhook[];
}): Judgement {
  if (o.calls.length === 0) return { status: 'error', message: `cannot judge: ${o.where} made no API call` };
  const groups = new Map<string, { kind: 'log' | 'since'; calls: ChangeCall[] }>();
  for (const c of o.calls) {
    const q = changeQuery(c);
    if (!q) continue;
    const g = groups.get(q.key) ?? { kind: q.kind, calls: [] };
    g.calls.push(c);
    groups.set(q.key, g);
  }
  const what = (g: { kind: 'log' | 'since'; calls: ChangeCall[] }) =>
    g.kind === 'log'
      ? 'the travel transaction log'
      : `records changed since a time (${shortUrl(g.calls[0]!.url)})`;
  const advice =
    'register a webhook (POST v1/Webhook) for the events the app needs, and fetch a record through the API when SuperOffice reports it changed';
  const repeated = [...groups.values()].filter((g) => g.calls.length >= 2);
  if (repeated.length > 0) {
    const g = repeated[0]!;
    const t0 = g.calls[0]!.time;
    const times = g.calls.map((c) => `+${((c.time - t0) / 1000).toFixed(1)} s`).join(', ');
    return {
      status: 'fail',
      message: `${o.where} read ${what(g)} ${g.calls.length} times (${times}; first: ${shortUrl(g.calls[0]!.url)}): that is polling; ${advice}${webhookText(o.webhooks)}`,
    };
  }
  const once = [...groups.values()];
  if (once.length > 0)
    return {
      status: 'warn',
      message: `${o.where} read ${what(once[0]!)} once (${shortUrl(once[0]!.calls[0]!.url)}); run by a scheduler that is polling: ${advice}`,
    };
  return {
    status: 'pass',
    message: `${o.where}: ${o.calls.length} API call(s), none reads the travel transaction log or asks for records changed since a time${webhookText(o.webhooks)}`,
  };
}

/** One delivery of a change to a webhook, and what the app asked the API for afterwards. */
export interface WebhookObservation {
  hook: RegisteredWebhook;
  event: string;
  entity: string;
  id: number;
  status?: number;
  error?: string;
  /** API requests the app sent after the delivery began (bounded wait). */
  after: readonly ChangeCall[];
  waitedMs: number;
}

/** The app's read of one record: `GET v1/{Entity}/{id}`, or a query filtered on its id. */
export function fetchOf(calls: readonly ChangeCall[], entity: string, id: number): ChangeCall | undefined {
  const record = new RegExp(`/v1/${entity}/${id}(?:[/?]|$)`, 'i');
  const byQuery = new RegExp(`${entity}(?:Id|_id)\\s+(eq|=)\\s+${id}\\b`, 'i');
  return calls.find(
    (c) => c.method.toUpperCase() === 'GET' && (record.test(c.url) || byQuery.test(decoded(c.url))),
  );
}

/**
 * A webhook receiver answers 2xx and fetches the changed record through the API with its own
 * credentials (the payload names the record only). An error answer fails: SuperOffice stops a
 * webhook that keeps failing.
 */
export function judgeWebhookReceiver(o: WebhookObservation): Judgement {
  const delivered = `${o.event} for ${o.entity} ${o.id} to webhook "${o.hook.Name}" (${o.hook.TargetUrl})`;
  if (o.status === undefined)
    return {
      status: 'fail',
      message: `delivered ${delivered}: the receiver did not answer (${o.error ?? 'no answer'}); SuperOffice stops delivering to a webhook that keeps failing (State TooManyErrors)`,
    };
  if (o.status < 200 || o.status >= 300)
    return {
      status: 'fail',
      message: `delivered ${delivered}: the receiver answered ${o.status}; SuperOffice stops delivering to a webhook that keeps failing (State TooManyErrors). Answer 2xx once the event is taken in`,
    };
  const fetched = fetchOf(o.after, o.entity, o.id);
  if (fetched)
    return {
      status: 'pass',
      message: `delivered ${delivered}: the receiver answered ${o.status} and fetched the record through the API (${shortUrl(fetched.url)})`,
    };
  return {
    status: 'warn',
    message: `delivered ${delivered}: the receiver answered ${o.status} but did not fetch ${o.entity} ${o.id} through the API within ${Math.round(o.waitedMs / 1000)} s; a webhook payload names the changed record only, so a receiver that keeps data in step fetches it with its own credentials`,
  };
}
