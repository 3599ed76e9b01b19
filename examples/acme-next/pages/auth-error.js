/** Where next-auth sends failed sign-ins (`?error=Code`): a message, never details. */
import Link from 'next/link';
import Layout, { ErrorBox } from '../components/Layout.js';

const MESSAGES = {
  AccessDenied: 'Your SuperOffice account gave Acme Next no tenant to work with.',
  OAuthCallback:
    'SuperOffice did not sign you in, or the answer did not match your sign-in attempt (you may have declined access, or the sign-in expired).',
  OAuthSignin: 'The sign-in with SuperOffice could not be started. Please try again later.',
  Configuration: 'Acme Next is not configured correctly. Please contact support.',
};

export default function AuthError({ message }) {
  return (
    <Layout title="Sign-in failed">
      <ErrorBox title="Sign-in failed">
        <p>{message}</p>
      </ErrorBox>
      <p>
        <Link className="button" href="/login">
          Try again
        </Link>{' '}
        <Link href="/">Back to Acme Next</Link>
      </p>
    </Layout>
  );
}

export async function getServerSideProps({ res, query }) {
  const code = typeof query.error === 'string' ? query.error : '';
  res.statusCode = code === 'Configuration' ? 500 : 400;
  return {
    props: {
      session: null,
      message: Object.hasOwn(MESSAGES, code)
        ? MESSAGES[code]
        : 'SuperOffice could not sign you in. Please try again.',
    },
  };
}
