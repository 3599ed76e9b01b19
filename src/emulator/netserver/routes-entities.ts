/**
 * Entities by id (`Contact/{id}`, `Person/{id}`, `Document/{id}`) and the empty entity of
 * `{Entity}/default`.
 */
import type { Reply } from './context.ts';
import { err } from './context.ts';
import type { TenantData } from './data.ts';

/** `Contact/{id}` and `Person/{id}`. */
export function entityById(entity: 'contact' | 'person', b: string, data: TenantData): Reply {
  if (!/^\d{1,9}$/.test(b)) return err(400, `Invalid id: ${b}`, 'BadRequest');
  const id = Number(b);
  if (entity === 'contact') {
    const x = data.contacts.find((k) => k.ContactId === id);
    return x
      ? { status: 200, body: contactEntity(x, data) }
      : err(404, `Contact ${id} not found`, 'NotFound');
  }
  const p = data.persons.find((k) => k.PersonId === id);
  return p ? { status: 200, body: personEntity(p, data) } : err(404, `Person ${id} not found`, 'NotFound');
}

function contactEntity(c: TenantData['contacts'][number], data: TenantData): Record<string, unknown> {
  const owner = data.associates.find((a) => a.AssociateId === c.AssociateId);
  return {
    ContactId: c.ContactId,
    Name: c.Name,
    Department: c.Department,
    OrgNr: c.OrgNr,
    Number1: c.Number1,
    Country: { CountryId: c.CountryId, Name: c.Country },
    Category: { Id: c.CategoryId, Value: c.Category },
    Business: { Id: c.BusinessId, Value: c.Business },
    Associate: owner ? { AssociateId: owner.AssociateId, Name: owner.Name, FullName: owner.FullName } : null,
    Emails: [{ Value: c.Email, StrippedValue: c.Email, Description: '' }],
    Phones: [{ Value: c.Phone, StrippedValue: c.Phone.replace(/\D/g, ''), Description: '' }],
    Urls: [{ Value: c.Url, StrippedValue: c.Url, Description: '' }],
    Persons: data.persons
      .filter((p) => p.ContactId === c.ContactId)
      .map((p) => ({ PersonId: p.PersonId, FullName: `${p.Firstname} ${p.Lastname}` })),
    Deleted: false,
  };
}

function personEntity(p: TenantData['persons'][number], data: TenantData): Record<string, unknown> {
  const c = data.contacts.find((k) => k.ContactId === p.ContactId);
  return {
    PersonId: p.PersonId,
    Firstname: p.Firstname,
    Lastname: p.Lastname,
    FullName: `${p.Firstname} ${p.Lastname}`,
    Title: p.Title,
    Contact: c ? { ContactId: c.ContactId, Name: c.Name } : null,
    Emails: [{ Value: p.Email, StrippedValue: p.Email, Description: '' }],
    Consents: consentsOf(p),
    Deleted: false,
  };
}

/**
 * A person's consents as `ConsentInfo`: storage (legitimate interest) for every customer, and
 * e-marketing when given (`61A`, consent) or withdrawn (`WITHDRAWN`).
 */
function consentsOf(p: TenantData['persons'][number]): Array<Record<string, unknown>> {
  if (p.ContactId === 1) return [];
  const info = (purpose: [number, string, string], base: [number, string, string]) => ({
    ConsentPersonId: p.PersonId * 10 + purpose[0],
    Comment: '',
    Registered: '2025-03-01T10:00:00',
    RegisteredAssociateId: 0,
    Updated: '2025-03-01T10:00:00',
    UpdatedAssociateId: 0,
    LegalBaseId: base[0],
    LegalBaseKey: base[1],
    LegalBaseName: base[2],
    ConsentPurposeId: purpose[0],
    ConsentPurposeKey: purpose[1],
    ConsentPurposeName: purpose[2],
    ConsentSourceId: 1,
    ConsentSourceKey: 'USER',
    ConsentSourceName: 'Manually registered',
  });
  const STORE: [number, string, string] = [1, 'STORE', 'Storage'];
  const EMARKETING: [number, string, string] = [2, 'EMARKETING', 'Email marketing'];
  const out = [info(STORE, [6, '61F', 'Legitimate interest'])];
  if (p.Emarketing === 'granted') out.push(info(EMARKETING, [1, '61A', 'Consent']));
  if (p.Emarketing === 'withdrawn') out.push(info(EMARKETING, [7, 'WITHDRAWN', 'Withdrawn']));
  return out;
}

/** `Document/{id}`: a seeded document, with who may see it (`VisibleFor`). */
export function documentById(b: string, data: TenantData): Reply {
  if (!/^\d{1,9}$/.test(b)) return err(400, `Invalid id: ${b}`, 'BadRequest');
  const d = data.documents.find((k) => k.DocumentId === Number(b));
  if (!d) return err(404, `Document ${b} not found`, 'NotFound');
  const c = data.contacts.find((k) => k.ContactId === d.ContactId);
  const a = data.associates.find((k) => k.AssociateId === d.AssociateId);
  return {
    status: 200,
    body: {
      DocumentId: d.DocumentId,
      Header: d.Header,
      Name: d.Name,
      Description: d.Description,
      OurRef: '',
      YourRef: '',
      Date: d.Date,
      Contact: c ? { ContactId: c.ContactId, Name: c.Name } : null,
      Person: null,
      Associate: a ? { AssociateId: a.AssociateId, Name: a.Name, FullName: a.FullName } : null,
      DocumentTemplate: { DocumentTemplateId: 1, Name: 'Letter' },
      VisibleFor: d.VisibleFor.map((v) => ({ ...v })),
      TableRight: null,
      FieldProperties: {},
    },
  };
}

export function defaultEntity(name: string): Record<string, unknown> {
  const n = name.charAt(0).toUpperCase() + name.slice(1).toLowerCase();
  return { [`${n}Id`]: 0, Name: '', Deleted: false, TableRight: null, FieldProperties: {} };
}
