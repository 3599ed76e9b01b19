/**
 * `so-preflight emulator [--port N] [--config FILE]`: SuperID + NetServer standalone, for partners
 * developing against it. Prints the URLs, client credentials and the CA file; stops on Ctrl-C.
 */
import { parseArgs } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/load.ts';
import { startEmulator, describeEmulator } from '../emulator/index.ts';
import type { EmulatorAppRegistration } from '../emulator/types.ts';

export async function runEmulatorCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { port: { type: 'string' }, config: { type: 'string' }, 'data-dir': { type: 'string' } },
    strict: true,
  });
  let port = 0;
  if (values.port !== undefined) {
    if (!/^\d+$/.test(values.port) || Number(values.port) < 1 || Number(values.port) > 65534) {
      throw Object.assign(
        new Error(
          '--port takes a number from 1 to 65534 (SuperID listens there, NetServer on the next port)',
        ),
        { exitCode: 2 },
      );
    }
    port = Number(values.port);
  }
  let app: EmulatorAppRegistration = {
    name: 'Demo App',
    vendor: 'Demo Vendor',
    type: 'web',
    redirectUris: ['^http://(127\\.0\\.0\\.1|localhost):\\d{2,5}/.*$'],
    postLogoutRedirectUris: ['^http://(127\\.0\\.0\\.1|localhost):\\d{2,5}/.*$'],
  };
  let environment: 'sod' | 'qaonline' | 'online' = 'sod';
  let tenant = 'Cust12345';
  if (values.config) {
    const config = await loadConfig(values.config);
    app = {
      name: config.app.name,
      ...(config.app.vendor ? { vendor: config.app.vendor } : {}),
      type: config.app.type,
      redirectUris: [...config.app.redirectUris],
      postLogoutRedirectUris: [...config.app.postLogoutRedirectUris],
      corsOrigins: [...config.app.corsOrigins],
    };
    environment = config.superoffice.environment;
    tenant = config.superoffice.tenant;
  }
  const dataDir = values['data-dir'] ?? mkdtempSync(join(tmpdir(), 'so-preflight-emulator-'));
  const emulator = await startEmulator({
    environment,
    tenant,
    app,
    dataDir,
    superidPort: port,
    tenantPort: port ? port + 1 : 0,
  });
  for (const line of describeEmulator(emulator)) console.log(line);
  console.log('Press Ctrl-C to stop.');
  await new Promise<void>((resolveStop) => {
    const stop = () => resolveStop();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await emulator.stop();
  if (!values['data-dir']) rmSync(dataDir, { recursive: true, force: true });
  console.log('so-preflight: emulator stopped');
  return 0;
}
