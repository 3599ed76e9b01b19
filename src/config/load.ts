/**
 * Loading `preflight.config.ts` / `.mjs` / `.js` / `.json`: import, substitute `${app.port}`,
 * validate with the schema, and freeze. Every problem is reported with its path.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { configSchema, type ResolvedConfig } from './schema.ts';
import { resolveSelfImports } from './self-import.ts';

/** Placeholders allowed in `app.start.env` values; `${app.port}` is allowed in every app string. */
export const PLACEHOLDERS = [
  'superid.url',
  'client.id',
  'client.secret',
  'tenant.id',
  'ca.file',
  'privateKey.file',
  'app.port',
  'mail.url',
  'tenant.origin',
] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  /** One line per problem: `message → at path`. */
  readonly problems: string[];
  readonly file: string;
  constructor(file: string, problems: string[]) {
    super(
      problems.length === 1
        ? `${file}: ${problems[0]}`
        : `${file} has ${problems.length} problems:\n${problems.map((p) => `  ✖ ${p}`).join('\n')}`,
    );
    this.name = 'ConfigError';
    this.file = file;
    this.problems = problems;
  }
}

export const CONFIG_CANDIDATES = [
  'preflight.config.ts',
  'preflight.config.mts',
  'preflight.config.mjs',
  'preflight.config.js',
  'preflight.config.json',
];

/** The config file to use: the given one, or the first candidate in `cwd`. */
export function findConfigFile(given: string | undefined, cwd = process.cwd()): string {
  if (given) {
    const file = resolve(cwd, given);
    if (!existsSync(file)) {
      throw new ConfigError(given, [
        `file not found; check the --config path or run "so-preflight init" to write one`,
      ]);
    }
    return file;
  }
  for (const candidate of CONFIG_CANDIDATES) {
    const file = resolve(cwd, candidate);
    if (existsSync(file)) return file;
  }
  throw new ConfigError('preflight.config.ts', [
    `no config file in ${cwd}; run "so-preflight init" to write one, or pass --config FILE`,
  ]);
}

async function importRaw(file: string): Promise<unknown> {
  const ext = extname(file);
  if (ext === '.json') {
    try {
      return JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new ConfigError(file, [`is not valid JSON: ${(e as Error).message}`]);
    }
  }
  if (!['.ts', '.mts', '.mjs', '.js'].includes(ext)) {
    throw new ConfigError(file, [`unsupported config file type "${ext}"; use .ts, .mjs, .js or .json`]);
  }
  let mod: { default?: unknown };
  resolveSelfImports();
  try {
    mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (e) {
    const err = e as Error;
    const first = (err.message ?? String(err)).split('\n')[0];
    throw new ConfigError(file, [`could not be loaded: ${first}`]);
  }
  let value = mod.default;
  // Inside Playwright (the reporter and the workers load the config too) a .ts/.js file outside
  // an ESM package is compiled to CommonJS, so the default export arrives wrapped once more.
  if (isWrappedDefault(value)) value = value.default;
  if (value === undefined) {
    throw new ConfigError(file, ['has no default export; write "export default defineConfig({ ... })"']);
  }
  return value;
}

function isWrappedDefault(value: unknown): value is { default: unknown } {
  return (
    value !== null &&
    typeof value === 'object' &&
    'default' in value &&
    Object.keys(value).every((k) => k === 'default' || k === '__esModule')
  );
}

function substitutePort(value: unknown, port: string): unknown {
  if (typeof value === 'string') return value.replaceAll('${app.port}', port);
  if (Array.isArray(value)) return value.map((v) => substitutePort(v, port));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitutePort(v, port)]));
  }
  return value;
}

/** Whether `app.start.env` hands the app this placeholder (in any of its values). */
export function startEnvUses(config: ResolvedConfig, placeholder: Placeholder): boolean {
  return Object.values(config.app.start?.env ?? {}).some((v) => v.includes(`\${${placeholder}}`));
}

function usesAppPort(value: unknown): boolean {
  return JSON.stringify(value ?? null).includes('${app.port}');
}

/** Placeholders a sign-in step's value may use (resolved per sign-in). */
export const STEP_PLACEHOLDERS = [
  'tenant.id',
  'client.id',
  'superid.url',
  'app.port',
  'user.username',
] as const;

function placeholderProblems(raw: unknown): string[] {
  const problems: string[] = [];
  const steps = (raw as { app?: { signIn?: { steps?: unknown } } } | undefined)?.app?.signIn?.steps;
  if (Array.isArray(steps)) {
    steps.forEach((step: unknown, i) => {
      const value = (step as { value?: unknown } | null)?.value;
      if (typeof value !== 'string') return;
      for (const match of value.matchAll(/\$\{([^}]*)\}/g)) {
        if (!(STEP_PLACEHOLDERS as readonly string[]).includes(match[1] ?? ''))
          problems.push(
            `unknown placeholder \${${match[1]}} in a sign-in step; use one of ${STEP_PLACEHOLDERS.map((p) => `\${${p}}`).join(', ')} → at app.signIn.steps[${i}].value`,
          );
      }
    });
  }
  const env = (raw as { app?: { start?: { env?: unknown } } } | undefined)?.app?.start?.env;
  if (env && typeof env === 'object') {
    for (const [key, value] of Object.entries(env)) {
      if (typeof value !== 'string') continue;
      for (const match of value.matchAll(/\$\{([^}]*)\}/g)) {
        if (!(PLACEHOLDERS as readonly string[]).includes(match[1] ?? '')) {
          problems.push(
            `unknown placeholder \${${match[1]}}; use one of ${PLACEHOLDERS.map((p) => `\${${p}}`).join(', ')} → at app.start.env.${key}`,
          );
        }
      }
    }
  }
  return problems;
}

/** A free TCP port on loopback. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

export interface LoadOptions {
  /** Port substituted for `${app.port}`; a free one is picked when absent and the config uses it. */
  appPort?: number;
}

/** Load, validate and freeze a config file. Throws {@link ConfigError} listing every problem. */
export async function loadConfig(
  fileArg: string | undefined,
  options: LoadOptions = {},
): Promise<ResolvedConfig> {
  const file = findConfigFile(fileArg);
  const raw = await importRaw(file);
  const problems = placeholderProblems(raw);
  const port = usesAppPort(raw) ? String(options.appPort ?? (await freePort())) : '';
  const parsed = configSchema.safeParse(port ? substitutePort(raw, port) : raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        // One problem per key, at the key's own path (`app.foo`, not `app`), so the user can find it.
        for (const key of issue.keys) {
          problems.push(
            `unknown key "${key}"; check its spelling (unknown keys are errors) → at ${z.core.toDotPath([...issue.path, key])}`,
          );
        }
        continue;
      }
      const at = issue.path.length ? ` → at ${z.core.toDotPath(issue.path)}` : '';
      problems.push(`${issue.message}${at}`);
    }
  }
  if (problems.length || !parsed.success) throw new ConfigError(file, problems);
  const resolved: ResolvedConfig = {
    ...parsed.data,
    configFile: file,
    configDir: dirname(file),
    usesAppPort: port !== '',
  };
  return deepFreeze(resolved);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** Replace `${name}` placeholders in a string with the given values. */
export function expandPlaceholders(value: string, values: Partial<Record<Placeholder, string>>): string {
  return value.replace(/\$\{([^}]*)\}/g, (whole, name: string) => values[name as Placeholder] ?? whole);
}
