/**
 * Searches with OData (`$select`, `$filter`, `$top`, `$skip`, `$orderby`): the `Contact`,
 * `Person` and `Document` collections and `archive/{provider}`, over rows built from the seeded
 * tenant.
 */
import type { Reply } from './context.ts';
import { err } from './context.ts';
import type { TenantData } from './data.ts';
import { ODataError, runQuery } from './odata.ts';

/** `Contact`, `Person` and `Document` (the collections). */
export function collectionSearch(
  origin: string,
  entity: 'contact' | 'person' | 'document',
  data: TenantData,
  q: URLSearchParams,
): Reply {
  const rows =
    entity === 'contact' ? contactRows(data) : entity === 'person' ? personRows(data) : documentRows(data);
  return search(origin, entity, rows, q);
}

/** Documents as the collection lists them: `visibleFor` is the visibility's display text. */
function documentRows(data: TenantData): Record<string, unknown>[] {
  return data.documents.map((d) => ({
    PrimaryKey: String(d.DocumentId),
    EntityName: 'document',
    documentId: d.DocumentId,
    name: d.Header,
    fileName: d.Name,
    description: d.Description,
    contactId: d.ContactId,
    associateId: d.AssociateId,
    date: d.Date,
    visibleFor: d.VisibleFor.map((v) => v.DisplayValue).join(', '),
  }));
}

/** `archive/{provider}`: associates, persons or (any other provider) contacts. */
export function archiveSearch(origin: string, provider: string, data: TenantData, q: URLSearchParams): Reply {
  const P = provider.toLowerCase();
  const rows = /user|associate/.test(P)
    ? associateRows(data)
    : /person/.test(P)
      ? personRows(data)
      : contactRows(data);
  return search(origin, provider, rows, q);
}

/** Runs an OData query over rows and answers as NetServer's archive does. */
export function search(
  origin: string,
  entity: string,
  rows: Record<string, unknown>[],
  q: URLSearchParams,
): Reply {
  try {
    const r = runQuery(rows, q);
    return {
      status: 200,
      body: {
        'odata.metadata': `${origin}/api/v1/archive/$metadata`,
        'odata.nextLink': r.nextSkip !== undefined ? `?$skip=${r.nextSkip}` : null,
        value: r.rows,
      },
    };
  } catch (e) {
    if (e instanceof ODataError)
      return err(400, `Malformed OData query for ${entity}: ${e.message}`, 'BadRequest');
    throw e;
  }
}

function contactRows(data: TenantData): Record<string, unknown>[] {
  return data.contacts.map((c) => ({
    PrimaryKey: String(c.ContactId),
    EntityName: 'contact',
    contactId: c.ContactId,
    name: c.Name,
    department: c.Department,
    orgNr: c.OrgNr,
    number1: c.Number1,
    category: c.Category,
    business: c.Business,
    country: c.Country,
    associateId: c.AssociateId,
    email: c.Email,
  }));
}
function personRows(data: TenantData): Record<string, unknown>[] {
  return data.persons.map((p) => ({
    PrimaryKey: String(p.PersonId),
    EntityName: 'person',
    personId: p.PersonId,
    firstName: p.Firstname,
    lastName: p.Lastname,
    fullName: `${p.Firstname} ${p.Lastname}`,
    contactId: p.ContactId,
    email: p.Email,
    title: p.Title,
  }));
}
function associateRows(data: TenantData): Record<string, unknown>[] {
  return data.associates.map((a) => ({
    PrimaryKey: String(a.AssociateId),
    EntityName: 'associate',
    associateDbId: a.AssociateId,
    associateId: a.AssociateId,
    personId: a.PersonId,
    contactId: a.ContactId,
    name: a.Name,
    fullName: a.FullName,
    userName: a.UserName,
  }));
}
