/**
 * A worker's handle on the run's one emulator, through its control API ({@link createControl}).
 * Reads (`recorder`, `flow.exchanges()`, `tokens()`, `forged()`, `secrets()`) are answered from a
 * local mirror that a long poll keeps current; {@link EmulatorHandle.sync} waits until the mirror
 * holds everything the emulator had recorded when it was called. Changes (`createFlow`, faults,
 * rotation, reset) are requests and therefore async.
 */
import { Agent, request } from 'undici';
import type { EventsAnswer, FlowSnapshot, FlowState } from './control.ts';
import { CONTROL_PREFIX } from './control.ts';
import type { PublicWebhook, WebhookDelivery } from './netserver/webhooks.ts';
import type {
  Emulator,
  EmulatorHandle,
  Exchange,
  Flow,
  FlowApiFaults,
  FlowOptions,
  GlobalFaults,
  OwnTenant,
  ProxyStats,
  Recorder,
  TenantFaults,
} from './types.ts';

export interface RemoteOptions {
  /** The emulator's SuperID listener (the control API lives on that origin). */
  controlUrl: string;
  /** The run's control token. */
  token: string;
  /** PEM of the emulator's CA, so the connection is verified. */
  caPem: string;
}

class MirrorRecorder implements Recorder {
  items: Exchange[] = [];
  seq = 0;
  #waiters = new Set<{ predicate: (e: Exchange) => boolean; resolve: (e: Exchange | null) => void }>();

