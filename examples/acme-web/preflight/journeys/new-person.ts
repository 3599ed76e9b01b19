/**
 * A new contact at a customer: an Acme Web user adds the person to the first company on the list.
 * so-preflight judges what the app writes (the default entity first, a privacy source).
 */
import { journey } from 'so-preflight/journey';

journey('add a person to a company', async ({ page, app }) => {
  await page.goto(app.url('/persons/new'));
  await page.getByRole('heading', { name: 'New person' }).waitFor({ timeout: 10_000 });
  await page.getByLabel('First name').fill('Kari');
  await page.getByLabel('Last name').fill('Nordmann');
  await page.getByRole('button', { name: 'Create person' }).click();
  await page.getByRole('heading', { name: 'Contacts' }).waitFor({ timeout: 15_000 });
});
