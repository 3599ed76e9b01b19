import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test, expect } from '@playwright/test';
import { findStackTrace } from '../../src/evidence/stacktrace.ts';

/**
 * Fixtures are real framework error output, written as the browser shows it: `<name>.txt` is the
 * page's `innerText`, `<name>.html.txt` the HTML (`page.content()` or what the server sends; the
 * `.txt` ending keeps Prettier off the framework's bytes). The name starts with the runtime the
 * detector must report; `none-` fixtures are ordinary pages that must not match at all.
 */
const FIXTURES = resolve(import.meta.dirname, 'stacktrace-fixtures');
const RUNTIME_BY_PREFIX: Record<string, string | undefined> = {
  node: 'Node.js',
  dotnet: '.NET',
  python: 'Python',
  php: 'PHP',
  java: 'Java',
  ruby: 'Ruby',
  go: 'Go',
  none: undefined,
};

const fixtures = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.txt'))
  .sort();

test('every fixture is named for a known runtime', () => {
  expect(fixtures.length).toBeGreaterThan(40);
  for (const f of fixtures) expect(Object.keys(RUNTIME_BY_PREFIX), f).toContain(f.split('-')[0]);
  const prefixes = new Set(fixtures.map((f) => f.split('-')[0]));
  for (const prefix of Object.keys(RUNTIME_BY_PREFIX)) expect([...prefixes], prefix).toContain(prefix);
});

test.describe('fixtures', () => {
  for (const file of fixtures) {
    const expected = RUNTIME_BY_PREFIX[file.split('-')[0] ?? ''];
    test(`${file} → ${expected ?? 'no stack trace'}`, () => {
      const text = readFileSync(resolve(FIXTURES, file), 'utf8');
      const hit = findStackTrace(text);
      if (expected === undefined) {
        expect(hit, `false positive: ${hit?.runtime}: ${hit?.excerpt}`).toBeUndefined();
      } else {
        expect(hit?.runtime).toBe(expected);
        expect(hit?.excerpt.length).toBeGreaterThan(10);
        // The excerpt is readable text, not markup.
        expect(hit?.excerpt).not.toMatch(/<(?:br|div|pre|span|h\d)\b/i);
      }
    });
  }
});

test('recognises single signatures of each runtime', () => {
  const cases: Array<[string, string]> = [
    [
      'Error: boom\n    at Object.<anonymous> (/srv/app/server.js:10:5)\n    at Module._compile (node:internal/modules/cjs/loader:1554:14)',
      'Node.js',
    ],
    ['TypeError: x is undefined\n    at async handler (file:///srv/app/routes.ts:42:11)', 'Node.js'],
    ['Error: boom\n    at foo (C:\\app\\server.js:12:5)', 'Node.js'],
    ['Error: boom\n    at C:\\Program Files\\acme\\server.js:12:5', 'Node.js'],
    ['Error: boom\n    at file:///C:/app/server.mjs:12:5', 'Node.js'],
    ['Error: boom\n    at new Client (\\\\fileserver\\apps\\crm\\client.js:3:9)', 'Node.js'],
    ['Error: boom\n    at Page (webpack-internal:///(rsc)/./app/page.tsx:9:11)', 'Node.js'],
    ["Server Error in '/' Application.", '.NET'],
    ["Server Error in '/Crm' Application.", '.NET'],
    ['An unhandled exception occurred while processing the request.', '.NET'],
    ['   at MyApp.Services.Foo.Bar(String x) in /src/Foo.cs:line 42', '.NET'],
    [
      '   at System.Web.HttpApplication.ExecuteStep(IExecutionStep step, Boolean& completedSynchronously)',
      '.NET',
    ],
    ['MyApp.Controllers.HomeController.Index() in C:\\src\\MyApp\\Controllers\\HomeController.cs', '.NET'],
    ['   at Acme.Sync.Importer.Run()\n   at Acme.Web.Pages.SyncModel.OnPost()', '.NET'],
    ['   at MyApp.Foo..ctor(String name)\n   at MyApp.Program.<Main>$(String[] args)', '.NET'],
    ['--- End of stack trace from previous location ---', '.NET'],
    ['Traceback (most recent call last):\n  File "app.py", line 3, in <module>', 'Python'],
    ['  File "/app/app.py", line 12, in index', 'Python'],
    ['/app/orders/views.py, line 12, in index', 'Python'],
    ['Fatal error: Uncaught Exception: nope in /var/www/index.php on line 12', 'PHP'],
    ['Parse error: syntax error, unexpected token "}" in C:\\xampp\\htdocs\\index.php on line 7', 'PHP'],
    ['Stack trace:\n#0 /var/www/app/Http/Kernel.php(12): handle()\n#1 {main}', 'PHP'],
    ['#0 [internal function]: App\\Jobs\\Sync->handle()', 'PHP'],
    ['Exception in thread "main" java.lang.IllegalStateException', 'Java'],
    ['\tat com.acme.web.Controller.handle(Controller.java:42)', 'Java'],
    ['Caused by: org.postgresql.util.PSQLException: connection refused', 'Java'],
    ["app/controllers/x_controller.rb:12:in `index'", 'Ruby'],
    ["app/controllers/x_controller.rb:12:in 'XController#index'", 'Ruby'],
    ['goroutine 1 [running]:\nmain.main()', 'Go'],
    ['main.main()\n\t/app/main.go:12 +0x1d', 'Go'],
  ];
  for (const [text, runtime] of cases) expect(findStackTrace(text)?.runtime, text).toBe(runtime);
});

