/**
 * `/harness/{jku|x5u}/{flow}`: the attacker's key as a JWKS or a PEM certificate, served for the
 * id_token scenarios that point `jku` / `x5u` here; a fetch is noted on the flow.
 */
import { attackerJwks, attackerKey } from '../scenarios.ts';
import type { Ctx, SuperId } from './context.ts';
import { decodeSafe } from './context.ts';

export async function harnessProbe(sid: SuperId, ctx: Ctx, kind: string, flowId: string): Promise<void> {
  const rec = ctx.state.rec;
  const id = decodeSafe(flowId);
  if (sid.core.flows.has(id)) rec.flowId = id;
  rec.notes.push(`${kind} fetched`);
  const k = await attackerKey();
  if (kind === 'jku') ctx.body = attackerJwks(k);
  else {
    ctx.type = 'application/x-pem-file';
    ctx.body = k.cert.pem;
  }
}
