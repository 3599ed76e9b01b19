/**
 * `index.html`: one self-contained page (inline CSS, a small inline script, screenshots as
 * `data:` URIs, a Content-Security-Policy that forbids every network load). The verdict first,
 * then a category overview, then each rule (failed first) with its checks, evidence,
 * remediation and documentation link, then the attestation checklist.
 *
 * Every interpolated value goes through {@link escapeHtml} via the `html` template tag, so text
 * from the app or the network can never become markup. Filters are CSS (`:has()` on checkboxes),
 * so they work without the script; with everything checked by default, everything is visible.
 */
import { CATEGORIES, type Category } from '../rules/types.ts';
import type { Evidence } from '../findings.ts';
import type { CheckResult, ReadinessReport, RuleResult, RuleStatus } from './model.ts';

/** Content of an evidence file, keyed by the evidence item's `path`. */
export interface EvidenceFile {
  contentType?: string;
  data: Uint8Array | string;
}

export interface RenderHtmlOptions {
  evidenceFiles?: ReadonlyMap<string, EvidenceFile> | Readonly<Record<string, EvidenceFile>>;
}

/** Markup that is already safe. Only the `html` tag and `raw()` create it. */
class SafeHtml {
  readonly value: string;
  constructor(value: string) {
    this.value = value;
  }
  toString(): string {
    return this.value;
  }
}

