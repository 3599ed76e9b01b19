/**
 * System messages (`Agents/Diagnostics/SendSystemMessage`, `RemoveSystemMessage`,
 * `GetSystemMessages`): the yellow banner SuperOffice shows a user. The app chooses each message's
 * `SystemMessageId`; a normal user may message only themselves, administrators and the system
 * user anyone. Kept for the whole run, per tenant.
 */
import type { Reply } from './context.ts';
import { err } from './context.ts';

export interface SystemMessage {
  SystemMessageId: number;
  AssociateId: number;
  MarkdownMessage: string;
  Expire?: string;
  Type?: string;
}

/** Who calls: a user (their associate id, and whether they administer the tenant) or the system user. */
export type MessageSender =
  { kind: 'user'; associateId: number; isAdministrator: boolean } | { kind: 'system' };

const integer = (v: unknown): number | undefined => {
  const n = typeof v === 'string' && /^\d{1,9}$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : undefined;
};

export class SystemMessages {
  readonly #messages = new Map<string, SystemMessage>();

  /** `fn`: the Diagnostics agent method, lower case; `json`: the parsed body. */
  call(fn: string, json: unknown, tenant: string, sender: MessageSender): Reply | undefined {
    const body = (json && typeof json === 'object' && !Array.isArray(json) ? json : {}) as Record<
      string,
      unknown
    >;
    if (fn === 'sendsystemmessage') {
      const id = integer(body['SystemMessageId']);
      const to = integer(body['AssociateId']);
      const text = body['MarkdownMessage'];
      if (id === undefined || to === undefined || typeof text !== 'string' || text.trim() === '')
        return err(
          400,
          'SendSystemMessage needs SystemMessageId, AssociateId and MarkdownMessage',
          'BadRequest',
        );
      if (sender.kind === 'user' && !sender.isAdministrator && sender.associateId !== to)
        return err(
          403,
          'Only administrators and the system user may send system messages to other users',
          'SoAccessDeniedException',
        );
      const expire = typeof body['Expire'] === 'string' && body['Expire'] ? body['Expire'] : undefined;
      const type = typeof body['Type'] === 'string' && body['Type'] ? body['Type'] : undefined;
      this.#messages.set(`${tenant}|${id}`, {
        SystemMessageId: id,
        AssociateId: to,
        MarkdownMessage: text,
        ...(expire ? { Expire: expire } : {}),
        ...(type ? { Type: type } : {}),
      });
      return { status: 204 };
    }
    if (fn === 'removesystemmessage') {
      const id = integer(body['SystemMessageId']);
      if (id === undefined) return err(400, 'RemoveSystemMessage needs SystemMessageId', 'BadRequest');
      this.#messages.delete(`${tenant}|${id}`);
      return { status: 204 };
    }
    if (fn === 'getsystemmessages')
      return {
        status: 200,
        body: [...this.#messages.entries()]
          .filter(
            ([k, m]) =>
              k.startsWith(`${tenant}|`) &&
              (sender.kind === 'system' || m.AssociateId === sender.associateId),
          )
          .map(([, m]) => m),
      };
    return undefined;
  }
}
