import { expect, test } from '@playwright/test';
import { judgeFramedPanel } from '../../src/judge/index.ts';

const base = {
  panel: 'Acme Web',
  url: 'http://127.0.0.1:5000/panel?ctx=Cust1',
  framedSignIn: [] as string[],
  topSignIn: false,
  popups: [] as string[],
  clicked: undefined as string | undefined,
  refusedFraming: false,
};

test('judgeFramedPanel: sign-in in the frame fails; a pop-up or the top window passes; nothing seen is an error', () => {
  const inFrame = judgeFramedPanel({
    ...base,
    framedSignIn: ['https://superid.test/login/common/oauth/authorize?x'],
  });
  expect(inFrame.status).toBe('fail');
  expect(inFrame.message).toContain('inside the iframe');
  // Even when a pop-up opened too: the frame went to SuperID.
  expect(
    judgeFramedPanel({ ...base, framedSignIn: ['https://s/a'], popups: ['http://a/login'] }).status,
  ).toBe('fail');
  const popup = judgeFramedPanel({
    ...base,
    popups: ['http://127.0.0.1:5000/login?returnUrl=%2Fpanel'],
    clicked: 'Sign in to Acme Web',
  });
  expect(popup).toEqual({
    status: 'pass',
    message: expect.stringContaining('pop-up after a click on "Sign in to Acme Web"'),
  });
  expect(judgeFramedPanel({ ...base, topSignIn: true }).status).toBe('pass');
  const refused = judgeFramedPanel({ ...base, refusedFraming: true });
  expect(refused.status).toBe('error');
  expect(refused.message).toContain('frame ancestor');
  expect(judgeFramedPanel(base).status).toBe('error');
});
