import { expect, test } from '@playwright/test';
import { judgeSecretRejected } from '../../src/judge/index.ts';

const action = 'a user signing in';

test('judgeSecretRejected: a tight loop fails; a refusal the app logs passes; silence warns; nothing sent is an error', () => {
  const loop = judgeSecretRejected({ refused: [0, 50, 100, 150, 200], output: ['signin.failed'], action });
  expect(loop.status).toBe('fail');
  expect(loop.message).toContain('5 times within 10 s');
  // Four tries spread over more than 10 s: not a tight loop.
  expect(
    judgeSecretRejected({ refused: [0, 4_000, 8_000, 12_000], output: ['x error'], action }).status,
  ).toBe('pass');
  const logged = judgeSecretRejected({
    refused: [0],
    output: ['GET /callback 400', '{"event":"signin.failed","cause":"ResponseBodyError"}'],
    action,
  });
  expect(logged.status).toBe('pass');
  expect(logged.message).toContain('signin.failed');
  const silent = judgeSecretRejected({ refused: [0], output: ['listening on 3000'], action });
  expect(silent.status).toBe('warn');
  expect(judgeSecretRejected({ refused: [0], output: undefined, action }).message).toContain('attested');
  expect(judgeSecretRejected({ refused: [], output: [], action }).status).toBe('error');
});
