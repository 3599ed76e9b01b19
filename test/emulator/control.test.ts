/**
 * The control API that lets the workers of one run share one emulator: authentication, the
 * mirror a worker keeps of the emulator's record, per-flow faults armed remotely, the run lock,
 * and restoring SuperID's signing key after a rollover.
 */
import { test, expect } from '@playwright/test';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { decodeProtectedHeader } from 'jose';
import { withEmulator } from './own-emulator.ts';
import { startEmulator, type Emulator } from '../../src/emulator/index.ts';
import { connectEmulator, type RemoteEmulator } from '../../src/emulator/remote.ts';
import { RunLock } from '../../fixtures/preflight.ts';
import type { Harness } from '../../fixtures/harness.ts';

const TOKEN = 'control-token-for-tests-0123456789abcdef';

let emulator: Emulator;
let remote: RemoteEmulator;
let dataDir: string;
let agent: Agent;
const output = ['listening on 5058', 'GET /contacts 200'];

test.beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'so-emu-control-'));
  emulator = await startEmulator({
    environment: 'sod',
    tenant: 'Cust12345',
    dataDir,
    app: { name: 'Acme Web', type: 'web', redirectUris: ['http://127.0.0.1:5058/callback'] },
    control: { token: TOKEN, app: () => ({ exit: () => undefined, output: () => output }) },
  });
  agent = new Agent({ connect: { ca: emulator.caPem } });
  remote = await connectEmulator({ controlUrl: emulator.controlUrl, token: TOKEN, caPem: emulator.caPem });
});