test('does not flag friendly error pages', () => {
  for (const text of [
    'Sign-in failed. SuperOffice could not confirm who you are. Incident 7f3a.',
    'Something went wrong at 10:42. Please try again.',
    'SuperOffice is busy, please try again in 3 seconds.',
    'Meet at 10:30 (room 4)',
    'Rights are granted at System level.',
    'Warning: the order on line 3 has no price.',
    'Look at Acme.Corp(Oslo) for details.',
    'Error: could not sign you in. Please try again.',
    '<p>Call <code>a.b(c)</code> at start-up.</p>',
    'Exported at /exports/2024 at 10:30:15',
    'Saved at C:\\Reports\\q2 forecast.xlsx at 10:30:15',
  ]) {
    expect(findStackTrace(text), text).toBeUndefined();
  }
});

test('reads HTML as text: traces split by <br> and &nbsp; are found, scripts and comments are not', () => {
  const express =
    '<!DOCTYPE html><html><body><pre>Error: boom<br> &nbsp; &nbsp;at foo (/srv/app/server.js:12:5)</pre></body></html>';
  expect(findStackTrace(express)).toEqual({
    runtime: 'Node.js',
    excerpt: 'Error: boom\nat foo (/srv/app/server.js:12:5)',
  });
  const hidden =
    '<!DOCTYPE html><html><head><script>var s="\\n    at foo (/srv/app/server.js:12:5)";</script></head>' +
    '<body><!-- at foo (/srv/app/server.js:12:5) --><p title="at foo (/srv/app/server.js:12:5)">Hi</p></body></html>';
  expect(findStackTrace(hidden)).toBeUndefined();
  // A JSON data block is decoded: Next.js puts the server error's stack in __NEXT_DATA__ in dev.
  const nextData =
    '<html><body><script id="__NEXT_DATA__" type="application/json">{"err":{"stack":"Error: boom\\n    at getServerSideProps (webpack-internal:///./pages/index.js:12:11)"}}</script></body></html>';
  expect(findStackTrace(nextData)?.runtime).toBe('Node.js');
});

test('reports the trace that comes first on the page', () => {
  const text =
    'Traceback (most recent call last):\n  File "/app/a.py", line 1, in <module>\n' + 'at Foo.Bar.Baz()\n';
  expect(findStackTrace(text)?.runtime).toBe('Python');
  const excerpt = findStackTrace(
    'x'.repeat(500) + "\napp/models/user.rb:3:in `save'\n" + 'y'.repeat(500),
  )?.excerpt;
  expect(excerpt?.length).toBeLessThan(300);
  expect(excerpt).toContain("user.rb:3:in `save'");
});

test.describe('large pages (no catastrophic backtracking)', () => {
  // Near misses repeated to ~200 KB: each keeps a pattern busy as long as it can without matching.
  const nearMisses: Array<[string, string]> = [
    [
      'prose',
      'Meet at 10:30 (room 4) at System level, at Acme.Corp(Oslo), Warning: see line 3 in /docs on ln 4. ',
    ],
    ['node-like', '    at foo (/srv/app/server.js:12 '],
    ['path-like', 'at /a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t/u/v/w/x/y/z.js:1 '],
    ['dotnet-like', '   at A.B.C.D.E.F.G.H.I.J.K.L.M.N.O.P(String a, Int32 b '],
    ['php-like', 'Warning: x in /var/www/a.php in /var/www/b.php in /c '],
    ['java-like', 'com.acme.a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p(Foo.jav '],
    ['python-like', 'File "/app/a.py", line 1, i '],
    ['spaces', '                                        \t\t\t\t'],
    ['html-like', '<div class="a"><span title="x>y">at foo (/a.js:1</span></div><br>&nbsp;&amp '],
    ['unclosed-tags', '<a href="x <b title=\'y <script <!-- '],
  ];
  for (const [name, unit] of nearMisses) {
    test(`${name} repeated to 200 KB`, () => {
      const page = unit.repeat(Math.ceil(200_000 / unit.length));
      expect(findStackTrace(page)).toBeUndefined();
      expect(findStackTrace('<!DOCTYPE html><html><body>' + page + '</body></html>')).toBeUndefined();
    });
  }

  test('a real trace after 200 KB of ordinary text is still found', () => {
    const page = 'Meet at 10:30 (room 4). '.repeat(8_500) + '\n    at handler (/srv/app/routes.js:12:5)\n';
    expect(findStackTrace(page)?.runtime).toBe('Node.js');
  });
});
