import { expect, test } from '@playwright/test';
import {
  judgeCodeReplay,
  judgeErrorPage,
  judgeRefreshOn401,
  judgeRefreshPerCall,
  judgeRejection,
  judgeHandle421,
  judgeNoMix,
  judgeQueries,
  judgeRate,
  peakPerSecond,
  odataProblems,
  judgeNoHardcodedUrl,
  judgeThrottle,
  needsConfig,
  judgeOutbound,
  judgeCache,
  rarelyChangingKey,
  judgeSystemUserCaution,
  judgeSearchMin3,
  carriesSearchText,
  judgeDefaultEntity,
  judgeProtectedWrites,
  createdEntity,
  outboundLeaks,
  namesShown,
  denialLines,
  judgeSentryHidden,
  judgeDenialFeedback,
  judgePersonSource,
  judgeVisibilityPreserved,
  visibilityOf,
  judgeMaintenance,
  failureLines,
  webPanelsFrom,
  judgePanelUrls,
  judgePanelDescriptions,
  judgeProvisioned,
  judgeUninstalled,
  judgePanelTickets,
  listItemNames,
  multiLanguageParts,
  judgeListItemNames,
  judgeMailingConsent,
  judgeSecondEnvironment,
  clientCredentialsOf,
  type OutboundObservation,
  type RejectionObservation,
} from '../../src/judge/index.ts';

const ok = (status = 200) => ({ method: 'GET', path: '/api/v1/Contact', status });

test.describe('judgeRejection', () => {
  const base: RejectionObservation = {
    control: { ok: true },
    delivered: true,
    requireRedemption: true,
    redeemed: true,
    native: false,
    probe: { signedIn: false, status: 401, excerpt: '{"signedIn":false}' },
    apiCalls: [],
  };

  test('nothing observed is an error, never a pass', () => {
    expect(
      judgeRejection({ ...base, probe: { signedIn: undefined, status: 0, excerpt: 'probe failed: timeout' } })
        .status,
    ).toBe('error');
    const { probe: _unused, ...noProbe } = base;
    expect(judgeRejection(noProbe).status).toBe('error');
    expect(judgeRejection({ ...base, control: { ok: false, reason: 'valid sign-in failed' } }).status).toBe(
      'error',
    );
    expect(judgeRejection({ ...base, delivered: 'the app did not answer' }).status).toBe('error');
    expect(judgeRejection({ ...base, redeemed: false }).message).toContain('never redeemed');
  });

  test('a session or an API call with the flow token after the delivery fails', () => {
    expect(judgeRejection({ ...base, probe: { signedIn: true, status: 200, excerpt: '' } }).status).toBe(
      'fail',
    );
    expect(judgeRejection({ ...base, apiCalls: [ok()] }).status).toBe('fail');
    // A failed probe does not hide an observed API call.
    expect(
      judgeRejection({ ...base, probe: { signedIn: undefined, status: 0, excerpt: '' }, apiCalls: [ok()] })
        .status,
    ).toBe('fail');
  });

  test('a signed-out answer and no API call passes; native apps are judged by API calls', () => {
    expect(judgeRejection(base).status).toBe('pass');
    expect(judgeRejection({ ...base, requireRedemption: false, redeemed: false }).status).toBe('pass');
    expect(judgeRejection({ ...base, native: true }).status).toBe('pass');
    expect(judgeRejection({ ...base, native: true, apiCalls: [ok()] }).status).toBe('fail');
  });
});

test.describe('judgeRefreshOn401', () => {
  test('no API call, or no 401 met, is an error (a 421 is not a 401)', () => {
    expect(judgeRefreshOn401({ calls: [], refreshes: 0 }).status).toBe('error');
    const only421 = judgeRefreshOn401({ calls: [ok(421)], refreshes: 0 });
    expect(only421.status).toBe('error');
    expect(only421.message).toContain('421');
    expect(only421.message).not.toContain('after a 401');
  });

  test('401 then one refresh and a successful retry passes; no refresh or no retry fails', () => {
    expect(judgeRefreshOn401({ calls: [ok(401), ok(200)], refreshes: 1 }).status).toBe('pass');
    expect(judgeRefreshOn401({ calls: [ok(401)], refreshes: 0 }).status).toBe('fail');
    expect(judgeRefreshOn401({ calls: [ok(401), ok(401)], refreshes: 1 }).status).toBe('fail');
    expect(judgeRefreshOn401({ calls: [ok(401), ok(200)], refreshes: 5 }).status).toBe('fail');
    // A success before the 401 is not a retry.
    expect(judgeRefreshOn401({ calls: [ok(200), ok(401)], refreshes: 1 }).status).toBe('fail');
  });
});

test.describe('judgeRefreshPerCall', () => {
  test('fewer than two calls is an error', () => {
    expect(judgeRefreshPerCall({ calls: [], refreshes: 0, tokenSecondsLeft: 3600 }).status).toBe('error');
    expect(judgeRefreshPerCall({ calls: [ok()], refreshes: 1, tokenSecondsLeft: 3600 }).status).toBe('error');
  });

  test('a refresh while the token is valid fails; reuse passes', () => {
    const calls = [ok(), ok(), ok()];
    const bad = judgeRefreshPerCall({ calls, refreshes: 3, tokenSecondsLeft: 3600 });
    expect(bad.status).toBe('fail');
    expect(bad.message).toContain('3 time(s) for 3 API calls');
    expect(judgeRefreshPerCall({ calls, refreshes: 0, tokenSecondsLeft: 3600 }).status).toBe('pass');
  });
});