/** The one escaping function: for text and attribute values alike. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

type Interpolated = SafeHtml | string | number | boolean | undefined | null | readonly Interpolated[];

function piece(value: Interpolated): string {
  if (value === undefined || value === null || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map((v: Interpolated) => piece(v)).join('');
  return escapeHtml(value);
}

function html(strings: TemplateStringsArray, ...values: Interpolated[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += piece(v) + (strings[i + 1] ?? '');
  });
  return new SafeHtml(out);
}

const raw = (trusted: string): SafeHtml => new SafeHtml(trusted);

const STATUS_ORDER: readonly RuleStatus[] = [
  'fail',
  'error',
  'warn',
  'pass',
  'not-run',
  'not-applicable',
  'manual',
];
const STATUS_WORDS: Record<RuleStatus | CheckResult['status'], string> = {
  pass: 'pass',
  fail: 'fail',
  warn: 'warning',
  manual: 'manual',
  'not-applicable': 'not applicable',
  error: 'error',
  'not-run': 'not run',
};
const VERDICT_WORDS = { ready: 'Ready', 'not-ready': 'Not ready', incomplete: 'Incomplete' } as const;

function safeUrl(url: string): string | undefined {
  return /^https?:\/\//i.test(url) ? url : undefined;
}

function docLink(doc: { title: string; url: string }): SafeHtml {
  const url = safeUrl(doc.url);
  return url
    ? html`<a href="${url}" rel="noreferrer noopener" target="_blank">${doc.title}</a>`
    : html`<span>${doc.title} (${doc.url})</span>`;
}

function truncate(text: string, max = 8000): string {
  return text.length > max ? `${text.slice(0, max)}\n… (${text.length - max} more characters)` : text;
}

function headerLines(headers: Record<string, string> | undefined): string {
  return Object.entries(headers ?? {})
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n');
}

function isTampered(tampered: readonly string[], part: 'header' | 'payload', name: string): boolean {
  return tampered.includes(name) || tampered.includes(`${part}.${name}`);
}

function tokenPart(
  part: 'header' | 'payload',
  members: Record<string, unknown>,
  tampered: readonly string[],
): SafeHtml {
  const entries = Object.entries(members);
  const lines = entries.map(([name, value], i) => {
    const text = `  ${JSON.stringify(name)}: ${JSON.stringify(value)}${i < entries.length - 1 ? ',' : ''}`;
    return isTampered(tampered, part, name)
      ? html`<mark class="tampered" title="tampered by the scenario">${text}</mark>`
      : html`${text}`;
  });
  const body = [raw('{\n'), ...lines.flatMap((l) => [l, raw('\n')]), raw('}')];
  return html`<div class="token-part">
    <div class="token-label">${part}</div>
    <pre>${body}</pre>
  </div>`;
}

function fileData(options: RenderHtmlOptions, path: string): EvidenceFile | undefined {
  const files = options.evidenceFiles;
  if (!files) return undefined;
  if (files instanceof Map) return files.get(path);
  return (files as Readonly<Record<string, EvidenceFile>>)[path];
}

const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

function evidenceHtml(e: Evidence, options: RenderHtmlOptions): SafeHtml {
  switch (e.kind) {
    case 'exchange': {
      const request = [headerLines(e.requestHeaders), e.requestBody ?? ''].filter(Boolean).join('\n\n');
      const response = [headerLines(e.responseHeaders), e.responseBody ?? ''].filter(Boolean).join('\n\n');
      return html`<div class="evidence exchange">
        <div class="ev-label">
          ${e.label}${e.from ? html` <span class="from">(from ${e.from})</span>` : ''}
        </div>
        <pre class="request-line">${e.method} ${e.url}${e.status !== undefined ? ` → ${e.status}` : ''}</pre>
        ${
          request
            ? html`<details open>
                <summary>request</summary>
                <pre>${truncate(request)}</pre>
              </details>`
            : ''
        }
        ${
          response
            ? html`<details open>
                <summary>response</summary>
                <pre>${truncate(response)}</pre>
              </details>`
            : ''
        }
      </div>`;
    }
    case 'token':
      return html`<div class="evidence token">
        <div class="ev-label">
          ${e.label}${e.tampered.length ? html` <span class="from">(tampered: ${e.tampered.join(', ')})</span>` : ''}
        </div>
        <div class="token-parts">
          ${tokenPart('header', e.header, e.tampered)}${tokenPart('payload', e.payload, e.tampered)}
        </div>
      </div>`;
    case 'text':
      return html`<div class="evidence text">
        <div class="ev-label">${e.label}</div>
        <pre>${truncate(e.text)}</pre>
      </div>`;
    case 'file': {
      const file = fileData(options, e.path);
      const type = (file?.contentType ?? e.contentType).toLowerCase().split(';')[0]?.trim() ?? '';
      if (file && IMAGE_TYPES.has(type)) {
        const b64 = Buffer.from(file.data).toString('base64');
        return html`<figure class="evidence screenshot">
          <img alt="${e.label}" src="${raw(`data:${type};base64,${b64}`)}" />
          <figcaption>${e.label}</figcaption>
        </figure>`;
      }
      if (file && (type.startsWith('text/') || type === 'application/json')) {
        const text = typeof file.data === 'string' ? file.data : Buffer.from(file.data).toString('utf8');
        return html`<div class="evidence text">
          <div class="ev-label">${e.label} <span class="from">(${e.path})</span></div>
          <pre>${truncate(text)}</pre>
        </div>`;
      }
      const local =
        !/^[a-z][a-z0-9+.-]*:/i.test(e.path) && !e.path.startsWith('/') && !e.path.startsWith('\\');
      return html`<div class="evidence file">
        <div class="ev-label">
          ${e.label}: ${local ? html`<a href="${e.path}">${e.path}</a>` : e.path}
          <span class="from">(${e.contentType})</span>
        </div>
      </div>`;
    }
  }
}

function badge(status: RuleStatus | CheckResult['status']): SafeHtml {
  return html`<span class="badge s-${status}">${STATUS_WORDS[status]}</span>`;
}

function checkHtml(check: CheckResult, options: RenderHtmlOptions): SafeHtml {
  return html`<li class="check s-${check.status}">
    <div class="check-head">${badge(check.status)} <span class="check-title">${check.title}</span></div>
    ${check.message ? html`<div class="check-message">${check.message}</div>` : ''}
    ${check.test ? html`<div class="check-test">test: ${check.test}${check.durationMs !== undefined ? ` (${(check.durationMs / 1000).toFixed(1)} s)` : ''}</div>` : ''}
    ${check.evidence.map((e) => evidenceHtml(e, options))}
  </li>`;
}

function ruleHtml(rule: RuleResult, options: RenderHtmlOptions): SafeHtml {
  const open = rule.status === 'fail' || rule.status === 'error' || rule.status === 'warn';
  return html`<article
    class="rule s-${rule.status}"
    id="rule-${rule.id}"
    data-status="${rule.status}"
    data-category="${rule.category}"
    data-severity="${rule.severity}"
  >
    <h3>
      <a class="anchor" href="#rule-${rule.id}">${rule.id}</a> ${badge(rule.status)}
      <span class="sev sev-${rule.severity}">${rule.severity}</span
      >${rule.baselined ? html` <span class="baselined">accepted by baseline</span>` : ''}
    </h3>
    <div class="rule-title">${rule.title}</div>
    <p class="reason">${rule.reason}</p>
    <details class="rule-body" ${open ? raw(' open') : ''}>
      <summary>details</summary>
      <p><strong>Requirement:</strong> ${rule.requirement}</p>
      ${rule.howChecked ? html`<p><strong>What was checked:</strong> ${rule.howChecked}</p>` : ''}
      ${rule.baselined ? html`<p><strong>Baseline:</strong> ${rule.baselined.reason}</p>` : ''}
      ${
        rule.checks.length
          ? html`<ul class="checks">
              ${rule.checks.map((c) => checkHtml(c, options))}
            </ul>`
          : html`<p class="muted">No check results.</p>`
      }
      ${rule.status !== 'pass' && rule.remediation ? html`<p><strong>Remediation:</strong> ${rule.remediation}</p>` : ''}
      ${rule.docs.length ? html`<p><strong>SuperOffice documentation:</strong> ${rule.docs.map((d, i) => html`${i ? ', ' : ''}${docLink(d)}`)}</p>` : ''}
    </details>
  </article>`;
}

function sortRules(rules: readonly RuleResult[]): RuleResult[] {
  const rank = (r: RuleResult): number => STATUS_ORDER.indexOf(r.status);
  return rules
    .map((r, i) => ({ r, i }))
    .sort(
      (a, b) =>
        rank(a.r) - rank(b.r) ||
        Number(!!a.r.baselined) - Number(!!b.r.baselined) ||
        (a.r.severity === b.r.severity ? 0 : a.r.severity === 'blocking' ? -1 : 1) ||
        a.i - b.i,
    )
    .map((x) => x.r);
}

function categoriesHtml(report: ReadinessReport): SafeHtml {
  const cols: RuleStatus[] = ['fail', 'error', 'warn', 'pass', 'not-run', 'manual', 'not-applicable'];
  const used = CATEGORIES.filter((c) => report.rules.some((r) => r.category === c));
  const extra = [...new Set(report.rules.map((r) => r.category))].filter((c) => !used.includes(c));
  const rows = [...used, ...extra].map((cat: Category) => {
    const inCat = report.rules.filter((r) => r.category === cat);
    const worst = STATUS_ORDER.find((s) => inCat.some((r) => r.status === s)) ?? 'not-run';
    return html`<tr class="s-${worst}">
      <th scope="row">${cat}</th>
      ${cols.map((s) => {
        const n = inCat.filter((r) => r.status === s).length;
        return html`<td class="${n ? `n s-${s}` : 'zero'}">${n}</td>`;
      })}
    </tr>`;
  });
  return html`<table class="categories">
    <thead>
      <tr>
        <th scope="col">category</th>
        ${cols.map((s) => html`<th scope="col">${STATUS_WORDS[s]}</th>`)}
      </tr>
    </thead>
    <tbody>
      ${rows}
    </tbody>
  </table>`;
}

function filtersHtml(report: ReadinessReport): SafeHtml {
  const statuses = STATUS_ORDER.filter((s) => s !== 'manual' && report.rules.some((r) => r.status === s));
  const categories = CATEGORIES.filter((c) =>
    report.rules.some((r) => r.category === c && r.status !== 'manual'),
  );
  return html`<form class="filters" id="filters" aria-label="filters">
    <fieldset>
      <legend>status</legend>
      ${statuses.map(
        (s) =>
          html`<label
            ><input type="checkbox" checked data-filter="status" value="${s}" id="f-status-${s}" />
            ${STATUS_WORDS[s]} (${report.rules.filter((r) => r.status === s).length})</label
          >`,
      )}
    </fieldset>
    <fieldset>
      <legend>category</legend>
      ${categories.map(
        (c) =>
          html`<label
            ><input type="checkbox" checked data-filter="category" value="${c}" id="f-category-${c}" />
            ${c}</label
          >`,
      )}
    </fieldset>
    <p class="muted" id="filter-count" aria-live="polite"></p>
  </form>`;
}

/** CSS rules that hide rules whose status or category is unchecked (no script needed). */
function filterCss(report: ReadinessReport): string {
  const ids = (prefix: string, values: readonly string[]): string[] =>
    values
      .filter((v) => /^[a-z-]+$/.test(v))
      .map((v) => `body:has(#f-${prefix}-${v}:not(:checked)) .rule[data-${prefix}="${v}"]{display:none}`);
  return [
    ...ids('status', [...STATUS_ORDER]),
    ...ids('category', [...new Set(report.rules.map((r) => r.category))]),
  ].join('\n');
}

