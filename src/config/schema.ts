/**
 * The schema of `preflight.config.ts` / `.mjs` / `.json`. Parsed once at the boundary
 * ({@link loadConfig}) into a frozen, fully defaulted {@link ResolvedConfig}. Unknown keys are
 * errors, so a typo never silently disables a check.
 */
import { z } from 'zod';

const urlString = z.url({
  protocol: /^https?$/,
  error: 'an absolute http(s) URL, e.g. http://127.0.0.1:5050',
});
const path = z.string().startsWith('/', 'a path starting with "/", e.g. /login');

/** An exact redirect URL, or an anchored regular expression `^...$` as registered with SuperOffice. */
const redirectEntry = z.string().refine(
  (v) => {
    if (v.startsWith('^')) {
      if (!v.endsWith('$')) return false;
      try {
        new RegExp(v);
        return true;
      } catch {
        return false;
      }
    }
    return URL.canParse(v);
  },
  { error: 'an absolute URL, or a regular expression written ^...$' },
);

const probe = z.strictObject({
  path,
  expect: z
    .strictObject({
      status: z.int().min(100).max(599).optional(),
      text: z.string().min(1).optional(),
    })
    .refine((e) => e.status !== undefined || e.text !== undefined, {
      error: 'give expect.status, expect.text or both',
    })
    .default({ status: 200 }),
});

const start = z.strictObject({
  /** Shell command that starts the app, e.g. `node server.js`. */
  command: z.string().min(1),
  /** Working directory, relative to the config file. */
  cwd: z.string().optional(),
  /** Extra environment; values may use `${superid.url}`, `${client.id}`, ... placeholders. */
  env: z.record(z.string(), z.string()).default({}),
  /** Path (on baseURL) or absolute URL that answers once the app is ready. */
  ready: z.string().min(1).default('/'),
  /** Milliseconds to wait for `ready`; bounded. */
  timeout: z.int().min(1000).max(300_000).default(30_000),
});

/**
 * One step of a sign-in that starts behind a form or a button: open a page, fill a field, click,
 * tick a box or pick an option. Locators are Playwright locators (`role=button[name="Next"]`,
 * `#email`, `text=Sign in`); values may use `${tenant.id}`, `${client.id}` and the signing-in
 * user's `${user.username}`.
 */
const signInStep = z.union([
  z.strictObject({ goto: path }),
  z.strictObject({ fill: z.string().min(1), value: z.string() }),
  z.strictObject({ click: z.string().min(1) }),
  z.strictObject({ check: z.string().min(1) }),
  z.strictObject({ select: z.string().min(1), value: z.string() }),
]);
export type SignInStep = z.infer<typeof signInStep>;

const signIn = z.union([
  z.strictObject({ path }),
  /** Steps that bring the browser to SuperID, e.g. a form asking for the tenant first. */
  z.strictObject({ steps: z.array(signInStep).min(1).max(20) }),
  z.strictObject({
    /** Page to open first, then the locator to click, e.g. `role=button[name="Sign in"]`. */
    page: path.default('/'),
    click: z.string().min(1),
  }),
  /** Native apps: the app opens the system browser through `BROWSER`; the harness drives it. */
  z.strictObject({ browserEnv: z.literal(true) }),
]);