test.describe('judgeThrottle', () => {
  const seen = {
    retryAfterSeconds: 3,
    answered: true,
    elapsedMs: 3200,
    pendingRequests: 0,
    pageText: 'Busy, try later',
  };

  test('no call, or no 429 met, is an error', () => {
    expect(judgeThrottle({ ...seen, calls: [] }).status).toBe('error');
    expect(judgeThrottle({ ...seen, calls: [{ ...ok(), at: 0 }] }).status).toBe('error');
  });

  test('a retry storm, a hang or a page that never finishes loading fails', () => {
    const storm = [0, 100, 200, 300].map((at) => ({ ...ok(429), at }));
    expect(judgeThrottle({ ...seen, calls: storm }).status).toBe('fail');
    const one = [{ ...ok(429), at: 0 }];
    expect(judgeThrottle({ ...seen, calls: one, answered: false }).status).toBe('fail');
    expect(judgeThrottle({ ...seen, calls: one, elapsedMs: 25_000 }).status).toBe('fail');
    expect(judgeThrottle({ ...seen, calls: one, pendingRequests: 1 }).message).toContain('never finishes');
  });

  test('a native command is judged by its exit and its output', () => {
    const one = [{ ...ok(429), at: 0 }];
    const hung = judgeThrottle({ ...seen, calls: one, answered: false, surface: 'command' });
    expect(hung).toMatchObject({ status: 'fail' });
    expect(hung.message).toContain('the command took');
    const silent = judgeThrottle({ ...seen, calls: one, pageText: ' ', surface: 'command' });
    expect(silent).toMatchObject({ status: 'error' });
    expect(silent.message).toContain('printed nothing');
    expect(judgeThrottle({ ...seen, calls: one, surface: 'command' }).status).toBe('pass');
  });

  test('waiting out Retry-After and answering passes; a blank page is an error', () => {
    const calls = [
      { ...ok(429), at: 0 },
      { ...ok(429), at: 3100 },
    ];
    expect(judgeThrottle({ ...seen, calls }).status).toBe('pass');
    expect(judgeThrottle({ ...seen, calls, pageText: '  ' }).status).toBe('error');
  });
});

test.describe('judgeErrorPage', () => {
  test('an unreadable or blank page is an error', () => {
    expect(judgeErrorPage({ text: undefined, html: undefined }).status).toBe('error');
    expect(judgeErrorPage({ text: '', html: '<html><body>  </body></html>', status: 500 }).message).toContain(
      'blank (HTTP 500)',
    );
  });

  test('a stack trace fails; a friendly page passes', () => {
    const trace = 'Error: boom\n    at handler (/srv/app/server.js:12:5)';
    expect(judgeErrorPage({ text: trace, html: `<pre>${trace}</pre>` }).status).toBe('fail');
    expect(judgeErrorPage({ text: 'Sorry, something went wrong.', html: '' }).status).toBe('pass');
  });
});

test.describe('judgeCodeReplay and needsConfig', () => {
  test('no delivery or no redemption observed is an error', () => {
    expect(judgeCodeReplay({ redemptionsOfCode: 0, deliveries: 0 }).status).toBe('error');
    expect(judgeCodeReplay({ redemptionsOfCode: 0, deliveries: 2 }).status).toBe('error');
  });

  test('redeeming a replayed code again and again fails', () => {
    expect(judgeCodeReplay({ redemptionsOfCode: 1, deliveries: 2 }).status).toBe('pass');
    expect(judgeCodeReplay({ redemptionsOfCode: 5, deliveries: 2 }).status).toBe('fail');
  });

  test('missing configuration is not-run and names the key', () => {
    const j = needsConfig('app.signOut', 'the sign-out path');
    expect(j.status).toBe('not-run');
    expect(j.message).toContain('add app.signOut');
  });
});

test.describe('tenant move', () => {
  const c = (host: 'old' | 'moved' | 'auth', status = 200) => ({ host, status });

  test('following the move through the state API passes both rules', () => {
    const o = { before: [c('old')], after: [c('old', 421), c('old', 421), c('moved')], uses: 2 };
    expect(judgeHandle421(o).status).toBe('pass');
    expect(judgeNoHardcodedUrl(o).status).toBe('pass');
  });

  test('giving up or retrying the old host fails; nothing observed is an error', () => {
    const gaveUp = { before: [c('old')], after: [c('old', 421), c('old', 421)], uses: 2 };
    expect(judgeHandle421(gaveUp).status).toBe('fail');
    expect(judgeNoHardcodedUrl(gaveUp).status).toBe('fail');
    const storm = { before: [c('old')], after: [...Array(9).fill(c('old', 421)), c('moved')], uses: 1 };
    expect(judgeHandle421(storm).status).toBe('fail');
    expect(judgeHandle421({ before: [c('old')], after: [], uses: 2 }).status).toBe('error');
    expect(judgeNoHardcodedUrl({ before: [], after: [], uses: 2 }).status).toBe('error');
  });

  test('going straight to the new host is no evidence of 421 handling', () => {
    const straight = { before: [c('old')], after: [c('moved'), c('moved')], uses: 2 };
    const j = judgeHandle421(straight);
    expect(j.status).toBe('error');
    expect(j.message).toContain('never met a 421');
    expect(judgeNoHardcodedUrl(straight).status).toBe('pass');
  });

  test("calls to SuperID's host fail the hard-coded URL rule; 421 handling is then not judged", () => {
    const auth = { before: [c('auth', 421)], after: [c('auth', 421)], uses: 2 };
    expect(judgeNoHardcodedUrl(auth).status).toBe('fail');
    expect(judgeHandle421(auth).status).toBe('error');
  });
});

