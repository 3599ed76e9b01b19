import { test, expect } from '@playwright/test';
import { findStackTrace } from '../../src/evidence/stacktrace.ts';

test('recognises stack traces of common runtimes', () => {
  const cases: Array<[string, string]> = [
    [
      'Error: boom\n    at Object.<anonymous> (/srv/app/server.js:10:5)\n    at Module._compile (node:internal/modules/cjs/loader:1554:14)',
      'Node.js',
    ],
    ['TypeError: x is undefined\n    at async handler (file:///srv/app/routes.ts:42:11)', 'Node.js'],
    ["Server Error in '/' Application.", '.NET'],
    ['Traceback (most recent call last):\n  File "app.py", line 3, in <module>', 'Python'],
    ['Fatal error: Uncaught Exception: nope in /var/www/index.php on line 12', 'PHP'],
    ['Exception in thread "main" java.lang.IllegalStateException', 'Java'],
    ['goroutine 1 [running]:\nmain.main()', 'Go'],
  ];
  for (const [text, runtime] of cases) expect(findStackTrace(text)?.runtime, text).toBe(runtime);
});

test('does not flag friendly error pages', () => {
  for (const text of [
    'Sign-in failed. SuperOffice could not confirm who you are. Incident 7f3a.',
    'Something went wrong at 10:42. Please try again.',
    'SuperOffice is busy, please try again in 3 seconds.',
  ]) {
    expect(findStackTrace(text), text).toBeUndefined();
  }
});
