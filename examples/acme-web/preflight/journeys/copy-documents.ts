/**
 * A proposal reused for a sister company: an Acme Web user copies the first customer's price
 * agreement (private to its owner) and account plan (for the Sales group) to the next company.
 * so-preflight judges what the copies may show, and to whom.
 */
import { journey } from 'so-preflight/journey';

journey('copy documents to another company', async ({ page, app }) => {
  for (const title of ['Price agreement 2026', 'Account plan 2026']) {
    await page.goto(app.url('/documents'));
    const row = page.locator('#documents li').filter({ hasText: title });
    await row.getByLabel('Copy to').selectOption({ index: 1 });
    await row.getByRole('button', { name: 'Copy' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Copied "${title}"` })
      .waitFor({ timeout: 15_000 });
    // A user checks the copy before making the next one.
    await page.waitForTimeout(1_000);
  }
});
