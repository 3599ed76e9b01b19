/**
 * Signatures of framework error screens and stack traces (ERROR-PAGE). Each pattern names the
 * runtime it recognises, so the finding can say what leaked.
 */
export const STACK_TRACE_PATTERNS: ReadonlyArray<{ runtime: string; pattern: RegExp }> = [
  {
    runtime: 'Node.js',
    pattern: /\n?\s+at (?:async )?[\w$.<>[\] ]+ \((?:file:\/\/)?\/?[^)\s]+\.(?:[cm]?js|ts):\d+:\d+\)/,
  },
  { runtime: 'Node.js', pattern: /\bat (?:file:\/\/)?\/[^\s)]+\.(?:[cm]?js|ts):\d+:\d+/ },
  { runtime: 'Node.js', pattern: /\bnode:internal\/[\w/]+:\d+/ },
  { runtime: '.NET', pattern: /Server Error in '\/' Application/ },
  { runtime: '.NET', pattern: /\s+at System\.[\w.]+\(/ },
  { runtime: '.NET', pattern: /Stack Trace:\s*\n?.*\bat \w/ },
  { runtime: 'Python', pattern: /Traceback \(most recent call last\)/ },
  { runtime: 'PHP', pattern: /(?:Fatal error|Parse error|Warning): .* in \/.+ on line \d+/ },
  {
    runtime: 'Java',
    pattern: /Exception in thread "[^"]+"|\bat (?:java|javax|org\.springframework)\.[\w.$]+\(/,
  },
  { runtime: 'Ruby', pattern: /\.rb:\d+:in `/ },
  { runtime: 'Go', pattern: /goroutine \d+ \[running\]/ },
];

export interface StackTraceHit {
  runtime: string;
  excerpt: string;
}

/** First stack-trace signature found in `text`, with a short excerpt around it. */
export function findStackTrace(text: string): StackTraceHit | undefined {
  for (const { runtime, pattern } of STACK_TRACE_PATTERNS) {
    const m = pattern.exec(text);
    if (m) {
      const start = Math.max(0, m.index - 80);
      return { runtime, excerpt: text.slice(start, m.index + m[0].length + 80).trim() };
    }
  }
  return undefined;
}