function checklistHtml(report: ReadinessReport): SafeHtml {
  const manual = report.rules.filter(
    (r) => r.status === 'manual' || (r.automation === 'partial' && r.status !== 'not-applicable'),
  );
  const items = report.attestation ?? [];
  if (!manual.length && !items.length) return html``;
  return html`<section class="checklist" id="checklist">
    <h2>Attestation checklist</h2>
    <p class="muted">The harness cannot judge these; confirm each one before you submit the app.</p>
    <ul>
      ${manual.map(
        (
          r,
        ) => html`<li${r.status === 'manual' ? html` id="rule-${r.id}" data-status="manual"` : ''} class="attest"><label><input type="checkbox"> <strong>${r.id}</strong> ${r.title}${r.automation === 'partial' ? html` <span class="muted">(the part the harness cannot check)</span>` : ''}</label>
<div class="attest-body"><p>${r.requirement}</p>${r.howChecked ? html`<p class="muted">${r.howChecked}</p>` : ''}${r.docs.length ? html`<p>${r.docs.map((d, i) => html`${i ? ', ' : ''}${docLink(d)}`)}</p>` : ''}</div></li>`,
      )}
      ${items.map(
        (a) =>
          html`<li class="attest" id="attest-${a.id}">
            <label><input type="checkbox" /> <strong>${a.id}</strong> ${a.title}</label>
            <div class="attest-body">
              <p>${a.requirement}</p>
              ${a.docs.length ? html`<p>${a.docs.map((d, i) => html`${i ? ', ' : ''}${docLink(d)}`)}</p>` : ''}
            </div>
          </li>`,
      )}
    </ul>
  </section>`;
}

