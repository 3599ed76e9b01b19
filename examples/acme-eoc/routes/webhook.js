// The app's State Change URL: SuperOffice tells Acme EOC when a tenant is upgraded, suspended,
// resumed, deleted or moved. Nothing is believed before the notification's Token is verified.

import express, { Router } from 'express';
import { RejectedToken, verifyNotificationToken } from '../superoffice.js';

const CHANGE_TYPES = new Set([0, 1, 2, 3, 4, 5]); // Upgrade ... Move
const TENANT_ID = /^Cust\d{1,10}$/;

/** The parts of a notification Acme EOC uses, or undefined when the body is not one. */
function notificationIn(body) {
  const changeType = body?.ChangeType;
  const ctx = body?.ContextIdentifier;
  if (!CHANGE_TYPES.has(changeType)) return undefined;
  if (typeof ctx !== 'string' || !TENANT_ID.test(ctx)) return undefined;
  return { changeType, ctx, token: body.Token };
}

export function webhookRoutes({ settings, tenantApi, log }) {
  const router = Router();

  router.post('/webhook', express.json({ limit: '32kb' }), async (req, res, next) => {
    const notification = notificationIn(req.body);
    if (!notification)
      return res.status(400).json({ accepted: false, reason: 'not a state-change notification' });
    const { changeType, ctx, token } = notification;
    try {
      await verifyNotificationToken(token, { clientId: settings.clientId, ctx });
    } catch (err) {
      if (!(err instanceof RejectedToken)) return next(err);
      log('webhook.rejected', { ctx, why: err.message });
      return res.status(401).json({ accepted: false, reason: 'token not accepted' });
    }
    tenantApi.stateChanged(ctx, changeType);
    log('webhook.accepted', { ctx, changeType });
    res.json({ accepted: true });
  });

  return router;
}
