import { expect, test } from '@playwright/test';
import { judgePolling, judgeWebhookReceiver, type ChangeCall } from '../../src/judge/index.ts';

const API = 'https://cust1.example.test/Cust1/api/';
const get = (path: string, time = 0, method = 'GET'): ChangeCall => ({ method, url: `${API}${path}`, time });
const LOG = `v1/archive/TravelTransactionLog?$select=recordId&$filter=${encodeURIComponent("ttime gt '2026-12-02T07:00:00Z'")}`;
const HOOK = { Name: 'Acme changes', Events: ['contact.changed'], TargetUrl: 'https://acme.test/events' };

test('judgePolling: the travel log or a "changed since" query read twice fails, once warns, never passes', () => {
  const where = 'journey "sync"';
  const twice = judgePolling({
    calls: [get(LOG, 1_000), get('v1/Contact/4', 1_100), get(LOG, 3_200)],
    where,
    webhooks: [],
  });
  expect(twice.status).toBe('fail');
  expect(twice.message).toContain('the travel transaction log 2 times (+0.0 s, +2.2 s');
  expect(twice.message).toContain('POST v1/Webhook');

  const since = `v1/Contact?$select=contactId&$filter=${encodeURIComponent("updatedDate ge '2026-12-01'")}`;
  const polled = judgePolling({
    calls: [get(since, 0), get(since.replace('12-01', '12-02'), 5_000)],
    where,
    webhooks: [],
  });
  expect(polled.status).toBe('fail');
  expect(polled.message).toContain('records changed since a time (v1/Contact?');

  // The same log read through the archive agent: found in the body.
  const agent = {
    ...get('v1/Agents/Archive/GetArchiveListByColumns', 0, 'POST'),
    body: '{"ProviderName":"TravelTransactionLog"}',
  };
  expect(judgePolling({ calls: [agent], where, webhooks: [] }).status).toBe('warn');
  expect(judgePolling({ calls: [get(LOG)], where, webhooks: [] }).message).toContain('once');

  const clean = judgePolling({
    calls: [get('v1/Contact?$select=contactId&$filter=name%20begins%20%27Ber%27'), get('v1/Contact/4')],
    where,
    webhooks: [HOOK],
  });
  expect(clean).toEqual({
    status: 'pass',
    message: expect.stringContaining('2 API call(s), none reads the travel transaction log'),
  });
  expect(clean.message).toContain('webhooks registered: "Acme changes" (contact.changed)');
  expect(judgePolling({ calls: [], where, webhooks: [] }).status).toBe('error');
});

test('judgeWebhookReceiver: answered and fetched passes; an error answer fails; no fetch warns', () => {
  const base = { hook: HOOK, event: 'contact.changed', entity: 'contact', id: 4, waitedMs: 10_000 };
  expect(judgeWebhookReceiver({ ...base, status: 200, after: [get('v1/Contact/4')] }).status).toBe('pass');
  expect(
    judgeWebhookReceiver({
      ...base,
      status: 200,
      after: [get(`v1/Contact?$select=name&$filter=${encodeURIComponent('contactId eq 4')}`)],
    }).status,
  ).toBe('pass');
  // Another record, or a write, is not fetching the changed one.
  const other = judgeWebhookReceiver({
    ...base,
    status: 204,
    after: [get('v1/Contact/44'), get('v1/Contact/4', 0, 'PUT')],
  });
  expect(other.status).toBe('warn');
  expect(other.message).toContain('did not fetch contact 4 through the API within 10 s');
  const refused = judgeWebhookReceiver({ ...base, status: 401, after: [] });
  expect(refused.status).toBe('fail');
  expect(refused.message).toContain('answered 401');
  expect(judgeWebhookReceiver({ ...base, error: 'no answer within 5 s', after: [] }).message).toContain(
    'did not answer (no answer within 5 s)',
  );
});
