/**
 * State Change URL: SuperOffice posts tenant state changes here. Only notifications whose token
 * SuperID signed for this app are acted on; others get 4xx and change nothing.
 */
import { log } from '../../lib/log.js';
import { InvalidNotificationError, validateNotification } from '../../lib/notifications.js';
import { notifyStateChange } from '../../lib/tenant-api.js';

export const config = { api: { bodyParser: { sizeLimit: '64kb' } } };

export default async function stateChange(req, res) {
  res.setHeader('Cache-Control', 'no-store');
  if (req.method !== 'POST') {
    res.setHeader('Allow', 'POST');
    return res.status(405).json({ ok: false, reason: 'POST only' });
  }
  try {
    const { ctx, type } = await validateNotification(req.body);
    notifyStateChange(ctx, type);
    log('webhook.accepted', { ctx, type });
    return res.status(200).json({ ok: true });
  } catch (err) {
    if (err instanceof InvalidNotificationError) {
      log('webhook.rejected', { reason: err.message.replace(/\s+/g, '_') });
      return res
        .status(err.message === 'malformed notification' ? 400 : 401)
        .json({ ok: false, reason: err.message });
    }
    log('webhook.failed', { error: err?.name ?? 'unknown' });
    return res.status(500).json({ ok: false, reason: 'could not process the notification' });
  }
}
