/**
 * The example apps' preflight.config.ts files load with so-preflight's own loader, and their
 * defects.json files name exactly the defects each app implements, with known rule IDs.
 */
import { test, expect } from '@playwright/test';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import { getRule } from '../../src/rules/index.ts';
import { EXAMPLES_DIR } from './support.ts';

const APPS = [
  { app: 'acme-web', type: 'web', source: 'config.ts' },
  { app: 'acme-sync', type: 'server-to-server', source: 'config.ts' },
  { app: 'acme-cli', type: 'native', source: 'cli.ts' },
  { app: 'acme-passport', type: 'web', source: 'server.js' },
  { app: 'acme-next', type: 'web', source: 'lib/config.js' },
  { app: 'acme-eoc', type: 'web', source: 'settings.js' },
] as const;

test('configs load and defects.json matches the apps', async () => {
  for (const { app, type, source } of APPS) {
    const config = await loadConfig(join(EXAMPLES_DIR, app, 'preflight.config.ts'), { appPort: 45678 });
    expect(config.app.type, app).toBe(type);
    expect(config.app.vendor, app).toBe('Acme AS');
    if (type !== 'native') expect(config.app.baseURL, app).toBe('http://127.0.0.1:45678');

    const defects = JSON.parse(await readFile(join(EXAMPLES_DIR, app, 'defects.json'), 'utf8')) as {
      app: string;
      defects: { name: string; rules: string[]; description: string }[];
    };
    expect(defects.app).toBe(app);
    const code = await readFile(join(EXAMPLES_DIR, app, source), 'utf8');
    const known =
      /KNOWN_DEFECTS = \[([^\]]*)\]/
        .exec(code)?.[1]
        ?.match(/'([a-z0-9-]+)'/g)
        ?.map((s) => s.slice(1, -1)) ?? [];
    expect(defects.defects.map((d) => d.name).sort(), app).toEqual([...known].sort());
    for (const d of defects.defects) {
      expect(d.rules.length, `${app} ${d.name}`).toBeGreaterThan(0);
      expect(d.description.length, `${app} ${d.name}`).toBeGreaterThan(20);
      for (const rule of d.rules)
        expect(getRule(rule), `${app} ${d.name}: unknown rule ${rule}`).toBeDefined();
    }
  }
});
