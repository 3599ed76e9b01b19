/**
 * The embedded SuperID + NetServer emulator. `startEmulator` starts both HTTPS origins (plus a
 * standby tenant origin used by the `tenantMoved` fault) on free loopback ports and returns the
 * {@link Emulator} handle; `describeEmulator` gives the lines a standalone runner prints. With
 * `impersonate` the origins answer as SuperOffice's own host names (`https://sod.superoffice.com`,
 * ...), reached through the impersonation proxy (src/emulator/proxy.ts).
 */
import { createPublicKey, generateKeyPair } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import { EmulatorCore } from './core.ts';
import { createNetServerHandler } from './netserver/app.ts';
import { listen } from './http.ts';
import { environmentLabel, issueHostCert, rotateLeaf } from './pki.ts';
import { createControl } from './control.ts';
import { createSuperIdApp } from './superid/app.ts';
import { superOfficeHosts } from './hosts.ts';
import { startProxy, type ImpersonationProxy } from './proxy.ts';
import { NETSERVER_LABEL } from './superid/backchannel.ts';
import { mintNotificationToken, SO_CLAIM } from './scenarios.ts';
import type { Emulator, EmulatorOptions, GlobalFaults, StartEmulator } from './types.ts';

export type * from './types.ts';
export { ID_TOKEN_SCENARIOS, TENANT_STATES } from './types.ts';
export { FLOW_COOKIE } from './core.ts';

