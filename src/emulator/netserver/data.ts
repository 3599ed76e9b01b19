/** A small, realistic seeded tenant: owner company, customers, persons, associates and lists. */
import { XSS_PAYLOAD } from '../core.ts';

export interface Contact {
  ContactId: number;
  Name: string;
  Department: string;
  OrgNr: string;
  Number1: string;
  CountryId: number;
  Country: string;
  CategoryId: number;
  Category: string;
  BusinessId: number;
  Business: string;
  AssociateId: number;
  Email: string;
  Phone: string;
  Url: string;
}
/** A person's e-marketing consent: given, never given, or given and withdrawn. */
export type EmarketingConsent = 'granted' | 'none' | 'withdrawn';
export interface Person {
  PersonId: number;
  Firstname: string;
  Lastname: string;
  ContactId: number;
  Email: string;
  Title: string;
  Emarketing: EmarketingConsent;
}
export interface Associate {
  AssociateId: number;
  PersonId: number;
  ContactId: number;
  Name: string;
  FullName: string;
  UserName: string;
  IsAdministrator: boolean;
}
export interface ListItem {
  Id: number;
  Name: string;
  ToolTip: string;
  Deleted: boolean;
  Rank: number;
}
/** Who may see a record (`VisibleFor` on documents, appointments and sales). */
export interface VisibleFor {
  VisibleId: number;
  Visibility: 'All' | 'Associate' | 'Group';
  DisplayValue: string;
}
export interface Document {
  DocumentId: number;
  Header: string;
  Name: string;
  Description: string;
  ContactId: number;
  AssociateId: number;
  Date: string;
  VisibleFor: VisibleFor[];
}
export interface TenantData {
  contacts: Contact[];
  persons: Person[];
  associates: Associate[];
  documents: Document[];
  lists: Record<string, ListItem[]>;
}

const CATEGORIES = ['Customer', 'Prospect', 'Partner', 'Supplier', 'Competitor'];
const BUSINESSES = ['Consulting', 'IT', 'Manufacturing', 'Retail', 'Shipping', 'Energy'];
const COUNTRIES: [number, string][] = [
  [578, 'Norway'],
  [752, 'Sweden'],
  [208, 'Denmark'],
  [528, 'Netherlands'],
  [826, 'United Kingdom'],
];

const COMPANIES = [
  'Bergen Skipsfart AS',
  'Stavanger Energi ASA',
  'Oslo Design Studio',
  'Trondheim Teknologi AS',
  'Göteborg Logistik AB',
  'København Kaffe ApS',
  'Amsterdam Analytics BV',
  'Tromsø Fiskeri AS',
  'London Ledger Ltd',
  'Lillehammer Lodge AS',
];
/** The seeded customer companies (not the owner company, contact 1) and their contact ids. */
export const SEEDED_COMPANIES: ReadonlyArray<{ contactId: number; name: string }> = COMPANIES.map(
  (name, i) => ({ contactId: i + 2, name }),
);

/**
 * The tenant's privacy (consent) sources, with the keys the consent API takes (`source=`) and
 * `ConsentSourceKey` carries; "Other integration" (`API`) is the one apps default to.
 */
export const PRIVACY_SOURCES: ReadonlyArray<{ id: number; key: string; name: string }> = [
  { id: 1, key: 'USER', name: 'Manually registered' },
  { id: 2, key: 'WEBFORM', name: 'Form' },
  { id: 3, key: 'API', name: 'Other integration' },
];

/**
 * The documents every customer company has: one for everyone, one private to the sales user
 * (`Visibility: Associate`) and one for the Sales group (`Visibility: Group`). Copies of the last
 * two must keep their restriction (DATA-VISIBILITY-PRESERVE).
 */
