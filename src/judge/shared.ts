/** What the judges share: request bodies and URLs as the app sent them, and rates over time. */

/** Percent-decoded, `+` as a space; the raw text when it is not valid percent-encoding. */
export function decoded(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/** The JSON value of `text`, or undefined when it is not JSON. */
export function parsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The JSON object of `text`; empty when it is not a JSON object. */
export function parsedObject(text: string): Record<string, unknown> {
  const v = parsed(text);
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** The most of `times` (ms) that fall within any one window of `windowMs`. */
export function peakWithin(times: readonly number[], windowMs: number): number {
  const t = [...times].sort((a, b) => a - b);
  let peak = 0;
  let from = 0;
  for (let i = 0; i < t.length; i++) {
    while (t[i]! - t[from]! >= windowMs) from++;
    peak = Math.max(peak, i - from + 1);
  }
  return peak;
}
