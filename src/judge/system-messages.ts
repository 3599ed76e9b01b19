/**
 * OPS-SYSTEM-MESSAGES: the system messages (SuperOffice's yellow banner) a journey made the app
 * send. One message per condition and user, removed once the condition clears (the journey's
 * later steps, e.g. the user reconnecting), or at least given an `Expire`; a normal user's token
 * may message only that user.
 */
import type { Judgement } from './index.ts';
import { parsedObject } from './shared.ts';

/** A request the app sent during the journey, as recorded. */
export interface MessageCall {
  method: string;
  url: string;
  status: number;
  body: string;
}

interface Sent {
  id: number;
  to: number;
  text: string;
  expire: string | undefined;
}

const FN = /\/v1\/agents?\/diagnostics\/(sendsystemmessage|removesystemmessage)(?:[/?]|$)/i;

const short = (text: string): string => {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > 80 ? `${t.slice(0, 77)}...` : t;
};

export function judgeSystemMessages(o: { calls: readonly MessageCall[]; where: string }): Judgement {
  const open = new Map<number, Sent>();
  const floods: string[] = [];
  const refused: string[] = [];
  let sent = 0;
  let removed = 0;
  for (const c of o.calls) {
    const fn = FN.exec(c.url)?.[1]?.toLowerCase();
    if (!fn || c.method.toUpperCase() !== 'POST') continue;
    const b = parsedObject(c.body);
    const id = Number(b['SystemMessageId']);
    if (fn === 'removesystemmessage') {
      if (c.status < 300 && open.delete(id)) removed++;
      continue;
    }
    const to = Number(b['AssociateId']);
    if (c.status === 403) {
      refused.push(`associate ${to}`);
      continue;
    }
    if (c.status >= 300) continue;
    sent++;
    const text = typeof b['MarkdownMessage'] === 'string' ? b['MarkdownMessage'] : '';
    const earlier = [...open.values()].find((m) => m.to === to && m.id !== id);
    if (earlier)
      floods.push(
        `id ${id} to associate ${to} while id ${earlier.id} ("${short(earlier.text)}") was still shown`,
      );
    open.set(id, {
      id,
      to,
      text,
      expire: typeof b['Expire'] === 'string' && b['Expire'] ? b['Expire'] : undefined,
    });
  }
  if (refused.length > 0)
    return {
      status: 'fail',
      message: `${o.where}: the app tried to message ${refused.join(', ')} with a normal user's token and SuperOffice refused (403); only administrators and the system user may message other users`,
    };
  if (sent === 0)
    return {
      status: 'not-run',
      message: `not run: ${o.where} made the app send no system message`,
    };
  if (floods.length > 0)
    return {
      status: 'fail',
      message: `${o.where}: ${sent} system messages sent, the later ones while an earlier one to the same user was still shown (${floods.join('; ')}): send one message per condition and user, and remove it (RemoveSystemMessage) when the condition clears`,
    };
  const left = [...open.values()];
  const forever = left.filter((m) => m.expire === undefined);
  if (forever.length > 0)
    return {
      status: 'warn',
      message: `${o.where}: system message id ${forever[0]!.id} to associate ${forever[0]!.to} ("${short(forever[0]!.text)}") was not removed by the journey's end and has no Expire: it stays on the user's screen until removed; remove it when the condition clears (e.g. after the user reconnects)`,
    };
  return {
    status: 'pass',
    message:
      left.length === 0
        ? `${o.where}: ${sent} system message(s) sent and removed again (RemoveSystemMessage) within the journey`
        : `${o.where}: ${sent} system message(s) sent; ${removed} removed within the journey, ${left.length} left to expire (${left.map((m) => m.expire).join(', ')})`,
  };
}
