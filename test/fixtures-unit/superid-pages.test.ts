/**
 * The in-page driver of SuperID's pages, on the emulator's own pages served through a route: what
 * it fills and submits, that it submits a page once, and what it reads from an error page.
 */
import { test, expect, type Page } from '@playwright/test';
import { driveSuperIdPage, type SuperIdStep } from '../../fixtures/superid-pages.ts';
import { consentPage, messagePage, signInPage, tenantPage } from '../../src/emulator/superid/pages.ts';

const ORIGIN = 'https://superid.invalid';
const LOGIN = { username: 'ada@example.com', password: 'pw-Xy9&z' };

/**
 * Serve `html` at the origin's root; every POST is recorded and answered with a plain page once
 * `answer` (when given) resolves.
 */
async function serve(page: Page, html: string, answer?: Promise<void>): Promise<URLSearchParams[]> {
  const posts: URLSearchParams[] = [];
  await page.route(`${ORIGIN}/**`, async (route) => {
    const request = route.request();
    if (request.method() === 'POST') {
      posts.push(new URLSearchParams(request.postData() ?? ''));
      await answer;
      await route.fulfill({ contentType: 'text/html', body: '<p>next page</p>' });
    } else await route.fulfill({ contentType: 'text/html', body: html });
  });
  await page.goto(`${ORIGIN}/`);
  return posts;
}

const drive = (page: Page, a: Partial<Parameters<typeof driveSuperIdPage>[0]> = {}): Promise<SuperIdStep> =>
  page.evaluate(driveSuperIdPage, { login: LOGIN, tenant: 'Cust12345', decline: false, ...a });

test('fills the sign-in form over a login hint and submits it', async ({ page }) => {
  const posts = await serve(page, signInPage('uid1', { loginHint: 'someone@else', appName: 'Acme' }));
  expect(await drive(page)).toEqual({ shown: 'login' });
  await page.waitForURL(`${ORIGIN}/login/interaction/uid1/login`);
  await expect.poll(() => posts.length).toBe(1);
  expect(Object.fromEntries(posts[0]!)).toEqual(LOGIN);
  expect(await drive(page)).toEqual({ shown: 'other' });
});

test('a page it submitted is not driven again until the next document replaces it', async ({ page }) => {
  const posts = await serve(page, consentPage('uid3', { name: 'Acme', vendor: 'Acme AS' }, 'Cust12345'));
  // The submission is held in the page, as while SuperID has not answered yet.
  await page.evaluate(() => document.forms[0]!.addEventListener('submit', (e) => e.preventDefault()));
  expect(await drive(page)).toEqual({ shown: 'consent' });
  expect(await drive(page)).toEqual({ shown: 'pending' });
  expect(posts).toHaveLength(0);
  await page.reload();
  expect(await drive(page)).toEqual({ shown: 'consent' });
  await expect.poll(() => posts.length).toBe(1);
});

test('a sign-in form shown again after it was filled is left alone', async ({ page }) => {
  const posts = await serve(
    page,
    signInPage('uid1', { error: 'Wrong username or password.', appName: 'Acme' }),
  );
  expect(await drive(page, { login: undefined })).toEqual({ shown: 'other' });
  expect(posts).toHaveLength(0);
});

test("chooses the run's tenant, not the one checked first", async ({ page }) => {
  const posts = await serve(
    page,
    tenantPage('uid2', [
      { ctx: 'Cust99999', companyName: 'Other' },
      { ctx: 'Cust12345', companyName: 'Acme' },
    ]),
  );
  expect(await drive(page)).toEqual({ shown: 'tenant' });
  await expect.poll(() => posts.length).toBe(1);
  expect(posts[0]!.get('tenant')).toBe('Cust12345');
});

test('a tenant choice without the run tenant is not submitted', async ({ page }) => {
  const posts = await serve(page, tenantPage('uid2', [{ ctx: 'Cust99999', companyName: 'Other' }]));
  expect(await drive(page)).toEqual({ shown: 'other' });
  expect(posts).toHaveLength(0);
});

for (const decline of [false, true]) {
  test(`consent: ${decline ? 'declines' : 'approves'} as asked`, async ({ page }) => {
    const posts = await serve(page, consentPage('uid3', { name: 'Acme', vendor: 'Acme AS' }, 'Cust12345'));
    expect(await drive(page, { decline })).toEqual({ shown: 'consent' });
    await expect.poll(() => posts.length).toBe(1);
    expect(posts[0]!.get('decision')).toBe(decline ? 'cancel' : 'approve');
  });
}

test('an error page gives the innermost element that names the error', async ({ page }) => {
  await serve(
    page,
    messagePage('Authorization error', 'Authorization error: InvalidClient (unknown client_id)'),
  );
  expect(await drive(page)).toEqual({ shown: 'denied', detail: 'Authorization error' });
  await serve(page, messagePage('Sign-in failed', 'Account does not have access to Cust12345.'));
  expect(await drive(page)).toEqual({
    shown: 'denied',
    detail: 'Account does not have access to Cust12345.',
  });
});

test('any other page is left alone', async ({ page }) => {
  const posts = await serve(page, messagePage('Signed out', 'You have been signed out of SuperOffice.'));
  expect(await drive(page)).toEqual({ shown: 'other' });
  expect(posts).toHaveLength(0);
});