test.describe('API-NO-CHOKE and API-NO-MIX', () => {
  const get = (url: string) => ({ method: 'GET', url: `/Cust12345/api/${url}` });

  test('bounded, ordered, selected queries pass; non-queries alone are not-run; nothing is an error', () => {
    expect(judgeQueries([get('v1/Contact?$select=contactId,name&$orderby=contactId&$top=10')]).status).toBe(
      'pass',
    );
    expect(judgeQueries([get('v1/User/currentPrincipal')]).status).toBe('not-run');
    expect(judgeQueries([]).status).toBe('error');
  });

  test('counts, unordered $top, missing $select, unfiltered archives and OR chains fail', () => {
    expect(odataProblems(get('v1/Contact?$top=10&$select=name'))).toEqual(['$top without $orderby']);
    expect(odataProblems(get('v1/Contact/$count'))).toContain('asks for a count');
    expect(odataProblems(get('v1/Contact?$select=name&$count=true&$top=1&$orderby=contactId'))).toEqual([
      'asks for a count',
    ]);
    expect(odataProblems(get('v1/Archive/FindContact?$select=name'))).toContain(
      'an archive query without $filter',
    );
    expect(odataProblems(get('v1/Contact?$orderby=contactId&$top=5'))).toEqual(['no $select']);
    const ors = Array.from({ length: 6 }, (_, i) => `contactId eq ${i}`).join(' or ');
    expect(odataProblems(get(`v1/Contact?$select=name&$filter=${encodeURIComponent(ors)}`))[0]).toMatch(
      /6 terms OR-ed/,
    );
    expect(odataProblems(get('v1/Contact?$select=name'))).toEqual([
      'reads the whole collection (no $top or $filter)',
    ]);
    const judged = judgeQueries([get('v1/Contact?$top=10')]);
    expect(judged.status).toBe('fail');
    expect(judged.message).toContain('/Cust12345/api/v1/Contact?$top=10');
  });

  test('REST and SOAP together fail; one of them passes', () => {
    const soap = { method: 'POST', url: '/Cust12345/Remote/Services88/Contact.svc' };
    expect(judgeNoMix([get('v1/Contact?$top=1'), soap]).status).toBe('fail');
    expect(judgeNoMix([get('v1/User/currentPrincipal')]).status).toBe('pass');
    expect(judgeNoMix([soap]).status).toBe('pass');
    expect(judgeNoMix([]).status).toBe('error');
  });
});

test.describe('API-RATE-10PS', () => {
  test('the peak counts calls inside any one second', () => {
    expect(peakPerSecond([0, 100, 200, 1200, 1300])).toBe(3);
    expect(peakPerSecond([0, 999, 1000])).toBe(2);
    expect(peakPerSecond([])).toBe(0);
  });

  test('more than 10 in a second fails custom apps and warns standard ones; nothing is an error', () => {
    const burst = Array.from({ length: 11 }, (_, i) => i * 50);
    expect(judgeRate({ times: burst, certification: 'custom' }).status).toBe('fail');
    expect(judgeRate({ times: burst, certification: 'standard' }).status).toBe('warn');
    expect(judgeRate({ times: burst.slice(0, 10), certification: 'custom' }).status).toBe('pass');
    expect(judgeRate({ times: [], certification: 'custom' }).status).toBe('error');
  });
});

test('outbound: a token sent to a third host fails with the host, the request and where it was', () => {
  const secrets = [
    { value: 'at-0123456789abcdef', kind: 'access-token' },
    { value: 'cs-secret-0123456789', kind: 'client-secret' },
  ];
  const requests: OutboundObservation[] = [
    {
      host: 'telemetry.acme-analytics.example',
      method: 'POST',
      path: '/collect',
      from: 'server' as const,
      url: 'https://telemetry.acme-analytics.example/collect',
      requestHeaders: { 'content-type': 'application/json' },
      requestBody: '{"token":"at-0123456789abcdef"}',
    },
    {
      host: 'cdn.example',
      method: 'GET',
      path: '/lib.js',
      from: 'browser' as const,
      url: 'https://cdn.example/lib.js',
      requestHeaders: {},
      requestBody: '',
    },
  ];
  const leaks = outboundLeaks(requests, secrets);
  expect(leaks).toEqual([
    {
      index: 0,
      host: 'telemetry.acme-analytics.example',
      request: 'POST /collect',
      from: 'server',
      kinds: ['access-token'],
      where: ['body'],
    },
  ]);
  const base = {
    leaks,
    requests: 2,
    hosts: ['telemetry.acme-analytics.example', 'cdn.example'],
    appTunnels: 3,
  };
  const tokens = judgeOutbound({ ...base, kinds: ['access-token'], what: 'tokens' });
  expect(tokens.status).toBe('fail');
  expect(tokens.message).toContain(
    'access-token sent to telemetry.acme-analytics.example (POST /collect, in the body)',
  );
  // The client secret did not leave: that check passes on the same observation.
  const secret = judgeOutbound({ ...base, kinds: ['client-secret'], what: 'the client secret' });
  expect(secret.status).toBe('pass');
  expect(secret.message).toContain('2 request(s) to other hosts');
});

test('outbound: a secret in a header or URL is found in any encoding the scanner knows', () => {
  const leaks = outboundLeaks(
    [
      {
        host: 'api.third.example',
        method: 'GET',
        path: '/x',
        from: 'browser',
        url: 'https://api.third.example/x?k=cs-secret-0123456789',
        requestHeaders: { authorization: 'Bearer at-0123456789abcdef' },
        requestBody: '',
      },
    ],
    [
      { value: 'at-0123456789abcdef', kind: 'access-token' },
      { value: 'cs-secret-0123456789', kind: 'client-secret' },
    ],
  );
  expect(leaks[0]?.kinds.sort()).toEqual(['access-token', 'client-secret']);
  expect(leaks[0]?.where.sort()).toEqual(['URL', 'header authorization']);
  const j = judgeOutbound({
    leaks,
    kinds: ['client-secret'],
    requests: 1,
    hosts: ['api.third.example'],
    appTunnels: 1,
    what: 'the client secret',
  });
  expect(j.message).toContain('from the browser');
});

test('outbound: nothing seen through the proxy is an error, never a pass', () => {
  const j = judgeOutbound({
    leaks: [],
    kinds: ['access-token'],
    requests: 0,
    hosts: [],
    appTunnels: 0,
    what: 'tokens',
  });
  expect(j.status).toBe('error');
  const seen = judgeOutbound({
    leaks: [],
    kinds: ['access-token'],
    requests: 0,
    hosts: [],
    appTunnels: 4,
    what: 'tokens',
  });
  expect(seen).toEqual({
    status: 'pass',
    message:
      "the app reached SuperOffice's hosts through the proxy (4 connection(s)) and sent nothing to any other host",
  });
});