function urlFor(host: string, port: number): string {
  return `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function appKeyPair(privatePem?: string): Promise<{ privatePem: string; publicPem: string }> {
  if (privatePem) {
    const publicPem = createPublicKey(privatePem).export({ type: 'spki', format: 'pem' }).toString();
    return Promise.resolve({ privatePem, publicPem });
  }
  return new Promise((resolve, reject) => {
    generateKeyPair(
      'rsa',
      {
        modulusLength: 2048,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      },
      (e, publicPem, privatePem) => (e ? reject(e) : resolve({ privatePem, publicPem })),
    );
  });
}

export const startEmulator: StartEmulator = async (options: EmulatorOptions): Promise<Emulator> => {
  if (!/^Cust\d+$/.test(options.tenant))
    throw new TypeError(`emulator tenant must be Cust + digits, got ${JSON.stringify(options.tenant)}`);
  const host = options.host ?? '127.0.0.1';
  const core = new EmulatorCore(options);
  const s2s = options.app.type === 'server-to-server';
  const [, appKeys] = await Promise.all([
    core.init(),
    s2s ? appKeyPair(options.appPrivateKeyPem) : Promise.resolve(undefined),
    mkdir(options.dataDir, { recursive: true }),
  ]);

  let superidHandler: (req: IncomingMessage, res: ServerResponse) => void = (_q, r) => {
    r.statusCode = 503;
    r.end();
  };
  const tls = { key: core.pki.tlsKeyPem, cert: core.pki.tlsChainPem };
  const superid = https.createServer(tls, (q, r) => superidHandler(q, r));
  const primary = https.createServer(tls, createNetServerHandler(core, 'primary'));
  const moved = https.createServer(tls, createNetServerHandler(core, 'moved'));
  const servers = [superid, primary, moved];
  let controlUrl = '';
  let proxy: ImpersonationProxy | undefined;
  for (const s of servers) {
    s.requestTimeout = 30_000;
    s.headersTimeout = 20_000;
    s.keepAliveTimeout = 5_000;
  }
  try {
    const [sp, tp, mp] = await Promise.all([
      listen(superid, host, options.superidPort ?? 0),
      listen(primary, host, options.tenantPort ?? 0),
      listen(moved, host, 0),
    ]);
    controlUrl = urlFor(host, sp);
    // The mail sink stays on loopback under impersonation too: it is the app's own mail service.
    core.mailUrl = `${urlFor(host, tp)}/mail`;
    if (options.impersonate) {
      // Answer as SuperOffice's own hosts, reached through the impersonation proxy.
      const names = superOfficeHosts(options.environment);
      core.superidUrl = `https://${names.superid}`;
      core.tenantOrigin = `https://${names.tenant}`;
      core.movedTenantOrigin = `https://${names.moved}`;
      proxy = await startProxy({
        routes: new Map([
          [`${names.superid}:443`, { host, port: sp }],
          [`${names.tenant}:443`, { host, port: tp }],
          [`${names.moved}:443`, { host, port: mp }],
        ]),
        certificateFor: (name) => issueHostCert(core.pki, name),
        onOutbound: (r) => core.recordOutbound(r),
      });
    } else {
      core.superidUrl = controlUrl;
      core.tenantOrigin = urlFor(host, tp);
      core.movedTenantOrigin = urlFor(host, mp);
    }
  } catch (e) {
    for (const s of servers) s.close();
    throw e;
  }
  const { app } = createSuperIdApp(core);
  const koa = app.callback();
  superidHandler = koa;

  const caFile = join(options.dataDir, 'superoffice-emulator-ca.pem');
  await writeFile(caFile, core.pki.caPem);
  await writeFile(join(options.dataDir, 'SuperOfficeFederatedLogin.crt'), core.signing.cert.pem);
  let privateKeyFile: string | undefined;
  if (appKeys) {
    privateKeyFile = join(options.dataDir, 'app-private-key.pem');
    await writeFile(privateKeyFile, appKeys.privatePem, { mode: 0o600 });
    core.privateKeyFile = privateKeyFile;
    core.appPublicKeyPem = appKeys.publicPem;
    core.addSecret(appKeys.privatePem);
    core.addSecret(appKeys.privatePem.trim());
    core.addSecret(
      appKeys.privatePem
        .split('\n')
        .filter((l) => l && !l.startsWith('-----'))
        .join(''),
    );
  }
  core.log(
    `emulator: SuperID ${core.superidUrl}, tenant ${core.tenantOrigin}/${core.tenant}${proxy ? ` (through proxy ${proxy.appUrl}; control ${controlUrl})` : ''}`,
  );

  let stopped = false;
  // eslint-disable-next-line prefer-const -- assigned once the object below exists
  let emulator: Emulator;
  if (options.control) {
    const { token, app: appState } = options.control;
    let control: ReturnType<typeof createControl> | undefined;
    superidHandler = (req, res) => {
      control ??= createControl(emulator, token, {
        attached: () => !appState?.(),
        exit: () => appState?.()?.exit(),
        output: () => appState?.()?.output() ?? [],
      });
      if (!control(req, res)) void koa(req, res);
    };
  }
  emulator = {
    environment: options.environment,
    tenant: options.tenant,
    superidUrl: core.superidUrl,
    controlUrl,
    ...(proxy ? { proxy } : {}),
    tenantOrigin: core.tenantOrigin,
    mailUrl: core.mailUrl,
    webapiUrl: core.webapiUrlFor(core.tenant, core.tenantOrigin),
    caFile,
    caPem: core.pki.caPem,
    accessTokenTtlSeconds: core.accessTtl,
    client: { ...core.client },
    privateKeyFile,
    users: core.users,
    recorder: core.recorder,
    createFlow: (o) => core.createFlow(o),
    getFlow: (id) => core.flows.get(id),
    setFaults: (f: GlobalFaults) => core.setFaults(f),
    createTenant: () => core.createTenant(),
    setTenantFaults: (tenant, f) => core.setTenantFaults(tenant, f),
    rotateSigningKey: async (o) => {
      const k = await rotateLeaf(core.pki, environmentLabel(options.environment));
      // New keys are published last; a published-only key does not sign (except for flows
      // that name it), so the current key keeps signing.
      core.keys = o?.dropOld ? (o.publishOnly ? [core.signing, k] : [k]) : [...core.keys, k];
      if (!o?.publishOnly) core.signingKid = k.kid;
      core.log(`emulator: ${o?.publishOnly ? 'key published' : 'signing key rotated to'} ${k.kid}`);
      return { kid: k.kid };
    },
    reset: (o) => {
      if (o?.restoreKeys) {
        const original = core.pki.signing;
        if (!core.keys.some((k) => k.kid === original.kid)) core.keys = [...core.keys, original];
        core.signingKid = original.kid;
      }
      if (o?.newRun) {
        core.keys = [core.pki.signing];
        core.signingKid = core.pki.signing.kid;
        core.recorder.clear();
      }
      core.setFaults({});
      core.consentRevokedAt = 0;
      core.ticketCalls = 0;
      // Tenants made for one check keep theirs: that check alone changes them.
      if (!o?.keepConsent) for (const t of [core.tenant, core.otherTenant]) core.consents.delete(t);
    },
    secrets: () => core.secrets(),
    expireTickets: () => {
      for (const t of core.tickets.values()) t.expiresAt = 0;
    },
    webhooks: () => Promise.resolve(core.webhooks.list(core.tenant)),
    changeRecord: (change) =>
      core.webhooks.fire(
        core.tenant,
        {
          entity: change.entity,
          event: change.event,
          id: change.id,
          changes: change.changes ?? [
            `${change.entity}_id`,
            'updated',
            'updated_associate_id',
            'updatedCount',
          ],
        },
        Number(core.users.user.associateId),
      ),
    stateChangeNotification: async ({ changeType, forge, tenant = core.tenant }) => {
      const iat = Math.floor(Date.now() / 1000);
      const payload = {
        sub: tenant,
        [`${SO_CLAIM}ctx`]: tenant,
        iat,
        nbf: iat - 60,
        exp: iat + 300,
        iss: core.superidUrl,
        aud: core.client.id,
      };
      const token = await mintNotificationToken(payload, core.signing, forge);
      core.addSecret(token);
      const msg: Record<string, unknown> = {
        ChangeType: changeType,
        ContextIdentifier: tenant,
        VersionName: NETSERVER_LABEL,
        FileVersion: '11.10.721.0',
        Token: token,
      };
      if (changeType === 5) msg['PublicEndpoint'] = new URL(core.movedTenantOrigin).host;
      return msg;
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      core.recorder.close();
      await proxy?.stop();
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeAllConnections();
            }),
        ),
      );
    },
  };
  return emulator;
};

