/** CORS on the tenant API: headers for the registered origins, and the OPTIONS preflight. */
import type { IncomingMessage } from 'node:http';
import type { EmulatorCore } from '../core.ts';
import type { ExchangeMeta, Reply } from './context.ts';

export function cors(core: EmulatorCore, req: IncomingMessage): Record<string, string> {
  const origin = req.headers['origin'];
  if (typeof origin !== 'string' || !(core.options.app.corsOrigins ?? []).includes(origin)) return {};
  return {
    'Access-Control-Allow-Origin': origin,
    Vary: 'Origin',
    'Access-Control-Expose-Headers': 'Retry-After, WWW-Authenticate',
  };
}

export function preflight(core: EmulatorCore, req: IncomingMessage, meta: ExchangeMeta): Reply {
  meta.endpoint = 'cors-preflight';
  const origin = req.headers['origin'];
  const allowed = typeof origin === 'string' && (core.options.app.corsOrigins ?? []).includes(origin);
  meta.notes.push(allowed ? 'cors allowed' : `cors denied for origin ${String(origin ?? '(none)')}`);
  if (!allowed)
    return {
      status: 403,
      body: { Error: 'Origin not allowed', ErrorType: 'Cors', Message: 'Origin not allowed' },
    };
  return {
    status: 204,
    headers: {
      'Access-Control-Allow-Methods': 'GET, POST, PUT, PATCH, DELETE, OPTIONS',
      'Access-Control-Allow-Headers': String(
        req.headers['access-control-request-headers'] ?? 'Authorization, Content-Type, Accept',
      ),
      'Access-Control-Max-Age': '600',
    },
  };
}
