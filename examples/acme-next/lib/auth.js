/**
 * next-auth configuration: one provider (SuperOffice), JWT sessions in an encrypted, HttpOnly,
 * Secure, SameSite=Lax cookie that names the user and a server-side token entry (token-store.js).
 * Access and refresh tokens never go into the cookie or the client session object.
 */
import { getToken } from 'next-auth/jwt';
import { hasDefect, publicUrl } from './config.js';
import { log } from './log.js';
import { safeReturnPath } from './return-path.js';
import SuperOfficeProvider, { superOfficeClaims } from './superoffice.js';
import { forgetTokens, saveTokens, tokensFor } from './token-store.js';

const SESSION_MAX_AGE_SECONDS = 8 * 3600;

/** next-auth's own messages: the event code and the error's name, never its metadata. */
const quietLogger = {
  error(code, metadata) {
    const error = metadata?.error ?? metadata;
    log('auth.error', { code, error: error?.name ?? 'unknown' });
  },
  warn(code) {
    log('auth.warn', { code });
  },
  debug() {},
};

export const authOptions = {
  providers: [
    SuperOfficeProvider({
      clientId: process.env.SUPEROFFICE_CLIENT_ID,
      clientSecret: process.env.SUPEROFFICE_CLIENT_SECRET,
    }),
  ],
  secret: process.env.NEXTAUTH_SECRET,
  session: { strategy: 'jwt', maxAge: SESSION_MAX_AGE_SECONDS },
  // Production runs on HTTPS; browsers also accept Secure cookies from http://127.0.0.1.
  useSecureCookies: true,
  pages: { signIn: '/login', error: '/auth-error' },
  ...(hasDefect('nextauth-debug')
    ? // DEFECT nextauth-debug: "debug while we test on SOD", left on with next-auth's default logger.
      { debug: true }
    : { logger: quietLogger }),
  callbacks: {
    async signIn({ profile }) {
      if (!superOfficeClaims(profile)) {
        log('signin.refused', { reason: 'no_tenant_or_webapi_url' });
        return false;
      }
      return true;
    },
    async jwt({ token, account, profile }) {
      if (account && profile) {
        // A new sign-in: tokens go to the server-side store, the cookie gets the entry's id.
        const so = superOfficeClaims(profile);
        const sid = saveTokens({
          sub: profile.sub,
          ctx: so.ctx,
          webapiUrl: so.webapiUrl,
          accessToken: account.access_token,
          refreshToken: account.refresh_token,
          expiresAt: (account.expires_at ?? Math.floor(Date.now() / 1000) + 3600) * 1000,
        });
        log('signin.ok', { ctx: so.ctx });
        return {
          sid,
          sub: profile.sub,
          name: so.email ?? profile.sub,
          email: so.email ?? null,
          ctx: so.ctx,
          companyName: so.companyName,
          isAdministrator: so.isAdministrator,
        };
      }
      return token;
    },
    async session({ session, token }) {
      // What the browser may see (useSession(), /api/auth/session, page props): who, not how.
      session.user = { name: token.name, email: token.email ?? null, ctx: token.ctx };
      if (hasDefect('tokens-in-client-session')) {
        // DEFECT tokens-in-client-session: "the front-end may want to call SuperOffice itself".
        const entry = tokensFor(token.sid);
        session.accessToken = entry?.accessToken ?? null;
        session.refreshToken = entry?.refreshToken ?? null;
      }
      return session;
    },
    async redirect({ url, baseUrl }) {
      if (url.startsWith('/')) return `${baseUrl}${safeReturnPath(url)}`;
      if (URL.canParse(url) && new URL(url).origin === baseUrl) return url;
      return baseUrl;
    },
  },
  events: {
    async signOut({ token }) {
      forgetTokens(token?.sid);
      log('signout', { ctx: token?.ctx ?? '-' });
    },
  },
};

/**
 * The signed-in user of this request and their server-side tokens, or undefined (no session
 * cookie, an invalid one, or tokens that are gone: expired, revoked, or the server restarted).
 */
export async function currentUser(req) {
  const token = await getToken({ req, secret: process.env.NEXTAUTH_SECRET, secureCookie: true });
  if (!token?.sid) return undefined;
  const tokens = tokensFor(token.sid);
  if (!tokens || tokens.sub !== token.sub) return undefined;
  return {
    sid: token.sid,
    user: { name: token.name, ctx: token.ctx, companyName: token.companyName },
    tokens,
  };
}

export function postLogoutUrl() {
  return `${publicUrl()}/`;
}
