/**
 * When someone changes jobs, an Acme Web user moves the person to the new company: the first
 * person the form offers, to the second company on the list. so-preflight judges the write.
 */
import { journey } from 'so-preflight/journey';

journey('move a person to another company', async ({ page, app }) => {
  await page.goto(app.url('/persons/move'));
  await page.getByRole('heading', { name: 'Move a person' }).waitFor({ timeout: 10_000 });
  const company = page.getByLabel('New company');
  const second = await company.locator('option').nth(1).getAttribute('value', { timeout: 10_000 });
  if (second) await company.selectOption(second);
  await page.getByRole('button', { name: 'Move person' }).click();
  await page.getByRole('heading', { name: 'Contacts' }).waitFor({ timeout: 15_000 });
});
