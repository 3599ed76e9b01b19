import Link from 'next/link';
import Layout, { ErrorBox } from '../components/Layout.js';

export default function NotFound() {
  return (
    <Layout title="Not found">
      <ErrorBox title="Not found">
        <p>There is no such page in Acme Next.</p>
      </ErrorBox>
      <p>
        <Link href="/">Back to Acme Next</Link>
      </p>
    </Layout>
  );
}