/** Lines a standalone runner prints: URLs, client credentials, CA file, users. */
export function describeEmulator(e: Emulator): string[] {
  const lines = [
    `SuperOffice emulator (${e.environment}) running`,
    `  SuperID (issuer):     ${e.superidUrl}`,
    `  Discovery:            ${e.superidUrl}/login/.well-known/openid-configuration`,
    `  Tenant:               ${e.tenant}`,
    `  webapi_url:           ${e.webapiUrl}`,
    `  Tenant state API:     ${e.superidUrl}/api/state/${e.tenant}`,
    `  Client ID:            ${e.client.id}`,
    `  Client secret:        ${e.client.secret ?? '(none: native app, use PKCE)'}`,
    `  CA file (trust it):   ${e.caFile}   e.g. NODE_EXTRA_CA_CERTS=${e.caFile}`,
    `  Mail sink (HTTP API): ${e.mailUrl}   records mailings, sends nothing`,
    `  Web client (frames web panels): ${e.tenantOrigin}   allow it as a frame ancestor`,
  ];
  if (e.privateKeyFile) lines.push(`  App private key:      ${e.privateKeyFile}`);
  lines.push('  Users:');
  for (const [k, u] of Object.entries(e.users)) {
    lines.push(
      `    ${k.padEnd(11)} ${u.username}  password ${u.password}  (${u.isAdministrator ? 'administrator' : 'normal user'}; ${u.tenants.join(', ')})`,
    );
  }
  return lines;
}
