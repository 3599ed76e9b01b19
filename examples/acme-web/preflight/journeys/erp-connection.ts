/**
 * A user's ERP connection expires: the ERP sync fails (twice: the user tries again), the user
 * reconnects with a new key and the sync runs. so-preflight judges the system message the app
 * shows the user in SuperOffice meanwhile: one, and gone once the user has reconnected. It runs
 * as a normal user, who may message only themselves (and whose ERP connection no other journey
 * uses).
 */
import { journey } from 'so-preflight/journey';

journey(
  'the ERP connection expires and the user reconnects',
  async ({ page, app }) => {
    // The simulated ERP hands out keys it has expired already as "expired-...".
    await page.goto(app.url('/erp'));
    await page.getByLabel('ERP API key').fill('expired-demo');
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.getByRole('status').filter({ hasText: 'Connection expired' }).waitFor({ timeout: 10_000 });
    for (let attempt = 0; attempt < 2; attempt++) {
      await page.goto(app.url('/contacts'));
      await page.getByRole('button', { name: 'Sync names from the ERP' }).click();
      await page.getByRole('heading', { name: 'ERP connection expired' }).waitFor({ timeout: 15_000 });
      // A user reads the page before trying again.
      await page.waitForTimeout(1_000);
    }
    await page.goto(app.url('/erp'));
    await page.getByLabel('ERP API key').fill('demo-key');
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.getByRole('status').filter({ hasText: 'Connected to the ERP' }).waitFor({ timeout: 10_000 });
    await page.goto(app.url('/contacts'));
    // A user reads the list before the next action; a sync that ran sends them back to it.
    await page.waitForTimeout(1_000);
    const back = page.waitForResponse(
      (r) => new URL(r.url()).pathname === '/contacts' && r.request().method() === 'GET',
      { timeout: 15_000 },
    );
    await page.getByRole('button', { name: 'Sync names from the ERP' }).click();
    await back;
    await page.getByRole('heading', { name: 'Contacts' }).waitFor({ timeout: 15_000 });
  },
  { as: 'user' },
);
