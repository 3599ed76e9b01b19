/**
 * Tenant API paths (`/{ctx}/api/...`, `/{ctx}/Remote/...`) sent to SuperID: 421, as SuperOffice
 * answers them.
 */
import { credentialOf } from '../http.ts';
import type { Ctx, SuperId } from './context.ts';

export function apiOnWrongHost(sid: SuperId, ctx: Ctx): void {
  const { core } = sid;
  const rec = ctx.state.rec;
  rec.credential = credentialOf(ctx.req.headers);
  // Bind the misdirected call to the flow whose credential it carries, so a check sees it.
  const auth = String(ctx.req.headers['authorization'] ?? '').trim();
  const bearer = /^bearer\s+(.+)$/i.exec(auth)?.[1];
  const ticket = /^soticket\s+(.+)$/i.exec(auth)?.[1];
  const owner = bearer
    ? core.accessTokens.get(bearer)?.flowId
    : ticket
      ? core.tickets.get(ticket)?.flowId
      : undefined;
  if (owner && core.flows.has(owner)) rec.flowId = owner;
  ctx.status = 421;
  ctx.body = {
    Error: 'Wrong subdomain used to access tenant',
    ErrorType: 'MisdirectedRequest',
    Message: 'Wrong subdomain used to access tenant',
  };
}
