/** Redirect-URI matching as SuperOffice registers them: exact URLs or anchored `^...$` patterns. */

const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

function isPattern(r: string): boolean {
  return r.startsWith('^') && r.endsWith('$');
}

function withoutLoopbackPort(u: string): string | undefined {
  try {
    const url = new URL(u);
    if (url.protocol !== 'http:' || !LOOPBACK.has(url.hostname)) return undefined;
    url.port = '';
    return url.href;
  } catch {
    return undefined;
  }
}

/**
 * True when `value` is registered: exactly, by an anchored pattern, or (native apps) as a
 * loopback URL that differs only by port (RFC 8252 7.3).
 */
export function redirectAllowed(
  registered: readonly string[],
  value: string | undefined,
  native: boolean,
): boolean {
  if (!value || value.length > 4096) return false;
  for (const r of registered) {
    if (r === value) return true;
    if (isPattern(r)) {
      try {
        if (new RegExp(r).test(value)) return true;
      } catch {
        // an invalid registered pattern never matches
      }
    }
  }
  if (!native) return false;
  const stripped = withoutLoopbackPort(value);
  return (
    stripped !== undefined && registered.some((r) => !isPattern(r) && withoutLoopbackPort(r) === stripped)
  );
}
