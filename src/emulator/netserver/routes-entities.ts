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
    Deleted: false,
  };
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