const CSS = `
:root{--fail:#b42318;--error:#9a3412;--warn:#a16207;--pass:#15803d;--muted:#5b6472;--bg:#fff;--line:#d9dee5;--soft:#f5f7fa;--mark:#fde68a}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1c2330;background:var(--bg)}
main{max-width:1120px;margin:0 auto;padding:24px}
h1{margin:0 0 4px;font-size:28px}h2{margin:32px 0 12px;font-size:20px}h3{margin:0;font-size:16px}
a{color:#1d4ed8}
.muted,.from{color:var(--muted)}
.verdict{border-radius:8px;padding:20px 24px;border:2px solid var(--line)}
.verdict.v-ready{border-color:var(--pass);background:#f0fdf4}.verdict.v-not-ready{border-color:var(--fail);background:#fef2f2}.verdict.v-incomplete{border-color:var(--error);background:#fff7ed}
.verdict .word{font-weight:700;text-transform:uppercase;letter-spacing:.04em}
.v-ready .word{color:var(--pass)}.v-not-ready .word{color:var(--fail)}.v-incomplete .word{color:var(--error)}
.counts{display:flex;flex-wrap:wrap;gap:8px 20px;margin:12px 0 0;padding:0;list-style:none}
.counts b{font-size:18px}
.meta{margin-top:8px;color:var(--muted);font-size:13px}
.run-errors{border-left:4px solid var(--error);background:#fff7ed;padding:8px 16px;margin-top:16px}
table.categories{border-collapse:collapse;width:100%;font-size:14px}
table.categories th,table.categories td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:right}
table.categories th[scope=row],table.categories thead th:first-child{text-align:left}
td.zero{color:#b8bec7}td.n.s-fail{color:var(--fail);font-weight:700}td.n.s-error{color:var(--error);font-weight:700}td.n.s-warn{color:var(--warn);font-weight:700}td.n.s-pass{color:var(--pass)}
.filters{display:flex;flex-wrap:wrap;gap:8px 24px;margin:16px 0}
.filters fieldset{border:1px solid var(--line);border-radius:6px;padding:4px 12px}
.filters label{margin-right:12px;white-space:nowrap;font-size:14px}
.rule{border:1px solid var(--line);border-left:6px solid var(--line);border-radius:6px;padding:12px 16px;margin:10px 0;background:#fff}
.rule.s-fail{border-left-color:var(--fail)}.rule.s-error{border-left-color:var(--error)}.rule.s-warn{border-left-color:var(--warn)}.rule.s-pass{border-left-color:var(--pass)}
.rule-title{font-weight:600;margin-top:2px}
.reason{margin:4px 0}
.anchor{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;text-decoration:none}
.badge{display:inline-block;border-radius:4px;padding:0 6px;font-size:12px;font-weight:700;text-transform:uppercase;border:1px solid currentColor}
.badge.s-fail{color:var(--fail)}.badge.s-error{color:var(--error)}.badge.s-warn{color:var(--warn)}.badge.s-pass{color:var(--pass)}.badge.s-not-run,.badge.s-not-applicable,.badge.s-manual{color:var(--muted)}
.sev{font-size:12px;color:var(--muted);border:1px dashed var(--line);border-radius:4px;padding:0 6px}.sev-blocking{color:#1c2330}
.baselined{font-size:12px;background:var(--soft);border-radius:4px;padding:0 6px}
details>summary{cursor:pointer;color:var(--muted)}
ul.checks{list-style:none;padding:0;margin:8px 0}
.check{border-top:1px solid var(--line);padding:8px 0}
.check-title{font-weight:600}.check-message{margin:2px 0}.check-test{font-size:12px;color:var(--muted)}
.evidence{margin:8px 0 4px;padding:8px 12px;background:var(--soft);border-radius:6px}
.ev-label{font-size:13px;font-weight:600}
pre{white-space:pre-wrap;word-break:break-all;margin:4px 0;font:12.5px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#fff;border:1px solid var(--line);border-radius:4px;padding:6px 8px;max-height:28em;overflow:auto}
.token-parts{display:grid;grid-template-columns:1fr 2fr;gap:8px}
.token-label{font-size:12px;color:var(--muted)}
mark.tampered{background:var(--mark);outline:1px solid #d97706}
figure.screenshot{margin:8px 0}figure.screenshot img{max-width:100%;border:1px solid var(--line);border-radius:4px}
.checklist ul{list-style:none;padding:0}.attest{border-top:1px solid var(--line);padding:8px 0}.attest-body{margin-left:24px}.attest-body p{margin:2px 0}
footer{margin:32px 0 8px;color:var(--muted);font-size:12px}
@media (max-width:760px){.token-parts{grid-template-columns:1fr}}
@media print{
  .filters,#expand{display:none!important}
  .rule{display:block!important;break-inside:avoid-page}
  details>*{display:block!important}
  details::details-content{content-visibility:visible!important;display:block!important;height:auto!important}
  details>summary{display:none!important}
  pre{max-height:none;overflow:visible}
  body{font-size:12px}main{max-width:none;padding:0}
}
`;

