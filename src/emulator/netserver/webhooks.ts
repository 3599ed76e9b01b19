/**
 * NetServer's webhooks (`v1/Webhook`) and travel transaction log (`archive/TravelTransactionLog`):
 * the two ways an app learns what changed in a tenant.
 *
 * - Registering a webhook (`POST v1/Webhook` with `Name`, `Events` as `entity.event`,
 *   `TargetUrl`, optional `Secret`, `State`, `Type`) first POSTs a `test` event to the target;
 *   the registration fails unless the target answers 200. The saved webhook is never returned
 *   with its secret.
 * - A delivery is a POST of `{EventId, Timestamp, Changes, Event, PrimaryKey, Entity,
 *   ContextIdentifier, ChangedByAssociateId, WebhookName}` with `X-SuperOffice-Event`,
 *   `X-SuperOffice-EventId` and, when the webhook has a secret, `X-SuperOffice-Signature`: the
 *   base64 HMAC-SHA256 of the body bytes keyed with the secret. The payload names the entity and
 *   its id only; the receiver fetches the data through the API.
 * - The travel transaction log lists one row per change (`travelTransactionLogId`, `tableName`,
 *   `recordId`, `mode`, `ttime`): reading it again and again is polling.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { Agent, request } from 'undici';
import type { EmulatorCore } from '../core.ts';
import { safeJson } from '../http.ts';
import type { Reply } from './context.ts';
import { err } from './context.ts';

export interface WebhookRecord {
  WebhookId: number;
  Name: string;
  Events: string[];
  TargetUrl: string;
  State: 'Active' | 'Stopped' | 'TooManyErrors';
  Type: string;
  Headers: Record<string, string>;
  Properties: Record<string, unknown>;
  Registered: string;
  tenant: string;
  secret: string | undefined;
}

/** A webhook as the API (and the harness) shows it: no secret, and whether it has one. */
export type PublicWebhook = Omit<WebhookRecord, 'secret' | 'tenant'> & { HasSecret: boolean };

export interface TravelLogRow {
  tenant: string;
  travelTransactionLogId: number;
  tableName: string;
  recordId: number;
  mode: 'Insert' | 'Update' | 'Delete';
  ttime: string;
}

/** The outcome of one delivery: the target's status, or why there was none. */
export interface WebhookDelivery {
  webhookId: number;
  name: string;
  targetUrl: string;
  event: string;
  eventId: string;
  status?: number;
  error?: string;
  ms: number;
}

const EVENT_NAME = /^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$/i;
const DELIVERY_TIMEOUT_MS = 5_000;
/** Targets are the partner's own servers; locally they use certificates no public CA signed. */
const deliveryAgent = new Agent({
  connect: { rejectUnauthorized: false, timeout: DELIVERY_TIMEOUT_MS },
  headersTimeout: DELIVERY_TIMEOUT_MS,
  bodyTimeout: DELIVERY_TIMEOUT_MS,
});

export function publicWebhook(w: WebhookRecord): PublicWebhook {
  const { secret, tenant: _tenant, ...rest } = w;
  return { ...rest, HasSecret: secret !== undefined };
}

/** Where a webhook may point: HTTPS, or plain http on this machine's loopback (development). */
function targetProblem(url: string): string | undefined {
  if (!URL.canParse(url)) return 'TargetUrl is not an absolute URL';
  const u = new URL(url);
  if (u.protocol === 'https:') return undefined;
  if (u.protocol === 'http:' && /^(127\.\d+\.\d+\.\d+|\[::1\]|localhost)$/.test(u.hostname)) return undefined;
  return 'TargetUrl must be HTTPS';
}

