// HTML for Acme Passport. Every dynamic value goes through escapeHtml(); markup built here is
// wrapped in SafeHtml so it is not escaped twice.

class SafeHtml {
  constructor(markup) {
    this.markup = markup;
  }
  toString() {
    return this.markup;
  }
}

const ENTITIES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

export function escapeHtml(value) {
  if (value === undefined || value === null) return '';
  return String(value).replace(/[&<>"'`]/g, (ch) => ENTITIES[ch]);
}

function piece(value) {
  if (value instanceof SafeHtml) return value.markup;
  if (Array.isArray(value)) return value.map(piece).join('');
  return escapeHtml(value);
}

/** Tagged template: interpolated values are escaped unless they are SafeHtml themselves. */
export function markup(strings, ...values) {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += piece(values[i]) + strings[i + 1];
  return new SafeHtml(out);
}

export const STYLESHEET = `body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1d2b36;background:#f5f7f9}
header{background:#0b4f6c;color:#fff;padding:.75rem 1.5rem}
main{max-width:46rem;margin:1.5rem auto;padding:0 1.5rem}
a.action{display:inline-block;background:#0b4f6c;color:#fff;padding:.45rem 1rem;border-radius:3px;text-decoration:none}
.notice{border-left:4px solid #a4262c;background:#fff;padding:.5rem 1rem}
table{border-collapse:collapse;width:100%;background:#fff}
td,th{border-bottom:1px solid #d8dee4;padding:.35rem .5rem;text-align:left}
`;

/** A full page; `body` is SafeHtml from markup(). */
export function layout(title, body) {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} - Acme Passport</title>
<link rel="stylesheet" href="/app.css">
</head>
<body>
<header>Acme Passport &middot; for SuperOffice CRM Online</header>
<main>
${piece(body)}
</main>
</body>
</html>
`;
}

/** A problem page: a heading, what happened in plain words, and where to go next. */
export function problemPage(title, explanation, next = { href: '/', label: 'Back to the start page' }) {
  return layout(
    title,
    markup`<section class="notice">
<h1>${title}</h1>
<p>${explanation}</p>
</section>
<p><a class="action" href="${next.href}">${next.label}</a></p>`,
  );
}
