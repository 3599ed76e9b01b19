/**
 * SuperOffice tokens, kept on the server. The browser's next-auth session cookie (an encrypted
 * JWT) carries only a random session id (`sid`) and who the user is; the access and refresh
 * tokens live here, keyed by that id, so a refresh after a 401 can replace them in place.
 *
 * In memory for this example (one `next start` process); a deployment with several instances
 * keeps this in its database or Redis. Stored on globalThis: Next.js may load this module once
 * per route bundle, and every route must see the same tokens.
 */
import { randomBytes } from 'node:crypto';

const TTL_MS = 8 * 3600_000;

const store = (globalThis.__acmeNextTokenStore ??= new Map());

function sweep() {
  const now = Date.now();
  for (const [sid, entry] of store) if (now - entry.createdAt > TTL_MS) store.delete(sid);
}

/** Keeps the tokens of a new sign-in; returns the id the session cookie refers to. */
export function saveTokens(data) {
  sweep();
  const sid = randomBytes(24).toString('base64url');
  store.set(sid, { ...data, createdAt: Date.now(), refreshing: undefined });
  return sid;
}

/** The session's token entry (mutable: refreshed in place), or undefined. */
export function tokensFor(sid) {
  if (typeof sid !== 'string') return undefined;
  const entry = store.get(sid);
  if (entry && Date.now() - entry.createdAt > TTL_MS) {
    store.delete(sid);
    return undefined;
  }
  return entry;
}

export function forgetTokens(sid) {
  if (typeof sid === 'string') store.delete(sid);
}
