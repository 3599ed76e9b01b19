/**
 * The contact list: the tenant's first ten contacts, fetched on the server with the user's token.
 * Tenant state, throttling, expired or revoked access and NetServer errors become messages.
 */
import Link from 'next/link';
import Layout, { ErrorBox } from '../components/Layout.js';
import { currentUser } from '../lib/auth.js';
import { log } from '../lib/log.js';
import { pageSession } from '../lib/page-session.js';
import { forgetTokens } from '../lib/token-store.js';
import { hasDefect } from '../lib/config.js';
import {
  ApiError,
  BusyError,
  SessionExpiredError,
  TenantUnavailableError,
  apiGet,
  currentPrincipal,
} from '../lib/tenant-api.js';

/** Contact search as the list page runs it: primary-key order, a page of 10, only the fields shown. */
const CONTACT_SEARCH = 'v1/Contact?$select=contactId,name&$orderby=contactId&$top=10';

export default function Contacts({ error, user, userName, contacts }) {
  if (error) {
    return (
      <Layout title={error.title}>
        <ErrorBox title={error.title}>
          <p>{error.message}</p>
        </ErrorBox>
        {error.signIn ? (
          <p>
            <Link className="button" href="/login?returnUrl=%2Fcontacts">
              Sign in again
            </Link>
          </p>
        ) : null}
        <p>
          <Link href="/">Back to Acme Next</Link>
        </p>
      </Layout>
    );
  }
  return (
    <Layout title="Contacts">
      <h1>Contacts</h1>
      <p>
        Signed in as <strong id="user-name">{userName}</strong> at{' '}
        <span id="company-name">{user.companyName}</span> ({user.ctx}).
      </p>
      <ul id="contacts">
        {contacts.map((c) => (
          <li key={c.id}>{c.name}</li>
        ))}
      </ul>
      <p>
        <Link href="/">Home</Link> · <Link href="/logout">Sign out</Link>
      </p>
    </Layout>
  );
}

function failure(res, status, title, message, extra = {}) {
  res.statusCode = status;
  return { props: { session: null, error: { title, message, signIn: false, ...extra } } };
}

export async function getServerSideProps({ req, res }) {
  const current = await currentUser(req);
  if (!current) return { redirect: { destination: '/login?returnUrl=%2Fcontacts', permanent: false } };
  const { tokens, user } = current;
  try {
    const principal = await currentPrincipal(tokens);
    const result = await apiGet(tokens, CONTACT_SEARCH);
    const contacts = (Array.isArray(result?.value) ? result.value : []).map((c, i) => ({
      id: `${String(c.contactId ?? '')}-${i}`,
      name: String(c.name ?? c.Name ?? ''),
    }));
    return {
      props: {
        session: await pageSession(req, res),
        user,
        userName: String(principal?.FullName ?? principal?.UserName ?? user.name),
        contacts,
      },
    };
  } catch (err) {
    if (err instanceof TenantUnavailableError) {
      return failure(
        res,
        503,
        'SuperOffice unavailable',
        `Your SuperOffice tenant is unavailable (${err.state}). Please try again later.`,
      );
    }
    if (err instanceof BusyError) {
      res.setHeader('Retry-After', String(err.retryAfterSeconds));
      return failure(
        res,
        503,
        'SuperOffice is busy',
        `SuperOffice is busy, please try again in ${err.retryAfterSeconds} seconds.`,
      );
    }
    if (err instanceof SessionExpiredError) {
      // Expired or revoked access: forget the tokens; the user has to sign in (and consent) again.
      forgetTokens(current.sid);
      return failure(
        res,
        401,
        'Signed out',
        'Your SuperOffice session has expired or access to SuperOffice was revoked. Please sign in again.',
        { signIn: true },
      );
    }
    if (err instanceof ApiError && err.status === 403) {
      // DEFECT denied-as-empty: "no rights, no rows": the denial is shown as an empty list.
      if (hasDefect('denied-as-empty'))
        return {
          props: { session: await pageSession(req, res), user, userName: user.name, contacts: [] },
        };
      // Sentry: the user's role gives no rights to companies. Say so; an empty list would lie.
      return failure(
        res,
        403,
        'No access to companies',
        'Your SuperOffice user has no rights to see companies. Ask your SuperOffice administrator for access.',
      );
    }
    log('contacts.failed', { ctx: user.ctx, error: err?.name ?? 'unknown', status: err?.status ?? '-' });
    return failure(
      res,
      502,
      'SuperOffice error',
      'SuperOffice could not answer right now. Please try again later.',
    );
  }
}
