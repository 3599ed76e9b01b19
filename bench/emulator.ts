/**
 * Emulator benchmark (`node bench/emulator.ts`): startup time, refresh grants per second,
 * headless code flows (authorize + sign-in + token) per second, and the median wall time of a
 * full Chromium sign-in + consent (N=5). Prints figures; asserts nothing about speed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { request } from 'undici';
import { findBrowser, launchOptions } from '../src/browser.ts';
import { startEmulator } from '../src/emulator/index.ts';
import { emulatorAgent, headlessAuthorize, redeemCode } from '../src/emulator/testing.ts';

const REFRESH_N = Number(process.env['BENCH_REFRESH_N'] ?? 300);
const CODE_N = Number(process.env['BENCH_CODE_N'] ?? 50);
const BROWSER_N = Number(process.env['BENCH_BROWSER_N'] ?? 5);

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const dataDir = await mkdtemp(join(tmpdir(), 'so-emu-bench-'));
const cb = http.createServer((_q, r) => r.end('ok'));
await new Promise<void>((r) => cb.listen(0, '127.0.0.1', r));
const redirectUri = `http://127.0.0.1:${(cb.address() as AddressInfo).port}/callback`;

const t0 = performance.now();
const emulator = await startEmulator({
  environment: 'sod',
  tenant: 'Cust12345',
  dataDir,
  app: { name: 'Bench', vendor: 'Bench AS', type: 'web', redirectUris: [redirectUri] },
});
const startupMs = performance.now() - t0;
const dispatcher = emulatorAgent(emulator);

try {
  // Refresh grants.
  const first = await headlessAuthorize(emulator, { authorize: { redirect_uri: redirectUri, nonce: 'n' } });
  const tokens = await redeemCode(emulator, { code: first.params['code']!, redirectUri });
  const refreshToken = tokens.json['refresh_token'] as string;
  const body = new URLSearchParams({
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    client_id: emulator.client.id,
    client_secret: emulator.client.secret!,
  }).toString();
  let t = performance.now();
  for (let i = 0; i < REFRESH_N; i++) {
    const res = await request(`${emulator.superidUrl}/login/common/oauth/tokens`, {
      method: 'POST',
      dispatcher,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    await res.body.text();
    if (res.statusCode !== 200) throw new Error(`refresh ${i} failed with ${res.statusCode}`);
  }
  const refreshPerSec = REFRESH_N / ((performance.now() - t) / 1000);

  // Full headless code flows: authorize -> sign-in -> (remembered consent) -> token.
  t = performance.now();
  for (let i = 0; i < CODE_N; i++) {
    const a = await headlessAuthorize(emulator, { authorize: { redirect_uri: redirectUri, nonce: `n${i}` } });
    const r = await redeemCode(emulator, { code: a.params['code']!, redirectUri });
    if (r.status !== 200) throw new Error(`code exchange ${i} failed with ${r.status}`);
  }
  const codeFlowsPerSec = CODE_N / ((performance.now() - t) / 1000);

  // Browser sign-in + consent, each in a fresh context (consent reset so the page shows).
  const choice = findBrowser();
  console.log(`browser: ${choice.description}`);
  const browser = await chromium.launch({ ...launchOptions(choice), headless: true });
  const times: number[] = [];
  try {
    for (let i = 0; i < BROWSER_N; i++) {
      emulator.reset();
      const context = await browser.newContext({ ignoreHTTPSErrors: true });
      const flow = emulator.createFlow();
      await context.addCookies([flow.cookie]);
      const page = await context.newPage();
      const q = new URLSearchParams({
        client_id: emulator.client.id,
        redirect_uri: redirectUri,
        response_type: 'code',
        scope: 'openid',
        state: `s${i}`,
        nonce: `n${i}`,
      });
      const started = performance.now();
      await page.goto(`${emulator.superidUrl}/login/common/oauth/authorize?${q}`);
      await page.getByLabel('Username').fill(flow.user.username);
      await page.getByLabel('Password').fill(flow.user.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('button', { name: 'I approve' }).click();
      await page.waitForURL(/\/callback\?/);
      times.push(performance.now() - started);
      await context.close();
    }
  } finally {
    await browser.close();
  }

  console.log(`emulator startup:                         ${startupMs.toFixed(0)} ms`);
  console.log(`refresh grants (N=${REFRESH_N}, sequential):        ${refreshPerSec.toFixed(0)} /s`);
  console.log(`headless code flows incl. token (N=${CODE_N}):   ${codeFlowsPerSec.toFixed(1)} /s`);
  console.log(
    `browser sign-in + consent (N=${BROWSER_N}), median: ${median(times).toFixed(0)} ms  (all: ${times.map((x) => x.toFixed(0)).join(', ')})`,
  );
} finally {
  await emulator.stop();
  await new Promise<void>((r) => cb.close(() => r()));
  await rm(dataDir, { recursive: true, force: true });
}
