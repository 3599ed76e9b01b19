import { expect, test } from '@playwright/test';
import { judgeSystemMessages, type MessageCall } from '../../src/judge/index.ts';

const API = 'https://cust1.example.test/Cust1/api/v1/Agents/Diagnostics/';
const send = (body: Record<string, unknown>, status = 204): MessageCall => ({
  method: 'POST',
  url: `${API}SendSystemMessage`,
  status,
  body: JSON.stringify({
    MarkdownMessage: 'Your ERP connection expired. Reconnect.',
    Type: 'Warning',
    ...body,
  }),
});
const remove = (id: number): MessageCall => ({
  method: 'POST',
  url: `${API}RemoveSystemMessage`,
  status: 204,
  body: JSON.stringify({ SystemMessageId: id }),
});
const other: MessageCall = {
  method: 'GET',
  url: 'https://cust1.example.test/Cust1/api/v1/Contact/2',
  status: 200,
  body: '',
};
const where = 'journey "erp"';

test('judgeSystemMessages: sent and removed passes; a second while one is shown fails; left without Expire warns', () => {
  expect(judgeSystemMessages({ calls: [other], where }).status).toBe('not-run');
  const cleared = judgeSystemMessages({
    calls: [send({ SystemMessageId: 7, AssociateId: 5 }), other, remove(7)],
    where,
  });
  expect(cleared).toEqual({
    status: 'pass',
    message: expect.stringContaining('1 system message(s) sent and removed again'),
  });

  const flood = judgeSystemMessages({
    calls: [send({ SystemMessageId: 7, AssociateId: 5 }), send({ SystemMessageId: 8, AssociateId: 5 })],
    where,
  });
  expect(flood.status).toBe('fail');
  expect(flood.message).toContain('id 8 to associate 5 while id 7');
  // The same message sent again under its own id replaces it: not a flood, but still left.
  const again = judgeSystemMessages({
    calls: [send({ SystemMessageId: 7, AssociateId: 5 }), send({ SystemMessageId: 7, AssociateId: 5 })],
    where,
  });
  expect(again.status).toBe('warn');
  expect(again.message).toContain('no Expire');
  // Messages to two users are two conditions.
  expect(
    judgeSystemMessages({
      calls: [
        send({ SystemMessageId: 7, AssociateId: 5, Expire: '2026-12-09T00:00:00Z' }),
        send({ SystemMessageId: 8, AssociateId: 7, Expire: '2026-12-09T00:00:00Z' }),
      ],
      where,
    }).status,
  ).toBe('pass');
  const refused = judgeSystemMessages({ calls: [send({ SystemMessageId: 9, AssociateId: 5 }, 403)], where });
  expect(refused.status).toBe('fail');
  expect(refused.message).toContain("normal user's token");
});
