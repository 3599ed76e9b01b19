/** API usage and load (API-*). */
import type { Rule } from '../types.ts';
import { DOC } from '../docs.ts';
import { ADVISORY_BOTH, ALL_APPS, BLOCKING_BOTH, SERVER_TO_SERVER, WEB_UI } from './common.ts';

export const API_RULES: readonly Rule[] = [
  {
    id: 'API-RATE-10PS',
    title: 'At most 10 API calls per second',
    requirement:
      'Custom apps make no more than 10 API calls per second; every app avoids putting so much load on a tenant that other users suffer (SuperOffice monitors throughput).',
    category: 'api',
    // "C (hard number); S (qualitative)": blocking for custom apps, a warning for standard apps.
    severity: { standard: 'advisory', custom: 'blocking' },
    appTypes: ALL_APPS,
    automation: 'automated',
    check:
      'Measures a sliding 1-second window per tenant on the emulator: above 10 requests per second fails custom apps and warns standard apps.',
    remediation:
      'Put a client-side rate limiter (token bucket, e.g. `bottleneck` in Node or `System.Threading.RateLimiting` in .NET) in front of your NetServer client, per tenant, capped below 10 requests per second. Batch work, use `$select`/`$top` to fetch more per call, and spread background jobs over time.',
    docs: [DOC.customChecklist, DOC.technical],
  },
  {
    id: 'API-SEARCH-MIN3',
    title: 'Search starts after at least 3 characters',
    requirement:
      'Searches for contacts, persons, email addresses, selections and the like start only after at least 3 typed characters.',
    category: 'api',
    severity: BLOCKING_BOTH,
    appTypes: ALL_APPS,
    automation: 'automated',
    check:
      'For each search input named in `app.search`, types 1, 2 and then 3 characters (one at a time, on a freshly loaded page) and submits; a NetServer request carrying 1 or 2 of them fails. The 3-character search must reach NetServer, else the input was not the search and the check is an error.',
    remediation:
      'Guard every search-as-you-type handler with `if (query.trim().length < 3) return;` and debounce input (around 300 ms). Apply the same minimum on the server endpoint that proxies the search, so other clients cannot bypass it.',
    docs: [DOC.stdChecklist, DOC.customChecklist],
  },
  {
    id: 'API-NO-CHOKE',
    title: 'Queries do not choke the database',
    requirement:
      'Queries avoid counts, always order by the primary key, use `$filter` (especially with `$top`), page with `$top`+`$skip`, select only needed fields, prefer `IN` over chains of `OR`, and do not read large datasets repeatedly.',
    category: 'api',
    severity: BLOCKING_BOTH,
    appTypes: ALL_APPS,
    automation: 'automated',
    check:
      'Parses every OData request and flags count-style requests, `$top` without `$orderby`, archive queries without `$filter`, missing `$select`, long OR chains and full scans repeated within a session.',
    remediation:
      'Write archive queries as `$select=<needed fields>&$filter=<condition>&$orderby=<primary key>&$top=N&$skip=M` and page through results instead of counting. Replace `a eq 1 or a eq 2 or ...` with `a in (1,2,...)` and cache or incrementally sync large datasets rather than re-reading them.',
    docs: [DOC.bestPractices, DOC.stdChecklist, DOC.customChecklist],
  },
  {
    id: 'API-CACHE',
    title: 'Rarely changing data cached',
    requirement:
      'Rarely changing data (lists, preferences, address formats, associates, countries, UDF metadata, rights, licences, user groups, own company) and authentication credentials are cached.',
    category: 'api',
    severity: BLOCKING_BOTH,
    appTypes: ALL_APPS,
    automation: 'automated',
    check:
      'Counts identical GETs per session to list and metadata endpoints (`MDOList`, `List`, `UserDefinedFieldInfo`, `User/currentPrincipal`, own contact) and warns above a threshold.',
    remediation:
      'Cache list items, UDF metadata, the current principal and similar lookups per tenant (and per user where rights differ) with a time-to-live of minutes to hours. Reuse access tokens and system-user tickets until they expire instead of fetching new ones per request.',
    docs: [DOC.bestPractices],
  },
  {
    id: 'API-SYSUSER-CACHE',
    title: 'System-user ticket cached and reused',
    requirement:
      'The system-user ticket (6-hour sliding lifetime) is cached and renewed only on expiry or a 401; the system-user flow never runs before every API call.',
    category: 'api',
    severity: BLOCKING_BOTH,
    appTypes: SERVER_TO_SERVER,
    automation: 'automated',
    check:
      'Measures the ratio of PartnerSystemUser calls to NetServer calls (fails above one exchange per N calls within the ticket lifetime), then expires the ticket with a 401 and expects exactly one re-exchange followed by a retry.',
    remediation:
      'Store the ticket per tenant (memory or distributed cache) and reuse it for all calls; on a 401, run the PartnerSystemUser exchange once, replace the cached ticket and retry the request. In .NET `SystemUserClient` with `SystemUserInfo` does this; in Node keep a per-tenant promise so concurrent calls share one exchange.',
    docs: [DOC.credentialMgmt, DOC.authApplication, DOC.systemUserClient],
  },
  {
    id: 'API-TOKEN-REFRESH',
    title: 'Expired access tokens refreshed and the call retried',
    requirement:
      'When an access token expires (known from its lifetime or from a 401/403), the app obtains a new one with the refresh token and retries, without forcing the user to sign in again and without refreshing before every call.',
    category: 'api',
    severity: BLOCKING_BOTH,
    appTypes: ALL_APPS,
    automation: 'automated',
    check:
      'Issues short-lived access tokens and answers 401 after expiry; expects a `grant_type=refresh_token` call and a retried request, and counts refreshes per access-token lifetime.',
    remediation:
      'Track `expires_in` and refresh shortly before expiry or on the first 401/403, then retry the failed request once; serialise refreshes per user so parallel requests share one. Never refresh on every request, and do not hard-code the token lifetime (3600 s and 20 minutes are both documented).',
    docs: [DOC.credentialMgmt, DOC.authCodeFlow],
  },
  {
    id: 'API-USE-CLAIM-URLS',
    title: 'API base taken from the webapi_url claim',
    requirement:
      'The API base comes from the `webapi_url` / `netserver_url` claims (or the state API); the app does not build tenant URLs itself.',
    category: 'api',
    severity: BLOCKING_BOTH,
    appTypes: ALL_APPS,
    automation: 'automated',
    check:
      'Shares the randomised hosts of STATUS-NO-HARDCODED-URL and additionally fails any call to a path under the authentication host or to a tenant other than the claimed `ctx`.',
    remediation:
      'Store the `webapi_url` claim with the tenant at sign-in and append `v1/...` to it for REST calls (it ends with `/api/`); refresh it from the state API when it changes. Never concatenate `https://{env}.superoffice.com/{ctx}/api` yourself.',
    docs: [DOC.appEnvir, DOC.checkStatus, DOC.nativeQuickstart],
  },
  {
    id: 'API-NO-MIX',
    title: 'One API family per app (REST or SOAP)',
    requirement: 'An app uses either the REST or the SOAP API, not both.',
    category: 'api',
    severity: ADVISORY_BOTH,
    appTypes: ALL_APPS,
    automation: 'automated',
    check: 'Flags apps that call both `/api/` and `/Remote/Services` paths.',
    remediation:
      'Pick the REST API (recommended for new apps) and migrate remaining SOAP calls to their REST agent equivalents (`/api/v1/Agents/...`). Keeping one API family halves the authentication and error-handling code paths.',
    docs: [DOC.bestPractices],
  },
  {
    id: 'API-DEFAULT-ENTITY',
    title: 'Entities created from the default template',
    requirement:
      'Entities are created from their default template (`GET v1/{Entity}/default` or `CreateDefault{Entity}Entity`) so preference-derived values are set.',
    category: 'api',
    severity: ADVISORY_BOTH,
    appTypes: ALL_APPS,
    automation: 'automated',
    check:
      'For each entity POST, looks for a preceding default request for the same entity type in the same flow.',
    remediation:
      "Before creating a contact, person, sale or appointment, call `GET {webapi_url}v1/{Entity}/default`, set your fields on the returned object and POST it. This keeps the tenant's preference-based defaults (owner, category, business) intact.",
    docs: [DOC.bestPractices],
  },
  {
    id: 'API-WEBHOOKS-NOT-POLLING',
    title: 'Webhooks preferred over polling',
    requirement:
      'Apps prefer webhooks over polling the travel transaction log, and webhook receivers fetch data through the API with their own credentials.',
    category: 'api',
    severity: ADVISORY_BOTH,
    appTypes: ALL_APPS,
    automation: 'automated',
    check:
      'Each journey must not read the travel transaction log (or ask a resource for records changed since a time) twice; once is a warning. After an administrator signs in, the webhooks the app registered (`POST v1/Webhook`, whose target must answer the test event) get a signed change to a company or person: the receiver must answer 2xx (an error fails) and fetch the changed record through the API within 10 s (a warning otherwise).',
    remediation:
      'Register webhooks for the entity events you need and fetch the changed record via the API when an event arrives, using your own token or ticket. Drop periodic scans of the travel transaction log.',
    docs: [DOC.bestPractices],
  },
  {
    id: 'API-USE-SO-APIS',
    title: 'Database accessed only through SuperOffice APIs',
    requirement:
      "The app reads and writes the database only through SuperOffice APIs, storing extra data in Preference, ForeignKey/ForeignDevice/ForeignApp tables or in the partner's own cloud.",
    category: 'api',
    severity: BLOCKING_BOTH,
    appTypes: ALL_APPS,
    automation: 'manual',
    check:
      'Attestation: the partner confirms that all database access goes through the REST/SOAP APIs and that app-specific data lives in ForeignKey/Preference tables or the partner cloud.',
    remediation:
      'Use the ForeignKey/ForeignApp agents to link your records to SuperOffice entities and keep anything larger in your own storage. Do not create tables, rely on direct SQL or misuse UDFs as a general data store.',
    docs: [DOC.security],
  },
  {
    id: 'API-RESPECT-SENTRY',
    title: 'User rights and Sentry respected',
    requirement:
      'Role, group and user permissions and Sentry rules are respected; the system-user context, which bypasses them, is used with care.',
    category: 'api',
    severity: BLOCKING_BOTH,
    appTypes: ALL_APPS,
    automation: 'partial',
    check:
      "Three users open the app's API view: one with full rights (the control), one from whom the emulator's Sentry hides a company the control saw, and one whose company and person reads it denies. The hidden company must not reach the restricted user, through the system user (which Sentry does not restrict) or through another user's results. The rest is an attestation.",
    remediation:
      "Fetch data shown to a user with that user's own access token so Sentry applies. When a background job must use the system user, filter the results by the user's rights before showing them, or avoid showing them at all.",
    docs: [DOC.security, DOC.userContexts],
  },
  {
    id: 'API-SYSUSER-CAUTION',
    title: 'System user used with caution',
    requirement:
      'The customer database is protected from total destruction and the system user is used with great caution.',
    category: 'api',
    severity: BLOCKING_BOTH,
    appTypes: ALL_APPS,
    automation: 'partial',
    check:
      'Flags mass deletes, mass-operation calls and unusually broad PUT/PATCH sequences; the final judgement is an attestation.',
    remediation:
      'Limit system-user operations to the records your app created or owns (ForeignKey/ProgId markers) and never delete or bulk-update by broad filters. Add safety limits (maximum records per run, dry-run mode) and log every destructive call.',
    docs: [DOC.stdChecklist, DOC.customChecklist, DOC.userContexts],
  },
  {
    id: 'API-WEBPANEL-BOUNDARY',
    title: 'Web panels authorise the user before showing data',
    requirement:
      'No information leaks to unauthorised people through web panels: each panel authorises the user (seamless SSO) before showing data.',
    category: 'api',
    severity: BLOCKING_BOTH,
    appTypes: WEB_UI,
    automation: 'automated',
    check:
      "Opens each web-panel URL the app provisioned (its `<uctx>` and `<usid>` filled in, for this tenant and for another one) in a fresh browser with no session: the page must show none of the tenant's companies. A panel URL that answers 4xx without sending the browser to SuperID cannot be judged.",
    remediation:
      'Treat `uctx`/`usid` in a panel URL as hints only: require a valid session whose tenant matches `uctx`, otherwise redirect to `/login/{uctx}/oauth/authorize`. Never render customer data based on URL parameters alone.',
    docs: [DOC.stdChecklist, DOC.customChecklist, DOC.security],
  },
];
