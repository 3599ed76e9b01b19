// Acme EOC's everyday use: from the start page to the company list, and back to it by the link.
// so-preflight runs this signed in and judges the NetServer traffic it causes. Plain data, so it
// imports nothing from so-preflight.

export default [
  {
    name: 'browse companies from the start page',
    run: async ({ page, app }) => {
      await page.goto(app.url('/'));
      await page.getByRole('link', { name: 'Contacts' }).click();
      await page.locator('#contacts tbody tr').first().waitFor({ timeout: 10_000 });
      await page.getByRole('link', { name: 'Start page' }).click();
      await page.getByRole('heading', { level: 1 }).waitFor({ timeout: 10_000 });
      await page.goto(app.url('/contacts'));
      await page.getByRole('heading', { name: 'Contacts' }).waitFor({ timeout: 10_000 });
    },
  },
];
