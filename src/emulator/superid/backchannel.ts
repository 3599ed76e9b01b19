/**
 * The earlier home of PartnerSystemUser and the tenant state API, kept as an import path
 * (src/emulator/index.ts takes NETSERVER_LABEL from here): see system-user.ts and state-api.ts.
 */
export { handleSystemUser, SYSTEM_USER_SKEW_MINUTES, TICKET_TTL_MS } from './system-user.ts';
export { handleStateApi, NETSERVER_LABEL } from './state-api.ts';
