/**
 * Signatures of framework error screens and stack traces (ERROR-PAGE). Each pattern names the
 * runtime it recognises, so the finding can say what leaked.
 *
 * `findStackTrace` takes either the page's text (`innerText`) or its HTML (`page.content()`).
 * HTML is first reduced to the text a reader could see or a view-source would show: tags,
 * `<script>` and `<style>` bodies and comments are dropped (so minified bundles cannot match),
 * entities are decoded and `<br>`/block ends become line breaks (so Express's
 * `Error: boom<br> &nbsp; &nbsp;at …` reads as a trace). JSON data blocks (`<script
 * type="application/json">`, e.g. Next.js `__NEXT_DATA__` with `err.stack`) and pages that are
 * JSON have their string escapes undone, so a `"stack":"Error: x\n    at …"` is seen as a trace.
 *
 * Every pattern is written for linear time: every repetition is bounded (no open-ended `*`/`+`
 * over page text), so the work at any start position is capped and a scan stays linear in the
 * page size; the HTML reduction is a single forward pass. The tests feed 200 KB near-misses.
 */

/** One frame or exception-type name: `Namespace.Type.Method`, `Type\`1`, `<Main>$`, `.ctor`. */
const NET_NAME = String.raw`[A-Z_<][\w\`<>$+\[\],|]{0,200}`;
const NET_DOTTED = String.raw`${NET_NAME}(?:\.[\w\`<>$+\[\],|]{0,200}){1,40}`;
/** At least Namespace.Type.Method (two dots). */
const NET_DOTTED2 = String.raw`${NET_NAME}(?:\.[\w\`<>$+\[\],|]{0,200}){2,40}`;
/** A .NET parameter list: `()`, `(String x, Int32& y)`, `(Closure, Object, Object[])` (no colons). */
const NET_ARGS = String.raw`\([^():\r\n]{0,500}\)`;
const NET_SOURCE = String.raw`\.(?:cs|vb|fs|cshtml|vbhtml|razor|aspx|ascx|asax|ashx|asmx|master)`;

/** A Java class + method: `com.acme.web.Controller.handle`, `Foo$Bar.lambda$run$0`, `<init>`. */
const JAVA_METHOD = String.raw`[\w$]{1,200}(?:\.[\w$<>-]{1,200}){1,60}`;
/** Optional module or class-loader prefix (Java 9+): `java.base/`, `app//`, `jdk.internal@17/`. */
const JAVA_MODULE = String.raw`(?:[\w.$-]{1,100}(?:@[\w.-]{1,50})?\/{1,2})?`;
const JAVA_LOCATION = String.raw`\((?:[\w$.-]{1,200}\.(?:java|kt|kts|scala|groovy|clj|jsp)(?::\d{1,7})?|Unknown Source|Native Method|<generated>)\)`;

/** Where a V8 frame's file starts: POSIX or Windows path, file:// URL, node:, webpack. */
const JS_LOCATION_START = String.raw`(?:file:\/\/\/?|webpack(?:-internal)?:\/\/\/?|node:|[A-Za-z]:[\\/]|\\\\|\/|\.{1,2}[\\/])`;
/** Rest of a frame's location up to `:line:col)`; allows Next.js's `(rsc)` segments. */
const JS_LOCATION_REST = String.raw`(?:[^()\r\n]|\([\w.-]{1,40}\)){0,400}?`;

const ABSOLUTE_PATH = String.raw`(?:\/|[A-Za-z]:[\\/])`;

