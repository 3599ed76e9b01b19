import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, expect } from '@playwright/test';
import { crawl, excludedBecause, extractLinks, pathOf, withCookiesSuspended } from '../../fixtures/crawl.ts';

const ORIGIN = 'http://127.0.0.1:5050';
const PAGE = `${ORIGIN}/docs/guide/intro?lang=en`;
const EXCLUDE = {
  paths: ['/account/leave'],
  redirectUris: [`${ORIGIN}/callback`, '^http://127\\.0\\.0\\.1:5050/oidc/[a-z]+-return$'],
};

const links = (html: string, page = PAGE) => extractLinks(page, html, ORIGIN, EXCLUDE);
const paths = (urls: string[]) => urls.map(pathOf);

test.describe('extractLinks', () => {
  test('resolves relative, root-relative, absolute and protocol-relative links against the page', () => {
    const { pages } = links(`
      <a href="next">n</a> <a href="./sibling.html">s</a> <a href="../faq">f</a>
      <a href="/settings">abs</a> <a href="${ORIGIN}/full">full</a> <a href="//127.0.0.1:5050/proto">p</a>
      <a href="?page=2">q</a>`);
    expect(paths(pages)).toEqual([
      '/docs/guide/next',
      '/docs/guide/sibling.html',
      '/docs/faq',
      '/settings',
      '/full',
      '/proto',
      '/docs/guide/intro?page=2',
    ]);
  });

  test('honours <base href>', () => {
    const { pages } = links('<head><base href="/app/"></head><a href="home">h</a><a href="/root">r</a>');
    expect(paths(pages)).toEqual(['/app/home', '/root']);
  });

  test('drops fragments; a fragment of the page itself is the page, not a new link', () => {
    const { pages } = links(`<a href="#top">top</a><a href="">self</a><a href="${PAGE}#x">self</a>
      <a href="/help#install">help</a><a href="/help#usage">help again</a>`);
    expect(pages).toEqual([`${ORIGIN}/help`]);
  });

  test('stays on the origin: other hosts, ports and schemes are never returned', () => {
    const { pages, resources } = links(`
      <a href="https://evil.example/steal">x</a> <a href="//cdn.example/lib">x</a>
      <a href="http://127.0.0.1:5051/other-port">x</a> <a href="https://127.0.0.1:5050/https">x</a>
      <a href="http://localhost:5050/alias">x</a>
      <script src="https://cdn.example/app.js"></script> <link rel="stylesheet" href="//cdn.example/a.css">
      <a href="/mine">mine</a>`);
    expect(paths(pages)).toEqual(['/mine']);
    expect(resources).toEqual([]);
  });

  test('skips sign-out-looking links in any spelling, in the path or the query', () => {
    const { pages } = links(`
      <a href="/logout">x</a> <a href="/auth/LogOut">x</a> <a href="/signout">x</a> <a href="/sign-out">x</a>
      <a href="/account/sign_out?next=/">x</a> <a href="/log-off">x</a> <a href="/connect/endsession">x</a>
      <a href="/logout.aspx">x</a> <a href="/api/logoutHandler">x</a> <a href="/session?action=logout">x</a>
      <a href="/%6Cogout">x</a>
      <a href="/blog/dialog-output">keep</a> <a href="/catalog-outlet">keep</a> <a href="/login">keep</a>`);
    expect(paths(pages)).toEqual(['/blog/dialog-output', '/catalog-outlet', '/login']);
  });

  test('skips the registered redirect URIs (exact, any query; and ^...$ patterns) and excluded paths', () => {
    const { pages } = links(`
      <a href="/callback">x</a> <a href="/callback?code=abc&amp;state=1">x</a> <a href="/callback/">x</a>
      <a href="/oidc/superoffice-return?code=1">x</a> <a href="/account/leave">x</a> <a href="/account/leave/">x</a>
      <a href="/callbacks">keep</a> <a href="/oidc/2-return">keep</a> <a href="/account">keep</a>`);
    expect(paths(pages)).toEqual(['/callbacks', '/oidc/2-return', '/account']);
  });

  test('keeps query strings (decoding &amp;) and tells different queries apart', () => {
    const { pages } = links(`
      <a href="/report?id=1&amp;format=html">1</a> <a href="/report?id=2&#38;format=html">2</a>
      <a href="/report?id=1&format=html">1 again</a> <a href='/report?id=3'>3</a> <a href=/report?id=4>4</a>`);
    expect(paths(pages)).toEqual([
      '/report?id=1&format=html',
      '/report?id=2&format=html',
      '/report?id=3',
      '/report?id=4',
    ]);
  });

  test('returns each URL once, in document order, pages and resources apart', () => {
    const { pages, resources } = links(`
      <link rel="stylesheet" href="/app.css"> <link rel="canonical" href="/docs/guide/intro?lang=en">
      <link rel="alternate" hreflang="nb" href="/nb/intro"> <link rel="preconnect" href="/warm">
      <link rel="icon" href="/favicon.ico"> <link rel="manifest" href="/site.webmanifest">
      <script src="/config.js"></script> <script type="module" src="./main.js"></script> <script>var a = 1;</script>
      <a href="/contacts">c</a> <a href="/contacts">c</a> <area href="/map-target"> <a href="/contacts#x">c</a>
      <script src="/config.js"></script> <a href="/report.pdf">pdf</a> <a href="/export" download>file</a>`);
    expect(paths(pages)).toEqual(['/nb/intro', '/contacts', '/map-target']);
    expect(paths(resources)).toEqual(['/app.css', '/site.webmanifest', '/config.js', '/docs/guide/main.js']);
  });

  test('ignores javascript:, mailto:, tel:, data: and unparsable links', () => {
    const { pages, resources } = links(`
      <a href="javascript:alert(1)">x</a> <a href=" JavaScript:void(0)">x</a> <a href="mailto:support@acme.example">x</a>
      <a href="tel:+4712345678">x</a> <a href="data:text/html,hi">x</a> <a href="http://[::1">x</a>
      <script src="data:text/javascript,1"></script> <a>no href</a> <a href="/ok">ok</a>`);
    expect(paths(pages)).toEqual(['/ok']);
    expect(resources).toEqual([]);
  });

  test('reads attributes in any quoting and order, with ">" inside quoted values', () => {
    const { pages } = links(
      `<a title="a > b" class=x href="/one">1</a><A HREF='/two' >2</A><a data-x="1"href="/three">3</a>`,
    );
    expect(paths(pages)).toEqual(['/one', '/two', '/three']);
  });

  test('an unparsable page URL yields nothing', () => {
    expect(extractLinks('not a url', '<a href="/x">x</a>', ORIGIN)).toEqual({ pages: [], resources: [] });
  });
});