/** POSTs one payload to a webhook's target, signed when it has a secret. */
async function deliver(w: WebhookRecord, payload: Record<string, unknown>): Promise<WebhookDelivery> {
  const body = JSON.stringify(payload);
  const eventId = String(payload['EventId']);
  const event = String(payload['Event']);
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    'user-agent': 'NetServer-Webhook/10.3 (so-preflight)',
    'x-superoffice-event': event,
    'x-superoffice-eventid': eventId,
    ...w.Headers,
  };
  if (w.secret !== undefined)
    headers['x-superoffice-signature'] = createHmac('sha256', w.secret).update(body, 'utf8').digest('base64');
  const started = Date.now();
  const base = { webhookId: w.WebhookId, name: w.Name, targetUrl: w.TargetUrl, event, eventId };
  try {
    const res = await request(w.TargetUrl, {
      method: 'POST',
      headers,
      body,
      dispatcher: deliveryAgent,
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
    });
    await res.body.dump().catch(() => undefined);
    return { ...base, status: res.statusCode, ms: Date.now() - started };
  } catch (e) {
    const error =
      (e as Error)?.name === 'TimeoutError'
        ? `no answer within ${DELIVERY_TIMEOUT_MS / 1000} s`
        : ((e as Error)?.message ?? String(e));
    return { ...base, error, ms: Date.now() - started };
  }
}

function payloadFor(
  w: WebhookRecord,
  event: { Event: string; Entity: string; PrimaryKey: number; Changes: string[] },
  associateId: number,
): Record<string, unknown> {
  return {
    EventId: randomUUID(),
    Timestamp: new Date().toISOString(),
    Changes: event.Changes,
    Event: event.Event,
    PrimaryKey: event.PrimaryKey,
    Entity: event.Entity,
    ContextIdentifier: w.tenant,
    ChangedByAssociateId: associateId,
    WebhookName: w.Name,
  };
}

function parseWebhook(body: Buffer): Record<string, unknown> | undefined {
  const parsed = safeJson(body.toString('utf8'));
  return parsed.ok && parsed.value && typeof parsed.value === 'object' && !Array.isArray(parsed.value)
    ? (parsed.value as Record<string, unknown>)
    : undefined;
}

/** The webhooks of the tenants of one emulator, and the tenant's change log. */
export class Webhooks {
  readonly #core: EmulatorCore;
  readonly #hooks = new Map<number, WebhookRecord>();
  readonly #log: TravelLogRow[] = [];
  #nextId = 1;
  #nextLogId = 9001;

  constructor(core: EmulatorCore, tenants: readonly string[]) {
    this.#core = core;
    // Changes made by users before the run: one update to each of the first companies.
    const now = Date.now();
    for (const tenant of tenants)
      for (let i = 0; i < 5; i++)
        this.note(tenant, 'contact', 2 + i, 'Update', new Date(now - (5 - i) * 15 * 60_000).toISOString());
  }

