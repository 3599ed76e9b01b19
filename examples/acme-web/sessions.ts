/**
 * Server-side sessions and pending sign-ins, in memory. The browser only ever holds random ids
 * (`acme.sid`, `acme.tx`); tokens stay on the server.
 */
import { randomBytes } from 'node:crypto';
import type { Request, Response, CookieOptions } from 'express';

export interface Session {
  id: string;
  createdAt: number;
  user: { sub: string; name: string; ctx: string; companyName: string; isAdministrator: boolean };
  webapiUrl: string;
  accessToken: string;
  accessTokenExpiresAt: number;
  refreshToken: string | undefined;
  /** One refresh at a time per session. */
  refreshing?: Promise<void> | undefined;
  /** `User/currentPrincipal`, cached: it changes rarely (see PRINCIPAL_TTL_MS in server.ts). */
  principal?: { value: unknown; fetchedAt: number } | undefined;
}

export interface PendingSignIn {
  state: string;
  nonce: string;
  codeVerifier: string;
  returnUrl: string;
  createdAt: number;
}

export const SESSION_COOKIE = 'acme.sid';
export const TX_COOKIE = 'acme.tx';
const SESSION_TTL_MS = 8 * 3600_000;
const TX_TTL_MS = 10 * 60_000;

export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

function newId(): string {
  return randomBytes(32).toString('base64url');
}

export class SessionStore {
  readonly #sessions = new Map<string, Session>();
  readonly #pending = new Map<string, PendingSignIn>();
  readonly #cookie: CookieOptions;
  readonly #sweep: NodeJS.Timeout;

  /** `insecureCookie`: DEFECT insecure-cookie (session cookie readable by scripts, sent over http). */
  constructor(options: { insecureCookie: boolean }) {
    this.#cookie = options.insecureCookie
      ? { path: '/', sameSite: 'lax' }
      : { path: '/', sameSite: 'lax', httpOnly: true, secure: true };
    this.#sweep = setInterval(() => this.#expire(), 60_000).unref();
  }

  close(): void {
    clearInterval(this.#sweep);
  }

  #expire(): void {
    const now = Date.now();
    for (const [id, s] of this.#sessions) if (now - s.createdAt > SESSION_TTL_MS) this.#sessions.delete(id);
    for (const [id, t] of this.#pending) if (now - t.createdAt > TX_TTL_MS) this.#pending.delete(id);
  }

  get(req: Request): Session | undefined {
    const id = readCookie(req, SESSION_COOKIE);
    const session = id === undefined ? undefined : this.#sessions.get(id);
    if (session && Date.now() - session.createdAt > SESSION_TTL_MS) {
      this.#sessions.delete(session.id);
      return undefined;
    }
    return session;
  }

  /** Starts a new session (a new id: no fixation) and sets its cookie. */
  /** Some signed-in session of a tenant (only the panel-trusts-ctx defect asks). */
  anyOf(ctx: string): Session | undefined {
    return [...this.#sessions.values()].find((s) => s.user.ctx === ctx);
  }

  create(res: Response, data: Omit<Session, 'id' | 'createdAt'>): Session {
    const session: Session = { ...data, id: newId(), createdAt: Date.now() };
    this.#sessions.set(session.id, session);
    res.cookie(SESSION_COOKIE, session.id, { ...this.#cookie, maxAge: SESSION_TTL_MS });
    return session;
  }

  destroy(req: Request, res: Response): void {
    const id = readCookie(req, SESSION_COOKIE);
    if (id !== undefined) this.#sessions.delete(id);
    res.clearCookie(SESSION_COOKIE, this.#cookie);
  }

  /**
   * Remembers a sign-in attempt for this browser. `crossSitePost`: the answer arrives as a
   * cross-site form POST (response_mode=form_post), which only carries SameSite=None cookies.
   */
  begin(res: Response, tx: Omit<PendingSignIn, 'createdAt'>, crossSitePost: boolean): void {
    const id = newId();
    this.#pending.set(id, { ...tx, createdAt: Date.now() });
    res.cookie(TX_COOKIE, id, {
      path: '/',
      httpOnly: true,
      secure: true,
      sameSite: crossSitePost ? 'none' : 'lax',
      maxAge: TX_TTL_MS,
    });
  }

  /** The browser's pending sign-in, removed on first use. */
  take(req: Request, res: Response): PendingSignIn | undefined {
    const id = readCookie(req, TX_COOKIE);
    res.clearCookie(TX_COOKIE, { path: '/', httpOnly: true, secure: true });
    if (id === undefined) return undefined;
    const tx = this.#pending.get(id);
    this.#pending.delete(id);
    if (!tx || Date.now() - tx.createdAt > TX_TTL_MS) return undefined;
    return tx;
  }
}
