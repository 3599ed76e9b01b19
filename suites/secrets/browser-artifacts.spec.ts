/**
 * Secret handling, judged from everything the browser can see and everything the app prints:
 * after a full sign-in and an API page, every request/response the browser saw (URLs, headers,
 * bodies), every cookie (HttpOnly ones too), web storage and the DOM are searched for the run's
 * seeded secrets in their common encodings; the app's output is searched too.
 */
import { readFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from '../../fixtures/index.ts';
import type { FlowSession, Preflight } from '../../fixtures/index.ts';
import { scanForSecrets } from '../../src/evidence/scan.ts';
import type { SecretInput } from '../../src/evidence/encodings.ts';

interface Artifact {
  where: string;
  text: string;
  /** The app's own origin served it to its pages' scripts (storage, DOM, fetch/XHR bodies, cookies). */
  scriptVisible: boolean;
  isUrl: boolean;
}

interface Capture {
  session: FlowSession;
  artifacts: Artifact[];
  /** Set-Cookie headers the app's origin sent. */
  appSetCookies: string[];
  /** Names of cookies set by SuperID / NetServer (and the harness's flow cookie). */
  foreignCookieNames: Set<string>;
}

const TEXT_TYPES = /(text\/|javascript|json|xml|css|x-www-form-urlencoded)/i;

async function captureSignedInBrowser(preflight: Preflight): Promise<Capture | { error: string }> {
  const control = await preflight.control();
  if (!control.ok) return { error: control.reason };
  const session = await preflight.newFlow();
  const artifacts: Artifact[] = [];
  const appOrigin = preflight.harness.baseURL ? new URL(preflight.harness.baseURL).origin : '';
  const pending: Promise<void>[] = [];
  const appSetCookies: string[] = [];
  const foreignCookieNames = new Set<string>([session.flow.cookie.name]);
  session.context.on('request', (req) => {
    artifacts.push({
      where: `URL ${req.method()} ${req.url().slice(0, 120)}`,
      text: req.url(),
      scriptVisible: false,
      isUrl: true,
    });
    const headers = Object.entries(req.headers())
      .map(([k, v]) => `${k}: ${v}`)
      .join('\n');
    artifacts.push({
      where: `request headers of ${req.method()} ${req.url().slice(0, 120)}`,
      text: headers,
      scriptVisible: false,
      isUrl: false,
    });
    const body = req.postData();
    if (body)
      artifacts.push({
        where: `request body of ${req.method()} ${req.url().slice(0, 120)}`,
        text: body,
        scriptVisible: false,
        isUrl: false,
      });
  });
  session.context.on('response', (res) => {
    const type = res.headers()['content-type'] ?? '';
    const fromApp = originOf(res.url()) === appOrigin;
    const rt = res.request().resourceType();
    const headers = Object.entries(res.headers())
      .map(([k, v]) => `${k}: ${v}`)
      .join('\n');
    artifacts.push({
      where: `response headers of ${res.url().slice(0, 120)}`,
      text: headers,
      scriptVisible: false,
      isUrl: false,
    });
    pending.push(
      res
        .headersArray()
        .then((all) => {
          for (const h of all) {
            if (h.name.toLowerCase() !== 'set-cookie') continue;
            if (fromApp) appSetCookies.push(h.value);
            else foreignCookieNames.add(h.value.split('=')[0]!.trim());
          }
        })
        .catch(() => undefined),
    );
    if (!TEXT_TYPES.test(type)) return;
    pending.push(
      res
        .text()
        .then((text) => {
          artifacts.push({
            where: `${rt} ${res.url().slice(0, 120)}`,
            text,
            scriptVisible:
              fromApp && (rt === 'fetch' || rt === 'xhr' || rt === 'script' || rt === 'document'),
            isUrl: false,
          });
        })
        .catch(() => undefined),
    );
  });
  const signIn = await preflight.signIn(session);
  if (signIn.outcome !== 'returned') return { error: signIn.detail };
  if (preflight.config.app.type === 'native') {
    // The native app answers the browser once on its loopback listener, then works on its own.
    await session.native?.process.waitForExit(10_000);
  } else {
    await preflight.visitApiAction(session);
  }
  await Promise.all(pending);
  for (const c of await session.context.cookies()) {
    artifacts.push({
      where: `cookie ${c.name} (${c.domain})`,
      text: `${c.name}=${c.value}`,
      scriptVisible: true,
      isUrl: false,
    });
  }
  for (const page of session.context.pages()) {
    // Web apps: their own origin; native apps: the loopback page they answered with.
    if (
      appOrigin
        ? originOf(page.url()) !== appOrigin
        : originOf(page.url()) === originOf(preflight.emulator.superidUrl)
    )
      continue;
    const storage = await page
      .evaluate(() => {
        const dump = (s: Storage) =>
          Object.fromEntries(
            Array.from({ length: s.length }, (_, i) => s.key(i) ?? '').map((k) => [k, s.getItem(k)]),
          );
        return JSON.stringify({ local: dump(localStorage), session: dump(sessionStorage) });
      })
      .catch(() => '');
    if (storage)
      artifacts.push({
        where: `web storage of ${page.url()}`,
        text: storage,
        scriptVisible: true,
        isUrl: false,
      });
    artifacts.push({
      where: `DOM of ${page.url()}`,
      text: await page.content().catch(() => ''),
      scriptVisible: true,
      isUrl: false,
    });
  }
  return { session, artifacts, appSetCookies, foreignCookieNames };
}

function originOf(url: string): string {
  return URL.canParse(url) ? new URL(url).origin : '';
}

function findIn(
  artifacts: Artifact[],
  secrets: SecretInput[],
  filter: (a: Artifact) => boolean = () => true,
): string[] {
  const places: string[] = [];
  for (const a of artifacts) {
    if (!filter(a)) continue;
    const hits = scanForSecrets(a.text, secrets);
    if (hits.length) places.push(`${a.where} (${[...new Set(hits.map((h) => h.encoding))].join(', ')})`);
  }
  return [...new Set(places)];
}

function privateKeySecrets(file: string | undefined): SecretInput[] {
  if (!file || !existsSync(file)) return [];
  return [{ value: readFileSync(file, 'utf8').trim(), kind: 'private-key' }];
}

test.describe('secrets in the browser', () => {
  test(
    'Client secret, refresh token, private key and tickets stay out of the browser',
    {
      tag: [
        '@SECRET-AS-PASSWORD',
        '@TOKEN-REFRESH-NOT-IN-BROWSER',
        '@TOKEN-ACCESS-STORAGE',
        '@PRIVATE-KEY-SAFE',
        '@TICKET-NOT-IN-URL',
        '@SECRET-NOT-IN-URL',
        '@COOKIE-HTTPONLY-SECURE',
      ],
    },
    async ({ preflight }) => {
      const captured = await captureSignedInBrowser(preflight);
      const rules = [
        'SECRET-AS-PASSWORD',
        'TOKEN-REFRESH-NOT-IN-BROWSER',
        'TOKEN-ACCESS-STORAGE',
        'TICKET-NOT-IN-URL',
        'SECRET-NOT-IN-URL',
        'COOKIE-HTTPONLY-SECURE',
      ];
      if (preflight.config.app.type === 'server-to-server') rules.push('PRIVATE-KEY-SAFE');
      if ('error' in captured) {
        for (const rule of rules) {
          await preflight.finding({
            rule,
            check: 'browser-artifacts',
            title: 'Browser artifacts after sign-in',
            status: 'error',
            message: `cannot judge: ${captured.error}`,
          });
        }
        return;
      }
      const { session, artifacts } = captured;
      const { emulator, config } = preflight;
      const tokens = session.flow.tokens();
      const shot = await preflight.screenshot(session, 'signed-in-api-page');

      // SECRET-AS-PASSWORD
      const secret = emulator.client.secret;
      if (secret !== undefined) {
        const places = findIn(artifacts, [{ value: secret, kind: 'client-secret' }]);
        const fromBrowser = emulator.recorder
          .all()
          .filter(
            (e) =>
              (e.endpoint === 'token' || e.endpoint === 'system-user') &&
              e.from === 'browser' &&
              (e.requestBody + e.url + JSON.stringify(e.requestHeaders)).includes(secret),
          );
        const found = [
          ...places,
          ...fromBrowser.map((e) => `browser call to SuperID ${e.endpoint} endpoint carrying the secret`),
        ];
        await preflight.finding({
          rule: 'SECRET-AS-PASSWORD',
          check: 'client-secret-not-in-browser',
          title: 'The client secret never reaches the browser',
          status: found.length ? 'fail' : 'pass',
          message: found.length
            ? `the client secret is visible to the browser in: ${found.slice(0, 5).join('; ')}`
            : `searched ${artifacts.length} browser artifacts: no client secret`,
          evidence: [shot],
        });
      }

      // TOKEN-REFRESH-NOT-IN-BROWSER
      if (tokens.refreshTokens.length) {
        const places = findIn(
          artifacts,
          tokens.refreshTokens.map((value) => ({ value, kind: 'refresh-token' })),
        );
        await preflight.finding({
          rule: 'TOKEN-REFRESH-NOT-IN-BROWSER',
          check: 'refresh-token-not-in-browser',
          title: 'The refresh token is never stored in or sent to the browser',
          status: places.length ? 'fail' : 'pass',
          message: places.length
            ? `the refresh token is visible to the browser in: ${places.slice(0, 5).join('; ')}`
            : 'no refresh token in cookies, storage, DOM or any browser traffic',
        });
      } else {
        await preflight.finding({
          rule: 'TOKEN-REFRESH-NOT-IN-BROWSER',
          check: 'refresh-token-not-in-browser',
          title: 'The refresh token is never stored in or sent to the browser',
          status: 'pass',
          message: 'the app obtained no refresh token in this flow, so none can reach the browser',
        });
      }

      // TOKEN-ACCESS-STORAGE: access tokens visible to scripts warn; tickets/app tokens fail.
      const accessPlaces = findIn(
        artifacts,
        tokens.accessTokens.map((value) => ({ value, kind: 'access-token' })),
        (a) => a.scriptVisible && !a.where.startsWith('cookie'),
      );
      const cookiePlaces = findIn(
        artifacts,
        tokens.accessTokens.map((value) => ({ value, kind: 'access-token' })),
        (a) => a.where.startsWith('cookie'),
      );
      const ticketPattern = /(?:^|[^A-Za-z0-9])7T(?::|%3A)[A-Za-z0-9+/=_-]{8,}/i;
      const ticketPlaces = artifacts
        .filter((a) => a.scriptVisible && ticketPattern.test(a.text))
        .map((a) => a.where);
      await preflight.finding({
        rule: 'TOKEN-ACCESS-STORAGE',
        check: 'tokens-not-script-visible',
        title: 'Access tokens and system tickets are not exposed to browser scripts',
        status: ticketPlaces.length ? 'fail' : accessPlaces.length || cookiePlaces.length ? 'warn' : 'pass',
        message: ticketPlaces.length
          ? `a system-user ticket is visible to the browser in: ${ticketPlaces.slice(0, 3).join('; ')}`
          : accessPlaces.length || cookiePlaces.length
            ? `the access token is visible to the browser in: ${[...accessPlaces, ...cookiePlaces].slice(0, 3).join('; ')}; keep it on the server`
            : 'no access token or ticket in cookies, storage, DOM or script-visible responses',
      });

      // PRIVATE-KEY-SAFE
      if (config.app.type === 'server-to-server') {
        const places = findIn(artifacts, privateKeySecrets(emulator.privateKeyFile));
        const pemHeader = artifacts
          .filter((a) => /-----BEGIN [A-Z ]*PRIVATE KEY-----|<RSAKeyValue>[\s\S]*<D>/.test(a.text))
          .map((a) => a.where);
        const all = [...new Set([...places, ...pemHeader])];
        await preflight.finding({
          rule: 'PRIVATE-KEY-SAFE',
          check: 'private-key-not-in-browser',
          title: "The app's RSA private key never reaches the browser",
          status: all.length ? 'fail' : 'pass',
          message: all.length
            ? `private key material is visible to the browser in: ${all.slice(0, 3).join('; ')}`
            : 'no private key material in any browser artifact (storage at rest: attest manually)',
        });
      }

      // TICKET-NOT-IN-URL: credentials in URLs the browser requested.
      const urlSecrets: SecretInput[] = [
        ...tokens.accessTokens.map((value) => ({ value, kind: 'access-token' })),
        ...tokens.refreshTokens.map((value) => ({ value, kind: 'refresh-token' })),
        ...tokens.idTokens.map((value) => ({ value, kind: 'id-token' })),
      ];
      const inUrls = [
        ...findIn(artifacts, urlSecrets, (a) => a.isUrl),
        ...artifacts
          .filter(
            (a) =>
              a.isUrl && (/(7T|8A|7A)(:|%3A)[A-Za-z0-9]/i.test(a.text) || /<usec>|%3Cusec%3E/i.test(a.text)),
          )
          .map((a) => a.where),
      ];
      await preflight.finding({
        rule: 'TICKET-NOT-IN-URL',
        check: 'no-credentials-in-urls',
        title: 'No ticket, token or <usec> value appears in a URL the browser requests',
        status: inUrls.length ? 'fail' : 'pass',
        message: inUrls.length
          ? `credentials in URLs: ${[...new Set(inUrls)].slice(0, 3).join('; ')}`
          : 'no credential in any URL the browser requested',
      });

      // SECRET-NOT-IN-URL: what the app's server sent to SuperID.
      const inQuery = emulator.recorder
        .all()
        .filter(
          (e) =>
            (e.endpoint === 'token' || e.endpoint === 'system-user' || e.endpoint === 'revoke') &&
            Object.keys(e.query).some((k) => /client_secret|ApplicationToken|refresh_token/i.test(k)),
        );
      await preflight.finding({
        rule: 'SECRET-NOT-IN-URL',
        check: 'secret-not-in-query',
        title: 'The client secret and refresh token are not sent in URL query strings',
        status: inQuery.length ? 'fail' : 'pass',
        message: inQuery.length
          ? `${inQuery.length} call(s) to SuperID put ${[...new Set(inQuery.flatMap((e) => Object.keys(e.query).filter((k) => /secret|token/i.test(k))))].join(', ')} in the query string (it ends up in proxy and server logs): send them in the form body or with HTTP Basic`
          : 'token requests carry their secrets in the body or Authorization header',
        evidence: inQuery
          .slice(0, 1)
          .map((e) => preflight.exchangeEvidence('token request with secrets in the URL', e)),
      });

      // COOKIE-HTTPONLY-SECURE: every cookie the app set, by Set-Cookie or by script.
      const fromHeaders = new Map<string, { httpOnly: boolean; secure: boolean }>();
      for (const line of captured.appSetCookies) {
        const name = line.split('=')[0]!.trim();
        if (/;\s*expires=thu, 01 jan 1970/i.test(line) || /;\s*max-age=0\b/i.test(line)) continue;
        fromHeaders.set(name, { httpOnly: /;\s*httponly\b/i.test(line), secure: /;\s*secure\b/i.test(line) });
      }
      const jar = preflight.harness.baseURL
        ? await session.context.cookies(new URL(preflight.harness.baseURL).origin)
        : [];
      const byScript = jar.filter(
        (c) => !fromHeaders.has(c.name) && !captured.foreignCookieNames.has(c.name),
      );
      const cookies = [
        ...[...fromHeaders].map(([name, f]) => ({ name, ...f })),
        ...byScript.map((c) => ({ name: c.name, httpOnly: c.httpOnly, secure: c.secure })),
      ];
      const noHttpOnly = cookies.filter((c) => !c.httpOnly).map((c) => c.name);
      const noSecure = cookies.filter((c) => !c.secure).map((c) => c.name);
      const strict = config.app.certification === 'standard';
      await preflight.finding({
        rule: 'COOKIE-HTTPONLY-SECURE',
        check: 'cookie-flags',
        title: 'Every cookie the app sets is HttpOnly and Secure',
        status: noHttpOnly.length || (strict && noSecure.length) ? 'fail' : noSecure.length ? 'warn' : 'pass',
        message:
          cookies.length === 0
            ? 'the app set no cookies'
            : [
                noHttpOnly.length ? `without HttpOnly: ${noHttpOnly.join(', ')}` : '',
                noSecure.length ? `without Secure: ${noSecure.join(', ')}` : '',
              ]
                .filter(Boolean)
                .join('; ') ||
              `${cookies.length} cookie(s), all HttpOnly and Secure: ${cookies.map((c) => c.name).join(', ')}`,
      });
    },
  );

  test('The app writes no secrets to its logs', { tag: ['@LOG-NO-SECRETS'] }, async ({ preflight }) => {
    const captured = await captureSignedInBrowser(preflight);
    if ('error' in captured) {
      await preflight.finding({
        rule: 'LOG-NO-SECRETS',
        check: 'logs-clean',
        title: "The app's output holds no secrets",
        status: 'error',
        message: `cannot judge: ${captured.error}`,
      });
      return;
    }
    const { emulator, harness, config } = preflight;
    if (!config.app.start && config.app.logFiles.length === 0) {
      await preflight.finding({
        rule: 'LOG-NO-SECRETS',
        check: 'logs-clean',
        title: "The app's output holds no secrets",
        status: 'error',
        message: 'cannot judge: the harness did not start the app and no app.logFiles are configured',
      });
      return;
    }
    const tokens = captured.session.flow.tokens();
    const secrets: SecretInput[] = [
      ...(emulator.client.secret ? [{ value: emulator.client.secret, kind: 'client-secret' }] : []),
      ...tokens.accessTokens.map((value) => ({ value, kind: 'access-token' })),
      ...tokens.refreshTokens.map((value) => ({ value, kind: 'refresh-token' })),
      ...tokens.idTokens.map((value) => ({ value, kind: 'id-token' })),
      { value: captured.session.flow.user.password, kind: 'password' },
      ...privateKeySecrets(emulator.privateKeyFile),
    ];
    const sources: Array<{ where: string; text: string }> = [
      { where: 'app output (stdout/stderr)', text: harness.appOutput().join('\n') },
    ];
    for (const f of config.app.logFiles) {
      const file = resolve(config.configDir, f);
      if (existsSync(file)) sources.push({ where: f, text: readFileSync(file, 'utf8') });
    }
    const hits = sources.flatMap((s) =>
      scanForSecrets(s.text, secrets).map((h) => `${h.secretKind ?? 'secret'} in ${s.where} (${h.encoding})`),
    );
    await preflight.finding({
      rule: 'LOG-NO-SECRETS',
      check: 'logs-clean',
      title: "The app's output holds no secrets",
      status: hits.length ? 'fail' : 'pass',
      message: hits.length
        ? `found ${[...new Set(hits)].slice(0, 4).join('; ')}: log events, never token or secret values`
        : `searched ${sources.map((s) => s.where).join(', ')}: no client secret, token or password`,
    });
  });
});