export const SEEDED_DOCUMENTS: ReadonlyArray<{
  header: string;
  visibility: VisibleFor['Visibility'];
}> = [
  { header: 'Product overview 2026', visibility: 'All' },
  { header: 'Price agreement 2026', visibility: 'Associate' },
  { header: 'Account plan 2026', visibility: 'Group' },
];
/** The user group the group-restricted documents are visible to. */
export const SALES_GROUP = { id: 2, name: 'Sales' } as const;
const documentId = (contactId: number, k: number): number => contactId * 10 + k + 1;
/** The seeded documents only some users may see, for the copy checks. */
export const RESTRICTED_DOCUMENTS: ReadonlyArray<{ id: number; header: string; visibleTo: string }> =
  SEEDED_COMPANIES.flatMap((c) =>
    SEEDED_DOCUMENTS.flatMap((d, k) =>
      d.visibility === 'All'
        ? []
        : [
            {
              id: documentId(c.contactId, k),
              header: d.header,
              visibleTo:
                d.visibility === 'Associate'
                  ? 'one user (Associate)'
                  : `the ${SALES_GROUP.name} group (Group)`,
            },
          ],
    ),
  );

const FIRST = [
  'Kari',
  'Ola',
  'Ingrid',
  'Lars',
  'Sofie',
  'Erik',
  'Astrid',
  'Jonas',
  'Nora',
  'Henrik',
  'Maja',
  'Emil',
];
const LAST = [
  'Nordmann',
  'Hansen',
  'Johansen',
  'Olsen',
  'Larsen',
  'Andersen',
  'Berg',
  'Dahl',
  'Lund',
  'Haugen',
  'Bakke',
  'Strand',
];

const slug = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]+/g, '');

/**
 * Person `k` (0 or 1) of a customer company: the CEO has given e-marketing consent; the buyer
 * never has (companies with an even id) or has withdrawn it (odd id).
 */
function customerPerson(
  contactId: number,
  companyName: string,
  k: number,
): Omit<Person, 'PersonId' | 'Firstname' | 'Lastname'> & { first: string; last: string } {
  const first = FIRST[(contactId * 3 + k) % FIRST.length]!;
  const last = LAST[(contactId * 5 + k * 7) % LAST.length]!;
  return {
    first,
    last,
    ContactId: contactId,
    Email: `${slug(first)}.${slug(last)}@${slug(companyName)}.example`,
    Title: k === 0 ? 'CEO' : 'Buyer',
    Emarketing: k === 0 ? 'granted' : contactId % 2 === 0 ? 'none' : 'withdrawn',
  };
}

/** The seeded customers' persons with their e-marketing consent, for the mailing checks. */
export const MAILING_CONSENTS: ReadonlyArray<{ email: string; name: string; emarketing: EmarketingConsent }> =
  SEEDED_COMPANIES.flatMap((c) =>
    [0, 1].map((k) => {
      const p = customerPerson(c.contactId, c.name, k);
      return { email: p.Email, name: `${p.first} ${p.last}`, emarketing: p.Emarketing };
    }),
  );

/** The id of a seeded customer company's first (k = 0) or second (k = 1) person; 1-3 are the associates'. */
export function customerPersonId(contactId: number, k: number): number {
  return 4 + 2 * (contactId - 2) + k;
}

export interface SeedUsers {
  admin: { username: string; associateId: string };
  user: { username: string; associateId: string };
  multiTenant: { username: string; associateId: string };
}

