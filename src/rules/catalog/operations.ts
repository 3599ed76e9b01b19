/** logging, operations, notifications (LOG-*, OPS-*, LIC-*). */
import type { Rule } from '../types.ts';
import { DOC } from '../docs.ts';
import { ADVISORY_BOTH, ALL_APPS, BLOCKING_BOTH, CUSTOM_ONLY, STANDARD_ONLY } from './common.ts';

export const OPERATIONS_RULES: readonly Rule[] = [
  {
    id: 'LOG-ENABLED',
    title: 'Local logging enabled on all hosting systems',
    requirement:
      'Local logging is enabled on every system and network device hosting the app, recording event source, date, user, timestamp and source and destination addresses.',
    category: 'operations',
    severity: BLOCKING_BOTH,
    appTypes: ALL_APPS,
    automation: 'manual',
    check:
      'Attestation: servers, containers, load balancers and firewalls hosting the app log events with source, date, user, timestamp and source/destination addresses.',
    remediation:
      'Turn on access and application logging on every tier (web server/ingress, app, database, firewall) and ship it to a central store. Include user identity (SuperOffice `ctx` and associate id), client IP and request target in each entry.',
    docs: [DOC.security, DOC.bestPractices],
  },
  {
    id: 'LOG-RETENTION-3M',
    title: 'Logs retained for at least 3 months',
    requirement:
      'Logs are kept for at least 3 months with enough storage, reviewed regularly, and provided to SuperOffice for security analysis on request.',
    category: 'operations',
    severity: BLOCKING_BOTH,
    appTypes: ALL_APPS,
    automation: 'manual',
    check:
      'Attestation: log retention of at least 3 months, a regular review routine, and a way to hand logs to SuperOffice on request.',
    remediation:
      'Set the retention of your log store to 90 days or more and size it for peak volume. Schedule a periodic review (alerts on auth failures and errors) and document how to export logs for SuperOffice.',
    docs: [DOC.security, DOC.stdChecklist, DOC.bestPractices],
  },
  {
    id: 'LOG-NO-SECRETS',
    title: 'No secrets or tokens in logs',
    requirement: 'Secrets and tokens are not written to logs or URLs.',
    category: 'operations',
    severity: ADVISORY_BOTH,
    appTypes: ALL_APPS,
    automation: 'partial',
    check:
      "Searches the app's captured log output (apps the harness starts, or a log excerpt the partner supplies) for the seeded secrets and tokens; otherwise an attestation. Under `superoffice.impersonate` it also searches every request the app and its pages send to hosts other than SuperOffice's (telemetry, analytics, third-party APIs) and names the host a token went to.",
    remediation:
      'Redact `client_secret`, `refresh_token`, `access_token`, `Authorization`, `SO-AppToken` and ticket values in your logger (e.g. pino `redact`, Serilog destructuring policies) and never log full token responses or request URLs with secrets. Review HTTP client debug logging, which often prints headers.',
    docs: [DOC.clientSecret],
  },
  {
    id: 'OPS-ERROR-EMAILS',
    title: 'Technical and error-reporting contacts configured',
    requirement:
      'A technical contact and/or error-reporting addresses are configured so SuperOffice can reach the partner about app errors (ERP sync, quote, mirroring, App Store reports) and uninstall requests.',
    category: 'operations',
    severity: BLOCKING_BOTH,
    appTypes: ALL_APPS,
    automation: 'manual',
    check:
      'Attestation: the Developer Portal has a monitored technical contact and error-email addresses for the app.',
    remediation:
      'Set a shared, monitored mailbox (not a personal address) as technical contact and error-email recipient in the Developer Portal. Route those emails into your support or on-call process.',
    docs: [DOC.errorEmails, DOC.notifications],
  },
  {
    id: 'OPS-SYSTEM-MESSAGES',
    title: 'System messages used sparingly and removed',
    requirement:
      'System messages (the yellow banner) are used sparingly, e.g. to say a connection to the partner system expired, and removed once no longer relevant; only admins and system users can message others.',
    category: 'operations',
    severity: ADVISORY_BOTH,
    appTypes: ALL_APPS,
    automation: 'automated',
    check:
      "Judged from the system messages each journey makes the app send (`Agents/Diagnostics/SendSystemMessage`): a second message to a user while an earlier one is still shown fails, and so does a message to another user with a normal user's token (SuperOffice refuses it); a message neither removed (`RemoveSystemMessage` with its `SystemMessageId`, e.g. once the journey has the user reconnect) nor given an `Expire` warns. Not run when no journey makes the app send one.",
    remediation:
      'Send at most one system message per condition and user, store its `SystemMessageId`, and call `RemoveSystemMessage` as soon as the condition clears (e.g. after the user reconnects). Never use system messages for routine notifications.',
    docs: [DOC.systemMessages],
  },
  {
    id: 'OPS-SLA',
    title: 'Availability according to SLA',
    requirement:
      'Systems stay up according to the SLA (SuperOffice guarantees 99.8%), and the partner consents to SuperOffice monitoring throughput.',
    category: 'operations',
    severity: STANDARD_ONLY,
    appTypes: ALL_APPS,
    automation: 'manual',
    check:
      'Attestation: availability target and monitoring in place and consent to SuperOffice throughput monitoring given.',
    remediation:
      'Run the app redundantly (at least two instances behind a load balancer) with uptime monitoring and alerting. Publish your availability target and status page to customers.',
    docs: [DOC.technical],
  },
  {
    id: 'OPS-RELEASE-VERIFY',
    title: 'Releases verified against SOD and betas',
    requirement:
      'Each new release is verified, the app is verified against SOD betas before major CRM Online upgrades, and SOD, Stage and Production installations are kept.',
    category: 'operations',
    severity: STANDARD_ONLY,
    appTypes: ALL_APPS,
    automation: 'manual',
    check:
      'Attestation: release verification routine and SOD/Stage/Production installations in place. Running so-preflight in CI is one way to provide it.',
    remediation:
      'Run so-preflight and your own regression tests against SOD for every release and when SuperOffice announces a beta. Keep an installation in each environment so you can reproduce customer issues.',
    docs: [DOC.technical],
  },
  {
    id: 'OPS-CERT-CONTACT',
    title: 'Contact and test information provided for certification',
    requirement:
      'A designated certification (standard) or technical (custom) contact is available during testing, with test cases and dates of heavy SOD testing (SuperOffice checks up to 30 days of Application Insights logs).',
    category: 'operations',
    severity: BLOCKING_BOTH,
    appTypes: ALL_APPS,
    automation: 'manual',
    check:
      'Attestation: contact person, test cases and heavy-testing dates are supplied with the certification or validation request. The report can export a timestamped log of this run.',
    remediation:
      'Name a contact who can answer during the test period and send SuperOffice your test cases and the dates you load-tested on SOD. Attach this report and its run log to the request.',
    docs: [DOC.certifyApp, DOC.customValidate],
  },
  {
    id: 'LIC-DEVTOOLS',
    title: 'Development Tools licence for custom apps',
    requirement:
      "Custom apps (and any use of the system user) need the customer's Development Tools subscription; without it tenant access stops.",
    category: 'operations',
    severity: CUSTOM_ONLY,
    appTypes: ALL_APPS,
    automation: 'manual',
    check:
      "Attestation: the customer holds the Development Tools licence. The harness's licence-loss behaviour test is reported under ERR-ACCESS-LOST.",
    remediation:
      'Confirm with the customer that the Development Tools subscription is active before go-live and note its renewal date. Handle its loss like a revoked consent (see ERR-ACCESS-LOST).',
    docs: [DOC.customChecklist, DOC.whichUser],
  },
];
