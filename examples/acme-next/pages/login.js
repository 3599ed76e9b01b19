/**
 * Sign-in start (`/login?returnUrl=/path`): next-auth starts OAuth with a CSRF-protected POST,
 * so this page does it from the browser as soon as it loads, as SuperOffice's Next.js sample does.
 */
import { signIn } from 'next-auth/react';
import { useEffect } from 'react';
import Layout from '../components/Layout.js';
import { currentUser } from '../lib/auth.js';
import { safeReturnPath } from '../lib/return-path.js';

export default function Login({ callbackUrl, autoStart }) {
  useEffect(() => {
    if (autoStart) void signIn('superoffice', { callbackUrl });
  }, [callbackUrl, autoStart]);
  return (
    <Layout title="Sign in">
      <h1>{autoStart ? 'Signing in…' : 'Sign in'}</h1>
      <p>
        {autoStart
          ? 'Taking you to SuperOffice to sign in.'
          : 'The sign-in could not be started. Please try again.'}
      </p>
      <p>
        <button className="button" type="button" onClick={() => void signIn('superoffice', { callbackUrl })}>
          Sign in with SuperOffice
        </button>
      </p>
    </Layout>
  );
}

export async function getServerSideProps({ req, query }) {
  const returnUrl = safeReturnPath(Array.isArray(query.returnUrl) ? query.returnUrl[0] : query.returnUrl);
  // Already signed in (and the server still holds the tokens): go straight on.
  if (await currentUser(req)) return { redirect: { destination: returnUrl, permanent: false } };
  // next-auth sends the browser back here after a failed start: no automatic retry loop then.
  const autoStart = query.error === undefined && query.csrf === undefined;
  return { props: { callbackUrl: returnUrl, autoStart } };
}
