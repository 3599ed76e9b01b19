/**
 * Documentation links used by the catalog. SuperOffice pages are named by their path in the
 * `SuperOfficeDocs/superoffice-docs` repository and published at
 * docs.superoffice.com with `docs/en/X.md` served as `https://docs.superoffice.com/en/X.html`.
 *
 * Shared include files (`includes/security-checklist.md`, `protect-webpanels.md`,
 * `protect-database.md`, `def-app-credentials.md`, `implicit-hybrid-deprecated.md`, ...) are not
 * pages of their own, so rules citing them link the pages that include them instead.
 */
import type { RuleDoc } from './types.ts';

const SO_DOCS_ORIGIN = 'https://docs.superoffice.com';

/**
 * Maps a documentation source path to its published URL.
 *
 * @example
 * superOfficeDocUrl('docs/en/api/authentication/online/validate-security-tokens.md')
 * // 'https://docs.superoffice.com/en/api/authentication/online/validate-security-tokens.html'
 */
export function superOfficeDocUrl(sourcePath: string): string {
  const m = /^docs\/(en\/.+)\.md$/.exec(sourcePath);
  if (!m) {
    throw new TypeError(`expected a path like docs/en/<page>.md, got ${JSON.stringify(sourcePath)}`);
  }
  return `${SO_DOCS_ORIGIN}/${m[1]}.html`;
}

function so(path: string, title: string): RuleDoc {
  return Object.freeze({ title, url: superOfficeDocUrl(`docs/en/${path}.md`) });
}

function rfc(url: string, title: string): RuleDoc {
  return Object.freeze({ title, url });
}

export const DOC = {
  // Standard-app certification and requirements
  security: so('developer-portal/standard-app/requirements/security', 'Security requirements'),
  technical: so('developer-portal/standard-app/requirements/technical', 'Technical requirements'),
  localization: so('developer-portal/standard-app/requirements/localization', 'Localization requirements'),
  business: so('developer-portal/standard-app/requirements/business', 'Business requirements'),
  design: so('developer-portal/standard-app/requirements/design', 'Design requirements'),
  appStore: so('developer-portal/standard-app/app-store/index', 'App Store listing'),
  stdChecklist: so(
    'developer-portal/standard-app/certification/checklist',
    'Certification checklist (standard apps)',
  ),
  certifyApp: so('developer-portal/standard-app/certification/certify-app', 'Certify your app'),
  securityEval: so(
    'developer-portal/standard-app/certification/initial-security-eval',
    'Initial security evaluation',
  ),
  // Custom-app validation
  customChecklist: so('developer-portal/custom-app/checklist', 'Validation checklist (custom apps)'),
  customValidate: so('developer-portal/custom-app/validate', 'Validate a custom app'),
  // Getting started
  gettingStarted: so('developer-portal/getting-started/index', 'Getting started with app development'),
  userContexts: so('developer-portal/getting-started/user-contexts', 'User contexts'),
  whatApi: so('developer-portal/getting-started/what-api-to-use', 'What API to use'),
  appEnvir: so('developer-portal/getting-started/app-envir', 'App environments (SOD, Stage, Production)'),
  hosting: so('developer-portal/getting-started/hosting', 'Hosting your app'),
  // App configuration in the Developer Portal
  createNativeApp: so('developer-portal/create-app/native-app', 'Create a native app'),
  redirects: so('developer-portal/create-app/config/redirects', 'Redirects and endpoints'),
  corsRedirects: so(
    'developer-portal/create-app/config/cors-and-redirection-urls',
    'CORS and redirection URLs',
  ),
  requestToPublish: so('developer-portal/create-app/request-to-publish', 'Request to publish'),
  clientSecret: so('developer-portal/create-app/config/get-client-secret', 'Create a new client secret'),
  newCertificate: so(
    'developer-portal/create-app/config/new-certificate',
    'Create a new certificate (system user key pair)',
  ),
  // Provisioning
  provisioning: so('developer-portal/provisioning/index', 'Provisioning'),
  consent: so('developer-portal/provisioning/consent', 'Consent'),
  getConsent: so('developer-portal/provisioning/get-consent', 'Get consent from the tenant administrator'),
  revoke: so('developer-portal/provisioning/revoke', 'Revoke consent'),
  // Best practices
  bestPractices: so('developer-portal/best-practices/index', 'Best practices'),
  credentialMgmt: so('developer-portal/best-practices/credential-management', 'Credential management'),
  errorEmails: so('developer-portal/best-practices/error-emails', 'Error emails'),
  notifications: so('developer-portal/best-practices/notifications', 'Notifications'),
  systemMessages: so('developer-portal/best-practices/system-messages', 'System messages'),
  tenantStatus: so('developer-portal/best-practices/tenant-status/index', 'Tenant status'),
  checkStatus: so('developer-portal/best-practices/tenant-status/check-status', 'Check tenant status'),
  getNotifications: so(
    'developer-portal/best-practices/tenant-status/get-notifications',
    'Get tenant state-change notifications',
  ),
  statusWebhook: so(
    'developer-portal/best-practices/tenant-status/tenant-status-webhook',
    'Tenant status webhook',
  ),
  // Authentication (SuperID)
  authOverview: so('api/authentication/online/index', 'Authentication in SuperOffice CRM Online'),
  authApi: so('api/authentication/online/api', 'Calling the web API with tokens'),
  whichFlow: so('api/authentication/online/which-flow-to-use', 'Which flow to use'),
  whichUser: so('api/authentication/online/which-user-to-use', 'Which user to use'),
  signInUser: so('api/authentication/online/sign-in-user/index', 'Sign in users'),
  authCodeFlow: so('api/authentication/online/sign-in-user/auth-code-flow', 'Authorization code flow'),
  implicitFlow: so('api/authentication/online/sign-in-user/implicit-flow', 'Implicit flow (deprecated)'),
  legacy: so('api/authentication/online/sign-in-user/legacy', 'Legacy federated authentication (deprecated)'),
  nativeApps: so('api/authentication/online/sign-in-user/native-apps', 'Sign in users in native apps'),
  validateTokens: so('api/authentication/online/validate-security-tokens', 'Validate security tokens'),
  certificates: so(
    'api/authentication/online/certificates/index',
    'SuperOffice certificates and public keys',
  ),
  authApplication: so(
    'api/authentication/online/auth-application/index',
    'Authenticate as the application (system user)',
  ),
  troubleshooting: so('api/authentication/online/troubleshooting/index', 'Authentication troubleshooting'),
  iframeAuth: so('api/authentication/online/troubleshooting/iframe-idp-auth', 'Sign-in inside an iframe'),
  // Tutorials and web API
  nativeQuickstart: so('api/tutorials/native-app-quickstart', 'Native app quickstart'),
  authCodeQuickstart: so('api/tutorials/auth-code-flow-quickstart', 'Authorization code flow quickstart'),
  systemUserClient: so(
    'api/web-services/proxies/superoffice-webapi/systemuserclient',
    'SystemUserClient (WebApi proxy)',
  ),
  // IETF
  rfc9700OpenRedirect: rfc(
    'https://www.rfc-editor.org/rfc/rfc9700#section-4.11',
    'RFC 9700 section 4.11: Open redirection',
  ),
  rfc8252Loopback: rfc(
    'https://www.rfc-editor.org/rfc/rfc8252#section-8.3',
    'RFC 8252 section 8.3: Loopback redirect considerations',
  ),
  rfc7636: rfc('https://www.rfc-editor.org/rfc/rfc7636', 'RFC 7636: Proof Key for Code Exchange (PKCE)'),
} as const satisfies Record<string, RuleDoc>;