  note(
    tenant: string,
    tableName: string,
    recordId: number,
    mode: TravelLogRow['mode'],
    ttime?: string,
  ): void {
    this.#log.push({
      tenant,
      travelTransactionLogId: this.#nextLogId++,
      tableName,
      recordId,
      mode,
      ttime: ttime ?? new Date().toISOString(),
    });
  }

  /** The travel transaction log of a tenant as archive rows. */
  logRows(tenant: string): Record<string, unknown>[] {
    return this.#log
      .filter((r) => r.tenant === tenant)
      .map(({ tenant: _t, ...r }) => ({
        PrimaryKey: String(r.travelTransactionLogId),
        EntityName: 'traveltransactionlog',
        ...r,
      }));
  }

  list(tenant?: string): PublicWebhook[] {
    return [...this.#hooks.values()]
      .filter((w) => tenant === undefined || w.tenant === tenant)
      .map(publicWebhook);
  }

  /** `v1/Webhook[/{id}]`. */
  async route(method: string, id: string | undefined, body: Buffer, tenant: string): Promise<Reply> {
    if (id !== undefined && !/^\d{1,9}$/.test(id)) return err(400, `Invalid webhook id: ${id}`, 'BadRequest');
    const hook = id === undefined ? undefined : this.#hooks.get(Number(id));
    const mine = hook && hook.tenant === tenant ? hook : undefined;
    if (id !== undefined && !mine) return err(404, `Webhook ${id} not found`, 'NotFound');
    if (method === 'GET' || method === 'HEAD')
      return { status: 200, body: mine ? publicWebhook(mine) : this.list(tenant) };
    if (method === 'DELETE') {
      if (!mine) return err(405, 'Method not allowed', 'MethodNotAllowed');
      this.#hooks.delete(mine.WebhookId);
      return { status: 204 };
    }
    if (method !== 'POST' && method !== 'PUT') return err(405, 'Method not allowed', 'MethodNotAllowed');
    if (method === 'POST' && mine) return err(405, 'Method not allowed', 'MethodNotAllowed');
    const input = parseWebhook(body);
    if (!input) return err(400, 'The request body is not a webhook entity', 'BadRequest');
    const events = input['Events'];
    if (
      !Array.isArray(events) ||
      events.length === 0 ||
      !events.every((e) => typeof e === 'string' && EVENT_NAME.test(e))
    )
      return err(400, 'Events must list one or more event names such as "contact.changed"', 'BadRequest');
    const target = typeof input['TargetUrl'] === 'string' ? input['TargetUrl'] : '';
    const problem = targetProblem(target);
    if (problem) return err(400, problem, 'BadRequest');
    const secret =
      typeof input['Secret'] === 'string' && input['Secret'] !== '' ? input['Secret'] : mine?.secret;
    this.#core.addSecret(secret);
    const state = input['State'] === 'Stopped' ? 'Stopped' : 'Active';
    const record: WebhookRecord = {
      WebhookId: mine?.WebhookId ?? this.#nextId++,
      Name: typeof input['Name'] === 'string' && input['Name'] ? input['Name'] : 'webhook',
      Events: events as string[],
      TargetUrl: target,
      State: state,
      Type: typeof input['Type'] === 'string' && input['Type'] ? input['Type'] : 'webhook',
      Headers: Object.fromEntries(
        Object.entries((input['Headers'] as Record<string, unknown> | null) ?? {}).filter(
          (e): e is [string, string] => typeof e[1] === 'string',
        ),
      ),
      Properties: (input['Properties'] as Record<string, unknown> | null) ?? {},
      Registered: mine?.Registered ?? new Date().toISOString(),
      tenant,
      secret,
    };
    // SuperOffice checks the target before it saves the webhook.
    const test = await deliver(
      record,
      payloadFor(record, { Event: 'test', Entity: 'test', PrimaryKey: 0, Changes: [] }, 0),
    );
    if (test.status !== 200)
      return err(
        400,
        `The TargetUrl did not answer the test POST with 200 OK (${test.status !== undefined ? `it answered ${test.status}` : test.error})`,
        'WebhookTargetTestFailed',
      );
    this.#hooks.set(record.WebhookId, record);
    return { status: 200, body: publicWebhook(record) };
  }

  /**
   * A user changed a record: the change is logged and every active webhook of the tenant that
   * subscribes to the event is notified, one after the other.
   */
  async fire(
    tenant: string,
    event: { entity: string; event: 'created' | 'changed' | 'deleted'; id: number; changes: string[] },
    associateId: number,
  ): Promise<WebhookDelivery[]> {
    const name = `${event.entity}.${event.event}`;
    this.note(
      tenant,
      event.entity,
      event.id,
      event.event === 'created' ? 'Insert' : event.event === 'deleted' ? 'Delete' : 'Update',
    );
    const out: WebhookDelivery[] = [];
    for (const w of this.#hooks.values()) {
      if (w.tenant !== tenant || w.State !== 'Active') continue;
      if (!w.Events.some((e) => e.toLowerCase() === name)) continue;
      out.push(
        await deliver(
          w,
          payloadFor(
            w,
            { Event: name, Entity: event.entity, PrimaryKey: event.id, Changes: event.changes },
            associateId,
          ),
        ),
      );
    }
    return out;
  }

  clear(): void {
    this.#hooks.clear();
  }
}
