/** provisioning, data integrity and GDPR (PROV-*, WEBPANEL-*, DATA-*, GDPR-*, LANG-*). */
import type { Rule } from '../types.ts';
import { DOC } from '../docs.ts';
import { ALL_APPS, BLOCKING_BOTH, STANDARD_ONLY } from './common.ts';

export const PROVISIONING_RULES: readonly Rule[] = [
  {
    id: 'PROV-AUTOMATIC',
    title: 'Everything the app needs is provisioned automatically',
    requirement:
      'Installation programmatically creates everything the app needs (web panels, user-defined fields, lists, buttons); administrators do not configure elements by hand afterwards.',
    category: 'provisioning',
    // "S (checklist); ADV for C": blocking for standard apps, advisory for custom apps.
    severity: { standard: 'blocking', custom: 'advisory' },
    appTypes: ALL_APPS,
    automation: 'partial',
    check:
      "After an administrator has signed in and opened the app's install URL (`app.provisioning.install`; without it the sign-in is the install), every web panel named in `app.provisioning.webPanels` must have been created by the app itself (List agent `SaveWebPanel`), with no further action. Other kinds of metadata (user-defined fields, lists, buttons) are an attestation.",
    remediation:
      'Run provisioning right after the first successful consent callback: create web panels, UDFs, lists and buttons through the API with the system user, and make it idempotent (look items up by ProgId or name before creating). Report provisioning failures to the admin instead of leaving a half-configured tenant.',
    docs: [DOC.stdChecklist, DOC.provisioning, DOC.technical],
  },
  {
    id: 'PROV-LIST',
    title: 'List of provisioned elements supplied',
    requirement: 'SuperOffice receives a list of everything the app provisions for each customer.',
    category: 'provisioning',
    severity: STANDARD_ONLY,
    appTypes: ALL_APPS,
    automation: 'manual',
    check:
      'Attestation: the partner supplies the list of provisioned elements to SuperOffice. The tenant metadata diff from PROV-AUTOMATIC can be attached as evidence.',
    remediation:
      'Document every element your installer creates (type, name, ProgId, where it appears) and keep the list next to your release notes. Use the metadata diff in this report to verify the list is complete.',
    docs: [DOC.technical],
  },
  {
    id: 'PROV-UNINSTALL',
    title: 'Complete uninstall available',
    requirement:
      'A complete uninstall removes all SuperOffice-side configuration (UDFs, web panels, buttons, preferences), and customers can trigger it.',
    category: 'provisioning',
    severity: STANDARD_ONLY,
    appTypes: ALL_APPS,
    automation: 'partial',
    check:
      "Opens the app's uninstall page (`app.provisioning.uninstall`, pressing its button) as an administrator; none of the web panels the app created in the run may be left in the emulated tenant. Other kinds of metadata are an attestation.",
    remediation:
      'Implement the uninstall URL declared in the Developer Portal so it deletes every web panel, UDF, list item, button and preference your installer created (found by ProgId), then forgets the tenant. Make it safe to run twice.',
    docs: [DOC.technical, DOC.redirects],
  },
  {
    id: 'WEBPANEL-URL-VARS',
    title: 'Web-panel URLs use uctx and usid, never usec',
    requirement: 'Web-panel URLs include `<uctx>` and `<usid>` and never `<usec>`.',
    category: 'provisioning',
    severity: BLOCKING_BOTH,
    appTypes: ALL_APPS,
    automation: 'automated',
    check:
      'Inspects the `Url` of every web panel the app saves through the List agent: it must carry `<uctx>` and `<usid>`, and never `<usec>`.',
    remediation:
      'Define panel URLs like `https://app.example.com/panel?ctx=<uctx>&usid=<usid>` and authenticate the user through SuperID rather than passing a ticket. Update existing panels that still carry `<usec>`.',
    docs: [DOC.stdChecklist, DOC.customChecklist],
  },
  {
    id: 'WEBPANEL-VISIBILITY',
    title: 'Web panels visible to all user groups',
    requirement: 'Provisioned web panels are visible to all user groups by default (visibility "Everyone").',
    category: 'provisioning',
    severity: STANDARD_ONLY,
    appTypes: ALL_APPS,
    // Partial: user-group visibility is set through List-agent calls whose exact methods are
    // unconfirmed (an open question in SuperOffice's documentation).
    automation: 'partial',
    check:
      "Records the List agent's list-item user-group calls the app makes after creating a panel and fails if a created panel ends up with no or partial user-group visibility. The exact agent methods are unconfirmed, so a clean result is confirmed by attestation.",
    remediation:
      "After creating each web panel, assign it to all user groups through the List agent's user-group/heading calls (SuperOffice's `WebPanelHelper` sample shows how). Let administrators narrow visibility later rather than starting hidden.",
    docs: [DOC.stdChecklist, DOC.provisioning, DOC.bestPractices],
  },
  {
    id: 'WEBPANEL-DESCRIPTION',
    title: 'Provisioned items name the app or vendor',
    requirement:
      'Web-panel descriptions contain the app name and/or vendor name, and description fields of other provisioned items let admins tell which app they belong to.',
    category: 'provisioning',
    severity: STANDARD_ONLY,
    appTypes: ALL_APPS,
    automation: 'partial',
    check:
      'Checks that each web panel the app saves names the app (`app.name`) or its vendor (`app.vendor`) in its `Name`, `Tooltip` or `Description`. Other provisioned list items are an attestation.',
    remediation:
      "Put your app or company name in each web panel's Name or Tooltip and in the description of every UDF and list item you create (e.g. 'Acme Sync: invoice status'). Set a `ProgId` so your app can find and remove its own items.",
    docs: [DOC.stdChecklist, DOC.bestPractices],
  },
  {
    id: 'DATA-OWNER-COMPANY',
    title: 'Owner company never renamed',
    requirement:
      'The owner company (the contact whose `contact_id` is in the Company table) is never renamed; renaming it breaks the licence check and locks all users out.',
    category: 'provisioning',
    severity: BLOCKING_BOTH,
    appTypes: ALL_APPS,
    automation: 'automated',
    check: 'The emulator marks the owner contact; any update that changes its `Name` is a hard fail.',
    remediation:
      "Look up the owner company (e.g. the current principal's own contact) and exclude it from every sync or update that writes `Name`. Add a guard in your contact-update code path that refuses to rename that contact.",
    docs: [DOC.stdChecklist, DOC.customChecklist],
  },
  {
    id: 'DATA-ASSOCIATE-PERSON',
    title: "Associate persons' company never changed",
    requirement:
      "For persons that are associates (have an associate row), the person's company (`person.contact_id`) is never changed.",
    category: 'provisioning',
    severity: BLOCKING_BOTH,
    appTypes: ALL_APPS,
    automation: 'automated',
    check:
      "While the app's journeys run, the emulator notes every update that moves an associate's person to another company (`Contact`/`ContactId`) and every delete of one; a noted write fails. A journey that updates no person leaves the rule not run.",
    remediation:
      'Before moving a person to another company, check whether the person is an associate (has an associate/user record) and skip or reject the move. Keep this guard in sync logic that maps external records onto SuperOffice persons.',
    docs: [DOC.stdChecklist, DOC.customChecklist],
  },
  {
    id: 'DATA-VISIBILITY-PRESERVE',
    title: 'Visibility restrictions preserved when copying',
    requirement:
      'Copied data keeps its visibility restrictions; for example, copies of private documents stay private.',
    category: 'provisioning',
    severity: STANDARD_ONLY,
    appTypes: ALL_APPS,
    automation: 'partial',
    check:
      "Seeds every company with a private document (`VisibleFor` one associate) and a group document; when a journey copies one (`POST v1/Document` whose `Header` contains the original's) the copy must keep an Associate or Group `VisibleFor`, and no update may make such a document public. Copies of appointments and sales, and apps whose journeys copy no document, are attested.",
    remediation:
      'When copying documents, appointments or sales, copy their visibility fields (`Visibility`, `VisibleFor`, associate/group restrictions) along with the content. Never create a copy with default (public) visibility from a restricted source.',
    docs: [DOC.stdChecklist],
  },
  {
    id: 'GDPR-PERSON-SOURCE',
    title: 'Privacy source set on created persons',
    requirement:
      'When creating persons, the customer can choose a Privacy Source from their list, defaulting to "Other integration" with key `API`, never unknown.',
    category: 'provisioning',
    severity: STANDARD_ONLY,
    appTypes: ALL_APPS,
    automation: 'partial',
    check:
      "Every person the app creates in the partner's journeys must get a privacy source from the tenant's list, in the new person's `Consents` (`ConsentSourceKey`/`ConsentSourceId`) or by `PUT v1/Person/{id}/Consent/{purpose}?source=`; none fails, a source outside the list fails, another listed source than `API` warns. The customer-selectable setting is an attestation.",
    remediation:
      'Set the consent source of every person you create to the tenant\'s "Other integration" source (key `API`) unless the customer has chosen another one in your settings. Offer that choice in your app configuration, populated from the tenant\'s source list.',
    docs: [DOC.stdChecklist],
  },
  {
    id: 'GDPR-EMARKETING',
    title: 'E-marketing consent checked before mailings',
    requirement: "A person's e-marketing consent is checked before sending them e-marketing mailings.",
    category: 'provisioning',
    severity: STANDARD_ONLY,
    appTypes: ALL_APPS,
    automation: 'partial',
    check:
      'Seeds each customer company with a person who gave e-marketing consent and one who never did or withdrew it; a journey marked `{ mailing: true }` sends a mailing, and every message the app hands the mail sink (`${mail.url}`, an HTTP mail API) meanwhile must be addressed only to persons with an EMARKETING consent. Apps without mailing features, or that mail only through SMTP, attest it.',
    remediation:
      "Read the person's consent information for the e-marketing purpose before adding them to a mailing or sending to them, and exclude persons without active consent. Re-check at send time, not only when the list is built.",
    docs: [DOC.stdChecklist],
  },
  {
    id: 'LANG-MULTILINGUAL-LISTS',
    title: 'Multi-language list items use the language syntax',
    requirement: 'Multi-language list items use the `NO:"Bil";US:"Car"` format.',
    category: 'provisioning',
    severity: STANDARD_ONLY,
    appTypes: ALL_APPS,
    automation: 'automated',
    check:
      'Reads the name of every list item the app writes (`POST v1/List/{list}/Items`, `PUT` on an item, the List agent\'s `SaveListItemEntity`) at install and in the journeys: a plain or malformed name fails, a single language warns, two or more (`NO:"Bil";US:"Car"`) pass.',
    remediation:
      'Name list items you provision with one entry per language, e.g. `US:"Car";NO:"Bil";SE:"Bil"`, so each user sees their own language. Include at least English (`US`/`GB`) alongside the Scandinavian languages.',
    docs: [DOC.stdChecklist, DOC.localization],
  },
];