test('API-DEFAULT-ENTITY: each POST needs an earlier GET of its default; no creation is not run', () => {
  const r = (method: string, path: string) => ({ method, url: `/Cust12345/api/v1/${path}` });
  expect(judgeDefaultEntity([r('GET', 'Contact/default'), r('POST', 'Contact')], 'journey "x"')).toEqual({
    status: 'pass',
    message: '1 created entity (contact), each started from v1/{Entity}/default',
  });
  // The default of another entity, or one fetched after the POST, does not count.
  const bare = judgeDefaultEntity(
    [r('GET', 'Person/default'), r('POST', 'Contact'), r('GET', 'Contact/default'), r('POST', 'Person')],
    'journey "x"',
  );
  expect(bare.status).toBe('fail');
  expect(bare.message).toMatch(/^1 of 2 created entities \(contact\) were posted without first getting/);
  expect(createdEntity(r('POST', 'Agents/List/GetListItems'))).toBeUndefined();
  expect(createdEntity(r('POST', 'Agents'))).toBeUndefined();
  expect(judgeDefaultEntity([r('GET', 'Contact?$top=1')], 'journey "x"').status).toBe('not-run');
});

test('DATA-OWNER-COMPANY: a write the emulator noted fails, other writes pass, no write is not run', () => {
  const w = (method: string, path: string, notes: string[] = []) => ({
    method,
    url: `/Cust12345/api/v1/${path}`,
    notes,
  });
  const base = {
    notes: ['owner company renamed', 'owner company deleted'],
    entity: 'contact' as const,
    where: 'journey "x"',
    protectedWhat: "the owner company's name",
  };
  expect(judgeProtectedWrites({ ...base, requests: [w('PATCH', 'Contact/4')] }).status).toBe('pass');
  const bad = judgeProtectedWrites({
    ...base,
    requests: [w('PATCH', 'Contact/4'), w('PATCH', 'Contact/1', ['owner company renamed'])],
  });
  expect(bad).toEqual({
    status: 'fail',
    message:
      "PATCH /Cust12345/api/v1/Contact/1: owner company renamed: never change the owner company's name",
  });
  expect(judgeProtectedWrites({ ...base, requests: [w('GET', 'Contact/1')] }).status).toBe('not-run');
});

test('API-SYSUSER-CAUTION: a mass delete fails, a broad update warns, a read-only job passes', () => {
  const r = (method: string, path: string) => ({ method, url: `/Cust12345/api/v1/${path}` });
  const reads = [r('GET', 'Contact?$select=name&$orderby=contactId&$top=50')];
  expect(judgeSystemUserCaution(reads, 1)).toEqual({
    status: 'pass',
    message:
      "1 system-user call(s) in 1 job run(s): 0 delete(s), 0 write(s); no mass delete or broad update (the system user's overall use is attested)",
  });
  const purge = [...reads, ...[6, 7, 8, 9, 10].map((id) => r('DELETE', `Contact/${id}`))];
  const judged = judgeSystemUserCaution(purge, 1);
  expect(judged.status).toBe('fail');
  expect(judged.message).toMatch(
    /^5 deletes through the system user in 1 job run\(s\) \(DELETE v1\/Contact\/\{id\}\): a mass delete/,
  );
  // Four deletes a run is not yet a mass delete.
  expect(judgeSystemUserCaution(purge.slice(0, 5), 1).status).toBe('pass');
  const broad = Array.from({ length: 25 }, (_, i) => r('PATCH', `Contact/${i + 1}`));
  expect(judgeSystemUserCaution(broad, 1).status).toBe('warn');
  expect(judgeSystemUserCaution([], 1).status).toBe('error');
});

test('API-CACHE: the principal fetched on every use fails, fetched once passes, repeats within a native run count', () => {
  const r = (method: string, path: string) => ({ method, url: `/Cust12345/api/v1/${path}` });
  const principal = r('GET', 'User/currentPrincipal');
  const search = r('GET', 'Contact?$select=name&$orderby=contactId&$top=10');
  const every = judgeCache({
    views: [
      [principal, search],
      [principal, search],
      [principal, search],
    ],
    acrossViews: true,
    what: 'uses of /contacts',
  });
  expect(every).toEqual({
    status: 'fail',
    message:
      'v1/User/currentPrincipal fetched 3 times in 3 uses of /contacts: cache rarely changing data (per user or tenant, with a lifetime of minutes or more) instead of fetching it again',
  });
  expect(
    judgeCache({ views: [[principal, search], [search], [search]], acrossViews: true, what: 'uses' }),
  ).toEqual({
    status: 'pass',
    message: 'v1/User/currentPrincipal fetched once in 3 uses and reused',
  });
  // A native app's runs are separate processes: once per run is fine, twice in one run is not.
  expect(
    judgeCache({ views: [[principal], [principal], [principal]], acrossViews: false, what: 'runs' }).status,
  ).toBe('pass');
  expect(
    judgeCache({ views: [[principal, principal], [], []], acrossViews: false, what: 'runs' }).status,
  ).toBe('warn');
  expect(judgeCache({ views: [[search], [search], [search]], acrossViews: true, what: 'uses' }).message).toBe(
    '3 API call(s) in 3 uses, none to the current principal, lists or metadata',
  );
  expect(judgeCache({ views: [[], [], []], acrossViews: true, what: 'uses' }).status).toBe('error');
  // A lookup that failed (here 421 from a wrong host) had nothing to cache: not judged as a repeat.
  const misdirected = { ...principal, status: 421 };
  expect(
    judgeCache({ views: [[misdirected], [misdirected], [misdirected]], acrossViews: true, what: 'uses' }),
  ).toEqual({
    status: 'error',
    message: "cannot judge: none of the app's 3 API call(s) in 3 uses was answered",
  });
  expect(
    judgeCache({
      views: [[misdirected, { ...principal, status: 200 }], [search], [search]],
      acrossViews: true,
      what: 'uses',
    }).status,
  ).toBe('pass');
  // List items by agent (POST) and by REST count; entities and searches do not.
  expect(rarelyChangingKey(r('GET', 'List/category/Items'))).toBe('v1/List/category/Items');
  expect(rarelyChangingKey(r('POST', 'Agents/List/GetListItems'))).toBe('v1/Agents/List/GetListItems');
  expect(rarelyChangingKey(r('GET', 'Contact/4'))).toBeUndefined();
  expect(rarelyChangingKey(r('POST', 'Contact'))).toBeUndefined();
});

