/** HTML rendering: every interpolated value is escaped unless wrapped with {@link raw}. */

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

export interface Raw {
  readonly __html: string;
}

/** Marks already-safe markup (output of {@link html}). */
export function raw(markup: string): Raw {
  return { __html: markup };
}

function isRaw(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && '__html' in value;
}

function render(value: unknown): string {
  if (Array.isArray(value)) return value.map(render).join('');
  return isRaw(value) ? value.__html : escapeHtml(value);
}

/** Tagged template: `html\`<p>${name}</p>\`` escapes `name`. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Raw {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return raw(out);
}

export function page(title: string, body: Raw, options: { head?: Raw } = {}): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Acme Web</title>
<script src="/config.js"></script>
${options.head?.__html ?? ''}
<style>body{font-family:system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;color:#222}
a.button{display:inline-block;padding:.5rem 1rem;background:#0a5f73;color:#fff;border-radius:4px;text-decoration:none}
.error{border-left:4px solid #b00020;padding:.25rem 1rem}</style>
</head>
<body>
<header><strong>Acme Web</strong> for SuperOffice CRM Online</header>
<main>
${body.__html}
</main>
</body>
</html>`;
}
