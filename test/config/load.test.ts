import { test, expect } from '@playwright/test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, expandPlaceholders, loadConfig } from '../../src/config/load.ts';
import { removeTempDirs, tempDir } from '../temp-dir.ts';

test.afterEach(removeTempDirs);

const base = {
  app: {
    name: 'App',
    type: 'web',
    baseURL: 'http://127.0.0.1:${app.port}',
    signIn: { path: '/login' },
    session: { path: '/me' },
    redirectUris: ['http://127.0.0.1:${app.port}/callback'],
  },
};

function write(config: unknown, name = 'preflight.config.json'): string {
  const dir = tempDir('cfg-');
  const file = join(dir, name);
  writeFileSync(file, typeof config === 'string' ? config : JSON.stringify(config));
  return file;
}

async function problems(config: unknown): Promise<string[]> {
  try {
    await loadConfig(write(config), { appPort: 4000 });
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  return [];
}

test('a valid config gets defaults, the port substituted, and is frozen', async () => {
  const config = await loadConfig(write(base), { appPort: 4321 });
  expect(config.app.baseURL).toBe('http://127.0.0.1:4321');
  expect(config.app.redirectUris).toEqual(['http://127.0.0.1:4321/callback']);
  expect(config.app.certification).toBe('standard');
  expect(config.superoffice).toEqual({ environment: 'sod', tenant: 'Cust12345', impersonate: false });
  expect(config.harness.rejectTimeout).toBe(5000);
  expect(config.harness.quietMs).toBe(200);
  expect(config.app.session?.expect).toEqual({ status: 200 });
  expect(Object.isFrozen(config.app)).toBe(true);
});

test('every problem is named with its path', async () => {
  const p = await problems({
    app: { ...base.app, type: 'desktop', foo: 1, baseURL: undefined, redirectUris: ['^no-anchor'] },
    superoffice: { tenant: 'Tenant1' },
  });
  const text = p.join('\n');
  expect(text).toMatch(/→ at app\.type/);
  expect(text).toMatch(/unknown key "foo".* → at app\.foo/);
  expect(text).toMatch(/→ at app\.redirectUris\[0\]/);
  expect(text).toMatch(/Cust12345 → at superoffice\.tenant/);
});

test('the quiet period is bounded: too short to see an app answer, or too long to wait for, is an error', async () => {
  expect((await problems({ ...base, harness: { quietMs: 10 } })).join('\n')).toMatch(/→ at harness\.quietMs/);
  expect((await problems({ ...base, harness: { quietMs: 60_000 } })).join('\n')).toMatch(
    /→ at harness\.quietMs/,
  );
  const config = await loadConfig(write({ ...base, harness: { quietMs: 800 } }), { appPort: 4000 });
  expect(config.harness.quietMs).toBe(800);
  expect(config.harness.rejectTimeout).toBe(5000);
});

/** A native app's smallest valid config. */
const NATIVE_APP = {
  name: 'CLI',
  type: 'native',
  signIn: { browserEnv: true },
  start: { command: 'node cli.js' },
  redirectUris: ['^http://127\\.0\\.0\\.1:\\d+/$'],
};

test('web apps need baseURL and a session probe; native apps need neither', async () => {
  const { baseURL: _b, session: _s, ...rest } = base.app;
  const p = await problems({ app: rest });
  expect(p.join('\n')).toMatch(/required for web and server-to-server apps → at app\.baseURL/);
  expect(p.join('\n')).toMatch(/→ at app\.session/);
  const native = await problems({ app: NATIVE_APP });
  expect(native).toEqual([]);
});

test('an API action is a page for web apps and a command for native apps; search inputs are for web apps', async () => {
  const web = await problems({ app: { ...base.app, apiAction: { command: 'x' } } });
  expect(web.join('\n')).toMatch(/a command is for native apps.* → at app\.apiAction/);
  const nativePath = await problems({ app: { ...NATIVE_APP, apiAction: { path: '/x' } } });
  expect(nativePath.join('\n')).toMatch(/native apps name a command.* → at app\.apiAction/);
  const search = [{ path: '/contacts', input: '#q' }];
  const nativeSearch = await problems({ app: { ...NATIVE_APP, search } });
  expect(nativeSearch.join('\n')).toMatch(/only for web apps.* → at app\.search/);
  const badSearch = await problems({ app: { ...base.app, search: [{ path: '/contacts' }] } });
  expect(badSearch.join('\n')).toMatch(/expected string.* → at app\.search\[0\]\.input/);
  const webSearch = await loadConfig(write({ app: { ...base.app, search } }), { appPort: 1 });
  expect(webSearch.app.search).toEqual(search);
  const webStore = await problems({ app: { ...base.app, tokenStore: '.config/x.json' } });
  expect(webStore.join('\n')).toMatch(/only for native apps → at app\.tokenStore/);
  const config = await loadConfig(
    write({
      app: { ...NATIVE_APP, apiAction: { command: 'node cli.js sync' }, tokenStore: '.config/a.json' },
    }),
    { appPort: 1 },
  );
  expect(config.app.apiAction).toEqual({ command: 'node cli.js sync', timeout: 30_000 });
});

test('sign-in steps are checked: known step kinds, known placeholders in values', async () => {
  const ok = await problems({
    app: {
      ...base.app,
      signIn: {
        steps: [{ goto: '/' }, { fill: '#email', value: '${user.username}' }, { click: 'text=Next' }],
      },
    },
  });
  expect(ok).toEqual([]);
  const bad = await problems({
    app: { ...base.app, signIn: { steps: [{ goto: '/' }, { fill: '#t', value: '${tenant.name}' }] } },
  });
  expect(bad.join('\n')).toMatch(
    /unknown placeholder \$\{tenant\.name\} in a sign-in step.* → at app\.signIn\.steps\[1\]\.value/,
  );
});

test('unknown placeholders and unparsable files are errors, not surprises', async () => {
  const p = await problems({ app: { ...base.app, start: { command: 'x', env: { A: '${client.secrte}' } } } });
  expect(p[0]).toMatch(/unknown placeholder \$\{client\.secrte\}.* → at app\.start\.env\.A/);
  await expect(loadConfig(write('{ not json'), { appPort: 1 })).rejects.toThrow(/is not valid JSON/);
  await expect(
    loadConfig(write('export const x = 1;', 'preflight.config.mjs'), { appPort: 1 }),
  ).rejects.toThrow(/no default export/);
  await expect(loadConfig('/nonexistent/preflight.config.ts')).rejects.toThrow(
    /file not found.*so-preflight init/,
  );
});

test('placeholders expand, unknown ones stay visible', () => {
  expect(expandPlaceholders('${superid.url}/x ${nope}', { 'superid.url': 'https://a' })).toBe(
    'https://a/x ${nope}',
  );
});

test('journeys: web and server-to-server apps may name them, native apps may not', async () => {
  expect(await problems({ app: { ...base.app, journeys: ['preflight/journeys'] } })).toEqual([]);
  expect(
    await problems({ app: { ...base.app, type: 'server-to-server', journeys: ['preflight/journeys'] } }),
  ).toEqual([]);
  const native = await problems({
    app: {
      name: 'CLI',
      type: 'native',
      start: { command: 'node cli.js' },
      signIn: { browserEnv: true },
      redirectUris: ['^http://127\\.0\\.0\\.1:\\d{2,5}/$'],
      journeys: ['preflight/journeys'],
    },
  });
  expect(native.join('\n')).toMatch(/native apps use apiAction\.command.* → at app\.journeys/);
});

test('provisioning: web panels by name or ProgId, and an uninstall page for apps with pages', async () => {
  const provisioning = {
    install: { path: '/install' },
    webPanels: ['acme.contacts'],
    uninstall: { path: '/admin/uninstall', click: 'text=Uninstall' },
  };
  const web = await loadConfig(write({ app: { ...base.app, provisioning } }), { appPort: 1 });
  expect(web.app.provisioning).toEqual(provisioning);
  const defaults = await loadConfig(write({ app: { ...base.app, provisioning: {} } }), { appPort: 1 });
  expect(defaults.app.provisioning).toEqual({ webPanels: [] });
  const native = await problems({ app: { ...NATIVE_APP, provisioning } });
  expect(native.join('\n')).toMatch(/native apps have none.* → at app\.provisioning\.uninstall/);
  expect(native.join('\n')).toMatch(/attest their install.* → at app\.provisioning\.install/);
  const bad = await problems({ app: { ...base.app, provisioning: { uninstall: { click: 'x' } } } });
  expect(bad.join('\n')).toMatch(/→ at app\.provisioning\.uninstall\.path/);
});