test('API-SEARCH-MIN3: a search value is found whole in a filter, a parameter or a body, in any case', () => {
  const get = (url: string, body = '') => ({ method: 'GET', url, body });
  expect(carriesSearchText(get("/Cust1/api/v1/Contact?$filter=name%20begins%20'Qz'"), 'Qz')).toBe(true);
  expect(carriesSearchText(get("/Cust1/api/v1/Contact?$filter=contains(name,'qz')"), 'Qz')).toBe(true);
  expect(carriesSearchText(get('/Cust1/api/v1/Find?q=Q&top=5'), 'Q')).toBe(true);
  expect(carriesSearchText(get('/Cust1/api/v1/Contact?$filter=name+begins+%27Q*%27'), 'Q')).toBe(true);
  expect(
    carriesSearchText({ method: 'POST', url: '/Cust1/api/v1/Agents/Find', body: '{"Text":"Qzx"}' }, 'Qzx'),
  ).toBe(true);
  // Not a search for the typed text: a longer word, a parameter name, another value.
  expect(carriesSearchText(get("/Cust1/api/v1/Contact?$filter=name%20begins%20'Qzxy'"), 'Qzx')).toBe(false);
  expect(carriesSearchText(get('/Cust1/api/v1/Find?q=Acme'), 'Q')).toBe(false);
  expect(carriesSearchText(get('/Cust1/api/v1/User/currentPrincipal'), 'Q')).toBe(false);
});

test('API-SEARCH-MIN3: a search for 1 or 2 characters fails; no 3-character search is an error', () => {
  const search = (text: string) => ({
    method: 'GET',
    url: `/Cust1/api/v1/Contact?$filter=name%20begins%20'${text}'`,
    body: '',
  });
  const tries = (early: string[]) =>
    ['Q', 'Qz', 'Qzx'].map((text) => ({
      text,
      requests: text.length === 3 || early.includes(text) ? [search(text)] : [],
    }));
  const where = '#q on /search';
  expect(judgeSearchMin3(where, tries([])).status).toBe('pass');
  const fail = judgeSearchMin3(where, tries(['Q', 'Qz']));
  expect(fail.status).toBe('fail');
  expect(fail.message).toContain("after 1 typed character ('Q'): GET /Cust1/api/v1/Contact");
  expect(judgeSearchMin3(where, tries(['Qz'])).message).toContain("after 2 typed characters ('Qz')");
  const nothing = judgeSearchMin3(where, [
    { text: 'Q', requests: [] },
    { text: 'Qz', requests: [] },
    { text: 'Qzx', requests: [] },
  ]);
  expect(nothing.status).toBe('error');
  expect(nothing.message).toContain('check app.search');
});

test('namesShown and denialLines: whole names; only new lines about access count', () => {
  expect(
    namesShown('Bergen Skipsfart AS\nOslo Design', ['Bergen Skipsfart AS', 'Oslo Design Studio']),
  ).toEqual(['Bergen Skipsfart AS']);
  const control = 'Contacts\nBergen Skipsfart AS\n© Acme. All rights reserved.';
  expect(denialLines('Contacts\n© Acme. All rights reserved.', control)).toEqual([]);
  expect(denialLines('No access to companies\n© Acme. All rights reserved.', control)).toEqual([
    'No access to companies',
  ]);
  expect(denialLines('Du har ikke tilgang til firmaer', '')).toHaveLength(1);
  expect(denialLines('Companies\n(none)', control)).toEqual([]);
});

test('judgeSentryHidden: the hidden company shown fails; others shown without it passes; nothing shown is an error', () => {
  const base = {
    where: '/contacts',
    hidden: 'Bergen Skipsfart AS',
    controlShown: ['Bergen Skipsfart AS', 'Stavanger Energi ASA', 'Oslo Design Studio'],
    userCalls: 2,
    systemCalls: 0,
  };
  const pass = judgeSentryHidden({ ...base, restrictedText: 'Stavanger Energi ASA\nOslo Design Studio' });
  expect(pass.status).toBe('pass');
  expect(pass.message).toContain('2 other companies');
  const leak = judgeSentryHidden({
    ...base,
    systemCalls: 3,
    restrictedText: 'Stavanger Energi ASA\nRecently viewed: Bergen Skipsfart AS',
  });
  expect(leak.status).toBe('fail');
  expect(leak.message).toContain('as the system user 3 time(s)');
  expect(judgeSentryHidden({ ...base, restrictedText: 'Something went wrong' }).status).toBe('error');
  expect(judgeSentryHidden({ ...base, userCalls: 0, restrictedText: '' }).status).toBe('error');
});

test('judgeDenialFeedback: a message passes; silence, a crash, a 5xx or a hang fails; nothing denied is not run', () => {
  const base = {
    where: '/contacts',
    denied: 1,
    answered: true,
    status: 403,
    controlText: 'Contacts\nBergen Skipsfart AS\nAll rights reserved',
    deniedText: 'Contacts\nNo access to companies. Ask your administrator.\nAll rights reserved',
  };
  expect(judgeDenialFeedback(base).status).toBe('pass');
  expect(judgeDenialFeedback(base).message).toContain('No access to companies');
  const empty = judgeDenialFeedback({ ...base, status: 200, deniedText: 'Contacts\nAll rights reserved' });
  expect(empty.status).toBe('fail');
  expect(empty.message).toContain('"no data"');
  expect(judgeDenialFeedback({ ...base, status: 502, deniedText: 'Bad gateway: access denied' }).status).toBe(
    'fail',
  );
  expect(judgeDenialFeedback({ ...base, crash: 'a Node.js stack trace' }).message).toContain('crashed');
  expect(judgeDenialFeedback({ ...base, answered: false }).status).toBe('fail');
  expect(judgeDenialFeedback({ ...base, denied: 0 }).status).toBe('not-run');
});

