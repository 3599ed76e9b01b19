/**
 * Writes to `Contact`, `Person` and `Document`: `POST v1/{Entity}`, `PUT`/`PATCH v1/{Entity}/{id}` (a JSON
 * object, or a JSON Patch array of `replace`/`add` operations) and `DELETE v1/{Entity}/{id}`.
 *
 * Writes are answered as NetServer answers them and recorded, but not applied: every check of a
 * run reads the same seeded tenant. What matters for the rules is what the app sent, and the
 * emulator notes the writes no app may make: renaming or deleting the owner company (the licence
 * check fails and every user is locked out) and moving or deleting a person who is an associate.
 */
import type { Reply } from './context.ts';
import { err } from './context.ts';
import type { TenantData } from './data.ts';
import { safeJson } from '../http.ts';

/** The owner company is the first contact of the seeded tenant (see data.ts). */
export const OWNER_CONTACT_ID = 1;

export const WRITE_NOTES = {
  ownerRenamed: 'owner company renamed',
  ownerDeleted: 'owner company deleted',
  associateMoved: 'associate person moved to another company',
  associateDeleted: 'associate person deleted',
} as const;

const FIRST_CREATED_ID = 100_000;
let nextId = FIRST_CREATED_ID;

/** The consent purposes and legal bases the consent API takes (`PUT Person/{id}/Consent/{purpose}`). */
const PURPOSES = ['STORE', 'EMARKETING'];
const LEGAL_BASES = ['61A', '61B', '61C', '61D', '61E', '61F', 'WITHDRAWN'];

/**
 * `PUT v1/Person/{id}/Consent/{purpose}?source=&legalBase=&comment=`: sets a consent on a seeded
 * person or one created in this run; answered 204 and recorded, not applied.
 */
export function setConsent(
  id: string,
  purpose: string,
  q: URLSearchParams,
  data: TenantData,
  sourceKeys: readonly string[],
): Reply {
  const n = Number(id);
  if (!/^\d{1,9}$/.test(id)) return err(400, `Invalid id: ${id}`, 'BadRequest');
  if (!data.persons.some((p) => p.PersonId === n) && !(n >= FIRST_CREATED_ID && n < nextId))
    return err(404, `Person ${n} not found`, 'NotFound');
  if (!PURPOSES.includes(purpose.toUpperCase()))
    return err(400, `Unknown consent purpose ${purpose}; use one of ${PURPOSES.join(', ')}`, 'BadRequest');
  const source = (q.get('source') ?? '').toUpperCase();
  if (!sourceKeys.includes(source))
    return err(400, `source must be a consent source key (${sourceKeys.join(', ')})`, 'BadRequest');
  const legal = (q.get('legalBase') ?? '').toUpperCase();
  if (!LEGAL_BASES.includes(legal))
    return err(400, `legalBase must be a legal base key (${LEGAL_BASES.join(', ')})`, 'BadRequest');
  return { status: 204 };
}

/** The fields a write sets: a JSON object's members, or the values of a JSON Patch's operations. */
export function writtenFields(body: unknown): Map<string, unknown> | undefined {
  const out = new Map<string, unknown>();
  if (Array.isArray(body)) {
    for (const op of body as Array<Record<string, unknown>>) {
      if (!op || typeof op !== 'object' || typeof op['path'] !== 'string') return undefined;
      const kind = String(op['op'] ?? '').toLowerCase();
      if (kind !== 'replace' && kind !== 'add') continue;
      const path = op['path'].replace(/^\//, '').split('/');
      out.set(
        path[0]!.toLowerCase(),
        path.length > 1 ? { [path.slice(1).join('/')]: op['value'] } : op['value'],
      );
    }
    return out;
  }
  if (body && typeof body === 'object') {
    for (const [k, v] of Object.entries(body)) out.set(k.toLowerCase(), v);
    return out;
  }
  return undefined;
}

/** The contact id a person write points at (`ContactId`, `Contact.ContactId`, `/Contact/ContactId`). */
function contactIdOf(fields: Map<string, unknown>): number | undefined {
  const direct = fields.get('contactid');
  if (direct !== undefined) return Number(direct);
  const nested = fields.get('contact');
  if (nested && typeof nested === 'object') {
    const c = Object.entries(nested).find(([k]) => k.toLowerCase() === 'contactid');
    if (c) return Number(c[1]);
  }
  return undefined;
}

export function writeEntity(
  method: string,
  entity: 'contact' | 'person' | 'document',
  id: string | undefined,
  body: Buffer,
  data: TenantData,
  notes: string[],
): Reply {
  const name = entity === 'contact' ? 'Contact' : entity === 'person' ? 'Person' : 'Document';
  const idKey = `${name}Id`;
  if (method === 'POST') {
    if (id !== undefined) return err(405, 'Method not allowed', 'MethodNotAllowed');
    const parsed = safeJson(body.toString('utf8'));
    if (!parsed.ok || !parsed.value || typeof parsed.value !== 'object' || Array.isArray(parsed.value))
      return err(400, `The request body is not a ${name} entity`, 'BadRequest');
    return { status: 201, body: { ...(parsed.value as object), [idKey]: nextId++ } };
  }
  if (id === undefined || !/^\d{1,9}$/.test(id)) return err(400, `Invalid id: ${id ?? ''}`, 'BadRequest');
  const n = Number(id);
  const exists =
    entity === 'contact'
      ? data.contacts.some((c) => c.ContactId === n)
      : entity === 'person'
        ? data.persons.some((p) => p.PersonId === n)
        : data.documents.some((d) => d.DocumentId === n);
  if (!exists) return err(404, `${name} ${n} not found`, 'NotFound');
  const associate = entity === 'person' && data.associates.some((a) => a.PersonId === n);
  if (method === 'DELETE') {
    if (entity === 'contact' && n === OWNER_CONTACT_ID) notes.push(WRITE_NOTES.ownerDeleted);
    if (associate) notes.push(WRITE_NOTES.associateDeleted);
    return { status: 204 };
  }
  const parsed = safeJson(body.toString('utf8'));
  const fields = parsed.ok ? writtenFields(parsed.value) : undefined;
  if (!fields) return err(400, `The request body is not a ${name} update`, 'BadRequest');
  if (entity === 'contact' && n === OWNER_CONTACT_ID && fields.has('name')) {
    const current = data.contacts.find((c) => c.ContactId === n)!.Name;
    if (String(fields.get('name')) !== current) notes.push(WRITE_NOTES.ownerRenamed);
  }
  if (associate) {
    const to = contactIdOf(fields);
    const current = data.persons.find((p) => p.PersonId === n)!.ContactId;
    if (to !== undefined && to !== current) notes.push(WRITE_NOTES.associateMoved);
  }
  return { status: 200, body: { [idKey]: n, ...Object.fromEntries(fields) } };
}
