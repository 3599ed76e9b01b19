/**
 * Tenant state-change notifications (the app's State Change URL). The `Token` in each message is
 * a JWT signed by SuperID: verified here with jose against SuperID's JWKS (refetched on an
 * unknown `kid`), issuer https://sod.superoffice.com, our client id as audience, lifetime with
 * 60 s skew, and its ctx claim must name the notified tenant.
 */
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { clientId } from './config.js';
import { CLAIM, JWKS_URL, SUPEROFFICE_URL } from './superoffice.js';

export const CHANGE_TYPES = ['Upgrade', 'BackupRestored', 'Suspend', 'Resume', 'Delete', 'Move'];

const keys = (globalThis.__acmeNextSuperIdKeys ??= createRemoteJWKSet(new URL(JWKS_URL), {
  cooldownDuration: 1_000,
  cacheMaxAge: 10 * 60_000,
  timeoutDuration: 5_000,
}));

/** A notification that must not be acted on. */
export class InvalidNotificationError extends Error {
  constructor(reason) {
    super(reason);
    this.name = 'InvalidNotificationError';
  }
}

/** Parses and validates one notification body; returns `{ ctx, type }` or throws. */
export async function validateNotification(body) {
  const changeType = body?.ChangeType;
  const ctx = body?.ContextIdentifier;
  if (
    !Number.isInteger(changeType) ||
    CHANGE_TYPES[changeType] === undefined ||
    typeof ctx !== 'string' ||
    !/^Cust\d+$/.test(ctx)
  ) {
    throw new InvalidNotificationError('malformed notification');
  }
  const token = body.Token;
  if (typeof token !== 'string' || token === '') throw new InvalidNotificationError('no token');
  let payload;
  try {
    ({ payload } = await jwtVerify(token, keys, {
      algorithms: ['RS256'],
      issuer: SUPEROFFICE_URL,
      audience: clientId(),
      clockTolerance: 60,
      requiredClaims: ['exp'],
    }));
  } catch {
    throw new InvalidNotificationError('invalid token');
  }
  if (payload[`${CLAIM}ctx`] !== ctx) throw new InvalidNotificationError('token names another tenant');
  return { ctx, type: CHANGE_TYPES[changeType] };
}
