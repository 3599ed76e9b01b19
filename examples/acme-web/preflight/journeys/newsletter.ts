/**
 * Acme's monthly newsletter: a user sends it to the persons of the first customer on the list.
 * Marked as a mailing, so so-preflight judges who the mail service was asked to send it to.
 */
import { journey } from 'so-preflight/journey';

journey(
  'send the newsletter to a customer',
  async ({ page, app }) => {
    await page.goto(app.url('/newsletter'));
    const company = page.getByLabel('Company');
    await company.selectOption({ index: 1 });
    await page.getByRole('button', { name: 'Send newsletter' }).click();
    await page.getByRole('status').filter({ hasText: 'Newsletter sent' }).waitFor({ timeout: 15_000 });
  },
  { mailing: true },
);