test('excludedBecause says why', () => {
  expect(excludedBecause(`${ORIGIN}/contacts`, ORIGIN)).toBeUndefined();
  expect(excludedBecause('https://other.example/', ORIGIN)).toBe('another origin');
  expect(excludedBecause('mailto:x@y.z', ORIGIN)).toBe('mailto: link');
  expect(excludedBecause(`${ORIGIN}/signout`, ORIGIN)).toBe('looks like sign-out');
  expect(excludedBecause(`${ORIGIN}/callback?code=1`, ORIGIN, EXCLUDE)).toBe('redirect URI');
  expect(excludedBecause(`${ORIGIN}/account/leave`, ORIGIN, EXCLUDE)).toBe('excluded path');
  expect(excludedBecause(`${ORIGIN}/logo.png`, ORIGIN)).toBe('not a text file');
  // A malformed pattern in the config never breaks the crawl.
  expect(excludedBecause(`${ORIGIN}/x`, ORIGIN, { redirectUris: ['^([$'] })).toBeUndefined();
});

test.describe('crawl in a browser', () => {
  let server: Server;
  let origin = '';
  const hits: string[] = [];

  test.beforeAll(async () => {
    server = createServer((req, res) => {
      const url = req.url ?? '/';
      hits.push(url);
      const html = (body: string) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(`<!doctype html><html><body>${body}</body></html>`);
      };
      const path = url.split('?')[0];
      if (path === '/')
        return html(`<script src="/home.js"></script><a href="/a">a</a> <a href="/logout">out</a>
          <a href="/callback?code=x">cb</a> <a href="https://elsewhere.example/">ext</a> <a href="/to-idp">idp</a>
          <link rel="prefetch" href="/data.json">`);
      if (path === '/home.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' });
        return res.end('window.home = 1;');
      }
      if (path === '/data.json') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end('{"ok":true}');
      }
      if (path === '/a')
        return html(
          '<a href="/b">b</a><script>setTimeout(() => { location.href = "/signout"; }, 10)</script>',
        );
      if (path === '/b') return html('<a href="/c">c</a>');
      if (path === '/c') return html('<a href="/d">d</a>');
      if (path === '/to-idp') {
        res.writeHead(302, { location: 'http://localhost:1/authorize' });
        return res.end();
      }
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  test.afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  test('opens linked pages and resources to depth 2, never sign-out, callbacks or other origins', async ({
    browser,
  }) => {
    hits.length = 0;
    const context = await browser.newContext();
    const seen: string[] = [];
    context.on('response', (r) => seen.push(pathOf(r.url())));
    const onPage: string[] = [];
    const result = await crawl(context, {
      seeds: [`${origin}/`, `${origin}/missing`],
      origin,
      exclude: { redirectUris: [`${origin}/callback`] },
      budget: 20_000,
      onPage: async (page) => {
        onPage.push(pathOf(page.url()));
      },
    });
    await context.close();
    expect(result.visits.map((v) => `${v.kind} ${pathOf(v.url)} ${v.depth} ${v.status}`)).toEqual([
      'page / 0 200',
      'page /missing 0 404',
      // /home.js was loaded by the page itself; the prefetch hint may or may not have been.
      ...(result.visits.some((v) => pathOf(v.url) === '/data.json') ? ['resource /data.json 1 200'] : []),
      'page /a 1 200',
      'page /to-idp 1 302',
      'page /b 2 200',
    ]);
    expect(result.resources.map(pathOf)).toContain('/home.js');
    expect(result.answered).toBe(result.visits.length);
    // Depth 2 is the last: /c (linked from /b) is never opened.
    expect(hits).not.toContain('/c');
    for (const never of ['/logout', '/signout', '/callback?code=x']) expect(hits).not.toContain(never);
    expect(seen).toContain('/data.json');
    expect(onPage).toEqual(['/', '/missing', '/a', '/b']);
    expect(result.stoppedBy).toBeUndefined();
    // /a sends the browser to /signout from a script: blocked, and /a stays as it was.
    expect(result.blocked.map(pathOf)).toEqual(['/signout']);
  });

  test('stops at the navigation limit and says how much was left', async ({ browser }) => {
    const context = await browser.newContext();
    const result = await crawl(context, {
      seeds: [`${origin}/`, `${origin}/a`, `${origin}/b`, `${origin}/c`],
      origin,
      maxVisits: 2,
    });
    await context.close();
    expect(result.visits).toHaveLength(2);
    expect(result.stoppedBy).toBe('max-visits');
    expect(result.left).toBeGreaterThan(0);
  });

  test('a crawl of an app that does not answer answers nothing', async ({ browser }) => {
    const context = await browser.newContext();
    const result = await crawl(context, {
      seeds: ['http://127.0.0.1:9/'],
      origin: 'http://127.0.0.1:9',
      navigationTimeout: 3_000,
    });
    await context.close();
    expect(result.answered).toBe(0);
    expect(result.visits[0]?.error).toBeTruthy();
  });

  test('withCookiesSuspended takes matching cookies out for the call and puts them back', async ({
    browser,
  }) => {
    const context = await browser.newContext();
    await context.addCookies([
      { name: 'sso', value: '1', url: origin },
      { name: 'app', value: '2', url: origin },
    ]);
    const inside = await withCookiesSuspended(
      context,
      (c) => c.name === 'sso',
      async () => (await context.cookies()).map((c) => c.name),
    );
    const after = (await context.cookies()).map((c) => `${c.name}=${c.value}`).sort();
    await context.close();
    expect(inside).toEqual(['app']);
    expect(after).toEqual(['app=2', 'sso=1']);
  });
});