export const configSchema = z.strictObject({
  app: z
    .strictObject({
      name: z.string().min(1),
      vendor: z.string().min(1).optional(),
      type: z.enum(['web', 'native', 'server-to-server']),
      certification: z.enum(['standard', 'custom']).default('standard'),
      /** Where the app is served (web and server-to-server apps). */
      baseURL: urlString.optional(),
      start: start.optional(),
      signIn,
      /** Tells a signed-in browser from a signed-out one. */
      session: probe.optional(),
      /**
       * What makes the app call the tenant API with the user's token. Web and server-to-server
       * apps: a page (`path`, default: session.path). Native apps: a command run after sign-in
       * in the same environment and home folder as the sign-in run (`command`, bounded by
       * `timeout` ms), e.g. `node cli.ts sync --once`.
       */
      apiAction: z
        .union([
          z.strictObject({ path }),
          z.strictObject({
            command: z.string().min(1),
            timeout: z.int().min(1_000).max(300_000).default(30_000),
          }),
        ])
        .optional(),
      /**
       * Native apps: where the app keeps its tokens, relative to the home folder each native run
       * gets (e.g. `.config/acme/tokens.json`); checked for file permissions.
       */
      tokenStore: z.string().min(1).optional(),
      /**
       * More of the app's own pages to open (signed out and signed in) when searching what the
       * browser sees for secrets; `baseURL`, the configured paths and same-origin links found on
       * them are visited anyway.
       */
      pages: z.array(path).max(50).default([]),
      /**
       * Web apps: the app's search inputs (contacts, persons, email addresses, selections...),
       * each a page, the input's locator (e.g. `#search`, `role=searchbox`) and, when the
       * search starts with a button rather than Enter, the button's locator. The harness types
       * 1, 2 and 3 characters into each (API-SEARCH-MIN3). `[]`: the app has no search.
       */
      search: z
        .array(z.strictObject({ path, input: z.string().min(1), submit: z.string().min(1).optional() }))
        .max(10)
        .optional(),
      /** Where the app signs out (optional). */
      signOut: z.strictObject({ path }).optional(),
      /** Query parameters the app uses to return after sign-in, probed for open redirects. */
      returnParams: z.array(z.string().min(1)).default(['returnUrl', 'returnTo', 'next', 'redirect']),
      redirectUris: z.array(redirectEntry).min(1, 'register at least one redirect URL'),
      postLogoutRedirectUris: z.array(redirectEntry).default([]),
      /** Origins the app's browser code calls NetServer from (CORS allow-list). */
      corsOrigins: z.array(urlString).default([]),
      /** The app's tenant state-change webhook (standard apps must have one). */
      stateChangeUrl: urlString.optional(),
      /** Optional source tree to scan for hard-coded secrets and tenant URLs. */
      sourceDir: z.string().optional(),
      /**
       * Journey files or folders (relative to the config file): Playwright code that uses the app
       * like a user (`journey()` from 'so-preflight/journey'); web and server-to-server apps (whose
       * journeys trigger their jobs through their pages or HTTP endpoints).
       */
      journeys: z.array(z.string().min(1)).max(50).default([]),
      /** Files the app writes its logs to (relative to the config file), scanned for secrets. */
      logFiles: z.array(z.string()).default([]),
      /**
       * What the app sets up in the tenant when an administrator installs it, and where it is
       * removed again: `install` is the app's install URL (where the App Store sends an
       * administrator; without it, the administrator's sign-in is the install); `webPanels` names
       * the web panels it creates (their name as administrators see it, or their ProgId);
       * `uninstall` is the page (and the button on it, if one must be pressed) where an
       * administrator uninstalls the app. Omitted: the app provisions nothing it declares.
       */
      provisioning: z
        .strictObject({
          install: z.strictObject({ path }).optional(),
          webPanels: z.array(z.string().min(1)).max(50).default([]),
          uninstall: z.strictObject({ path, click: z.string().min(1).optional() }).optional(),
        })
        .optional(),
    })
    .superRefine((app, ctx) => {
      if (app.type !== 'native') {
        if (app.baseURL === undefined)
          ctx.addIssue({
            code: 'custom',
            path: ['baseURL'],
            message: 'required for web and server-to-server apps',
          });
        if (app.session === undefined)
          ctx.addIssue({
            code: 'custom',
            path: ['session'],
            message:
              'required for web and server-to-server apps: a path that tells signed-in from signed-out, e.g. { path: "/me", expect: { status: 200 } }',
          });
      }
      if (app.apiAction && 'command' in app.apiAction && app.type !== 'native')
        ctx.addIssue({
          code: 'custom',
          path: ['apiAction'],
          message:
            'a command is for native apps; web and server-to-server apps name a page: { path: "/contacts" }',
        });
      if (app.apiAction && 'path' in app.apiAction && app.type === 'native')
        ctx.addIssue({
          code: 'custom',
          path: ['apiAction'],
          message:
            'native apps name a command the harness runs after sign-in: { command: "node cli.ts sync --once" }',
        });
      if (app.journeys.length > 0 && app.type === 'native')
        ctx.addIssue({
          code: 'custom',
          path: ['journeys'],
          message: "journeys drive the app's pages in a browser; native apps use apiAction.command",
        });
      if (app.tokenStore !== undefined && app.type !== 'native')
        ctx.addIssue({ code: 'custom', path: ['tokenStore'], message: 'only for native apps' });
      if (app.search?.length && app.type !== 'web')
        ctx.addIssue({
          code: 'custom',
          path: ['search'],
          message: 'only for web apps, whose pages the harness types into',
        });
      for (const key of ['install', 'uninstall'] as const)
        if (app.provisioning?.[key] && app.type === 'native')
          ctx.addIssue({
            code: 'custom',
            path: ['provisioning', key],
            message: `a page the harness opens; native apps have none (attest their ${key} instead)`,
          });
      if (app.type === 'native' && !('browserEnv' in app.signIn) && app.start === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['start'],
          message: 'native apps need app.start, so the harness can give them BROWSER',
        });
      }
    }),
  superoffice: z
    .strictObject({
      environment: z.enum(['sod', 'qaonline', 'online']).default('sod'),
      tenant: z
        .string()
        .regex(/^Cust\d+$/, 'a context identifier such as Cust12345')
        .default('Cust12345'),
      /**
       * Stand in for SuperOffice's own host names (`https://sod.superoffice.com`, the tenant on
       * `sod2.superoffice.com`, ...), so an app that hard-codes them is checked unchanged: the
       * harness runs an HTTPS proxy the app reaches them through (`HTTPS_PROXY`,
       * `NODE_USE_ENV_PROXY`, CA trust) and the browser uses it too. See docs/impersonation.md.
       */
      impersonate: z.boolean().default(false),
    })
    .default({ environment: 'sod', tenant: 'Cust12345', impersonate: false }),
  harness: z
    .strictObject({
      /** Bounded wait for "must reject" judgements, in ms (default 5 s, as the OIDF suite). */
      rejectTimeout: z.int().min(500).max(60_000).default(5_000),
      /**
       * How long a flow's traffic must stay quiet after the app's page has loaded before a
       * sign-in counts as finished and a rejection is judged, in ms. Measured on the examples,
       * an app's last call after the page had loaded came at most about 150 ms later.
       */
      quietMs: z.int().min(50).max(5_000).default(200),
      /** Per-test timeout in ms. */
      testTimeout: z.int().min(5_000).max(600_000).default(60_000),
      /** Fixed emulator ports (0 = free port). */
      superidPort: z.int().min(0).max(65535).default(0),
      tenantPort: z.int().min(0).max(65535).default(0),
    })
    .default({ rejectTimeout: 5_000, quietMs: 200, testTimeout: 60_000, superidPort: 0, tenantPort: 0 }),
});

/** What a config file may contain (defaults optional). */
export type PreflightConfig = z.input<typeof configSchema>;

/** The parsed config, with defaults applied and paths resolved. */
export type ParsedConfig = z.output<typeof configSchema>;

export interface ResolvedConfig extends ParsedConfig {
  /** Absolute path of the config file. */
  configFile: string;
  /** Absolute folder of the config file (relative paths resolve against it). */
  configDir: string;
  /** The config uses `${app.port}` (a free port per app start) rather than a fixed port. */
  usesAppPort: boolean;
}
