/**
 * `so-preflight init`: writes a commented `preflight.config.ts` and, for web apps, an example
 * journey (`preflight/journeys/example.ts`, kept if it exists). Asks a few questions on a TTY;
 * asks nothing otherwise (CI, scripts), using the defaults.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline/promises';

interface Answers {
  name: string;
  type: 'web' | 'native' | 'server-to-server';
  certification: 'standard' | 'custom';
  command: string;
}

const DEFAULTS: Answers = {
  name: 'My SuperOffice App',
  type: 'web',
  certification: 'standard',
  command: 'npm start',
};

async function ask(): Promise<Answers> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const q = async (label: string, def: string, allowed?: string[]) => {
      for (;;) {
        const a = (await rl.question(`${label} [${def}]: `)).trim() || def;
        if (!allowed || allowed.includes(a)) return a;
        console.log(`  please answer one of: ${allowed.join(', ')}`);
      }
    };
    return {
      name: await q('App name', DEFAULTS.name),
      type: (await q('App type (web, native, server-to-server)', DEFAULTS.type, [
        'web',
        'native',
        'server-to-server',
      ])) as Answers['type'],
      certification: (await q('Certification (standard, custom)', DEFAULTS.certification, [
        'standard',
        'custom',
      ])) as Answers['certification'],
      command: await q('Command that starts the app', DEFAULTS.command),
    };
  } finally {
    rl.close();
  }
}

/** Where `init` puts its example journey, relative to the config. */
export const JOURNEYS_DIR = 'preflight/journeys';

/** An example journey: needs nothing but so-preflight's own Playwright (for its types). */
export const JOURNEY_TEMPLATE = `/**
 * A journey: what a user does with your app, as Playwright code. so-preflight runs each journey in
 * a browser signed in through SuperID (as an administrator; add \`as: 'user'\` for a normal user)
 * and judges what your app sends the tenant meanwhile: list queries, request rate, REST or SOAP,
 * and what it writes. A journey that sends an e-marketing mailing adds \`mailing: true\` (and your
 * app gets \${mail.url} as its mail service). Replace the steps with your app's own pages and
 * features, and add more.
 */
import type { Page } from '@playwright/test';

interface JourneyContext {
  page: Page;
  app: { baseURL: string; url(path: string): string };
}

export default [
  {
    name: 'open the start page',
    async run({ page, app }: JourneyContext) {
      await page.goto(app.url('/'));
      await page.waitForLoadState('load');
    },
  },
];
`;

export function configTemplate(a: Answers): string {
  const native = a.type === 'native';
  return `import { defineConfig } from 'so-preflight';

/**
 * so-preflight config. The harness plays SuperID and NetServer; it starts your app with the
 * emulator's URLs and credentials and checks it against SuperOffice's certification rules.
 * Reference: "so-preflight rules" lists every rule; the report explains each finding.
 */
export default defineConfig({
  app: {
    name: ${JSON.stringify(a.name)},
    // 'web' | 'native' | 'server-to-server'
    type: '${a.type}',
    // 'standard' (certification) or 'custom' (validation): decides which rules apply and how strictly.
    certification: '${a.certification}',
${native ? '' : "    // Where your app is served. ${app.port} is a free port the harness picks for each run.\n    baseURL: 'http://127.0.0.1:${app.port}',\n"}    start: {
      // How to start your app. It inherits this environment plus SO_PREFLIGHT_SUPERID_URL,
      // SO_PREFLIGHT_CLIENT_ID, SO_PREFLIGHT_CLIENT_SECRET, SO_PREFLIGHT_CA_FILE and NODE_EXTRA_CA_CERTS.
      command: ${JSON.stringify(a.command)},
      env: {
${native ? '' : "        PORT: '${app.port}',\n"}        // Map the emulator's values onto your app's own settings:
        SUPEROFFICE_URL: '\${superid.url}', // stands in for https://sod.superoffice.com
        SUPEROFFICE_CLIENT_ID: '\${client.id}',
${native ? '' : "        SUPEROFFICE_CLIENT_SECRET: '${client.secret}',\n"}      },
${native ? '' : "      // A path that answers once the app is up.\n      ready: '/',\n"}    },
${native ? "    // Native apps open the system browser through BROWSER; the harness drives it.\n    signIn: { browserEnv: true },\n    redirectUris: ['^http://127\\\\.0\\\\.0\\\\.1:\\\\d{2,5}/$'],\n" : "    // Where sign-in starts (or { page: '/', click: 'text=Sign in' }).\n    signIn: { path: '/login' },\n    // Tells a signed-in browser from a signed-out one.\n    session: { path: '/me', expect: { status: 200 } },\n    // A page that makes your app call the tenant API with the user's token.\n    apiAction: { path: '/' },\n    // Your search inputs (a page and a locator); [] when the app has none.\n    // search: [{ path: '/contacts', input: 'role=searchbox' }],\n    // Your redirect URLs exactly as registered with SuperOffice (or ^...$ patterns).\n    redirectUris: ['http://127.0.0.1:${app.port}/callback'],\n    // What users do with your app (Playwright code); its API traffic and writes are judged.\n    journeys: ['preflight/journeys'],\n    // What an administrator's sign-in (the install) sets up, and where it is uninstalled.\n    // provisioning: { install: { path: '/install' }, webPanels: ['My app'], uninstall: { path: '/uninstall', click: 'text=Uninstall' } },\n"}  },
  superoffice: {
    // 'sod' | 'qaonline' | 'online'
    environment: 'sod',
    tenant: 'Cust12345',
    // For an app that hard-codes https://sod.superoffice.com: the harness answers as SuperOffice's
    // own hosts through an HTTPS proxy, and SUPEROFFICE_URL above is not needed.
    // impersonate: true,
  },
});
`;
}

export async function initConfig(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { force: { type: 'boolean', default: false } },
    strict: true,
  });
  const file = resolve('preflight.config.ts');
  if (existsSync(file) && !values.force) {
    console.error(
      `so-preflight: ${file} already exists; edit it, or run "so-preflight init --force" to overwrite it`,
    );
    return 2;
  }
  const answers = process.stdin.isTTY && process.stdout.isTTY ? await ask() : DEFAULTS;
  writeFileSync(file, configTemplate(answers));
  const written = [file];
  const journey = resolve(dirname(file), JOURNEYS_DIR, 'example.ts');
  // Journeys are the partner's own code: an existing one is never overwritten, not even by --force.
  if (answers.type === 'web' && !existsSync(journey)) {
    mkdirSync(dirname(journey), { recursive: true });
    writeFileSync(journey, JOURNEY_TEMPLATE);
    written.push(relative(process.cwd(), journey));
  }
  console.log(`so-preflight: wrote ${written.join(' and ')}; adjust them, then run "so-preflight check"`);
  return 0;
}