export function seedTenant(ownerName: string, users: SeedUsers, xss: boolean): TenantData {
  const tag = (s: string): string => (xss ? `${s} ${XSS_PAYLOAD}` : s);
  const contacts: Contact[] = [];
  const all = [ownerName, ...COMPANIES];
  all.forEach((name, i) => {
    const [countryId, country] = COUNTRIES[i % COUNTRIES.length]!;
    contacts.push({
      ContactId: i + 1,
      Name: tag(name),
      Department: i === 0 ? 'Head office' : '',
      OrgNr: String(900000000 + i * 1234567).slice(0, 9),
      Number1: String(10000 + i),
      CountryId: countryId,
      Country: country,
      CategoryId: i === 0 ? 4 : (i % CATEGORIES.length) + 1,
      Category: i === 0 ? 'Supplier' : CATEGORIES[i % CATEGORIES.length]!,
      BusinessId: (i % BUSINESSES.length) + 1,
      Business: BUSINESSES[i % BUSINESSES.length]!,
      AssociateId: i % 2 === 0 ? 5 : 7,
      Email: `post@${slug(name)}.example`,
      Phone: `+47 ${22000000 + i * 1111}`,
      Url: `https://www.${slug(name)}.example`,
    });
  });
  const persons: Person[] = [];
  const userList = [users.admin, users.user, users.multiTenant];
  // Persons 1-3 are the associates' own person records in the owner company.
  for (const [i, u] of userList.entries()) {
    persons.push({
      PersonId: i + 1,
      Firstname: tag(['Ada', 'Ulf', 'Mira'][i]!),
      Lastname: tag(['Admin', 'User', 'Multi'][i]!),
      ContactId: 1,
      Email: u.username,
      Title: i === 1 ? 'Sales' : 'Administrator',
      Emarketing: 'none',
    });
  }
  for (const c of contacts.slice(1)) {
    for (let k = 0; k < 2; k++) {
      const { first, last, ...p } = customerPerson(c.ContactId, c.Name.replace(XSS_PAYLOAD, ''), k);
      persons.push({
        PersonId: customerPersonId(c.ContactId, k),
        Firstname: tag(first),
        Lastname: tag(last),
        ...p,
      });
    }
  }
  const associates: Associate[] = userList.map((u, i) => ({
    AssociateId: Number(u.associateId),
    PersonId: i + 1,
    ContactId: 1,
    Name: u.username.split('@')[0]!.toUpperCase().slice(0, 8),
    FullName: `${persons[i]!.Firstname} ${persons[i]!.Lastname}`,
    UserName: u.username,
    IsAdministrator: i !== 1,
  }));
  const sales = associates.find((a) => !a.IsAdministrator)!;
  const documents: Document[] = [];
  for (const c of contacts.slice(1)) {
    for (const [k, d] of SEEDED_DOCUMENTS.entries()) {
      const visibleFor: VisibleFor[] =
        d.visibility === 'Associate'
          ? [{ VisibleId: sales.AssociateId, Visibility: 'Associate', DisplayValue: sales.FullName }]
          : d.visibility === 'Group'
            ? [{ VisibleId: SALES_GROUP.id, Visibility: 'Group', DisplayValue: SALES_GROUP.name }]
            : [{ VisibleId: 0, Visibility: 'All', DisplayValue: 'All' }];
      documents.push({
        DocumentId: documentId(c.ContactId, k),
        Header: tag(d.header),
        Name: `${slug(d.header)}-${c.ContactId}.docx`,
        Description: d.visibility === 'All' ? 'For customers' : 'Internal',
        ContactId: c.ContactId,
        AssociateId: sales.AssociateId,
        Date: `2026-0${(k % 9) + 1}-15T09:00:00`,
        VisibleFor: visibleFor,
      });
    }
  }
  const list = (names: string[]): ListItem[] =>
    names.map((n, i) => ({ Id: i + 1, Name: n, ToolTip: n, Deleted: false, Rank: i + 1 }));
  return {
    contacts,
    persons,
    associates,
    documents,
    lists: {
      category: list(CATEGORIES),
      business: list(BUSINESSES),
      country: COUNTRIES.map(([id, n], i) => ({ Id: id, Name: n, ToolTip: n, Deleted: false, Rank: i + 1 })),
      associate: associates.map((a, i) => ({
        Id: a.AssociateId,
        Name: a.Name,
        ToolTip: a.FullName,
        Deleted: false,
        Rank: i + 1,
      })),
      priority: list(['Low', 'Medium', 'High']),
      saletype: list(['New business', 'Upsell', 'Renewal']),
      projecttype: list(['Internal', 'Customer']),
      consentsource: PRIVACY_SOURCES.map((p, i) => ({
        Id: p.id,
        Name: p.name,
        ToolTip: p.key,
        Deleted: false,
        Rank: i + 1,
      })),
    },
  };
}
