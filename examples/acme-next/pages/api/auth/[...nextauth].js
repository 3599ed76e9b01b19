import NextAuthModule from 'next-auth';
import { authOptions } from '../../../lib/auth.js';

// next-auth v4 is CommonJS: in an ES-module package ("type": "module") webpack hands a default
// import the whole module object, so take its `default` export where there is one.
const NextAuth = NextAuthModule.default ?? NextAuthModule;

export default NextAuth(authOptions);
