/** The client session object for page props (what useSession() shows), or null. */
import { getServerSession } from 'next-auth/next';
import { authOptions } from './auth.js';

export async function pageSession(req, res) {
  return (await getServerSession(req, res, authOptions)) ?? null;
}
