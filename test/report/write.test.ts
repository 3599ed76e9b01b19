import { expect, test as t } from '@playwright/test';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { build, finding, notReadyResults, readyResults, test } from './fixtures.ts';
import { writeReport } from '../../src/report/write.ts';
import { validateReport } from '../../src/report/schema.ts';
import {
  CLIENT_SECRET,
  PRIVATE_KEY_PEM,
  REFRESH_TOKEN,
  containsBase64Of,
  encodings,
  pemLines,
} from '../evidence/secrets.ts';
import { removeTempDirs, tempDir } from '../temp-dir.ts';

t.afterEach(removeTempDirs);

const tmp = (): string => tempDir('so-report-');

t.describe('writeReport', () => {
  t('writes the five artifacts, content-addressed evidence, and appends to GITHUB_STEP_SUMMARY', async () => {
    const dir = tmp();
    const src = join(dir, 'in-flight.txt');
    writeFileSync(src, 'log line: all good\n');
    const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
    const results = notReadyResults();
    results.push(
      test(
        'shots',
        ['TOKEN-ISSUER'],
        [
          finding({
            rule: 'TOKEN-ISSUER',
            check: 'shot',
            title: 'screenshot',
            status: 'pass',
            message: 'ok',
            evidence: [
              {
                kind: 'file',
                label: 'error page',
                path: '/abs/attachment/shot.png',
                contentType: 'image/png',
              },
              { kind: 'file', label: 'app log', path: src, contentType: 'text/plain' },
              {
                kind: 'file',
                label: 'gone',
                path: '/nope/missing.bin',
                contentType: 'application/octet-stream',
              },
            ],
          }),
        ],
      ),
    );
    const summary = join(dir, 'step-summary.md');
    writeFileSync(summary, '# previous step\n');
    const out = join(dir, 'report');
    const written = await writeReport(build(results), out, {
      screenshotsAndFiles: { '/abs/attachment/shot.png': png },
      env: { GITHUB_STEP_SUMMARY: summary },
    });
    for (const name of ['index.html', 'readiness.json', 'junit.xml', 'summary.md'])
      expect(existsSync(join(out, name))).toBe(true);
    const sha = createHash('sha1').update(png).digest('hex');
    expect(readdirSync(join(out, 'evidence')).sort()).toEqual(
      [`${sha}.png`, `${createHash('sha1').update('log line: all good\n').digest('hex')}.txt`].sort(),
    );
    const json = JSON.parse(readFileSync(join(out, 'readiness.json'), 'utf8'));
    expect(validateReport(json)).toEqual({ ok: true, errors: [] });
    const evidence = json.rules
      .find((r: { id: string }) => r.id === 'TOKEN-ISSUER')
      .checks.find((c: { id: string }) => c.id === 'shot').evidence;
    expect(evidence[0]).toEqual({
      kind: 'file',
      label: 'error page',
      path: `evidence/${sha}.png`,
      contentType: 'image/png',
    });
    expect(evidence[2].kind).toBe('text');
    expect(JSON.stringify(json)).not.toContain('/abs/attachment');
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(html).toContain(`data:image/png;base64,${png.toString('base64')}`);
    expect(html).toContain('log line: all good');
    expect(readFileSync(summary, 'utf8')).toBe(
      `# previous step\n${readFileSync(join(out, 'summary.md'), 'utf8')}\n`,
    );
    expect(written.files).toContain('index.html');
  });

  t('no encoding of a seeded secret survives in any output', async () => {
    const enc = encodings(CLIENT_SECRET);
    const all = Object.entries(enc);
    const body = all.map(([k, v]) => `${k}=${v}`).join('\n');
    const results = readyResults().filter((r) => !r.ruleIds.includes('SECRET-AS-PASSWORD'));
    results.push(
      test(
        'secret',
        ['SECRET-AS-PASSWORD'],
        [
          finding({
            rule: 'SECRET-AS-PASSWORD',
            check: 'leak',
            title: `leak ${enc.url}`,
            status: 'fail',
            message: `found ${CLIENT_SECRET} and ${enc.base64} and ${REFRESH_TOKEN}`,
            evidence: [
              {
                kind: 'text',
                label: `bundle ${enc.html}`,
                text: `${body}\n${PRIVATE_KEY_PEM}\n${JSON.stringify(PRIVATE_KEY_PEM)}\n${pemLines(PRIVATE_KEY_PEM).join(' ')}`,
              },
              {
                kind: 'exchange',
                label: 'token call',
                method: 'POST',
                url: `https://app.example/cb?client_secret=${enc.url}&x=${enc.base64url}`,
                status: 200,
                requestHeaders: { 'X-Debug': enc.basicAuth, Authorization: `Basic ${enc.basicAuth}` },
                requestBody: `client_secret=${enc.form}&refresh_token=${REFRESH_TOKEN}`,
                responseBody: JSON.stringify({
                  echo: CLIENT_SECRET,
                  key: PRIVATE_KEY_PEM,
                  nested: JSON.stringify({ s: CLIENT_SECRET }),
                }),
              },
              {
                kind: 'token',
                label: 'forged',
                header: { alg: 'none' },
                payload: { note: CLIENT_SECRET, b: enc.basicAuthShifted },
                tampered: ['alg'],
              },
              { kind: 'file', label: 'dump', path: '/tmp/dump.json', contentType: 'application/json' },
            ],
          }),
        ],
        { error: `boom ${enc.json}` },
      ),
    );
    const report = build(results, { runErrors: [`run error mentions ${enc.htmlHexColon}`] });
    const dir = tmp();
    await writeReport(report, dir, {
      secrets: [
        { value: CLIENT_SECRET, kind: 'client-secret' },
        { value: REFRESH_TOKEN, kind: 'refresh-token' },
        { value: PRIVATE_KEY_PEM, kind: 'private-key' },
      ],
      screenshotsAndFiles: {
        '/tmp/dump.json': JSON.stringify({ secret: CLIENT_SECRET, enc: enc.searchParams }),
      },
      env: {},
    });
    const files = [
      'index.html',
      'readiness.json',
      'junit.xml',
      'summary.md',
      ...readdirSync(join(dir, 'evidence')).map((f) => `evidence/${f}`),
    ];
    expect(files.length).toBe(5);
    for (const file of files) {
      const text = readFileSync(join(dir, file), 'utf8');
      for (const [name, value] of all)
        expect(text.includes(value), `${file} contains the secret as ${name}`).toBe(false);
      expect(containsBase64Of(text, CLIENT_SECRET), `${file} contains base64 of the secret`).toBe(false);
      expect(text.includes(REFRESH_TOKEN), `${file} contains the refresh token`).toBe(false);
      expect(text.includes('PRIVATE KEY-----'), `${file} contains a PEM header`).toBe(false);
      for (const line of pemLines(PRIVATE_KEY_PEM))
        expect(text.includes(line), `${file} contains a PEM line`).toBe(false);
    }
    const json = JSON.parse(readFileSync(join(dir, 'readiness.json'), 'utf8'));
    expect(validateReport(json).ok).toBe(true);
    expect(readFileSync(join(dir, 'index.html'), 'utf8')).toContain('[REDACTED:client-secret]');
  });
});
