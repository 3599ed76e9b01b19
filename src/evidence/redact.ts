/**
 * Redaction of secrets from everything the harness records or writes. The report writer runs
 * every written text through a redactor as a last line of defence, so no artifact contains the
 * client secret, a private key, refresh/access tokens, system tickets or passwords in clear.
 *
 * @example
 * ```ts
 * const r = createRedactor([{ value: clientSecret, kind: 'client-secret' }]);
 * r.redact(`client_secret=${clientSecret}`); // 'client_secret=[REDACTED:client-secret]'
 * ```
 */
import type { Evidence } from '../findings.ts';
import { NeedleIndex, needlesFor, type SecretInput } from './encodings.ts';

export type { SecretInput } from './encodings.ts';

export interface Redactor {
  /** Replaces known secrets (in all their encodings) and secret-looking values in `text`. */
  redact(text: string): string;
  /** A copy of `value` with every string (not object keys) redacted. */
  redactDeep<T>(value: T): T;
  /** An exchange excerpt with URL, header values and bodies redacted. */
  redactExchange<E extends Extract<Evidence, { kind: 'exchange' }>>(exchange: E): E;
  /** Any evidence item; decoded tokens (forged by the harness) keep their claims readable. */
  redactEvidence<E extends Evidence>(evidence: E): E;
  /** Redacts these secrets too, from now on (a run's secrets only grow). */
  addSecrets(secrets: readonly SecretInput[]): void;
}

type Replacer = (match: string, ...groups: string[]) => string;

/** Secret-looking values, whatever their value. Order matters: whole blocks before fragments. */
const GENERIC: Array<[RegExp, Replacer]> = [
  [
    /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY-----/g,
    () => '[REDACTED:private-key]',
  ],
  [/-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----/g, () => '[REDACTED:private-key]'],
  [/<(D|P|Q|DP|DQ|InverseQ)>[^<]{8,}<\/\1>/g, (_m, tag = '') => `<${tag}>[REDACTED:private-key]</${tag}>`],
  [/(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*/g, () => '[REDACTED:jwt]'],
  [
    /\b(Bearer)(\s+|%20|\+)[A-Za-z0-9\-._~+/:]{8,}=*/gi,
    (_m, w = '', sp = '') => `${w}${sp}[REDACTED:bearer]`,
  ],
  [/\b(SOTicket)(\s+|%20|\+)[^\s"'<>,;&\\]{6,}/gi, (_m, w = '', sp = '') => `${w}${sp}[REDACTED:ticket]`],
  [/\b(SO-AppToken["']?\s*[:=]\s*["']?)[^\s"'<>,;&\\]+/gi, (_m, head = '') => `${head}[REDACTED:app-token]`],
  [
    /\b(client_secret|refresh_token|access_token|password|client_assertion)(=|%3D)[^&\s"'<>\\]+/gi,
    (_m, name = '', eq = '') => `${name}${eq}[REDACTED:${name.toLowerCase().replace(/_/g, '-')}]`,
  ],
  [
    /("(?:client_secret|refresh_token|access_token|password|ClientSecret|RefreshToken|AccessToken|Ticket)"\s*:\s*")((?:[^"\\]|\\.)+)"/g,
    (_m, head = '') =>
      `${head}[REDACTED:${head
        .replace(/[^A-Za-z_]/g, '')
        .toLowerCase()
        .replace(/_/g, '-')}]"`,
  ],
  [/(?<![A-Za-z0-9])(7T|8A|7A)(:|%3A|%3a)[A-Za-z0-9+/=_.-]{6,}/g, (_m, p = '') => `${p}:[REDACTED:ticket]`],
];

const SENSITIVE_HEADERS = new Set(['authorization', 'proxy-authorization', 'so-apptoken', 'x-api-key']);

function redactCookieHeader(value: string, setCookie: boolean): string {
  if (setCookie) {
    const [pair = '', ...attrs] = value.split(';');
    const eq = pair.indexOf('=');
    const name = eq >= 0 ? pair.slice(0, eq) : pair;
    return [`${name}=[REDACTED:cookie]`, ...attrs].join(';');
  }
  return value
    .split(';')
    .map((part) => {
      const eq = part.indexOf('=');
      return eq >= 0 ? `${part.slice(0, eq)}=[REDACTED:cookie]` : part;
    })
    .join(';');
}

export function createRedactor(secrets: readonly SecretInput[] = []): Redactor {
  const known = new NeedleIndex();
  const addSecrets = (more: readonly SecretInput[]): void => known.add(needlesFor(more));
  addSecrets(secrets);

  const redact = (text: string): string => {
    if (typeof text !== 'string' || text.length === 0) return text;
    let out = known.replace(text, (needle) => needle.marker);
    for (const [pattern, replace] of GENERIC) out = out.replace(pattern, replace as (m: string) => string);
    return out;
  };

  const redactDeep = <T>(value: T): T => {
    if (typeof value === 'string') return redact(value) as T;
    if (Array.isArray(value)) return value.map((v) => redactDeep(v)) as T;
    if (value && typeof value === 'object') {
      if (Buffer.isBuffer(value) || value instanceof Uint8Array) return value;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v);
      return out as T;
    }
    return value;
  };

  const redactHeaders = (headers: Record<string, string> | undefined): Record<string, string> | undefined => {
    if (!headers) return headers;
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) {
      const lower = name.toLowerCase();
      if (SENSITIVE_HEADERS.has(lower)) {
        const scheme = /^(Bearer|Basic|SOTicket|Digest)\s+/i.exec(value)?.[1];
        out[name] = scheme ? `${scheme} [REDACTED:${lower}]` : `[REDACTED:${lower}]`;
      } else if (lower === 'cookie' || lower === 'set-cookie') {
        out[name] = redact(redactCookieHeader(value, lower === 'set-cookie'));
      } else {
        out[name] = redact(value);
      }
    }
    return out;
  };

  const redactExchange = <E extends Extract<Evidence, { kind: 'exchange' }>>(exchange: E): E => {
    const out = {
      ...exchange,
      label: redact(exchange.label),
      method: redact(exchange.method),
      url: redact(exchange.url),
    };
    if (exchange.requestHeaders) out.requestHeaders = redactHeaders(exchange.requestHeaders) ?? {};
    if (exchange.responseHeaders) out.responseHeaders = redactHeaders(exchange.responseHeaders) ?? {};
    if (exchange.requestBody !== undefined) out.requestBody = redact(exchange.requestBody);
    if (exchange.responseBody !== undefined) out.responseBody = redact(exchange.responseBody);
    return out;
  };

  const redactEvidence = <E extends Evidence>(evidence: E): E => {
    switch (evidence.kind) {
      case 'exchange':
        return redactExchange(evidence) as E;
      case 'token':
        // Forged tokens are shown decoded on purpose; only their string values are redacted.
        return {
          ...evidence,
          label: redact(evidence.label),
          header: redactDeep(evidence.header),
          payload: redactDeep(evidence.payload),
        } as E;
      default:
        return redactDeep(evidence);
    }
  };

  return { redact, redactDeep, redactExchange, redactEvidence, addSecrets };
}