test('judgePersonSource: each created person needs a privacy source from the list, in Consents or a Consent PUT', () => {
  const sources = [
    { id: 1, key: 'USER' },
    { id: 3, key: 'API' },
  ];
  const where = 'journey "new person"';
  const post = (body: unknown, id = 100001) => ({
    method: 'POST',
    url: '/Cust1/api/v1/Person',
    body: JSON.stringify(body),
    status: 201,
    responseBody: JSON.stringify({ PersonId: id }),
  });
  const put = (id: number, source: string) => ({
    method: 'PUT',
    url: `/Cust1/api/v1/Person/${id}/Consent/STORE?source=${source}&legalBase=61F`,
    body: '',
    status: 204,
    responseBody: '',
  });
  expect(judgePersonSource([], where, sources).status).toBe('not-run');
  const bare = judgePersonSource([post({ Firstname: 'Kari' })], where, sources);
  expect(bare.status).toBe('fail');
  expect(bare.message).toContain('1 of 1 person(s)');
  expect(judgePersonSource([post({ Firstname: 'Kari' }), put(100001, 'API')], where, sources).status).toBe(
    'pass',
  );
  // A consent set on another person does not count for the new one.
  expect(judgePersonSource([post({}), put(4, 'API')], where, sources).status).toBe('fail');
  expect(
    judgePersonSource(
      [post({ consents: [{ consentPurposeKey: 'STORE', consentSourceKey: 'api' }] })],
      where,
      sources,
    ).status,
  ).toBe('pass');
  expect(judgePersonSource([post({ Consents: [{ ConsentSourceId: 3 }] })], where, sources).status).toBe(
    'pass',
  );
  const unknown = judgePersonSource([post({ Consents: [{ ConsentSourceKey: 'CRM' }] })], where, sources);
  expect(unknown.status).toBe('fail');
  expect(unknown.message).toContain('not in the tenant');
  expect(judgePersonSource([post({}), put(100001, 'USER')], where, sources).status).toBe('warn');
});

test('judgeMaintenance: a write met by the window must be written again or reported; silence fails', () => {
  const call = (method: string, path: string, status: number, time: number, inWindow = false) => ({
    method,
    url: `https://tenant.example/Cust1/api/v1/${path}`,
    status,
    time,
    inWindow,
  });
  const control = 'Contacts\nBergen Skipsfart AS';
  const base = { where: 'journey "sync"', controlText: control, pageText: control };
  const window = [call('PATCH', 'Contact/2', 200, 0), call('PATCH', 'Contact/3', 503, 1000, true)];
  const silent = judgeMaintenance({ ...base, calls: [...window, call('PATCH', 'Contact/4', 200, 5000)] });
  expect(silent.status).toBe('fail');
  expect(silent.message).toContain('PATCH /Cust1/api/v1/Contact/3');
  expect(silent.message).toContain('went on with 1 other write(s)');
  const redo = judgeMaintenance({ ...base, calls: [...window, call('PATCH', 'Contact/3', 200, 4500)] });
  expect(redo.status).toBe('pass');
  expect(redo.message).toContain('3.5 s later');
  const told = judgeMaintenance({
    ...base,
    calls: window,
    pageText: 'ERP sync stopped\nSuperOffice became unavailable; the other names were not updated.',
  });
  expect(told.status).toBe('pass');
  // A read that fails in the window is not a write met by it.
  expect(judgeMaintenance({ ...base, calls: [call('GET', 'Contact', 503, 0, true)] }).status).toBe('error');
  expect(failureLines('Contacts\nSomething went wrong', 'Contacts')).toEqual(['Something went wrong']);
  expect(failureLines('Contacts\nError codes: none', 'Contacts\nError codes: none')).toEqual([]);
});

test('web panels: replayed from the List agent calls, then judged for URL variables, names, install and uninstall', () => {
  const agent = (fn: string, body: unknown, response: unknown = '', query = '') => ({
    method: 'POST',
    url: `https://tenant.example/Cust1/api/v1/Agents/List/${fn}${query}`,
    body: JSON.stringify(body),
    status: response === '' ? 204 : 200,
    responseBody: response === '' ? '' : JSON.stringify(response),
  });
  const panel = (id: number, name: string, url: string) =>
    agent('SaveWebPanel', { WebPanelId: 0, Name: name, Tooltip: '', Url: url }, { WebPanelId: id });
  const good = 'https://app.example/panel?ctx=<uctx>&usid=<usid>';
  const calls = [
    panel(101, 'Acme Web contacts', good),
    panel(102, 'Orders', 'https://app.example/orders?ctx=%3Cuctx%3E&t=<usec>'),
    agent('DeleteWebPanel', {}, '', '?webPanelId=101'),
  ];
  const { created, remaining } = webPanelsFrom(calls);
  expect(created.map((p) => p.id)).toEqual([101, 102]);
  expect(remaining.map((p) => p.id)).toEqual([102]);
  expect(webPanelsFrom([...calls, agent('DeleteAppWebPanels', {})]).remaining).toEqual([]);

  const urls = judgePanelUrls(created);
  expect(urls.status).toBe('fail');
  expect(urls.message).toContain('"Orders"');
  expect(urls.message).toContain('carries <usec>');
  expect(urls.message).toContain('lacks <usid>');
  expect(judgePanelUrls(created.slice(0, 1)).status).toBe('pass');
  expect(judgePanelUrls([]).status).toBe('not-run');
  expect(judgePanelTickets(created).message).toContain('"Orders"');
  expect(judgePanelTickets(created.slice(0, 1)).status).toBe('pass');

  const names = judgePanelDescriptions(created, { name: 'Acme Web', vendor: 'Acme AS' });
  expect(names.status).toBe('fail');
  expect(names.message).toContain('"Orders"');
  expect(judgePanelDescriptions(created.slice(0, 1), { name: 'Acme Web' }).status).toBe('pass');

  expect(judgeProvisioned(['Acme Web contacts'], created).status).toBe('pass');
  expect(judgeProvisioned(['Acme Web contacts', 'Acme Web orders'], created).message).toContain(
    '"Acme Web orders"',
  );
  expect(judgeProvisioned([], created).status).toBe('pass');
  expect(judgeProvisioned(['acme.orders'], [{ ...created[1]!, progId: 'acme.orders' }]).status).toBe('pass');
  expect(judgeProvisioned([], []).status).toBe('not-run');

  expect(judgeUninstalled({ created, remaining, where: '/admin/uninstall' }).status).toBe('fail');
  expect(judgeUninstalled({ created, remaining: [], where: '/admin/uninstall' }).status).toBe('pass');
  expect(judgeUninstalled({ created: [], remaining: [], where: '/admin/uninstall' }).status).toBe('not-run');
});

