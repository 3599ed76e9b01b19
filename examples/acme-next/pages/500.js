import Link from 'next/link';
import Layout, { ErrorBox } from '../components/Layout.js';

export default function ServerError() {
  return (
    <Layout title="Something went wrong">
      <ErrorBox title="Something went wrong">
        <p>Acme Next could not complete your request. Please try again later.</p>
      </ErrorBox>
      <p>
        <Link href="/">Back to Acme Next</Link>
      </p>
    </Layout>
  );
}
