/**
 * "No artifact ever contains a secret in clear", end to end: acme-web with every secret-leaking
 * defect on, checked by the rules that look for leaks (so the evidence is full of secrets that had
 * to be redacted), then every file under the output folder (including the files inside the
 * shard's blob ZIP, and the report merged from that blob) is searched for the run's real secrets
 * in clear and in common encodings, and for secret-shaped values.
 *
 * The real secrets come from a test-only preload (test/fixtures-cli/secret-spy.ts) that records
 * the client secret the app was given and every token SuperID handed it; each Playwright worker
 * runs its own emulator, so there is one set per worker.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test, expect } from '@playwright/test';
import {
  FIXTURES,
  acmeWebConfig,
  cleanScratch,
  explain,
  expectNoStackTrace,
  readReport,
  runCli,
  scratch,
  unzip,
  writeJson,
} from './support.ts';

test.afterEach(cleanScratch);

const DEFECTS = [
  'secret-in-browser',
  'refresh-token-in-browser',
  'logs-secrets',
  'secret-in-url',
  'insecure-cookie',
];
const LEAK_RULES = [
  'SECRET-AS-PASSWORD',
  'TOKEN-REFRESH-NOT-IN-BROWSER',
  'SECRET-NOT-IN-URL',
  'LOG-NO-SECRETS',
  'COOKIE-HTTPONLY-SECURE',
];

interface Secret {
  kind: string;
  value: string;
}

/** base64 of `value` as it appears inside a longer base64 text, at each of the 3 byte alignments. */
function base64Cores(value: string, alphabet: 'base64' | 'base64url'): string[] {
  const bytes = Buffer.from(value, 'utf8');
  return [0, 1, 2].map((shift) => {
    const encoded = Buffer.concat([Buffer.alloc(shift), bytes])
      .toString(alphabet)
      .replace(/=+$/, '');
    return encoded.slice(Math.ceil((8 * shift) / 6), Math.floor((8 * (shift + bytes.length)) / 6));
  });
}

