/**
 * SECRET-ROTATION-READY: what the app does once SuperID refuses its client secret (the partner
 * replaced it in the Developer Portal and the app still holds the old one). It must not retry in
 * a tight loop, and it should tell its operator: a line in its own output.
 */
import type { Judgement } from './index.ts';
import { peakWithin } from './shared.ts';

/** More refused requests than this within {@link LOOP_WINDOW_MS} is a tight loop. */
export const LOOP_LIMIT = 3;
export const LOOP_WINDOW_MS = 10_000;

/** Words an operator-facing line about refused credentials uses, in any logging style. */
const OPERATOR_WORDS =
  /invalid[_ ]client|client[_ ]?secret|application[_ ]?token|unauthori[sz]ed|\b401\b|credential|denied|reject|refus|fail|error/i;

/**
 * An access-log line (method, path, status: `GET /callback 400 3 ms`, the common log format's
 * `"GET /callback?code=... HTTP/1.1" 500`, or a JSON logger's `"method":"GET"` with a
 * `"statusCode":302`) reports a request the app answered, not the refusal, even when its path
 * says `/auth-error?error=invalid_client`.
 */
const ACCESS_LOG =
  /\b(?:GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) (?:\/|https?:\/\/)\S*(?: HTTP\/[\d.]+"?)? [1-5]\d\d\b/;
const JSON_ACCESS_LOG = [
  /"method"\s*:\s*"(?:GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS)"/,
  /"status(?:Code)?"\s*:\s*[1-5]\d\d\b/,
];
/** URLs and paths: what they carry (`/auth-error`, `?error=...`) is an address, not a message. */
const ADDRESSES = /\b[a-z][\w+.-]*:\/\/\S+|(?<![\w/])\/[\w\-./~%]*(?:\?[^\s"']*)?/gi;

/** Whether an output line tells an operator that the credentials were refused. */
export function toldOperator(line: string): boolean {
  if (ACCESS_LOG.test(line)) return false;
  // A JSON request log that carries the error it met (pino-http's "request errored") does tell.
  if (JSON_ACCESS_LOG.every((r) => r.test(line)) && !/"err(?:or)?"\s*:/.test(line)) return false;
  return OPERATOR_WORDS.test(line.replace(ADDRESSES, ' '));
}

export function judgeSecretRejected(o: {
  /** When the app sent a request with the refused secret (ms), from the replacement on. */
  refused: readonly number[];
  /** The app's output lines since the replacement; undefined when the harness does not see it. */
  output: readonly string[] | undefined;
  /** What the user (or the scheduler) did to make the app use its secret. */
  action: string;
}): Judgement {
  if (o.refused.length === 0)
    return {
      status: 'error',
      message: `cannot judge: after the secret was replaced, ${o.action} made the app send no request with it (no code exchange, refresh or system-user login)`,
    };
  const peak = peakWithin(o.refused, LOOP_WINDOW_MS);
  if (peak > LOOP_LIMIT)
    return {
      status: 'fail',
      message: `after the secret was replaced, ${o.action} made the app send it ${peak} times within ${LOOP_WINDOW_MS / 1000} s (all refused with invalid_client): a tight loop. A refused secret will not start working by itself: log one clear error and stop (or back off) until the configuration holds the new secret`,
    };
  const tried = `${o.refused.length} request(s) with the refused secret`;
  if (o.output === undefined)
    return {
      status: 'pass',
      message: `${tried}, no tight loop; the app's own output is not captured here (started outside the harness), so whether it told its operator is attested`,
    };
  const line = o.output.find(toldOperator);
  if (line)
    return {
      status: 'pass',
      message: `${tried}, no tight loop, and the app said so in its output: ${line.trim().slice(0, 160)}`,
    };
  return {
    status: 'warn',
    message: `${tried}, no tight loop, but the app wrote nothing about it to its output (${o.output.length} new line(s), request logs aside): log one clear error naming the environment, so an operator knows to put the new secret in the configuration`,
  };
}
