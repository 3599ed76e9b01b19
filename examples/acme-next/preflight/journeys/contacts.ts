/**
 * What an Acme Next user does most: open the contact list, go back to the start page, open it
 * again. so-preflight runs this signed in and judges the API traffic it causes.
 */
import { journey } from 'so-preflight/journey';

journey('browse the contact list', async ({ page, app }) => {
  await page.goto(app.url('/contacts'));
  await page.getByRole('heading', { name: 'Contacts' }).waitFor({ timeout: 10_000 });
  await page.goto(app.url('/'));
  await page.goto(app.url('/contacts'));
  await page.locator('#contacts li').first().waitFor({ timeout: 10_000 });
});
