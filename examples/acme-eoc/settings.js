// Acme EOC's settings, all from the environment. SuperOffice's own address is not a setting: the
// app is registered for SuperOffice's development environment (SOD) and talks to it by name
// (superoffice.js).

import { randomBytes } from 'node:crypto';

export const KNOWN_DEFECTS = ['library-default-state', 'trust-library-validation', 'debug-logging'];

const DEFAULT_PORT = 5080;

export class SettingsError extends Error {
  constructor(message) {
    super(message);
    this.name = 'SettingsError';
  }
}

function required(env, name, what) {
  const value = env[name]?.trim();
  if (!value) throw new SettingsError(`${name} is not set (${what})`);
  return value;
}

function portFrom(value) {
  if (value === undefined || value.trim() === '') return DEFAULT_PORT;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new SettingsError('PORT must be a port number');
  return port;
}

function defectsFrom(value) {
  const names = new Set();
  for (const raw of (value ?? '').split(',')) {
    const name = raw.trim();
    if (name === '') continue;
    if (!KNOWN_DEFECTS.includes(name))
      throw new SettingsError(`DEFECTS names "${name}", which is not one of: ${KNOWN_DEFECTS.join(', ')}`);
    names.add(name);
  }
  return names;
}

/** Reads and checks the environment; throws SettingsError with a message fit for the console. */
export function readSettings(env = process.env) {
  const port = portFrom(env.PORT);
  const publicUrl = (env.PUBLIC_URL?.trim() || `http://127.0.0.1:${DEFAULT_PORT}`).replace(/\/+$/, '');
  let origin;
  try {
    origin = new URL(publicUrl);
  } catch {
    throw new SettingsError('PUBLIC_URL must be an absolute URL such as https://eoc.acme.example');
  }
  if (origin.protocol !== 'https:' && origin.protocol !== 'http:')
    throw new SettingsError('PUBLIC_URL must be an http(s) URL');
  const sessionSecret = env.SESSION_SECRET?.trim();
  if (sessionSecret !== undefined && sessionSecret !== '' && sessionSecret.length < 32)
    throw new SettingsError('SESSION_SECRET must be at least 32 characters');
  return Object.freeze({
    host: env.HOST?.trim() || '127.0.0.1',
    port,
    publicUrl,
    clientId: required(
      env,
      'SUPEROFFICE_CLIENT_ID',
      'the Application ID from the SuperOffice Developer Portal',
    ),
    clientSecret: required(env, 'SUPEROFFICE_CLIENT_SECRET', 'the client secret from the Developer Portal'),
    // Without one, sessions last until the next restart, which is fine for a single instance.
    sessionSecret: sessionSecret || randomBytes(32).toString('base64url'),
    defects: defectsFrom(env.DEFECTS),
  });
}
