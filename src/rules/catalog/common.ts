/**
 * Shorthands shared by the catalog files: app-type sets and the severity mapping of
 * the app scope SuperOffice gives each requirement (standard, custom, both, advisory).
 */
import type { AppType, Rule } from '../types.ts';

export const ALL_APPS: readonly AppType[] = Object.freeze(['web', 'native', 'server-to-server']);
/** Apps with a web UI of their own (web apps, and server-to-server apps with a front end). */
export const WEB_UI: readonly AppType[] = Object.freeze(['web', 'server-to-server']);
export const WEB_ONLY: readonly AppType[] = Object.freeze(['web']);
export const NATIVE_ONLY: readonly AppType[] = Object.freeze(['native']);
export const SERVER_TO_SERVER: readonly AppType[] = Object.freeze(['server-to-server']);

/** `S+C`: blocking for certification and validation. */
export const BLOCKING_BOTH: Rule['severity'] = Object.freeze({ standard: 'blocking', custom: 'blocking' });
/** `S`: blocking for standard-app certification; does not apply to custom apps. */
export const STANDARD_ONLY: Rule['severity'] = Object.freeze({ standard: 'blocking' });
/** `C`: blocking for custom-app validation; does not apply to standard apps. */
export const CUSTOM_ONLY: Rule['severity'] = Object.freeze({ custom: 'blocking' });
/** `ADV`: applies to both, never blocks. */
export const ADVISORY_BOTH: Rule['severity'] = Object.freeze({ standard: 'advisory', custom: 'advisory' });