  push(list: readonly Exchange[]): void {
    for (const e of list) {
      if (e.seq <= this.seq) continue;
      this.items.push(e);
      this.seq = e.seq;
      for (const w of [...this.#waiters]) {
        if (w.predicate(e)) {
          this.#waiters.delete(w);
          w.resolve(e);
        }
      }
    }
  }
  all(): readonly Exchange[] {
    return this.items;
  }
  forFlow(flowId: string): Exchange[] {
    return this.items.filter((e) => e.flowId === flowId);
  }
  since(seq: number): Exchange[] {
    return this.items.filter((e) => e.seq > seq);
  }
  lastSeq(): number {
    return this.seq;
  }
  waitFor(predicate: (e: Exchange) => boolean, timeoutMs: number): Promise<Exchange | null> {
    return new Promise((resolve) => {
      const w = { predicate, resolve };
      this.#waiters.add(w);
      setTimeout(
        () => {
          if (this.#waiters.delete(w)) resolve(null);
        },
        Math.max(0, Math.min(timeoutMs, 10 * 60_000)),
      ).unref();
    });
  }
  clear(): void {
    this.items = [];
  }
}

export interface RemoteEmulator extends EmulatorHandle {
  /** Stop the long poll and close connections. */
  close(): Promise<void>;
}

/** Connect to the run's emulator; rejects with a one-line reason when it cannot be reached. */
export async function connectEmulator(options: RemoteOptions): Promise<RemoteEmulator> {
  const base = new URL(CONTROL_PREFIX, options.controlUrl);
  const dispatcher = new Agent({ connect: { ca: options.caPem }, keepAliveTimeout: 10_000 });
  const headers = { authorization: `Bearer ${options.token}`, 'content-type': 'application/json' };
  let closed = false;

  const send = (method: 'GET' | 'POST', path: string, body: unknown, timeoutMs: number) =>
    request(new URL(path, base), {
      method,
      headers,
      dispatcher,
      body: body === undefined ? undefined : JSON.stringify(body),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
  const call = async <T>(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    timeoutMs = 30_000,
  ): Promise<T> => {
    let res: Awaited<ReturnType<typeof send>>;
    try {
      res = await send(method, path, body, timeoutMs);
    } catch (e) {
      // A kept-alive connection the emulator closed just as this request reused it (a worker's
      // event loop late under load): the request never reached it, so it is sent once more.
      if (!isClosedConnection(e)) throw e;
      res = await send(method, path, body, timeoutMs);
    }
    const text = await res.body.text();
    if (res.statusCode !== 200)
      throw new Error(
        `emulator control ${method} ${path} answered HTTP ${res.statusCode}: ${text.slice(0, 200)}`,
      );
    return JSON.parse(text) as T;
  };

  const info = await call<{
    environment: Emulator['environment'];
    tenant: string;
    superidUrl: string;
    tenantOrigin: string;
    mailUrl: string;
    webapiUrl: string;
    caFile: string;
    caPem: string;
    accessTokenTtlSeconds: number;
    client: Emulator['client'];
    privateKeyFile: string | undefined;
    users: Emulator['users'];
  }>('GET', 'info');

  const recorder = new MirrorRecorder();
  const flowStates = new Map<string, FlowState>();
  const secrets: string[] = [];
  /** Secrets this worker learned from its own requests, before the events bring them. */
  const learned: string[] = [];

  const apply = (answer: EventsAnswer): void => {
    for (const [id, state] of Object.entries(answer.flows)) flowStates.set(id, state);
    secrets.push(...answer.secrets);
    recorder.push(answer.exchanges);
  };
  const poll = async (wait = true): Promise<void> => {
    const answer = await call<EventsAnswer>(
      'GET',
      `events?since=${recorder.seq}&secrets=${secrets.length}${wait ? '' : '&wait=0'}`,
      undefined,
      60_000,
    );
    apply(answer);
  };
  // The first read answers at once: an app that has not called SuperID or NetServer yet must not
  // hold the worker for a whole long poll.
  await poll(false);
  const loop = (async () => {
    while (!closed) {
      try {
        await poll();
      } catch {
        if (!closed) await new Promise((r) => setTimeout(r, 200));
      }
    }
  })();

  const makeFlow = (s: FlowSnapshot): Flow => ({
    id: s.id,
    options: s.options,
    user: s.user,
    cookie: s.cookie,
    exchanges: () => recorder.forFlow(s.id),
    tokens: () =>
      structuredClone(
        flowStates.get(s.id)?.tokens ?? { codes: [], accessTokens: [], refreshTokens: [], idTokens: [] },
      ),
    forged: () => structuredClone(flowStates.get(s.id)?.forged ?? []),
    arm: async (api: FlowApiFaults) => {
      await call('POST', `flows/${encodeURIComponent(s.id)}/arm`, { api });
    },
  });

  const sync = async (): Promise<void> => {
    const { seq } = await call<{ seq: number }>('GET', 'seq');
    const deadline = Date.now() + 10_000;
    while (recorder.seq < seq && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  };

  return {
    ...info,
    recorder,
    createFlow: async (o: FlowOptions = {}) =>
      makeFlow(await call<FlowSnapshot>('POST', 'flows', { options: o })),
    setFaults: async (faults: GlobalFaults) => {
      await call('POST', 'faults', { faults });
    },
    createTenant: async () => {
      const own = await call<OwnTenant>('POST', 'tenants', {});
      learned.push(own.users.admin.password, own.users.user.password);
      return own;
    },
    setTenantFaults: async (tenant: string, faults: TenantFaults) => {
      await call('POST', `tenants/${encodeURIComponent(tenant)}/faults`, { faults });
    },
    rotateSigningKey: (o) =>
      call<{ kid: string }>('POST', 'rotate', {
        dropOld: o?.dropOld === true,
        publishOnly: o?.publishOnly === true,
      }),
    reset: async (o) => {
      await call('POST', 'reset', {
        keepConsent: o?.keepConsent === true,
        restoreKeys: o?.restoreKeys === true,
        newRun: o?.newRun === true,
      });
    },
    secrets: () => [...secrets, ...learned],
    expireTickets: async () => {
      await call('POST', 'expire-tickets', {});
    },
    stateChangeNotification: (o) => call<Record<string, unknown>>('POST', 'state-change', o),
    webhooks: () => call<PublicWebhook[]>('GET', 'webhooks'),
    changeRecord: (o) => call<WebhookDelivery[]>('POST', 'change-record', o),
    sync,
    proxyStats: async () => (await call<ProxyStats | null>('GET', 'proxy')) ?? undefined,
    lock: async (mode) => {
      // The lock is held for as long as this request stays open (see control.ts); its own
      // connection, so closing it releases exactly this hold. The wait is bounded by the caller's
      // fixture timeout.
      const holder = new Agent({ connect: { ca: options.caPem } });
      const abort = new AbortController();
      const res = await request(new URL('lock', base), {
        method: 'POST',
        headers,
        dispatcher: holder,
        body: JSON.stringify({ mode }),
        signal: abort.signal,
        headersTimeout: 10 * 60_000,
        bodyTimeout: 0,
      });
      if (res.statusCode !== 200) {
        await holder.destroy().catch(() => undefined);
        throw new Error(`emulator control POST lock answered HTTP ${res.statusCode}`);
      }
      return async () => {
        abort.abort();
        await holder.destroy().catch(() => undefined);
      };
    },
    app: (from = 0) =>
      call<{
        attached: boolean;
        exit: { code: number | null; reason: string } | null;
        output: string[];
        total: number;
      }>('GET', `app?from=${from}`),
    close: async () => {
      closed = true;
      await Promise.race([loop, new Promise((r) => setTimeout(r, 100))]);
      await dispatcher.destroy().catch(() => undefined);
    },
  };
}

/** Whether a request failed because the server had closed the (reused) connection. */
function isClosedConnection(e: unknown): boolean {
  const code = (e as { code?: string } | undefined)?.code;
  return code === 'UND_ERR_SOCKET' || code === 'ECONNRESET';
}
