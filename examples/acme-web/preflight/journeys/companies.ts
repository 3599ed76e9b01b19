/**
 * What an Acme Web administrator does with companies: add a new one, then let the ERP sync the
 * company names (connected to the ERP first: the sync runs with the user's ERP connection).
 * so-preflight judges what the app writes to the tenant meanwhile.
 */
import { journey } from 'so-preflight/journey';

journey('add a company and sync names from the ERP', async ({ page, app }) => {
  await page.goto(app.url('/erp'));
  await page.getByLabel('ERP API key').fill('demo-key');
  await page.getByRole('button', { name: 'Connect' }).click();
  await page.getByRole('status').filter({ hasText: 'Connected to the ERP' }).waitFor({ timeout: 10_000 });
  await page.goto(app.url('/contacts'));
  await page.getByLabel('New company').fill('Fjordlys Analytics AS');
  await page.getByRole('button', { name: 'Create company' }).click();
  await page.getByRole('heading', { name: 'Contacts' }).waitFor({ timeout: 10_000 });
  // A user reads the list before the next action.
  await page.waitForTimeout(1_000);
  await page.getByRole('button', { name: 'Sync names from the ERP' }).click();
  await page.getByRole('heading', { name: 'Contacts' }).waitFor({ timeout: 15_000 });
});
