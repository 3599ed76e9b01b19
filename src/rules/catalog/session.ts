/**
 * browser/session hygiene and application security (COOKIE-*, INPUT-VALIDATION,
 * ERROR-PAGE, OWASP-TOP10, ADMIN-MFA, ENV-SEPARATION, BACKUP-PROTECTED).
 */
import type { Rule } from '../types.ts';
import { DOC } from '../docs.ts';
import { ALL_APPS, BLOCKING_BOTH, STANDARD_ONLY, WEB_UI } from './common.ts';

export const SESSION_RULES: readonly Rule[] = [
  {
    id: 'COOKIE-HTTPONLY-SECURE',
    title: 'Cookies set with HttpOnly and Secure',
    requirement:
      'Every cookie the app sets has the HttpOnly flag; the certification checklist also requires Secure, which the security requirements only recommend.',
    category: 'session',
    // "S (checklist); S+C (HttpOnly)": blocking for both. The check itself fails a missing Secure
    // for standard apps and only warns for custom apps.
    severity: BLOCKING_BOTH,
    appTypes: WEB_UI,
    automation: 'automated',
    check:
      "Collects every cookie set by the app's origins during the whole run: a missing HttpOnly fails; a missing Secure fails for standard apps and warns for custom apps.",
    remediation:
      "Set `HttpOnly; Secure; SameSite=Lax` (or `Strict`) on every cookie, including session, anti-forgery and load-balancer cookies. In Express use `cookie: { httpOnly: true, secure: true, sameSite: 'lax' }` with `app.set('trust proxy', 1)` behind TLS termination; in ASP.NET Core set `CookieSecurePolicy.Always` and `HttpOnlyPolicy.Always` in `CookiePolicyOptions`.",
    docs: [DOC.stdChecklist, DOC.security],
  },
  {
    id: 'INPUT-VALIDATION',
    title: 'Input validated and output escaped',
    requirement: 'All input is validated and all output escaped, following OWASP guidance.',
    category: 'session',
    severity: BLOCKING_BOTH,
    appTypes: WEB_UI,
    automation: 'automated',
    check:
      'Seeds emulated tenant data and claims (`company_name`, contact and person names) with XSS payloads, hooks dialogs, the console and a canary global, and fails if any payload executes in an app page.',
    remediation:
      "Treat data from SuperOffice (claims, contact and person fields) as untrusted: render it through your template engine's auto-escaping and never with `innerHTML`, `dangerouslySetInnerHTML` or `v-html`. Add a Content-Security-Policy without `unsafe-inline` scripts as a second line of defence, and validate request parameters against a schema on the server.",
    docs: [DOC.stdChecklist, DOC.customChecklist, DOC.security],
  },
  {
    id: 'ERROR-PAGE',
    title: 'Error handler page without technical details',
    requirement:
      'The app has an error handler page and never shows code, stack traces or framework error screens ("yellow screen of death").',
    category: 'session',
    severity: STANDARD_ONLY,
    appTypes: WEB_UI,
    automation: 'automated',
    check:
      'Triggers errors (bad `code`, tampered token, NetServer 500, tenant offline, malformed callback) and scans the responses for stack-trace signatures (.NET "Server Error in \'/\' Application", `at System.`, Python `Traceback`, Node `at ... (file.js:line:col)`, PHP "Fatal error", Java "Exception in thread").',
    remediation:
      'Install a global error handler that logs the details server-side with a correlation id and renders a friendly page showing only that id. Run production with `NODE_ENV=production`, ASP.NET Core `UseExceptionHandler` (not `UseDeveloperExceptionPage`), `customErrors mode="On"` or `display_errors=Off`.',
    docs: [DOC.stdChecklist],
  },
  {
    id: 'OWASP-TOP10',
    title: 'OWASP Top 10 addressed and security audit passed',
    requirement:
      'The app is built with the OWASP Top 10 in mind; standard apps pass the Telenor Cyberdefence (formerly Watchcom) audit, where any finding rated medium or higher blocks approval and red flags are fixed before beta.',
    category: 'session',
    severity: STANDARD_ONLY,
    appTypes: ALL_APPS,
    automation: 'manual',
    check:
      'Attestation: the partner has reviewed the app against the OWASP Top 10 and has passed, or scheduled, the security evaluation with no open findings of medium or higher severity. The so-preflight report can be attached as evidence.',
    remediation:
      'Run an OWASP Top 10 review (dependency audit, authentication, access control, injection, misconfiguration) before requesting the security evaluation, and fix every finding rated medium or higher. Book the Telenor Cyberdefence evaluation early and leave time to fix red flags before beta.',
    docs: [DOC.security, DOC.securityEval, DOC.certifyApp],
  },
  {
    id: 'ADMIN-MFA',
    title: 'MFA and encrypted channels for administrative access',
    requirement:
      'All administrative access uses multi-factor authentication and encrypted channels, and default passwords are changed before production.',
    category: 'session',
    severity: BLOCKING_BOTH,
    appTypes: ALL_APPS,
    automation: 'manual',
    check:
      "Attestation: MFA is enforced for every administrative login (cloud console, servers, databases, the app's admin UI), administration happens over encrypted channels only, and no default passwords remain.",
    remediation:
      "Enforce MFA in your cloud provider's identity service and on any admin UI, and reach servers only through SSH, a VPN or a bastion. Replace every vendor default password before go-live and keep the check in your deployment checklist.",
    docs: [DOC.security],
  },
  {
    id: 'ENV-SEPARATION',
    title: 'Production separated from non-production',
    requirement:
      'Production and non-production are kept apart: no unmonitored developer access to production, a staging environment is recommended, and production data never goes into SOD.',
    category: 'session',
    severity: BLOCKING_BOTH,
    appTypes: ALL_APPS,
    automation: 'manual',
    check:
      'Attestation: separate production and non-production deployments, monitored and restricted developer access to production, and no production data in SOD. SECRET-PER-ENV checks the credential side.',
    remediation:
      'Run production in its own subscription/account with separate credentials, databases and SuperOffice app configurations, and log and review all developer access to it. Use synthetic or anonymised data in SOD and Stage.',
    docs: [DOC.security, DOC.appEnvir],
  },
  {
    id: 'BACKUP-PROTECTED',
    title: 'Automatic, protected backups',
    requirement:
      'System data is backed up automatically and backups are protected (physically or by encryption, in transit too).',
    category: 'session',
    severity: STANDARD_ONLY,
    appTypes: ALL_APPS,
    automation: 'manual',
    check:
      'Attestation: automatic backups of system data exist, are encrypted at rest and in transit, and restores are tested.',
    remediation:
      'Enable automated, encrypted backups for your databases and storage (e.g. managed database point-in-time restore with encryption at rest) and restrict who can read them. Test a restore regularly and document retention.',
    docs: [DOC.technical],
  },
];
