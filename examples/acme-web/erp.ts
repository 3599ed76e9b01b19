/**
 * The ERP connection of each Acme Web user (per SuperOffice tenant and associate), in memory, and
 * the simulated ERP behind it: it takes any non-empty API key, and a key that starts with
 * `expired-` is one the ERP has expired already (the way to try the expired case).
 */
import { createHash } from 'node:crypto';

/** What the simulated ERP says about an API key. */
export type ErpKeyState = 'valid' | 'expired';

export interface ErpConnection {
  /** The user's ERP API key; stays in memory, never logged. */
  key: string;
  /**
   * The "ERP connection expired" system message Acme Web shows the user in SuperOffice, until the
   * user reconnects and Acme Web removes it (or its Expire passes).
   */
  systemMessage?: { id: number; expiresAt: number } | undefined;
}

export function erpKeyState(key: string): ErpKeyState {
  return key.startsWith('expired-') ? 'expired' : 'valid';
}

/**
 * The user's own SystemMessageId for "ERP connection expired": the same number every time for a
 * tenant and associate (a hash, 1 to 999 999 999), so one user never gets two of them.
 */
export function systemMessageId(ctx: string, associateId: number): number {
  const hash = createHash('sha256').update(`${ctx}|${associateId}`).digest().readUInt32BE(0);
  return (hash % 999_999_999) + 1;
}

export class ErpConnections {
  readonly #connections = new Map<string, ErpConnection>();

  get(ctx: string, associateId: number): ErpConnection | undefined {
    return this.#connections.get(`${ctx}|${associateId}`);
  }

  /** Connects (or reconnects) the user with a new key; an open system message stays recorded. */
  connect(ctx: string, associateId: number, key: string): ErpConnection {
    const connection: ErpConnection = {
      key,
      systemMessage: this.get(ctx, associateId)?.systemMessage,
    };
    this.#connections.set(`${ctx}|${associateId}`, connection);
    return connection;
  }
}
