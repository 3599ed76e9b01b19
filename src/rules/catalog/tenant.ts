/** tenant availability, status and error handling (STATUS-*, AVAIL-*, ERR-*). */
import type { Rule } from '../types.ts';
import { DOC } from '../docs.ts';
import { ADVISORY_BOTH, ALL_APPS, BLOCKING_BOTH, STANDARD_ONLY, WEB_UI } from './common.ts';

export const TENANT_RULES: readonly Rule[] = [
  {
    id: 'STATUS-CHECK-BEFORE-ACTION',
    title: 'Tenant status checked before API calls',
    requirement:
      'The app checks the tenant status (state API and/or webhook) before acting and only calls the API while the tenant is running.',
    category: 'tenant',
    // "S (checklist 'Tenants'); S+C via error-handling item": blocking for both.
    severity: BLOCKING_BOTH,
    appTypes: ALL_APPS,
    automation: 'automated',
    check:
      'Records calls to `/api/state/{ctx}` and puts the tenant into OfflineMaintenance, Suspended, Deleted and MigrationPending: no further NetServer calls beyond a bounded probe may follow, and the UI must show an availability message. Caching the state until `ValidUntil` is accepted.',
    remediation:
      'Call `GET https://{env}.superoffice.com/api/state/{ctx}` before working on a tenant, cache the answer until `ValidUntil`, and proceed only when `IsRunning` is true. Otherwise pause jobs for that tenant and tell users the CRM is temporarily unavailable.',
    docs: [DOC.stdChecklist, DOC.customChecklist, DOC.tenantStatus, DOC.checkStatus],
  },
  {
    id: 'STATUS-NO-HARDCODED-URL',
    title: 'Tenant endpoint resolved dynamically',
    requirement:
      'The tenant endpoint is resolved at run time (claims, state API, Move notifications); tenant host names are never stored or hard-coded, and un-numbered hosts are used for authentication only.',
    category: 'tenant',
    severity: BLOCKING_BOTH,
    appTypes: ALL_APPS,
    automation: 'automated',
    check:
      'The emulator puts each tenant on a random numbered host that answers 421 "Wrong subdomain used to access tenant" on any other host, later moves the tenant (new state-API `Endpoint` plus a Move webhook) and checks the app follows. Any NetServer call to the authentication host fails.',
    remediation:
      'Take the API base from the `webapi_url` claim or the state API `Endpoint` and refresh it when it expires or on a Move notification; keep only `ctx` as the tenant key. Remove host names such as `online.superoffice.com/Cust12345` from configuration and code.',
    docs: [DOC.checkStatus, DOC.authApi],
  },
  {
    id: 'STATUS-HANDLE-421',
    title: '421 after a tenant move handled by re-resolving',
    requirement:
      'After an endpoint move, a 421 response means "re-resolve the endpoint and retry", not "give up" or "retry the same host forever".',
    category: 'tenant',
    severity: ADVISORY_BOTH,
    appTypes: ALL_APPS,
    automation: 'automated',
    check:
      'After a silent move, counts 421 retries against the old host (fails above a small number) and checks the app recovers through the state API.',
    remediation:
      'Treat HTTP 421 from NetServer as a signal to call the state API again, update the cached endpoint and retry the request once against the new host. Do not retry the old host repeatedly and do not mark the tenant as disconnected on a 421.',
    docs: [DOC.checkStatus],
  },
  {
    id: 'STATUS-WEBHOOK',
    title: 'State-change webhook registered and acted on',
    requirement:
      'Standard apps register a State Change URL and act on its notifications (Upgrade, BackupRestored, Suspend, Resume, Delete, Move).',
    category: 'tenant',
    severity: STANDARD_ONLY,
    appTypes: WEB_UI,
    automation: 'automated',
    check:
      'Requires the URL in the harness config, POSTs valid signed notifications for each ChangeType and expects 2xx plus observable behaviour: Suspend/Delete stop traffic, Resume restores it, Move switches host, Upgrade pauses until the tenant is running.',
    remediation:
      'Register a Custom State Change URL per environment in the Developer Portal and implement a handler that validates the token and then updates the tenant record: stop work on Suspend/Delete, resume on Resume, switch to `PublicEndpoint` on Move and re-check the state API after Upgrade or BackupRestored. Acknowledge with 2xx quickly and do the work asynchronously.',
    docs: [DOC.redirects, DOC.getNotifications, DOC.statusWebhook],
  },
  {
    id: 'AVAIL-MAINTENANCE',
    title: 'Maintenance windows handled without data loss',
    requirement:
      'The app handles periods when CRM Online or the tenant is unavailable (maintenance, patch windows, upgrades) without losing data.',
    category: 'tenant',
    severity: BLOCKING_BOTH,
    appTypes: ALL_APPS,
    automation: 'partial',
    check:
      "Each of the partner's journeys that writes runs again in a new session, where its middle write opens a 3-second maintenance window (writes answered 503 with `Retry-After: 2`). The app must write it again after the window, or tell the user the change was not saved (compared with the undisturbed run's last page); going on as if it were saved fails. Connection resets and timeouts, and proving that nothing else was lost, are an attestation.",
    remediation:
      'Queue writes to SuperOffice and retry them with exponential back-off when NetServer returns 5xx or times out, making each write idempotent (e.g. check by ForeignKey before creating). Surface failed jobs to users or operators instead of dropping them.',
    docs: [DOC.stdChecklist, DOC.customChecklist, DOC.appEnvir, DOC.bestPractices],
  },
  {
    id: 'ERR-ACCESS-LOST',
    title: 'Loss of tenant access handled',
    requirement:
      'The app handles losing access to the customer database, e.g. after consent is revoked (standard) or the Development Tools licence is removed (custom).',
    category: 'tenant',
    severity: BLOCKING_BOTH,
    appTypes: ALL_APPS,
    automation: 'automated',
    check:
      'Revokes consent in the emulator (refresh returns an OAuth error, bearer calls return 401, PartnerSystemUser returns `IsSuccessful: false`); the app must stop, mark the tenant disconnected and inform users or admins, with bounded retries.',
    remediation:
      'On `invalid_grant` from a refresh, 401 after a fresh token, or an unsuccessful PartnerSystemUser answer, mark the tenant as disconnected, stop scheduled work and show users and admins how to reconnect. Retry at most a few times with back-off before giving up.',
    docs: [DOC.stdChecklist, DOC.customChecklist, DOC.revoke],
  },
  {
    id: 'ERR-THROTTLE-UX',
    title: 'Throttling does not appear as a hang',
    requirement:
      'When the app is throttled users do not experience a hang: operations finish in reasonable time and do not slow down navigation in SuperOffice.',
    category: 'tenant',
    severity: STANDARD_ONLY,
    appTypes: ALL_APPS,
    automation: 'automated',
    check:
      'The emulator adds latency and answers a burst with 429 (or 503); the UI must show progress or feedback within a threshold and the app must back off instead of retrying immediately.',
    remediation:
      "Honour `Retry-After` and back off exponentially on 429/503, and move long-running work to background jobs. Show a progress indicator or a 'still working' message for anything that takes more than a couple of seconds.",
    docs: [DOC.technical],
  },
  {
    id: 'ERR-USER-FEEDBACK',
    title: 'User told about denied access and long operations',
    requirement: 'Users get feedback when Sentry denies access and while long operations run.',
    category: 'tenant',
    severity: BLOCKING_BOTH,
    appTypes: ALL_APPS,
    automation: 'partial',
    check:
      "The emulator's Sentry answers a user's company and person reads with 403; compared with what the same view shows a user with full rights, the app must say the user lacks access, not show an empty view, crash, answer 5xx or hang. Progress feedback for long operations is an attestation.",
    remediation:
      'Inspect 403 responses and the `TableRight`/`FieldProperties` of entities and tell the user which action they lack rights for. Do not show empty lists as if there were no data, and show progress for long operations.',
    docs: [DOC.security, DOC.bestPractices],
  },
];
