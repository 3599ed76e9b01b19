/**
 * "Who am I": the signed-in user, as SuperOffice's tenant API knows them (current principal).
 * 200 when signed in (also when SuperOffice cannot answer right now), 401 when not.
 */
import Link from 'next/link';
import Layout, { ErrorBox } from '../components/Layout.js';
import { currentUser } from '../lib/auth.js';
import { log } from '../lib/log.js';
import { pageSession } from '../lib/page-session.js';
import { forgetTokens } from '../lib/token-store.js';
import {
  BusyError,
  SessionExpiredError,
  TenantUnavailableError,
  currentPrincipal,
} from '../lib/tenant-api.js';

export default function SessionPage({ signedIn, user, principalName, notice }) {
  if (!signedIn) {
    return (
      <Layout title="Not signed in">
        <ErrorBox title="Not signed in">
          <p>{notice ?? 'You are not signed in to Acme Next.'}</p>
        </ErrorBox>
        <p>
          <Link className="button" href="/login?returnUrl=%2Fsession">
            Sign in with SuperOffice
          </Link>
        </p>
      </Layout>
    );
  }
  return (
    <Layout title="Your session">
      <h1>Signed in</h1>
      <dl id="session">
        <dt>User</dt>
        <dd id="user-name">{principalName ?? user.name}</dd>
        <dt>SuperOffice tenant</dt>
        <dd id="tenant">{user.ctx}</dd>
        <dt>Company</dt>
        <dd>{user.companyName}</dd>
      </dl>
      {notice ? <p className="error">{notice}</p> : null}
      <p>
        <Link href="/contacts">Contacts</Link> · <Link href="/logout">Sign out</Link>
      </p>
    </Layout>
  );
}

export async function getServerSideProps({ req, res }) {
  const current = await currentUser(req);
  if (!current) {
    res.statusCode = 401;
    return { props: { signedIn: false, session: null } };
  }
  const props = { signedIn: true, session: await pageSession(req, res), user: current.user };
  try {
    const principal = await currentPrincipal(current.tokens, true);
    props.principalName = principal.FullName ?? principal.UserName ?? null;
  } catch (err) {
    if (err instanceof SessionExpiredError) {
      forgetTokens(current.sid);
      res.statusCode = 401;
      return {
        props: {
          signedIn: false,
          session: null,
          notice: 'Your SuperOffice session has expired. Please sign in again.',
        },
      };
    }
    props.notice =
      err instanceof TenantUnavailableError
        ? `Your SuperOffice tenant is unavailable (${err.state}). Please try again later.`
        : err instanceof BusyError
          ? `SuperOffice is busy, please try again in ${err.retryAfterSeconds} seconds.`
          : 'SuperOffice could not answer right now. Please try again later.';
    if (!(err instanceof TenantUnavailableError || err instanceof BusyError))
      log('session.api.failed', { ctx: current.user.ctx, error: err?.name ?? 'unknown' });
  }
  return { props };
}
