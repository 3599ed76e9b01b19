/**
 * What runs Acme Sync in production: its scheduler calls the sync endpoint, here twice a few
 * seconds apart. so-preflight judges what the app sends the tenant through its system user.
 */
import { journey } from 'so-preflight/journey';

journey('the scheduler runs the contact sync twice', async ({ page, app }) => {
  for (let run = 0; run < 2; run++) {
    if (run > 0) await page.waitForTimeout(2_000);
    const res = await page.request.get(app.url('/sync'), { timeout: 30_000 });
    if (!res.ok()) throw new Error(`GET /sync answered ${res.status()}: ${(await res.text()).slice(0, 200)}`);
  }
});
