// What an Acme Passport user does most: open the contact list, go back to the start page and
// open it again from there. so-preflight runs this signed in and judges the API traffic it causes.
// Exported as plain data, so this file needs nothing from so-preflight at run time.

export default [
  {
    name: 'open the contact list from the start page',
    run: async ({ page, app }) => {
      await page.goto(app.url('/contacts'));
      await page.getByRole('heading', { name: 'Contacts' }).waitFor({ timeout: 10_000 });
      await page.goto(app.url('/'));
      await page.getByRole('link', { name: 'Contacts' }).click();
      await page.locator('#contacts tbody tr').first().waitFor({ timeout: 10_000 });
    },
  },
];
