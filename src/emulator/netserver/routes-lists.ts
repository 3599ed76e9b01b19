/** `List/{name}/Items[/{id}]` and `MDOList/{name}`: the seeded lists (categories, businesses, ...). */
import type { Reply } from './context.ts';
import { err } from './context.ts';
import type { TenantData } from './data.ts';
import { safeJson } from '../http.ts';

/** `List/{b}/Items` and `List/{b}/Items/{d}`. */
export function listItems(data: TenantData, b: string, d: string | undefined): Reply {
  const items = data.lists[b.toLowerCase()];
  if (!items) return err(404, `List ${b} not found`, 'NotFound');
  if (d !== undefined) {
    const it = items.find((i) => String(i.Id) === d);
    return it ? { status: 200, body: it } : err(404, `List item ${d} not found`, 'NotFound');
  }
  return { status: 200, body: items };
}

let nextListItemId = 1_000;

/**
 * `POST List/{b}/Items`: a new list item, answered as NetServer answers it and recorded, not
 * applied (like entity writes).
 */
export function createListItem(data: TenantData, b: string, body: Buffer): Reply {
  if (!data.lists[b.toLowerCase()]) return err(404, `List ${b} not found`, 'NotFound');
  const parsed = safeJson(body.toString('utf8'));
  const item = parsed.ok ? parsed.value : undefined;
  if (
    !item ||
    typeof item !== 'object' ||
    Array.isArray(item) ||
    typeof (item as { Name?: unknown }).Name !== 'string'
  )
    return err(400, 'The request body is not a list item with a Name', 'BadRequest');
  return {
    status: 201,
    body: { Tooltip: '', Deleted: false, Rank: 0, ...(item as object), Id: nextListItemId++ },
  };
}

/** `MDOList/{b}`. */
export function mdoList(data: TenantData, b: string): Reply {
  const items = data.lists[b.toLowerCase()];
  if (!items) return err(404, `MDO list ${b} not found`, 'NotFound');
  return {
    status: 200,
    body: items.map((i) => ({
      ...i,
      Type: b,
      ColorBlock: 0,
      IconHint: '',
      Selected: false,
      LastChanged: '2026-01-01T00:00:00',
      ChildItems: [],
      ExtraInfo: '',
      StyleHint: '',
      FullName: i.Name,
    })),
  };
}
