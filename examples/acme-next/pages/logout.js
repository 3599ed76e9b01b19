/**
 * Sign-out: ends the next-auth session (CSRF-protected POST, which also drops the server-side
 * tokens), then SuperID's session, which returns to our registered post-logout URL.
 */
import { signOut } from 'next-auth/react';
import { useEffect } from 'react';
import Layout from '../components/Layout.js';
import { postLogoutUrl } from '../lib/auth.js';
import { LOGOUT_URL } from '../lib/superoffice.js';

export default function Logout({ superIdLogoutUrl }) {
  useEffect(() => {
    void signOut({ redirect: false })
      .catch(() => undefined)
      .then(() => window.location.replace(superIdLogoutUrl));
  }, [superIdLogoutUrl]);
  return (
    <Layout title="Signing out">
      <h1>Signing out…</h1>
      <p>You are being signed out of Acme Next and SuperOffice.</p>
    </Layout>
  );
}

export async function getServerSideProps() {
  const url = new URL(LOGOUT_URL);
  url.search = new URLSearchParams({
    client_id: process.env.SUPEROFFICE_CLIENT_ID ?? '',
    post_logout_redirect_uri: postLogoutUrl(),
  }).toString();
  return { props: { session: null, superIdLogoutUrl: url.href } };
}
