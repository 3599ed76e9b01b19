import Head from 'next/head';
import Link from 'next/link';
import { useSession } from 'next-auth/react';

export default function Layout({ title, children }) {
  const { data: session, status } = useSession();
  return (
    <>
      <Head>
        <title>{`${title} · Acme Next`}</title>
        <meta name="viewport" content="width=device-width, initial-scale=1" />
      </Head>
      <header>
        <span>
          <strong>Acme Next</strong> for SuperOffice CRM Online
        </span>
        {status === 'authenticated' && session?.user ? (
          <span>
            {session.user.name} · <Link href="/logout">Sign out</Link>
          </span>
        ) : null}
      </header>
      <main>{children}</main>
    </>
  );
}

export function ErrorBox({ title, children }) {
  return (
    <section className="error">
      <h1>{title}</h1>
      {children}
    </section>
  );
}