const SCRIPT = `
(function(){
  var boxes=[].slice.call(document.querySelectorAll('#filters input[type=checkbox]'));
  var rules=[].slice.call(document.querySelectorAll('#rules .rule'));
  var out=document.getElementById('filter-count');
  function update(){
    var shown=rules.filter(function(r){return r.offsetParent!==null||getComputedStyle(r).display!=='none';}).length;
    if(out)out.textContent=shown+' of '+rules.length+' rules shown';
  }
  boxes.forEach(function(b){b.addEventListener('change',update);});
  update();
  var expand=document.getElementById('expand');
  if(expand){expand.hidden=false;expand.addEventListener('click',function(){
    var all=[].slice.call(document.querySelectorAll('details'));
    var open=all.some(function(d){return !d.open;});
    all.forEach(function(d){d.open=open;});
    expand.textContent=open?'collapse all':'expand all';
  });}
  window.addEventListener('beforeprint',function(){[].forEach.call(document.querySelectorAll('details'),function(d){d.open=true;});});
})();
`;

export function renderHtml(report: ReadinessReport, options: RenderHtmlOptions = {}): string {
  const s = report.summary;
  const listed = sortRules(report.rules.filter((r) => r.status !== 'manual'));
  const app = report.app;
  const body = html`<main>
    <header class="verdict v-${report.verdict}" id="verdict">
      <div class="muted">so-preflight readiness report for</div>
      <h1>${app.name}</h1>
      <p class="verdict-line">
        <span class="word">${VERDICT_WORDS[report.verdict]}</span>:
        <span class="verdict-reason">${report.verdictReason}</span>
      </p>
      <ul class="counts">
        <li><b>${s.failed}</b> failed${s.baselined ? html` (${s.baselined} accepted by baseline)` : ''}</li>
        <li><b>${s.errors}</b> errors</li>
        <li><b>${s.warnings}</b> warnings</li>
        <li><b>${s.passed}</b> passed</li>
        <li><b>${s.notRun}</b> not run</li>
        <li><b>${s.manual}</b> manual</li>
        <li><b>${s.notApplicable}</b> not applicable</li>
      </ul>
      <div class="meta">
        ${app.certification} ${app.type} app at ${app.baseURL} · environment ${app.environment} · tenant
        ${app.tenant} · started ${report.startedAt} · ${(report.durationMs / 1000).toFixed(1)} s ·
        so-preflight
        ${report.tool.version}${report.tool.browser ? html` · browser: ${report.tool.browser}` : ''}${report.selectedRules ? html` · rules selected: ${report.selectedRules.join(', ')}` : ''}${report.shuffleSeed ? html` · order: shuffled, seed ${report.shuffleSeed}` : ''}
      </div>
      ${
        report.runErrors.length
          ? html`<div class="run-errors" id="run-errors">
              <strong>The run itself had errors:</strong>
              <ul>
                ${report.runErrors.map((e) => html`<li>${e}</li>`)}
              </ul>
            </div>`
          : ''
      }
      ${report.staleBaseline?.length ? html`<div class="run-errors" id="stale-baseline"><strong>Stale baseline:</strong> these entries no longer fail; remove them from the baseline file: ${report.staleBaseline.map((id, i) => html`${i ? ', ' : ''}<a href="#rule-${id}">${id}</a>`)}</div>` : ''}
    </header>
    <section id="categories">
      <h2>Categories</h2>
      ${categoriesHtml(report)}
    </section>
    <section id="rules">
      <h2>Rules</h2>
      ${filtersHtml(report)}
      <button type="button" id="expand" hidden>expand all</button>
      ${listed.map((r) => ruleHtml(r, options))}
    </section>
    ${checklistHtml(report)}
    <footer>
      Generated by so-preflight ${report.tool.version}. Secrets are redacted in every file of this report.
      This page loads nothing from the network.
    </footer>
  </main>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'; base-uri 'none'; form-action 'none'">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(`${VERDICT_WORDS[report.verdict]}: ${app.name} (so-preflight)`)}</title>
<style>${CSS}
${filterCss(report)}</style>
</head>
<body>
${body.value}
<script>${SCRIPT}</script>
</body>
</html>
`;
}
