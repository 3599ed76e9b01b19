// Starting and ending a SuperOffice sign-in. The callback itself is the library's (/callback).

import { Router } from 'express';
import { accountOf, localPath } from '../oidc.js';

export function signInRoutes({ log }) {
  const router = Router();

  // /login[?returnUrl=/path]: straight on to SuperID's authorize endpoint.
  router.get('/login', (req, res) => {
    log('signin.start');
    return res.oidc.login({ returnTo: localPath(req.query.returnUrl) });
  });

  // Signs out here and at SuperID, which then sends the browser back to the start page.
  router.get('/logout', (req, res) => {
    log('signout', { ctx: accountOf(req)?.ctx ?? '-' });
    // The library would put the id_token in the logout URL (id_token_hint); SuperID does not need it.
    return res.oidc.logout({ logoutParams: { id_token_hint: null } });
  });

  return router;
}