export const STACK_TRACE_PATTERNS: ReadonlyArray<{ runtime: string; pattern: RegExp }> = [
  // --- Node.js (V8 frames, Node internals, Next.js dev overlay) ---
  {
    runtime: 'Node.js',
    // at Layer.handle [as handle_request] (C:\app\node_modules\express\lib\router\layer.js:95:5)
    pattern: new RegExp(
      String.raw`\bat (?:async )?(?:new )?[^\s()]{1,300}(?: \[as [^\s\]]{1,100}\])? \(${JS_LOCATION_START}${JS_LOCATION_REST}:\d{1,7}:\d{1,7}\)`,
    ),
  },
  {
    runtime: 'Node.js',
    // at /srv/app/server.js:10:5 · at file:///C:/app/server.mjs:12:11 · at async C:\app\x.js:1:2
    // (a Windows path may hold spaces: at C:\Program Files\acme\server.js:12:5)
    pattern: new RegExp(
      String.raw`\bat (?:async )?(?:(?:file:\/\/\/?|node:|[A-Za-z]:[\\/]|\/)[^\s()]{1,400}|[A-Za-z]:\\[^()\r\n]{0,300}?\.\w{1,10}):\d{1,7}:\d{1,7}\b`,
    ),
  },
  { runtime: 'Node.js', pattern: /\bnode:internal\/[\w/]{1,200}:\d/ },
  // Next.js dev overlay: "app/page.tsx (4:9) @ Page"
  { runtime: 'Node.js', pattern: /^[^\s()]{1,300}\.[cm]?[jt]sx? \(\d{1,7}:\d{1,7}\) @ \S/m },

  // --- Java (before .NET: a Java frame also looks like a dotted call) ---
  { runtime: 'Java', pattern: /Exception in thread "[^"\r\n]{1,200}"/ },
  // at com.acme.web.Controller.handle(Controller.java:42) · at java.base/java.lang.Thread.run(…)
  {
    runtime: 'Java',
    pattern: new RegExp(String.raw`\bat ${JAVA_MODULE}${JAVA_METHOD}${JAVA_LOCATION}`),
  },
  // Tomcat's exception report prints frames without "at": "\tcom.acme.web.Controller.handle(Controller.java:42)"
  {
    runtime: 'Java',
    pattern: new RegExp(String.raw`^[ \t]{0,40}${JAVA_MODULE}${JAVA_METHOD}${JAVA_LOCATION}`, 'm'),
  },
  { runtime: 'Java', pattern: /\bCaused by: [a-z][\w$]{0,100}(?:\.[\w$]{1,100}){1,40}(?:Exception|Error)\b/ },
  { runtime: 'Java', pattern: /This application has no explicit mapping for \/error/ },
  { runtime: 'Java', pattern: /\bType Exception Report\b/ },

  // --- .NET (ASP.NET Core developer exception page, classic ASP.NET yellow screen, frames) ---
  { runtime: '.NET', pattern: /An unhandled exception occurred while processing the request\./ },
  { runtime: '.NET', pattern: /Server Error in '[^'\r\n]{0,200}' Application/ },
  {
    runtime: '.NET',
    pattern: /An unhandled exception occurred during the execution of the current web request/,
  },
  { runtime: '.NET', pattern: /--- End of (?:inner exception )?stack trace\b/ },
  // at MyApp.Services.Foo.Bar(String x) in /src/Foo.cs:line 42
  {
    runtime: '.NET',
    pattern: new RegExp(String.raw`\bat ${NET_DOTTED}${NET_ARGS} in [^\r\n]{1,300}?:line \d{1,7}\b`),
  },
  // at System.Web.HttpApplication.ExecuteStep(IExecutionStep step, Boolean& completedSynchronously)
  {
    runtime: '.NET',
    pattern: new RegExp(String.raw`\bat (?:System|Microsoft)\.[\w\`<>$+\[\],|.]{1,300}${NET_ARGS}`),
  },
  // Two frames in a row without file info (release builds): at MyApp.Sync.Importer.Run()\n   at …
  {
    runtime: '.NET',
    pattern: new RegExp(String.raw`\bat ${NET_DOTTED2}${NET_ARGS}[^\r\n]{0,300}?\s{1,20}at ${NET_DOTTED}\(`),
  },
  // Developer exception page / yellow screen frames: "MyApp.Controllers.HomeController.Index() in HomeController.cs"
  {
    runtime: '.NET',
    pattern: new RegExp(
      String.raw`^[ \t]{0,40}(?:at )?${NET_DOTTED}${NET_ARGS} in [^\r\n]{0,300}?${NET_SOURCE}(?::line \d{1,7}|:\d{1,7})?\b`,
      'm',
    ),
  },
  // Yellow screen frames with IL offsets: "   System.Web.UI.Control.OnLoad(EventArgs e) +95"
  {
    runtime: '.NET',
    pattern: new RegExp(String.raw`^[ \t]{0,40}${NET_DOTTED}${NET_ARGS} \+\d{1,7}[ \t]*$`, 'm'),
  },

  // --- Python (tracebacks, Werkzeug debugger, Django debug pages) ---
  { runtime: 'Python', pattern: /Traceback \(most recent call last\)/ },
  // File "/app/app.py", line 12, in index (Werkzeug wraps the parts over lines)
  {
    runtime: 'Python',
    pattern: /\bFile\s{1,20}"[^"\r\n]{1,400}",\s{1,40}line\s{1,20}\d{1,7},\s{1,40}in\s/,
  },
  // Django's frame heading: /app/orders/views.py, line 12, in index
  { runtime: 'Python', pattern: /\w\.py, line \d{1,7}, in [\w<]/ },
  { runtime: 'Python', pattern: /The debugger caught an exception in your WSGI application/ },
  { runtime: 'Python', pattern: /\/\/ Werkzeug Debugger/ },
  { runtime: 'Python', pattern: /You[’']re seeing this error because you have DEBUG = True/ },
  { runtime: 'Python', pattern: /Django Version:\s{0,200}\d[^\r\n]{0,40}\s{1,200}Exception Type:/ },

  // --- PHP (error messages, Throwable traces, Whoops, Symfony, Laravel) ---
  {
    runtime: 'PHP',
    pattern: new RegExp(
      String.raw`\b(?:PHP )?(?:Fatal error|Parse error|Warning|Notice|Deprecated|(?:Catchable|Recoverable) fatal error):\s{1,4}[^\r\n]{1,500}? in ${ABSOLUTE_PATH}\S{1,300} on line \d{1,7}\b`,
    ),
  },
  {
    runtime: 'PHP',
    pattern: new RegExp(String.raw`\bthrown in ${ABSOLUTE_PATH}\S{1,300} on line \d{1,7}\b`),
  },
  { runtime: 'PHP', pattern: /\bStack trace:\s{0,10}#0 / },
  // #0 /var/www/html/vendor/laravel/framework/src/Illuminate/Routing/Controller.php(54): …
  {
    runtime: 'PHP',
    pattern: new RegExp(
      String.raw`#\d{1,4} (?:${ABSOLUTE_PATH}[^\r\n()]{1,300}\.php\d?\(\d{1,7}\)|\[internal function\]): `,
    ),
  },
  // app/Http/Controllers/OrderController.php:42 (Laravel, Whoops, Symfony text traces)
  { runtime: 'PHP', pattern: /[\\/][\w.@~-]{1,100}\.php ?:\d{1,7}\b/ },
  // Symfony: "in src/Controller/OrderController.php (line 21)", "HttpKernel.php -> handleRaw (line 181)"
  { runtime: 'PHP', pattern: /\.php\s{0,300}(?:->\s{0,300}[\w$]{1,100}\s{0,300})?\(line \d{1,7}\)/ },
  // App\Http\Controllers\OrderController->show( · Illuminate\Routing\Route::run(
  { runtime: 'PHP', pattern: /\b[A-Z]\w{0,100}(?:\\[A-Z]\w{0,100}){1,20}(?:->|::)[\w$]{1,100}\(/ },
  { runtime: 'PHP', pattern: /Whoops\\Handler\\PrettyPageHandler|Whoops! There was an error\./ },
  { runtime: 'PHP', pattern: /\bPHP \d{1,2}\.\d{1,3}\.\d{1,3} [—–-] Laravel \d/ },

  // --- Ruby (backtraces in both quote styles, Rails debug page) ---
  { runtime: 'Ruby', pattern: /\.(?:rb|erb|haml|slim|rake|ru|builder|jbuilder):\d{1,7}:in [`'‘]/ },
  { runtime: 'Ruby', pattern: /Extracted source \(around line #\d{1,7}\)/ },
  { runtime: 'Ruby', pattern: /Action Controller: Exception caught|\bRails\.root: / },

  // --- Go (panics, debug.Stack) ---
  { runtime: 'Go', pattern: /\bgoroutine \d{1,10} \[[\w ,.:-]{1,60}\]:/ },
  { runtime: 'Go', pattern: /\.go:\d{1,7} \+0x[0-9a-f]{1,16}\b/ },
];

export interface StackTraceHit {
  runtime: string;
  excerpt: string;
}

/**
 * The earliest stack-trace or framework-error-screen signature in `text` (page text or HTML),
 * with a short excerpt around it; undefined when there is none.
 */
export function findStackTrace(text: string): StackTraceHit | undefined {
  for (const source of readableSources(text)) {
    let best: { runtime: string; index: number; length: number } | undefined;
    for (const { runtime, pattern } of STACK_TRACE_PATTERNS) {
      const m = pattern.exec(source);
      if (m && (!best || m.index < best.index)) best = { runtime, index: m.index, length: m[0].length };
    }
    if (best) {
      const start = Math.max(0, best.index - 80);
      const raw = source.slice(start, best.index + best.length + 80);
      return { runtime: best.runtime, excerpt: tidy(raw) };
    }
  }
  return undefined;
}

/** The texts to scan: the readable text, then JSON data blocks with their escapes undone. */
function readableSources(input: string): string[] {
  const normalised = input.replace(/\r\n?/g, '\n').replace(/\u00a0/g, ' ');
  if (looksLikeHtml(normalised)) {
    const { text, data } = htmlToText(normalised);
    return [text, ...data.map(unescapeJsonStrings)];
  }
  const trimmed = normalised.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) return [unescapeJsonStrings(normalised)];
  return [normalised];
}

function looksLikeHtml(s: string): boolean {
  return /^\s{0,200}<(?:!doctype|!--|\?xml|[a-z][a-z0-9-]{0,20}[\s/>])/i.test(s);
}

/** Undo JSON/JS string escapes: `\n`, `\t`, `\"`, `\\`, `\/`, `\u003c`. */
function unescapeJsonStrings(s: string): string {
  return s.replace(/\\(["\\/bfnrt]|u[0-9a-fA-F]{4})/g, (_, e: string) => {
    switch (e) {
      case 'n':
        return '\n';
      case 'r':
        return '';
      case 't':
        return '\t';
      case 'b':
      case 'f':
        return ' ';
      default:
        return e.length === 5 ? String.fromCharCode(parseInt(e.slice(1), 16)) : e;
    }
  });
}

/** Tags whose end starts a new line in the rendered text. */
const BLOCK_TAGS = new Set(
  (
    'address article aside blockquote body br dd details dialog div dl dt fieldset figcaption figure footer ' +
    'form h1 h2 h3 h4 h5 h6 head header hr html li main nav ol p pre section summary table tbody tfoot thead ' +
    'title tr ul'
  ).split(' '),
);
/** Elements whose content is not page text. */
const SKIPPED_ELEMENTS = new Set(['script', 'style', 'template', 'noscript', 'iframe', 'object', 'svg']);

/**
 * A single linear pass over the HTML: text is kept, tags and comments dropped, the bodies of
 * scripts and styles skipped (JSON data scripts are returned separately in `data`).
 */
function htmlToText(html: string): { text: string; data: string[] } {
  const out: string[] = [];
  const data: string[] = [];
  const n = html.length;
  let i = 0;
  while (i < n) {
    const lt = html.indexOf('<', i);
    if (lt < 0) {
      out.push(html.slice(i));
      break;
    }
    out.push(html.slice(i, lt));
    if (html.startsWith('<!--', lt)) {
      const end = html.indexOf('-->', lt + 4);
      i = end < 0 ? n : end + 3;
      continue;
    }
    const next = html[lt + 1] ?? '';
    if (!/[a-zA-Z/!?]/.test(next)) {
      out.push('<');
      i = lt + 1;
      continue;
    }
    const gt = tagEnd(html, lt + 1);
    if (gt < 0) break;
    const tag = html.slice(lt, gt + 1);
    const closing = next === '/';
    const name = (/^<\/?([a-zA-Z][\w-]{0,30})/.exec(tag)?.[1] ?? '').toLowerCase();
    i = gt + 1;
    if (!closing && SKIPPED_ELEMENTS.has(name) && !tag.endsWith('/>')) {
      const close = findClosingTag(html, name, i);
      const body = html.slice(i, close < 0 ? n : close);
      if (name === 'script' && /\btype\s*=\s*["']?application\/(?:[\w.+-]{0,40}\+)?json\b/i.test(tag)) {
        data.push(body);
      }
      if (close < 0) break;
      const closeEnd = html.indexOf('>', close);
      i = closeEnd < 0 ? n : closeEnd + 1;
      continue;
    }
    if (name === 'td' || name === 'th') out.push(closing ? '' : '\t');
    else if (BLOCK_TAGS.has(name)) out.push('\n');
  }
  // Source indentation is not text; folding it keeps excerpts short and readable.
  const text = decodeEntities(out.join(''))
    .replace(/[ \t]+/g, ' ')
    .replace(/ ?\n[ \n]*/g, '\n');
  return { text, data };
}

/** Index of the `>` ending the tag that starts before `from`; quotes only count in attribute values. */
function tagEnd(html: string, from: number): number {
  let quote = '';
  let afterEquals = false;
  for (let j = from; j < html.length; j++) {
    const ch = html[j];
    if (quote) {
      if (ch === quote) quote = '';
    } else if ((ch === '"' || ch === "'") && afterEquals) {
      quote = ch;
      afterEquals = false;
    } else if (ch === '>') {
      return j;
    } else if (ch === '=') {
      afterEquals = true;
    } else if (ch !== ' ' && ch !== '\t' && ch !== '\n') {
      afterEquals = false;
    }
  }
  return -1;
}

/** Index of `</name` (any case) at or after `from`, or -1. */
function findClosingTag(html: string, name: string, from: number): number {
  let k = html.indexOf('</', from);
  while (k >= 0) {
    if (html.slice(k + 2, k + 2 + name.length).toLowerCase() === name) return k;
    k = html.indexOf('</', k + 2);
  }
  return -1;
}

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  hellip: '…',
  mdash: '—',
  ndash: '–',
  lsquo: '‘',
  rsquo: '’',
  ldquo: '“',
  rdquo: '”',
  times: '×',
  copy: '©',
};

function decodeEntities(s: string): string {
  return s.replace(/&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z]{2,8}));/g, (whole, dec, hex, named) => {
    if (dec || hex) {
      const code = dec ? parseInt(dec as string, 10) : parseInt(hex as string, 16);
      if (code === 0xa0) return ' ';
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED_ENTITIES[named as string] ?? whole;
  });
}

/** Excerpt for the report: runs of spaces folded, blank lines dropped. */
function tidy(s: string): string {
  return s
    .replace(/[ \t]+/g, ' ')
    .replace(/ ?\n[\n ]*/g, '\n')
    .trim();
}
