/**
 * The emulator's control API: how the workers of one run share one emulator (and one app). It is
 * served on the SuperID origin under {@link CONTROL_PREFIX}, answers only requests that carry the
 * run's random bearer token (compared in constant time), and is never recorded as traffic.
 *
 * - `GET  info`: URLs, client, users, CA file (what a worker needs to drive and to start a native app)
 * - `GET  events?since=N&secrets=M[&wait=0]`: long poll; exchanges after seq N, the token state of
 *   the flows they touch, and secrets from index M on (so workers redact with every issued value);
 *   `wait=0` answers at once, with whatever there is (a worker's first read)
 * - `GET  seq`: the current last seq (workers wait until their mirror has it)
 * - `POST flows {options}` → a new flow; `POST flows/ID/arm {api}`
 * - `POST tenants` → a tenant for one check ({@link Emulator.createTenant});
 *   `POST tenants/CTX/faults {faults}`: its state and host
 * - `POST faults`, `POST rotate`, `POST reset`, `POST expire-tickets`, `POST state-change`
 * - `POST lock {mode}` / `POST unlock {id}`: tests that change what every flow sees (global
 *   faults, tenant state, consent) hold the run exclusively; all others hold it shared
 * - `GET  app`: the app process's state (exited? why?) and, from `output?from=N`, its output lines
 */
import { timingSafeEqual, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Emulator, Exchange, Flow, FlowOptions } from './types.ts';

export const CONTROL_PREFIX = '/__so-preflight/';

/** What the CLI tells the control API about the app it started (none in attach mode). */
export interface AppState {
  /** True when the run did not start the app (attach mode, or a web app without `app.start`). */
  attached?(): boolean;
  /** Exit code (or signal) once the app process ended; undefined while it runs. */
  exit(): { code: number | null; reason: string } | undefined;
  /** Every output line so far. */
  output(): string[];
}

export interface FlowSnapshot {
  id: string;
  options: Flow['options'];
  user: Flow['user'];
  cookie: Flow['cookie'];
}

export interface FlowState {
  tokens: ReturnType<Flow['tokens']>;
  forged: ReturnType<Flow['forged']>;
}

export interface EventsAnswer {
  seq: number;
  exchanges: Exchange[];
  flows: Record<string, FlowState>;
  secrets: string[];
  secretsTotal: number;
}

const LONG_POLL_MS = 15_000;
const BODY_LIMIT = 256 * 1024;

/** A readers-writer lock with writer preference: exclusive holders never overlap anything. */
class RunLock {
  #shared = new Set<string>();
  #exclusive: string | undefined;
  #queue: Array<{ id: string; mode: 'shared' | 'exclusive'; grant: () => void }> = [];