test('list items: names from REST and agent writes; the multi-language format with two languages or more', () => {
  const write = (method: string, path: string, body: unknown, status = 201) => ({
    method,
    url: `https://tenant.example/Cust1/api/v1/${path}`,
    body: JSON.stringify(body),
    status,
    responseBody: '',
  });
  expect(
    listItemNames([
      write('POST', 'List/category/Items', { Name: 'A' }),
      write('PUT', 'List/category/Items/7', { Name: 'B' }, 200),
      write('POST', 'Agents/List/SaveListItemEntity', { ListItemEntity: { Id: 0, Name: 'C' } }, 200),
      write('POST', 'List/category/Items', { Name: 'refused' }, 400),
      write('GET', 'List/category/Items', {}, 200),
    ]),
  ).toEqual(['A', 'B', 'C']);
  expect(multiLanguageParts('NO:"Bil";US:"Car"')).toEqual(['NO', 'US']);
  expect(multiLanguageParts('NO:"Bil; stor";US:"Car";')).toEqual(['NO', 'US']);
  expect(multiLanguageParts('NO:Bil;US:Car')).toBeUndefined();
  expect(multiLanguageParts('Car')).toBeUndefined();
  const where = 'this run';
  expect(judgeListItemNames([], where).status).toBe('not-run');
  expect(judgeListItemNames(['NO:"Bil";US:"Car"'], where).status).toBe('pass');
  expect(judgeListItemNames(['US:"Car"'], where).status).toBe('warn');
  const plain = judgeListItemNames(['NO:"Bil";US:"Car"', 'Acme customer'], where);
  expect(plain.status).toBe('fail');
  expect(plain.message).toContain('one text for every language');
  expect(judgeListItemNames(['NO:Bil;US:Car'], where).message).toContain('malformed');
});

test('visibilityOf: Associate and Group entries restrict; missing, empty or All is public', () => {
  expect(visibilityOf([{ VisibleId: 12, Visibility: 'Associate' }])).toBe('restricted');
  expect(visibilityOf([{ visibleId: 2, visibility: 'group' }, { Visibility: 'Associate' }])).toBe(
    'restricted',
  );
  expect(visibilityOf(undefined)).toBe('public');
  expect(visibilityOf([])).toBe('public');
  expect(visibilityOf([{ Visibility: 'Group' }, { Visibility: 'All' }])).toBe('public');
  expect(visibilityOf([{ Visibility: 3 }])).toBe('unknown');
});

test('judgeVisibilityPreserved: copies and updates of restricted documents keep their restriction', () => {
  const restricted = [
    { id: 22, header: 'Price agreement 2026', visibleTo: 'one user (Associate)' },
    { id: 23, header: 'Account plan 2026', visibleTo: 'the Sales group (Group)' },
  ];
  const where = 'journey "copy"';
  const req = (method: string, path: string, body: unknown, status = 201) => ({
    method,
    url: `/Cust1/api/${path}`,
    body: JSON.stringify(body),
    status,
    responseBody: '{}',
  });
  const mine = [{ VisibleId: 12, Visibility: 'Associate', DisplayValue: 'Ulf' }];
  const copy = (header: string, visibleFor?: unknown) =>
    req(
      'POST',
      'v1/Document',
      visibleFor === undefined ? { Header: header } : { Header: header, VisibleFor: visibleFor },
    );
  // Nothing restricted copied: new documents and copies of public ones show nothing.
  expect(judgeVisibilityPreserved([], restricted, where).status).toBe('not-run');
  const publicOnly = judgeVisibilityPreserved(
    [copy('Product overview 2026'), copy('Minutes')],
    restricted,
    where,
  );
  expect(publicOnly.status).toBe('not-run');
  expect(publicOnly.message).toContain('"Price agreement 2026" and "Account plan 2026"');
  // Kept: the original's VisibleFor, or "Copy of ..." restricted to a group.
  const kept = judgeVisibilityPreserved(
    [
      copy('Price agreement 2026', mine),
      copy('Copy of account plan 2026', [{ Visibility: 'Group', VisibleId: 2 }]),
    ],
    restricted,
    where,
  );
  expect(kept.status).toBe('pass');
  expect(kept.message).toContain('2 copies or updates');
  // Dropped, emptied or widened: each fails, naming the copy and the original's audience.
  const dropped = judgeVisibilityPreserved([copy('Price agreement 2026')], restricted, where);
  expect(dropped.status).toBe('fail');
  expect(dropped.message).toContain(
    'visible to one user (Associate)), was created visible to everyone (no VisibleFor)',
  );
  expect(judgeVisibilityPreserved([copy('Account plan 2026', [])], restricted, where).status).toBe('fail');
  expect(
    judgeVisibilityPreserved(
      [copy('Account plan 2026', [{ Visibility: 'All', VisibleId: 0 }])],
      restricted,
      where,
    ).status,
  ).toBe('fail');
  // A refused write created nothing.
  expect(
    judgeVisibilityPreserved([{ ...copy('Price agreement 2026'), status: 503 }], restricted, where).status,
  ).toBe('not-run');
  // Updates: making a restricted document public fails (object or JSON Patch); other fields are not judged.
  const put = req('PUT', 'v1/Document/22', { Header: 'x', VisibleFor: [{ Visibility: 'All' }] }, 200);
  expect(judgeVisibilityPreserved([put], restricted, where).message).toContain('PUT v1/Document/22');
  const patch = req('PATCH', 'v1/Document/23', [{ op: 'remove', path: '/VisibleFor' }], 200);
  expect(judgeVisibilityPreserved([patch], restricted, where).status).toBe('fail');
  const rename = req('PATCH', 'v1/Document/23', [{ op: 'replace', path: '/Header', value: 'x' }], 200);
  expect(judgeVisibilityPreserved([rename], restricted, where).status).toBe('not-run');
  // An enum value the judge does not know is a warning to check, not a pass.
  expect(
    judgeVisibilityPreserved([copy('Price agreement 2026', [{ Visibility: 1 }])], restricted, where).status,
  ).toBe('warn');
});