test.afterAll(async () => {
  await remote?.close();
  await emulator?.stop();
  await agent?.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function get(path: string, token?: string) {
  const res = await request(new URL(path, emulator.superidUrl), {
    dispatcher: agent,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return { status: res.statusCode, body: await res.body.text() };
}

test('control requests need the run token; they are not recorded as app traffic', async () => {
  const before = emulator.recorder.lastSeq();
  expect((await get('/__so-preflight/info')).status).toBe(401);
  expect((await get('/__so-preflight/info', `${TOKEN}x`)).status).toBe(401);
  expect((await get('/__so-preflight/info', TOKEN.slice(0, -1) + 'X')).status).toBe(401);
  const ok = await get('/__so-preflight/info', TOKEN);
  expect(ok.status).toBe(200);
  expect(JSON.parse(ok.body).superidUrl).toBe(emulator.superidUrl);
  // SuperID itself still answers on the same origin.
  expect((await get('/login/.well-known/openid-configuration')).status).toBe(200);
  expect(emulator.recorder.since(before).filter((e) => e.path.startsWith('/__so-preflight'))).toEqual([]);
});

test('a worker connects at once to an emulator that has recorded nothing yet', async () => {
  // An app that calls neither SuperID nor NetServer at start: the first read must not wait out a
  // long poll (15 s) for traffic that only the checks will cause.
  await withEmulator(
    {
      environment: 'sod',
      tenant: 'Cust12345',
      app: { name: 'Acme Web', type: 'web', redirectUris: ['http://127.0.0.1:5058/callback'] },
      control: { token: TOKEN },
    },
    async (quiet) => {
      expect(quiet.recorder.lastSeq()).toBe(0);
      const connecting = connectEmulator({ controlUrl: quiet.controlUrl, token: TOKEN, caPem: quiet.caPem });
      const waited = new Promise<'waited'>((r) => setTimeout(() => r('waited'), 5_000).unref());
      const first = await Promise.race([connecting, waited]);
      expect(first, 'connectEmulator waited for traffic').not.toBe('waited');
      const worker = await connecting;
      try {
        // The long poll still serves what follows.
        const tls = new Agent({ connect: { ca: quiet.caPem } });
        const res = await request(new URL('/login/.well-known/openid-configuration', quiet.superidUrl), {
          dispatcher: tls,
        });
        await res.body.dump();
        await tls.close();
        expect(quiet.recorder.lastSeq()).toBeGreaterThan(0);
        await worker.sync();
        expect(worker.recorder.lastSeq()).toBe(quiet.recorder.lastSeq());
      } finally {
        await worker.close();
      }
    },
  );
});

test('a remote flow mirrors the exchanges and tokens the emulator records for it', async () => {
  const flow = await remote.createFlow({ user: 'admin' });
  expect(emulator.getFlow(flow.id)).toBeTruthy();
  // Discovery carries no flow; the JWKS fetch with the flow cookie is bound to it.
  const res = await request(new URL('/login/.well-known/jwks', emulator.superidUrl), {
    dispatcher: agent,
    headers: { cookie: `${flow.cookie.name}=${flow.cookie.value}` },
  });
  await res.body.dump();
  await remote.sync();
  const seen = remote.recorder.all().at(-1);
  expect(seen?.seq).toBe(emulator.recorder.lastSeq());
  expect(remote.recorder.lastSeq()).toBe(emulator.recorder.lastSeq());
  expect(flow.tokens()).toEqual({ codes: [], accessTokens: [], refreshTokens: [], idTokens: [] });
  // Secrets reach the worker's redactor: the client secret and the users' passwords at least.
  expect(remote.secrets()).toContain(emulator.client.secret);
  expect(remote.secrets()).toContain(emulator.users.admin.password);
});

test('faults are armed remotely on the emulator flow', async () => {
  const flow = await remote.createFlow();
  await flow.arm({ serverError: true });
  expect(emulator.getFlow(flow.id)?.options.api).toEqual({ serverError: true });
  await remote.setFaults({ tenantState: 'OfflineMaintenance' });
  await remote.reset({ keepConsent: true });
});

test("a tenant made for one check changes alone: the run's tenant keeps its state and host, and reset leaves it", async () => {
  const own = await remote.createTenant();
  const again = await remote.createTenant();
  expect(own.ctx).toMatch(/^Cust\d+$/);
  expect(new Set([own.ctx, again.ctx, emulator.tenant]).size).toBe(3);
  expect(own.users.admin.tenants).toEqual([own.ctx]);
  expect(own.users.user.isAdministrator).toBe(false);
  // Its users' passwords are secrets the workers redact.
  await remote.sync();
  expect(remote.secrets()).toContain(own.users.admin.password);

  const state = async (ctx: string) => {
    const res = await request(new URL(`/api/state/${ctx}`, emulator.superidUrl), { dispatcher: agent });
    return (await res.body.json()) as { State: string; Endpoint: string };
  };
  const api = async (ctx: string) => {
    const res = await request(`${emulator.tenantOrigin}/${ctx}/api/v1/Contact/2`, { dispatcher: agent });
    await res.body.dump();
    return res.statusCode;
  };
  await remote.setTenantFaults(own.ctx, { tenantState: 'OfflineMaintenance' });
  await remote.setTenantFaults(own.ctx, { tenantMoved: true });
  // Fields given replace theirs; the state set before stays.
  expect(await state(own.ctx)).toMatchObject({ State: 'OfflineMaintenance' });
  expect((await state(own.ctx)).Endpoint).not.toContain(emulator.tenantOrigin);
  expect(await api(own.ctx)).toBe(421);
  for (const ctx of [emulator.tenant, again.ctx]) {
    expect(await state(ctx)).toEqual(
      expect.objectContaining({ State: 'Running', Endpoint: `${emulator.tenantOrigin}/${ctx}` }),
    );
    expect(await api(ctx)).toBe(401);
  }
  // Another check's reset is not this check's business.
  await remote.reset({ keepConsent: true, restoreKeys: true });
  expect(await state(own.ctx)).toMatchObject({ State: 'OfflineMaintenance' });
  // Only tenants made for a check change this way; a flow only signs in on a known one.
  await expect(remote.setTenantFaults(emulator.tenant, { tenantState: 'Suspended' })).rejects.toThrow(
    /no tenant/,
  );
  await expect(remote.createFlow({ tenant: 'Cust99999' })).rejects.toThrow(/no tenant/);
  const flow = await remote.createFlow({ tenant: own.ctx, user: 'user' });
  expect(flow.user.username).toBe(own.users.user.username);
});

test('the run lock: an exclusive holder never overlaps a shared one', async () => {
  const events: string[] = [];
  const releaseShared = await remote.lock('shared');
  events.push('shared held');
  const exclusive = remote.lock('exclusive').then((release) => {
    events.push('exclusive held');
    return release;
  });
  // Writers first: a shared request after the waiting exclusive one queues behind it.
  const laterShared = remote.lock('shared').then((release) => {
    events.push('later shared held');
    return release;
  });
  await new Promise((r) => setTimeout(r, 300));
  expect(events).toEqual(['shared held']);
  await releaseShared();
  const releaseExclusive = await exclusive;
  await new Promise((r) => setTimeout(r, 200));
  expect(events).toEqual(['shared held', 'exclusive held']);
  await releaseExclusive();
  await (
    await laterShared
  )();
  expect(events).toEqual(['shared held', 'exclusive held', 'later shared held']);
});

test('a check that idles lets others hold the run, and one that ended never keeps it', async () => {
  const harness = { emulator: remote } as unknown as Harness;
  const events: string[] = [];
  // A shared check lets go while it waits: an exclusive check runs meanwhile.
  const idler = await RunLock.take(harness, 'shared');
  const exclusive = remote.lock('exclusive').then((release) => {
    events.push('exclusive held');
    return release;
  });
  await new Promise((r) => setTimeout(r, 200));
  expect(events).toEqual([]);
  await idler.release();
  const releaseExclusive = await exclusive;
  const back = idler.retake().then(() => events.push('idler back'));
  await new Promise((r) => setTimeout(r, 200));
  expect(events).toEqual(['exclusive held']);
  await releaseExclusive();
  await back;
  expect(events).toEqual(['exclusive held', 'idler back']);
  await idler.end();

  // A check that ends while waiting to hold the run again gives the late hold straight back.
  const late = await RunLock.take(harness, 'shared');
  await late.release();
  const releaseBlocker = await remote.lock('exclusive');
  const waiting = late.retake();
  await late.end();
  await releaseBlocker();
  await waiting;
  const next = await Promise.race([
    remote.lock('exclusive'),
    new Promise<undefined>((r) => setTimeout(() => r(undefined), 3_000)),
  ]);
  expect(next, 'the run is free again').toBeDefined();
  await next?.();
});

test('after a rollover, reset with restoreKeys signs with the original key and keeps both published; a published-only key does not sign', async () => {
  const jwks = async () =>
    (JSON.parse((await get('/login/.well-known/jwks')).body) as { keys: Array<{ kid: string }> }).keys.map(
      (k) => k.kid,
    );
  // What SuperID signs with now: the kid of a token it mints (a state-change notification).
  const signer = async () =>
    decodeProtectedHeader(String((await remote.stateChangeNotification({ changeType: 0 }))['Token'])).kid;
  const original = await jwks();
  expect(original).toHaveLength(1);
  expect(await signer()).toBe(original[0]);
  const { kid } = await remote.rotateSigningKey({ dropOld: false });
  expect(await jwks()).toEqual([original[0], kid]);
  expect(await signer()).toBe(kid);
  await remote.reset({ keepConsent: true, restoreKeys: true });
  expect(await jwks()).toEqual([original[0], kid]);
  expect(await signer()).toBe(original[0]);
  // A published-only key is in the JWKS, but SuperID keeps signing with the current key.
  const { kid: next } = await remote.rotateSigningKey({ publishOnly: true });
  expect(await jwks()).toEqual([original[0], kid, next]);
  expect(await signer()).toBe(original[0]);
});

test("the app's output reaches the workers", async () => {
  const state = await remote.app(1);
  expect(state.attached).toBe(false);
  expect(state.exit).toBeNull();
  expect(state.output).toEqual(['GET /contacts 200']);
  expect(state.total).toBe(2);
});

test('a worker killed while it holds the lock releases it with its connection', async () => {
  const script = `
    import { connectEmulator } from ${JSON.stringify(new URL('../../src/emulator/remote.ts', import.meta.url).pathname)};
    const remote = await connectEmulator({ controlUrl: process.env.URL, token: process.env.TOKEN, caPem: process.env.CA });
    await remote.lock('exclusive');
    console.log('held');
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, URL: emulator.superidUrl, TOKEN, CA: emulator.caPem },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => (d.toString().includes('held') ? resolve() : undefined));
    child.on('exit', (code) => reject(new Error(`the holder exited early (${code})`)));
  });
  let granted = false;
  const next = remote.lock('shared').then((release) => {
    granted = true;
    return release;
  });
  await new Promise((r) => setTimeout(r, 300));
  expect(granted).toBe(false);
  child.kill('SIGKILL');
  const release = await next;
  expect(granted).toBe(true);
  await release();
});
