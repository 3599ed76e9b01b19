/**
 * Test-only preload for the app under test (`node --import <this file> server.ts`): records every
 * secret the app holds during a run, so the CLI redaction test knows exactly what must never
 * appear in the report. It appends, one per line as JSON, the client secret from the app's
 * environment and every token the app receives in a JSON response (SuperID's token endpoint), to the file named
 * by `SECRET_SPY_OUT`. It changes nothing the app sees.
 */
import { appendFileSync } from 'node:fs';

const out = process.env['SECRET_SPY_OUT'];

function record(kind: string, value: unknown): void {
  if (!out || typeof value !== 'string' || value.length < 6) return;
  appendFileSync(out, `${JSON.stringify({ kind, value })}\n`);
}

record('client-secret', process.env['SUPEROFFICE_CLIENT_SECRET']);

const realFetch = globalThis.fetch;
globalThis.fetch = async (
  input: Parameters<typeof fetch>[0],
  init?: Parameters<typeof fetch>[1],
): Promise<Response> => {
  const res = await realFetch(input, init);
  if ((res.headers.get('content-type') ?? '').includes('json')) {
    const body = (await res
      .clone()
      .json()
      .catch(() => ({}))) as Record<string, unknown>;
    for (const kind of ['access_token', 'refresh_token', 'id_token']) record(kind, body[kind]);
  }
  return res;
};