test('judgeMailingConsent: a mailing goes only to persons with e-marketing consent', () => {
  const people = [
    { email: 'kari.berg@bergen.example', name: 'Kari Berg', emarketing: 'granted' as const },
    { email: 'ola.dahl@bergen.example', name: 'Ola Dahl', emarketing: 'none' as const },
    { email: 'nora.lund@oslo.example', name: 'Nora Lund', emarketing: 'withdrawn' as const },
  ];
  const where = 'journey "newsletter"';
  const judge = (bodies: string[], wired = true) =>
    judgeMailingConsent({
      mails: bodies.map((body) => ({ url: '/mail/messages', body })),
      people,
      where,
      wired,
    });
  // Nothing sent, or nothing to a seeded person: nothing to judge, and the reason says what to wire.
  expect(judge([]).status).toBe('not-run');
  expect(judge([], false).message).toContain('names no ${mail.url}');
  expect(judge([JSON.stringify({ to: ['someone@else.example'] })]).status).toBe('not-run');
  // Only consenting persons: pass, with the figures.
  const ok = judge([JSON.stringify({ to: ['Kari.Berg@bergen.example'] })]);
  expect(ok.status).toBe('pass');
  expect(ok.message).toContain('1 person(s)');
  // Never given, or withdrawn, in JSON, a form body or one message per person: fail, naming them.
  const json = judge([JSON.stringify({ to: ['kari.berg@bergen.example', 'ola.dahl@bergen.example'] })]);
  expect(json.status).toBe('fail');
  expect(json.message).toContain('Ola Dahl <ola.dahl@bergen.example> (never gave consent)');
  const form = judge(['to=kari.berg%40bergen.example&to=nora.lund%40oslo.example&subject=News']);
  expect(form.message).toContain('Nora Lund <nora.lund@oslo.example> (consent withdrawn)');
  expect(judge(['{"to":"kari.berg@bergen.example"}', 'To: <ola.dahl@bergen.example>']).status).toBe('fail');
});

test('judgeSecondEnvironment: the app signs in in a second environment, and credentials never cross', () => {
  const base = {
    first: 'SOD',
    second: 'Online',
    firstSuperid: 'https://127.0.0.2:4001',
    secondSuperid: 'https://127.0.0.2:5001',
    signIn: { returned: true, detail: 'returned to the app' },
    signedIn: true,
    redeemed: 1,
    firstCredentialsAtSecond: [] as string[],
    secondCredentialsAtFirst: [] as string[],
  };
  const ok = judgeSecondEnvironment(base);
  expect(ok.status).toBe('pass');
  expect(ok.message).toContain("redeemed with Online's client id, session established");
  // Credentials crossing environments fail, whatever else happened.
  const sodAtOnline = judgeSecondEnvironment({
    ...base,
    firstCredentialsAtSecond: ['client id', 'client secret'],
  });
  expect(sodAtOnline.status).toBe('fail');
  expect(sodAtOnline.message).toContain("sent SOD's client id and client secret to Online's SuperID");
  expect(judgeSecondEnvironment({ ...base, secondCredentialsAtFirst: ['client id'] }).message).toContain(
    "to SOD's SuperID",
  );
  // The second instance's sign-in goes to the first SuperID: fail, naming both.
  const cached = judgeSecondEnvironment({
    ...base,
    startError:
      "the app's sign-in sends the browser to https://127.0.0.2:4001, not to this run's SuperID https://127.0.0.2:5001: give the app ${superid.url} as its SuperOffice URL",
  });
  expect(cached.status).toBe('fail');
  expect(cached.message).toContain(
    "sends users to SOD's SuperID (https://127.0.0.2:4001) instead of Online's",
  );
  // A second instance that does not start, or a sign-in the harness could not drive: nothing observed.
  expect(judgeSecondEnvironment({ ...base, startError: 'the app exited with code 1' }).status).toBe('error');
  expect(judgeSecondEnvironment({ ...base, signIn: { returned: false, detail: 'timeout' } }).status).toBe(
    'error',
  );
  // Back at the app but not signed in: the app rejected the second environment's sign-in.
  expect(judgeSecondEnvironment({ ...base, signedIn: false, redeemed: 0 }).status).toBe('fail');
  // No code redeemed at the second SuperID: a session from elsewhere fails; no probe cannot judge.
  expect(judgeSecondEnvironment({ ...base, redeemed: 0 }).status).toBe('fail');
  expect(judgeSecondEnvironment({ ...base, redeemed: 0, signedIn: undefined }).status).toBe('error');
});

test('clientCredentialsOf: client id and secret from the query, a form body or Basic', () => {
  const e = (url: string, requestBody = '', authorization?: string) => ({
    url,
    requestBody,
    requestHeaders: authorization ? { authorization } : ({} as Record<string, string>),
  });
  expect(clientCredentialsOf(e('https://s/login/common/oauth/authorize?client_id=abc&state=1'))).toEqual({
    clientId: 'abc',
  });
  expect(clientCredentialsOf(e('/token', 'grant_type=x&client_id=abc&client_secret=s%2F1'))).toEqual({
    clientId: 'abc',
    secret: 's/1',
  });
  const basic = `Basic ${Buffer.from('abc:p%40ss').toString('base64')}`;
  expect(clientCredentialsOf(e('/token', 'grant_type=x', basic))).toEqual({
    clientId: 'abc',
    secret: 'p@ss',
  });
});
