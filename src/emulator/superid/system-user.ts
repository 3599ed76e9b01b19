/**
 * PartnerSystemUser (`/login/api/partnersystemuser/authenticate`): signed system token ->
 * system-user JWT with a ticket.
 */
import { createPublicKey, randomBytes, verify } from 'node:crypto';
import type { EmulatorCore } from '../core.ts';
import { safeJson } from '../http.ts';
import { mintSystemUserJwt, SO_CLAIM } from '../scenarios.ts';
import type { Ctx } from './context.ts';

/** Allowed difference between the signed timestamp and now. */
export const SYSTEM_USER_SKEW_MINUTES = 5;
/** Sliding lifetime of a system-user ticket. */
export const TICKET_TTL_MS = 6 * 3600 * 1000;

function fail(ctx: Ctx, status: number, message: string): void {
  ctx.status = status;
  ctx.body = { IsSuccessful: false, Token: null, ErrorMessage: message };
  ctx.state.rec.notes.push(`system user: ${message}`);
}

function parseTimestamp(ts: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(ts);
  if (!m) return undefined;
  const [, y, mo, d, h, mi] = m.map(Number) as number[];
  const t = Date.UTC(y!, mo! - 1, d!, h!, mi!);
  const back = new Date(t);
  if (back.getUTCMonth() !== mo! - 1 || back.getUTCDate() !== d! || back.getUTCHours() !== h!)
    return undefined;
  return t;
}

export async function handleSystemUser(core: EmulatorCore, ctx: Ctx): Promise<void> {
  const rec = ctx.state.rec;
  rec.credential = 'client-secret';
  if (ctx.method !== 'POST') {
    ctx.set('Allow', 'POST');
    return fail(ctx, 405, `Method ${ctx.method} not allowed; POST JSON`);
  }
  const parsed = safeJson(rec.body.toString('utf8'));
  if (!parsed.ok || !parsed.value || typeof parsed.value !== 'object' || Array.isArray(parsed.value)) {
    return fail(ctx, 400, 'Request body must be a JSON object');
  }
  const b = parsed.value as Record<string, unknown>;
  const str = (k: string): string | undefined => (typeof b[k] === 'string' ? (b[k] as string) : undefined);
  const signed = str('SignedSystemToken');
  const appToken = str('ApplicationToken');
  const tenant = str('ContextIdentifier');
  const rtt = str('ReturnTokenType');
  if (!signed || !appToken || !tenant) {
    return fail(ctx, 400, 'SignedSystemToken, ApplicationToken and ContextIdentifier are required strings');
  }
  if (rtt === undefined) rec.notes.push('ReturnTokenType missing');
  else if (rtt.toUpperCase() !== 'JWT') rec.notes.push(`ReturnTokenType=${rtt}`);
  if (core.client.secret === undefined || appToken !== core.client.secret || core.faults.secretReplaced) {
    if (core.faults.secretReplaced) rec.notes.push('client secret replaced');
    return fail(ctx, 200, 'Denied (4): invalid ApplicationToken');
  }
  if (!core.appPublicKeyPem) return fail(ctx, 200, 'Denied (4): the application has no system user access');
  const t = core.tenants.get(tenant);
  if (!t) return fail(ctx, 200, 'Denied (4): unknown ContextIdentifier');
  if (core.ticketsRevokedByConsent(tenant))
    return fail(ctx, 200, 'Revoked (1): the app authorization was revoked');
  const last = signed.lastIndexOf('.');
  const mid = signed.lastIndexOf('.', last - 1);
  if (last < 0 || mid < 0)
    return fail(
      ctx,
      200,
      'InvalidSignature (7): SignedSystemToken must be {system_token}.{yyyyMMddHHmm}.{signature}',
    );
  const data = signed.slice(0, last);
  const systemToken = signed.slice(0, mid);
  const ts = signed.slice(mid + 1, last);
  const sig = signed.slice(last + 1);
  const time = parseTimestamp(ts);
  if (time === undefined || Math.abs(Date.now() - time) > SYSTEM_USER_SKEW_MINUTES * 60_000 + 60_000) {
    return fail(ctx, 200, 'InvalidTimestamp (6): timestamp missing, malformed or outside the allowed skew');
  }
  let ok = false;
  try {
    ok =
      /^[A-Za-z0-9+/]+=*$/.test(sig) &&
      verify(
        'sha256',
        Buffer.from(data, 'utf8'),
        createPublicKey(core.appPublicKeyPem),
        Buffer.from(sig, 'base64'),
      );
  } catch {
    ok = false;
  }
  if (!ok)
    return fail(ctx, 200, 'InvalidSignature (7): signature does not verify with the registered public key');
  const known = core.systemTokens.get(tenant);
  if (!known || known !== systemToken)
    return fail(ctx, 200, 'Denied (4): unknown system token for this tenant');

  const ticket = `7T:${Buffer.from(`${randomBytes(16).toString('hex')};${Math.floor(Math.random() * 1e6)};${tenant}`, 'utf16le').toString('base64')}`;
  core.tickets.set(ticket, { flowId: undefined, tenant, expiresAt: Date.now() + TICKET_TTL_MS });
  core.addSecret(ticket);
  const iat = Math.floor(Date.now() / 1000);
  const origin = core.currentTenantOrigin(tenant);
  const payload = {
    sub: tenant,
    [`${SO_CLAIM}ticket`]: ticket,
    [`${SO_CLAIM}ctx`]: tenant,
    [`${SO_CLAIM}webapi_url`]: core.webapiUrlFor(tenant, origin),
    [`${SO_CLAIM}netserver_url`]: `${origin}/${tenant}/Remote/Services88/`,
    [`${SO_CLAIM}system_token`]: systemToken,
    [`${SO_CLAIM}company_name`]: t.companyName,
    [`${SO_CLAIM}serial`]: t.serial,
    [`${SO_CLAIM}is_administrator`]: 'True',
    iat,
    nbf: iat - 60,
    exp: iat + 360,
    iss: 'SuperOffice AS',
    aud: `spn:${t.serial}`,
  };
  const fault = core.faults.systemUserJwt ?? 'valid';
  if (fault !== 'valid') rec.notes.push(`system user jwt fault: ${fault}`);
  const jwt = await mintSystemUserJwt(fault, payload, core.signing);
  core.addSecret(jwt);
  ctx.status = 200;
  ctx.body = { IsSuccessful: true, Token: jwt, ErrorMessage: '' };
}
