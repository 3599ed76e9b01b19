import { expect, test } from '@playwright/test';
import { judgeSecretRejected, toldOperator } from '../../src/judge/index.ts';

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

test('toldOperator: request logs and addresses are not a message to the operator', () => {
  // What an operator reads about refused credentials, in several logging styles.
  for (const line of [
    '{"event":"signin.failed","cause":"ResponseBodyError"}',
    'ERROR superoffice: token endpoint refused the client secret (invalid_client)',
    'fail: Microsoft.AspNetCore.Authentication.OpenIdConnect.OpenIdConnectHandler[17]',
    '[2026-12-03 09:00:00,120] WARNING in app: SuperID refused our credentials: invalid_client',
    '{"level":50,"msg":"token request refused","url":"https://sod.superoffice.com/login/common/oauth/tokens","error":"invalid_client"}',
    'acme-eoc request.failed path=/callback status=400 error=BadRequestError code=invalid_client',
    '{"req":{"method":"GET","url":"/callback"},"res":{"statusCode":500},"err":{"message":"invalid_client"},"msg":"request errored"}',
  ])
    expect(toldOperator(line), line).toBe(true);
  // Request lines and redirects to an error page: what the app answered, not what it said.
  for (const line of [
    'GET /auth-error?error=invalid_client 302 3.1 ms - 38',
    '127.0.0.1 - - [03/Dec/2026 09:00:00] "GET /callback?code=abc&state=xyz HTTP/1.1" 500 -',
    'POST /api/auth/callback/superoffice 401 12ms',
    'redirecting to https://app.example/auth-error?reason=failed',
    'next: /login?error=OAuthCallback',
    'redirect to /auth-error',
    '{"level":30,"req":{"method":"GET","url":"/auth-error"},"res":{"statusCode":302},"msg":"request completed"}',
    'listening on 3000',
  ])
    expect(toldOperator(line), line).toBe(false);
  // The judgement reads the same way: an access log alone is silence.
  const accessOnly = judgeSecretRejected({
    refused: [0],
    output: ['GET /auth-error?error=invalid_client 302 3.1 ms - 38'],
    action,
  });
  expect(accessOnly.status).toBe('warn');
  expect(accessOnly.message).toContain('request logs aside');
});
