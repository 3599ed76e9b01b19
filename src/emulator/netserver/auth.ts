/**
 * Who calls the tenant API: a SuperID access token (Bearer) or a system-user ticket (SOTicket +
 * SO-AppToken).
 */
import type { IncomingMessage } from 'node:http';
import type { AccessRecord, EmulatorCore, FlowImpl, TicketRecord, UserKey } from '../core.ts';
import { TICKET_TTL_MS } from '../superid/system-user.ts';
import type { Reply } from './context.ts';
import { err } from './context.ts';

export interface Caller {
  kind: 'bearer' | 'ticket';
  tenant: string;
  flow: FlowImpl | undefined;
  /** The signed-in user, or `system` for a system-user ticket. */
  userKey: UserKey | 'system';
  access?: AccessRecord;
  ticket?: TicketRecord;
}

export function authenticate(
  core: EmulatorCore,
  req: IncomingMessage,
  tenant: string,
  meta: { flowId: string | undefined; notes: string[] },
): Caller | Reply {
  const h = String(req.headers['authorization'] ?? '').trim();
  const sp = h.indexOf(' ');
  const scheme = (sp < 0 ? h : h.slice(0, sp)).toLowerCase();
  const value = sp < 0 ? '' : h.slice(sp + 1).trim();
  const unauthorized = (msg: string): Reply =>
    err(401, msg, 'Unauthorized', { 'WWW-Authenticate': 'Bearer, SOTicket' });
  if (!h) return unauthorized('Authentication required');
  if (scheme === 'basic') {
    meta.notes.push('basic auth rejected');
    return unauthorized('Basic authentication is not allowed in SuperOffice CRM Online');
  }
  if (scheme === 'bearer') {
    const a: AccessRecord | undefined = core.accessTokens.get(value);
    if (!a) return unauthorized('Invalid access token');
    meta.flowId = a.flowId;
    if (a.revoked) return unauthorized('The access token has been revoked');
    if (core.isRevokedByConsent(a.tenant, a.issuedAt))
      return unauthorized('The app authorization was revoked');
    if (Date.now() > a.exp) return unauthorized('The access token has expired');
    if (a.tenant !== tenant) return unauthorized(`The access token is not valid for tenant ${tenant}`);
    return { kind: 'bearer', tenant, flow: core.flowOf(a.flowId), userKey: a.userKey, access: a };
  }
  if (scheme === 'soticket') {
    const t: TicketRecord | undefined = core.tickets.get(value);
    if (!t) return unauthorized('Invalid ticket');
    meta.flowId = t.flowId;
    const appToken = req.headers['so-apptoken'];
    if (typeof appToken !== 'string' || appToken !== core.client.secret) {
      meta.notes.push('SO-AppToken missing or wrong');
      return unauthorized('SO-AppToken missing or invalid');
    }
    if (core.ticketsRevokedByConsent(t.tenant)) return unauthorized('The app authorization was revoked');
    if (Date.now() > t.expiresAt) return unauthorized('The ticket has expired');
    const limit = core.faults.ticketExpiresAfterCalls;
    if (limit !== undefined && (t.calls ?? 0) >= limit) {
      meta.notes.push('fault: ticket expired');
      return unauthorized('The ticket has expired');
    }
    if (t.tenant !== tenant) return unauthorized(`The ticket is not valid for tenant ${tenant}`);
    t.expiresAt = Date.now() + TICKET_TTL_MS;
    return { kind: 'ticket', tenant, flow: core.flowOf(t.flowId), userKey: 'system', ticket: t };
  }
  return unauthorized(`Unsupported authorization scheme`);
}