/** The forms a secret takes in files: clear, URL/form-encoded, JSON- and HTML-escaped, base64(url). */
function encodings(value: string): Array<[string, string]> {
  const forms: Array<[string, string]> = [
    ['clear', value],
    ['url-encoded', encodeURIComponent(value)],
    ['form-encoded', new URLSearchParams({ v: value }).toString().slice(2)],
    ['json-escaped', JSON.stringify(value).slice(1, -1)],
    ['json-escaped twice', JSON.stringify(JSON.stringify(value)).slice(2, -2)],
    ['json-escaped slashes', value.replaceAll('/', '\\/')],
    ['html-escaped', value.replace(/[&<>"'`/+=:]/g, (c) => `&#${c.charCodeAt(0)};`)],
    ...base64Cores(value, 'base64').map((t, i): [string, string] => [`base64 (offset ${i})`, t]),
    ...base64Cores(value, 'base64url').map((t, i): [string, string] => [`base64url (offset ${i})`, t]),
  ];
  // A truncated excerpt of a long token is still a leak: look for its middle, too.
  if (value.length >= 40)
    forms.push(['clear (middle part)', value.slice(value.length / 2 - 12, value.length / 2 + 12)]);
  return forms.filter(([, t]) => t.length >= 12);
}

/** Secret-shaped values, whatever their value. */
const SHAPES: Array<[string, RegExp]> = [
  ['a JWT in clear', /eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}/],
  ['a NetServer access token', /8A(:|%3A)Cust\d+\.[A-Za-z0-9+/%]{8}/i],
  ['an emulated user password', /Pw-[A-Za-z0-9_-]{16}/],
  [
    'client_secret with a value',
    /client_secret(=|%3D|\\?"\s*:\s*\\?")(?!\[REDACTED|%5BREDACTED)[^&\s"'<>\\]{4,}/i,
  ],
  [
    'refresh_token with a value',
    /refresh_token(=|%3D|\\?"\s*:\s*\\?")(?!\[REDACTED|%5BREDACTED)[^&\s"'<>\\]{4,}/i,
  ],
  [
    'access_token with a value',
    /access_token(=|%3D|\\?"\s*:\s*\\?")(?!\[REDACTED|%5BREDACTED)[^&\s"'<>\\]{4,}/i,
  ],
  ['a private key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
];

/** Every file under `dir`, and every file inside the ZIP archives there, as [name, contents]. */
function allFiles(dir: string): Array<[string, Buffer]> {
  const out: Array<[string, Buffer]> = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) {
        walk(path);
        continue;
      }
      const data = readFileSync(path);
      out.push([relative(dir, path), data]);
      if (name.endsWith('.zip'))
        for (const [entry, content] of unzip(data)) out.push([`${relative(dir, path)}!${entry}`, content]);
    }
  };
  walk(dir);
  return out;
}

test('no file of the report holds a secret of the run, in clear or encoded', async () => {
  test.slow();
  const spy = scratch('secrets.jsonl');
  const config = writeJson(
    scratch('preflight.config.json'),
    acmeWebConfig(
      {},
      { command: `node --import ${JSON.stringify(join(FIXTURES, 'secret-spy.ts'))} server.ts` },
      { SECRET_SPY_OUT: spy },
    ),
  );
  const out = scratch('report');
  // --shard 1/1: the run also writes its blob (raw results, attachments) into the folder.
  const r = await runCli(
    ['check', '--config', config, '--out', out, '--rules', LEAK_RULES.join(','), '--shard', '1/1'],
    {
      env: { DEFECTS: DEFECTS.join(',') },
      timeoutMs: 180_000,
    },
  );
  expect(r.code, explain(r)).toBe(1);
  expectNoStackTrace(r);

  // The run caught every leak, so its evidence had secrets in it to redact.
  const report = readReport(out);
  for (const id of LEAK_RULES) expect(report.rules.find((x) => x.id === id)?.status, id).toBe('fail');

  const secrets = readFileSync(spy, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Secret);
  const kinds = new Set(secrets.map((s) => s.kind));
  for (const kind of ['client-secret', 'access_token', 'refresh_token', 'id_token'])
    expect(kinds, `the spy recorded a ${kind}`).toContain(kind);

  // The shard's blob merged on its own: the same findings, with the same evidence files.
  const merged = scratch('merged');
  const m = await runCli(['report', out, '--config', config, '--out', merged], { timeoutMs: 120_000 });
  expect(m.code, explain(m)).toBe(1);
  const mergedReport = readReport(merged);
  for (const id of LEAK_RULES)
    expect(mergedReport.rules.find((x) => x.id === id)?.status, `merged ${id}`).toBe('fail');
  const evidenceOf = (dir: string) =>
    existsSync(join(dir, 'evidence')) ? readdirSync(join(dir, 'evidence')).sort() : [];
  expect(evidenceOf(out).length, 'the run recorded file evidence').toBeGreaterThan(0);
  expect(evidenceOf(merged), "the merged report keeps the shard's evidence files").toEqual(evidenceOf(out));
  expect(readFileSync(join(merged, 'readiness.json'), 'utf8')).not.toContain('was not available');

  const files = [
    ...allFiles(out),
    ...allFiles(merged).map(([name, data]): [string, Buffer] => [`merged/${name}`, data]),
  ];
  expect(files.map(([name]) => name)).toEqual(
    expect.arrayContaining([
      'index.html',
      'readiness.json',
      'junit.xml',
      'summary.md',
      'results.json',
      'merged/index.html',
    ]),
  );
  expect(
    files.some(([name]) => name.startsWith('blob/') && name.includes('!')),
    'the blob ZIP was opened',
  ).toBe(true);

  const leaks: string[] = [];
  for (const [name, data] of files) {
    const text = data.toString('latin1');
    for (const secret of secrets) {
      for (const [form, needle] of encodings(secret.value)) {
        if (text.includes(needle)) leaks.push(`${name}: the ${secret.kind} ${form}`);
      }
    }
    if (/\.(png|jpe?g|webp|gif)$/.test(name)) continue;
    for (const [what, shape] of SHAPES) {
      const m = shape.exec(text);
      if (m) leaks.push(`${name}: ${what}: ${m[0].slice(0, 40)}…`);
    }
  }
  expect(leaks).toEqual([]);

  // Redaction happened (the evidence is there, with markers), rather than no evidence at all.
  const json = readFileSync(join(out, 'readiness.json'), 'utf8');
  expect(json).toMatch(/\[REDACTED:client-secret\]/);
  expect(json).toMatch(/\[REDACTED:refresh-token\]/);
});
