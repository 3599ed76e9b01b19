import Link from 'next/link';
import Layout from '../components/Layout.js';
import { pageSession } from '../lib/page-session.js';

export default function Home({ session }) {
  return (
    <Layout title="Home">
      {session?.user ? (
        <>
          <h1>Welcome, {session.user.name}</h1>
          <p>
            Signed in to SuperOffice tenant <strong>{session.user.ctx}</strong>.
          </p>
          <p>
            <Link className="button" href="/contacts">
              Show contacts
            </Link>{' '}
            <Link href="/logout">Sign out</Link>
          </p>
        </>
      ) : (
        <>
          <h1>Acme Next</h1>
          <p>Acme Next shows your SuperOffice contacts.</p>
          <p>
            <Link className="button" href="/login">
              Sign in with SuperOffice
            </Link>
          </p>
        </>
      )}
    </Layout>
  );
}

export async function getServerSideProps({ req, res }) {
  return { props: { session: await pageSession(req, res) } };
}
