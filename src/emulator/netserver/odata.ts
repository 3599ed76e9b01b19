/**
 * The OData subset NetServer archive searches need: `$select`, `$filter` (clauses joined by
 * `and`; `eq`, `ne`, `gt`, `lt`, `ge`, `le`, `begins`, `contains`, `startswith(field,'v')`, `contains(field,'v')`),
 * `$top`, `$skip`, `$orderby`. Anything else is a 400.
 */
export class ODataError extends Error {
  readonly code = 'ODATA_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'ODataError';
  }
}

type Row = Record<string, unknown>;
interface Clause {
  field: string;
  op: 'eq' | 'ne' | 'begins' | 'contains' | 'gt' | 'lt' | 'ge' | 'le';
  value: string | number | boolean;
}

function literal(raw: string): string | number | boolean {
  const t = raw.trim();
  if (/^'(?:[^']|'')*'$/.test(t)) return t.slice(1, -1).replace(/''/g, "'");
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  if (/^(true|false)$/i.test(t)) return t.toLowerCase() === 'true';
  throw new ODataError(`invalid literal: ${t.slice(0, 40)}`);
}

export function parseFilter(filter: string): Clause[] {
  if (filter.length > 2000) throw new ODataError('$filter too long');
  const parts = filter.split(/\s+and\s+/i);
  return parts.map((p) => {
    const s = p.trim();
    let m = /^(startswith|contains|begins)\(\s*([A-Za-z_][\w.]*)\s*,\s*('(?:[^']|'')*')\s*\)$/i.exec(s);
    if (m)
      return {
        field: m[2]!,
        op: m[1]!.toLowerCase() === 'contains' ? 'contains' : 'begins',
        value: literal(m[3]!),
      };
    m = /^([A-Za-z_][\w.]*)\s+(eq|ne|begins|contains|gt|lt|ge|le|=)\s+(.+)$/i.exec(s);
    if (!m) throw new ODataError(`cannot parse $filter clause: ${s.slice(0, 60)}`);
    const op = m[2]!.toLowerCase();
    return { field: m[1]!, op: (op === '=' ? 'eq' : op) as Clause['op'], value: literal(m[3]!) };
  });
}

function get(row: Row, field: string): unknown {
  const key = Object.keys(row).find((k) => k.toLowerCase() === field.toLowerCase());
  return key === undefined ? undefined : row[key];
}

/**
 * How a row's value compares with a literal: as numbers when both are numbers, otherwise as text
 * (ISO dates and times order correctly as text); NaN when there is no value to compare.
 */
function order(v: unknown, literal: string | number | boolean): number {
  if (v === undefined || v === null || v === '') return NaN;
  if (typeof literal === 'number') return Number(v) - literal;
  const a = String(v);
  const b = String(literal);
  return a < b ? -1 : a > b ? 1 : 0;
}

function matches(row: Row, c: Clause): boolean {
  const v = get(row, c.field);
  const sv = String(v ?? '').toLowerCase();
  const cv = String(c.value).toLowerCase();
  switch (c.op) {
    case 'eq':
      return sv === cv;
    case 'ne':
      return sv !== cv;
    case 'begins':
      return sv.startsWith(cv);
    case 'contains':
      return sv.includes(cv);
    case 'gt':
      return order(v, c.value) > 0;
    case 'lt':
      return order(v, c.value) < 0;
    case 'ge':
      return order(v, c.value) >= 0;
    case 'le':
      return order(v, c.value) <= 0;
  }
}

function nonNegInt(name: string, v: string | null, dflt: number): number {
  if (v === null || v === '') return dflt;
  if (!/^\d{1,6}$/.test(v)) throw new ODataError(`${name} must be a non-negative integer`);
  return Number(v);
}

export interface QueryResult {
  rows: Row[];
  nextSkip: number | undefined;
}

export function runQuery(rows: Row[], q: URLSearchParams): QueryResult {
  const known = new Set([
    '$select',
    '$filter',
    '$top',
    '$skip',
    '$orderby',
    '$entities',
    '$context',
    '$format',
    '$jsonsafe',
    '$mode',
    'flat',
    '$options',
  ]);
  for (const k of q.keys()) {
    if (k.startsWith('$') && !known.has(k.toLowerCase())) throw new ODataError(`unknown query option ${k}`);
  }
  let out = rows;
  const filter = q.get('$filter');
  if (filter !== null && filter.trim() !== '') {
    const clauses = parseFilter(filter);
    out = out.filter((r) => clauses.every((c) => matches(r, c)));
  }
  const orderby = q.get('$orderby');
  if (orderby) {
    const m = /^([A-Za-z_][\w.]*)(?:\s+(asc|desc))?$/i.exec(orderby.trim());
    if (!m) throw new ODataError('cannot parse $orderby');
    const dir = m[2]?.toLowerCase() === 'desc' ? -1 : 1;
    out = [...out].sort((a, b) => {
      const x = get(a, m[1]!);
      const y = get(b, m[1]!);
      return (
        (typeof x === 'number' && typeof y === 'number'
          ? x - y
          : String(x ?? '').localeCompare(String(y ?? ''))) * dir
      );
    });
  }
  const skip = nonNegInt('$skip', q.get('$skip'), 0);
  const top = nonNegInt('$top', q.get('$top'), 50);
  const page = out.slice(skip, skip + top);
  const select = q.get('$select');
  let projected = page;
  if (select !== null && select.trim() !== '') {
    const fields = select.split(',').map((s) => s.trim());
    if (fields.some((f) => !/^[A-Za-z_][\w.]*$/.test(f))) throw new ODataError('invalid $select');
    projected = page.map((r) => {
      const o: Row = { PrimaryKey: r['PrimaryKey'], EntityName: r['EntityName'] };
      for (const f of fields) o[f] = get(r, f) ?? null;
      return o;
    });
  }
  return { rows: projected, nextSkip: skip + top < out.length ? skip + top : undefined };
}
