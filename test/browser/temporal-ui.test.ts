/**
 * Support's view of the faxes: the official Temporal UI that `durafax start` serves (the `ui`
 * child), over the embedded engine, driven in Chromium. Faxes are made through the JSON API and
 * paid on the Stripe sandbox's page, as a sender would.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { createFax, makePdf, payByCard, readFax, waitForFax, type Created } from '../e2e/support';
import { describeInBrowser, launchChromium, newContext, SCREENSHOTS, WIDTHS } from './browser';

/**
 * Screenshots of the UI at each width. Its pages scroll inside `#content-wrapper`, not the
 * window, so the viewport is made as tall as that element's content for the picture.
 */
async function uiScreenshots(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  for (const width of WIDTHS) {
    const height = width < 600 ? 740 : 900;
    await page.setViewportSize({ width, height });
    await page.waitForTimeout(300);
    const overflow = await page.evaluate(() => {
      const content = (globalThis as unknown as { document: { getElementById(id: string): { scrollHeight: number; clientHeight: number } | null } }).document.getElementById('content-wrapper');
      return content ? content.scrollHeight - content.clientHeight : 0;
    });
    await page.setViewportSize({ width, height: Math.min(6000, height + Math.max(0, overflow)) });
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(SCREENSHOTS, `temporal-ui-${name}-${width}.png`) });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

/** A paid fax: created, converted, paid by card on the sandbox's checkout page. */
async function paidFax(web: string, to: string, pages: number): Promise<Created> {
  const fax = await createFax(web, to, await makePdf(pages));
  const payable = await waitForFax(web, fax, (f) => f.status === 'awaiting_payment' && !!f.payment.checkoutUrl);
  expect(await payByCard(payable.payment.checkoutUrl as string)).toBeLessThan(400);
  return fax;
}

describeInBrowser('the Temporal UI', (stack) => {
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  let delivered: Created;
  let unpaid: Created;

  beforeAll(async () => {
    browser = await launchChromium();
    const context = await newContext(browser);
    page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    const { web } = stack();
    [delivered, unpaid] = await Promise.all([
      paidFax(web, '+49 30 1234567', 1).then(async (fax) => {
        await waitForFax(web, fax, (f) => f.status === 'delivered');
        return fax;
      }),
      createFax(web, '+49 30 7654321', await makePdf(1)).then(async (fax) => {
        await waitForFax(web, fax, (f) => f.status === 'awaiting_payment');
        return fax;
      }),
    ]);
  });

  afterAll(async () => {
    await browser?.close();
  });

  afterEach(() => {
    // The UI must never crash on what this frontend answers.
    expect(pageErrors).toEqual([]);
  });

  test('lists the fax workflows, and filters them by execution status and by FaxStatus', async () => {
    await page.goto(stack().ui);
    await page.waitForURL(/\/namespaces\/default\/workflows/);
    const rows = page.locator('[data-testid="workflows-summary-configurable-table-row"]');
    await rows.filter({ hasText: `fax-${delivered.id}` }).waitFor();
    await expect(rows.filter({ hasText: `fax-${unpaid.id}` }).count()).resolves.toBe(1);
    await uiScreenshots(page, 'workflows');

    await page.goto(`${stack().ui}/namespaces/default/workflows?query=${encodeURIComponent('ExecutionStatus="Running"')}`);
    await rows.filter({ hasText: `fax-${unpaid.id}` }).waitFor();
    const shown = await rows.allInnerTexts();
    expect(shown.length).toBeGreaterThan(0);
    for (const row of shown) expect(row).toMatch(/^\s*Running/);
    await uiScreenshots(page, 'workflows-running');

    // The fax workflow's own search attribute: what support filters by.
    await page.goto(`${stack().ui}/namespaces/default/workflows?query=${encodeURIComponent('FaxStatus="awaiting_payment"')}`);
    await rows.filter({ hasText: `fax-${unpaid.id}` }).waitFor();
    await expect(rows.filter({ hasText: `fax-${delivered.id}` }).count()).resolves.toBe(0);
    await uiScreenshots(page, 'workflows-awaiting-payment');
  });

  test("a delivered fax's history: every step, payment captured", async () => {
    await page.goto(`${stack().ui}/namespaces/default/workflows/fax-${delivered.id}`);
    await page.waitForURL(/\/history/);
    await page.locator('[data-testid="workflow-id-heading"]').filter({ hasText: `fax-${delivered.id}` }).waitFor();
    await page.getByText('capturePayment').first().waitFor();
    await uiScreenshots(page, 'history');
  });

  test("a fax being sent: its pending activity follows the transmission", async () => {
    const { web } = stack();
    // Forty pages take the carrier sandbox long enough to look at the transmission in flight.
    const sending = await paidFax(web, '+49 30 2345678', 50);
    await waitForFax(web, sending, (f) => f.status === 'sending', 90_000);
    await page.goto(`${stack().ui}/namespaces/default/workflows/fax-${sending.id}`);
    await page.waitForURL(/\/history/);
    await page.goto(page.url().replace(/\/history.*$/, '/pending-activities'));
    await page.locator('ul[role="list"]').getByText('watchTransmission').first().waitFor();
    await uiScreenshots(page, 'pending-activity');
  });

  test("what the embedded engine lacks shows the UI's own empty states", async () => {
    const states: Array<[string, string, RegExp]> = [
      ['schedules', 'No Schedules Found', /ListSchedules is not implemented/],
      ['batch-operations', 'No Batch Operations', /does not run batch operations/],
      ['worker-deployments', 'No Worker Deployments', /ListWorkerDeployments is not implemented/],
    ];
    for (const [path_, title, why] of states) {
      await page.goto(`${stack().ui}/namespaces/default/${path_}`);
      await page.getByText(title).waitFor();
      await page.getByText(why).waitFor();
      await uiScreenshots(page, path_);
    }
  });

  test('a cancel sent from the UI cancels the fax', async () => {
    await page.goto(`${stack().ui}/namespaces/default/workflows/fax-${unpaid.id}`);
    await page.waitForURL(/\/history/);
    const modal = page.getByRole('dialog', { name: 'Cancel Workflow' });
    // Phone and laptop widths render different headers (each with its own dialog): look at both,
    // then confirm on the laptop one.
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: width < 600 ? 740 : 900 });
      await page.getByRole('button', { name: 'Request Cancellation' }).click();
      await modal.getByText('Are you sure you want to cancel this workflow?').waitFor();
      await page.screenshot({ path: path.join(SCREENSHOTS, `temporal-ui-cancel-${width}.png`) });
      if (width !== 1280) await modal.getByText('Cancel', { exact: true }).click();
    }
    await modal.getByRole('button', { name: 'Confirm' }).click();
    const cancelled = await waitForFax(stack().web, unpaid, (f) => f.status === 'cancelled');
    expect(cancelled.payment.state).toBe('none');
    expect((await readFax(stack().web, unpaid)).status).toBe('cancelled');
  });
});
