import type { Browser } from 'playwright-core';
import { describeInBrowser, launchChromium } from './browser';

describeInBrowser('the shared stack', (stack) => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser.close();
  });

  test('answers health checks', async () => {
    const page = await browser.newPage();
    const res = await page.goto(`${stack().web}/readyz`);
    expect(res?.status()).toBe(200);
    await page.close();
  });
});