  acquire(mode: 'shared' | 'exclusive'): { id: string; granted: Promise<void> } {
    const id = randomUUID();
    const granted = new Promise<void>((grant) => this.#queue.push({ id, mode, grant }));
    this.#pump();
    return { id, granted };
  }

  release(id: string): void {
    this.#shared.delete(id);
    if (this.#exclusive === id) this.#exclusive = undefined;
    this.#queue = this.#queue.filter((w) => w.id !== id);
    this.#pump();
  }

  #pump(): void {
    while (this.#queue.length && this.#exclusive === undefined) {
      const next = this.#queue[0]!;
      if (next.mode === 'exclusive') {
        if (this.#shared.size > 0) return;
        this.#exclusive = next.id;
      } else {
        this.#shared.add(next.id);
      }
      this.#queue.shift();
      next.grant();
    }
  }
}

function snapshot(flow: Flow): FlowSnapshot {
  return { id: flow.id, options: flow.options, user: flow.user, cookie: flow.cookie };
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > BODY_LIMIT) throw new Error('control request body too large');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json');
  res.setHeader('Cache-Control', 'no-store');
  res.end(JSON.stringify(body ?? null));
}

function authorized(req: IncomingMessage, token: string): boolean {
  const given = Buffer.from(/^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '');
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

/**
 * The control API's request handler; `handle(req, res)` answers and returns true for control
 * paths, false for everything else (which the caller then serves as SuperID).
 */
export function createControl(
  emulator: Emulator,
  token: string,
  app?: AppState,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const lock = new RunLock();

  const events = async (since: number, secretsFrom: number, wait: boolean): Promise<EventsAnswer> => {
    const { recorder } = emulator;
    if (wait && recorder.lastSeq() <= since) await recorder.waitFor((e) => e.seq > since, LONG_POLL_MS);
    const exchanges = recorder.since(since);
    const flows: Record<string, FlowState> = {};
    for (const e of exchanges) {
      if (!e.flowId || flows[e.flowId]) continue;
      const flow = emulator.getFlow(e.flowId);
      if (flow) flows[e.flowId] = { tokens: flow.tokens(), forged: flow.forged() };
    }
    const secrets = emulator.secrets();
    return {
      seq: exchanges.at(-1)?.seq ?? since,
      exchanges,
      flows,
      secrets: secrets.slice(secretsFrom),
      secretsTotal: secrets.length,
    };
  };

  const route = async (req: IncomingMessage, res: ServerResponse, path: string, url: URL) => {
    const method = req.method ?? 'GET';
    const body = method === 'POST' ? await readJson(req) : {};
    if (method === 'GET' && path === 'info') {
      return send(res, 200, {
        environment: emulator.environment,
        tenant: emulator.tenant,
        superidUrl: emulator.superidUrl,
        tenantOrigin: emulator.tenantOrigin,
        mailUrl: emulator.mailUrl,
        webapiUrl: emulator.webapiUrl,
        caFile: emulator.caFile,
        caPem: emulator.caPem,
        accessTokenTtlSeconds: emulator.accessTokenTtlSeconds,
        client: emulator.client,
        privateKeyFile: emulator.privateKeyFile,
        users: emulator.users,
      });
    }
    if (method === 'GET' && path === 'events') {
      const since = Number(url.searchParams.get('since') ?? 0) || 0;
      const secretsFrom = Number(url.searchParams.get('secrets') ?? 0) || 0;
      const wait = url.searchParams.get('wait') !== '0';
      return send(res, 200, await events(since, secretsFrom, wait));
    }
    if (method === 'GET' && path === 'proxy') {
      const p = emulator.proxy;
      return send(
        res,
        200,
        p
          ? {
              tunnels: { app: p.tunnels('app'), browser: p.tunnels('browser') },
              otherHosts: { app: p.otherHosts('app'), browser: p.otherHosts('browser') },
            }
          : null,
      );
    }
    if (method === 'GET' && path === 'seq') return send(res, 200, { seq: emulator.recorder.lastSeq() });
    if (method === 'POST' && path === 'flows') {
      return send(res, 200, snapshot(emulator.createFlow((body['options'] ?? {}) as FlowOptions)));
    }
    const arm = /^flows\/([^/]+)\/arm$/.exec(path);
    if (method === 'POST' && arm) {
      const flow = emulator.getFlow(decodeURIComponent(arm[1]!));
      if (!flow) return send(res, 404, { error: 'no such flow' });
      await flow.arm((body['api'] ?? {}) as Parameters<Flow['arm']>[0]);
      return send(res, 200, {});
    }
    if (method === 'POST' && path === 'faults') {
      emulator.setFaults((body['faults'] ?? {}) as Parameters<Emulator['setFaults']>[0]);
      return send(res, 200, {});
    }
    if (method === 'POST' && path === 'tenants') return send(res, 200, emulator.createTenant());
    const tenantFaults = /^tenants\/([^/]+)\/faults$/.exec(path);
    if (method === 'POST' && tenantFaults) {
      const tenant = decodeURIComponent(tenantFaults[1]!);
      const f = (body['faults'] ?? {}) as Parameters<Emulator['setTenantFaults']>[1];
      try {
        emulator.setTenantFaults(tenant, f);
      } catch (e) {
        return send(res, 404, { error: (e as Error).message });
      }
      return send(res, 200, {});
    }
    if (method === 'POST' && path === 'rotate')
      return send(
        res,
        200,
        await emulator.rotateSigningKey({
          dropOld: body['dropOld'] === true,
          publishOnly: body['publishOnly'] === true,
        }),
      );
    if (method === 'POST' && path === 'reset') {
      emulator.reset({
        keepConsent: body['keepConsent'] === true,
        restoreKeys: body['restoreKeys'] === true,
        newRun: body['newRun'] === true,
      });
      return send(res, 200, {});
    }
    if (method === 'POST' && path === 'expire-tickets') {
      emulator.expireTickets();
      return send(res, 200, {});
    }
    if (method === 'POST' && path === 'state-change') {
      const options = body as Parameters<Emulator['stateChangeNotification']>[0];
      return send(res, 200, await emulator.stateChangeNotification(options));
    }
    if (method === 'GET' && path === 'webhooks') return send(res, 200, await emulator.webhooks());
    if (method === 'POST' && path === 'change-record') {
      const change = body as Parameters<Emulator['changeRecord']>[0];
      if (
        !['contact', 'person'].includes(change.entity) ||
        !['created', 'changed', 'deleted'].includes(change.event) ||
        !Number.isInteger(change.id)
      )
        return send(res, 400, {
          error:
            'change-record needs entity (contact|person), event (created|changed|deleted) and an integer id',
        });
      return send(res, 200, await emulator.changeRecord(change));
    }
    if (method === 'POST' && path === 'lock') {
      const mode = body['mode'] === 'exclusive' ? 'exclusive' : 'shared';
      const held = lock.acquire(mode);
      // The lock lives as long as this response: the holder releases it by closing the request,
      // and a worker that dies (Playwright kills one after a test timeout) releases it with its
      // connection, waiting or holding.
      res.on('close', () => lock.release(held.id));
      await held.granted;
      if (res.destroyed) return;
      res.writeHead(200, { 'Content-Type': 'application/x-ndjson', 'Cache-Control': 'no-store' });
      res.write(`${JSON.stringify({ id: held.id })}\n`);
      return;
    }
    if (method === 'POST' && path === 'unlock') {
      lock.release(String(body['id'] ?? ''));
      return send(res, 200, {});
    }
    if (method === 'GET' && path === 'app') {
      const from = Number(url.searchParams.get('from') ?? 0) || 0;
      const lines = app?.output() ?? [];
      return send(res, 200, {
        attached: !app || app.attached?.() === true,
        exit: app?.exit() ?? null,
        output: lines.slice(from),
        total: lines.length,
      });
    }
    return send(res, 404, { error: 'unknown control request' });
  };

  return (req, res) => {
    const url = new URL(req.url ?? '/', 'https://emulator.invalid');
    if (!url.pathname.startsWith(CONTROL_PREFIX)) return false;
    if (!authorized(req, token)) {
      send(res, 401, { error: 'control token required' });
      return true;
    }
    route(req, res, url.pathname.slice(CONTROL_PREFIX.length), url).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, { error: (e as Error).message });
    });
    return true;
  };
}
