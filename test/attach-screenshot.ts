import { test, type Locator, type Page } from '@playwright/test';

/**
 * Attaches a picture of a page or element to the running test, for whoever reads the test output.
 * Chromium can refuse a capture on a loaded machine ("Unable to capture screenshot"); that says
 * nothing about what the test checks, so it becomes an annotation instead of a failure.
 */
export async function attachScreenshot(
  target: Page | Locator,
  label: string,
  fullPage = false,
): Promise<void> {
  const info = test.info();
  try {
    const path = info.outputPath(`${label.replace(/[^a-z0-9]+/gi, '-')}.png`);
    const body = await target.screenshot(fullPage ? { path, fullPage } : { path });
    await info.attach(label, { body, contentType: 'image/png' });
  } catch (e) {
    info.annotations.push({
      type: 'no screenshot',
      description: `${label}: ${(e as Error).message.split('\n')[0]}`,
    });
  }
}
