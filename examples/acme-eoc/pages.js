// Acme EOC's HTML. Pages are built with the `html` tag: every interpolated value is escaped unless
// it is itself the result of `html` (or a list of such results).

const HTML_SAFE = Symbol('html-safe');

const ESCAPES = new Map([
  ['&', '&amp;'],
  ['<', '&lt;'],
  ['>', '&gt;'],
  ['"', '&quot;'],
  ["'", '&#x27;'],
  ['`', '&#x60;'],
]);

function fragment(text) {
  return { [HTML_SAFE]: true, text };
}

function render(value) {
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  if (typeof value === 'object' && value[HTML_SAFE]) return value.text;
  return String(value).replace(/[&<>"'`]/g, (c) => ESCAPES.get(c));
}

export function html(strings, ...values) {
  return fragment(strings.reduce((out, s, i) => out + render(values[i - 1]) + s));
}

export const CSS = `:root{color-scheme:light}
body{margin:0;font:15px/1.55 "Segoe UI",Roboto,sans-serif;color:#20303c;background:#eef2f4}
.bar{background:#254e3a;color:#f4f7f5;padding:.7rem 2rem;font-weight:600}
.page{max-width:48rem;margin:2rem auto;padding:1.25rem 2rem;background:#fff;border-radius:6px}
.btn{display:inline-block;padding:.4rem .9rem;border-radius:4px;background:#254e3a;color:#fff;text-decoration:none}
.problem{border-left:5px solid #b3261e;padding-left:1rem}
#contacts{width:100%;border-collapse:collapse}
#contacts th,#contacts td{padding:.3rem .4rem;border-bottom:1px solid #d5dde2;text-align:left}
nav a{margin-right:1rem}
`;

/** A whole document around `content` (an `html` result). */
export function page(title, content) {
  return render(
    html`<!doctype html>
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title>${title} | Acme EOC</title>
          <link rel="stylesheet" href="/styles.css" />
        </head>
        <body>
          <div class="bar">Acme EOC for SuperOffice CRM Online</div>
          <div class="page">${content}</div>
        </body>
      </html> `,
  );
}

/** What went wrong, in words for the user, and one way on. */
export function problem(title, message, way = { href: '/', text: 'Go to the start page' }) {
  return page(
    title,
    html`<div class="problem">
        <h1>${title}</h1>
        <p>${message}</p>
      </div>
      <p><a class="btn" href="${way.href}">${way.text}</a></p>`,
  );
}
