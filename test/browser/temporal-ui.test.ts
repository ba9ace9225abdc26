/**
 * Support's view of the faxes: the official Temporal UI that `durafax start` serves (the `ui`
 * child), over the embedded engine, driven in Chromium. Faxes are made through the JSON API and
 * paid on the Stripe sandbox's page, as a sender would.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { t } from '../../src/i18n';
import { createFax, makePdf, openCheckout, payByCard, readFax, waitForFax, type Created } from '../helpers/sender';
import { describeInBrowser, launchChromium, newContext, screenshots, SCREENSHOTS, WIDTHS } from './browser';

/** The columns a support agent sees in the list without configuring anything. */
const DEFAULT_COLUMNS = ['Status', 'Workflow ID', 'FaxStatus', 'FaxCountry', 'PaymentState', 'FaxPages', 'Run ID', 'Type', 'Start', 'End'];

/** The pages of what the embedded engine lacks: each page's empty state, and the reason it gives. */
/** Pages the stack has nothing for yet: each shows the engine's empty list, never an error. */
const EMPTY_PAGES: Array<[string, string]> = [
  ['batch-operations', 'No Batch Operations'],
  ['worker-deployments', 'No Worker Deployments'],
];

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
      const content = (globalThis as unknown as { document: { getElementById(id: string): { scrollHeight: number; clientHeight: number } | null } }).document.getElementById(
        'content-wrapper',
      );
      return content ? content.scrollHeight - content.clientHeight : 0;
    });
    await page.setViewportSize({ width, height: Math.min(6000, height + Math.max(0, overflow)) });
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(SCREENSHOTS, `temporal-ui-${name}-${width}.png`) });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

/**
 * The README's pictures of the UI (docs/temporal-ui-*.png): the first screen at 1280 px of what
 * `uiScreenshots` took, written only when asked (UPDATE_README_PICTURES=1) so a test run leaves
 * the committed files alone.
 */
async function readmePicture(page: Page, name: string): Promise<void> {
  if (process.env.UPDATE_README_PICTURES !== '1') return;
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.resolve(__dirname, '..', '..', 'docs', `temporal-ui-${name}.png`) });
  await page.setViewportSize({ width: 1280, height: 900 });
}

/** The create answer's private link to the sender's status page (its `?t=` becomes a cookie). */
function statusLink(fax: Created): string {
  const link = (fax as Created & { links?: { status?: unknown } }).links?.status;
  if (typeof link !== 'string') throw new Error(`the create answer has no links.status: ${JSON.stringify(fax)}`);
  return link;
}

/** The list's column headers, and each row's cells by header, as the page shows them. */
async function listTable(page: Page): Promise<{ headers: string[]; rows: Array<Record<string, string>> }> {
  const headers = (await page.locator('[data-testid^="workflows-summary-table-header-cell-"]').allInnerTexts()).map((h) => h.trim());
  const rows: Array<Record<string, string>> = [];
  for (const row of await page.locator('[data-testid="workflows-summary-configurable-table-row"]').all()) {
    const cells = (await row.locator('[data-testid="workflows-summary-table-body-cell"]').allInnerTexts()).map((c) => c.trim());
    rows.push(Object.fromEntries(headers.map((h, i) => [h, cells[i] ?? ''])));
  }
  return { headers, rows };
}

/** A paid fax: created, converted, paid by card on the sandbox's checkout page. */
async function paidFax(web: string, to: string, pages: number): Promise<Created> {
  const fax = await createFax(web, to, await makePdf(pages));
  await waitForFax(web, fax, (f) => f.status === 'awaiting_payment');
  expect(await payByCard(await openCheckout(web, fax))).toBeLessThan(400);
  return fax;
}

/** Two faxes to look at: one delivered (its workflow keeps running until the purge), one waiting for payment. */
async function deliveredAndUnpaid(web: string): Promise<[Created, Created]> {
  return Promise.all([
    paidFax(web, '+49 30 1234567', 1).then(async (fax) => {
      await waitForFax(web, fax, (f) => f.status === 'delivered');
      return fax;
    }),
    createFax(web, '+49 30 7654321', await makePdf(1)).then(async (fax) => {
      await waitForFax(web, fax, (f) => f.status === 'awaiting_payment');
      return fax;
    }),
  ]);
}

/**
 * A delivered fax's history page in plain words: its summary and details, and its current
 * details, each in a frame that this server renders (/render).
 */
async function expectDeliveredInPlainWords(page: Page, fax: Created): Promise<void> {
  await page.getByText('Summary & Details').click();
  await page.getByText('Current Details').click();
  const frames = page.frameLocator('iframe[title="output"]');
  await frames.first().getByText(`Fax ${fax.id} to DE`).waitFor();
  await frames.last().getByText('Payment:').waitFor();
  expect(await frames.last().locator('main').innerText()).toMatch(/1 page, €\d+\.\d\d[\s\S]*Now: delivered[\s\S]*Payment: captured/);
}

/** What the tests use of a page's window. */
type InPage = { localStorage: { setItem(key: string, value: string): void; clear(): void } };

/** Columns an agent chose in the UI's column drawer (kept in local storage) stay theirs. */
async function expectChosenColumnsKept(page: Page, fax: Created): Promise<void> {
  const chosen = JSON.stringify({ default: [{ label: 'Workflow ID' }, { label: 'FaxStatus' }] });
  // Runs in the page, whose `globalThis` is its window.
  await page.evaluate((value) => (globalThis as unknown as InPage).localStorage.setItem('namespace-workflow-table-columns', value), chosen);
  await page.reload();
  await page
    .locator('[data-testid="workflows-summary-configurable-table-row"]')
    .filter({ hasText: `fax-${fax.id}` })
    .waitFor();
  expect((await listTable(page)).headers).toEqual(['Workflow ID', 'FaxStatus']);
  await page.evaluate(() => (globalThis as unknown as InPage).localStorage.clear());
}

/**
 * Asks for the open workflow's cancellation. Phone and laptop widths render different headers,
 * each with its own dialog: both are looked at, and the laptop's is confirmed.
 */
async function requestCancellation(page: Page): Promise<void> {
  const modal = page.getByRole('dialog', { name: 'Cancel Workflow' });
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: width < 600 ? 740 : 900 });
    await page.getByRole('button', { name: 'Request Cancellation' }).click();
    await modal.getByText('Are you sure you want to cancel this workflow?').waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, `temporal-ui-cancel-${width}.png`) });
    if (width !== 1280) await modal.getByText('Cancel', { exact: true }).click();
  }
  await modal.getByRole('button', { name: 'Confirm' }).click();
}

/** The sender, in a browser of their own, opens the private link from the create answer: the page says cancelled. */
async function expectStatusPageCancelled(browser: Browser, web: string, fax: Created): Promise<void> {
  const sender = await newContext(browser);
  const statusPage = await sender.newPage();
  await statusPage.goto(`${web}${statusLink(fax)}`);
  // The token went into a cookie, out of the address.
  expect(new URL(statusPage.url()).search).toBe('');
  await statusPage.locator('[data-status="cancelled"]').waitFor();
  expect(await statusPage.locator('h1').textContent()).toBe(t('en', 'page.fax.head.cancelled'));
  await screenshots(statusPage, 'temporal-ui-cancelled-status-page');
  await sender.close();
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
    [delivered, unpaid] = await deliveredAndUnpaid(stack().web);
  });

  afterAll(() => browser?.close());

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
    // A new browser (nothing in local storage): the fax's own attributes beside the UI's columns.
    const table = await listTable(page);
    expect(table.headers).toEqual(DEFAULT_COLUMNS);
    expect(table.rows.find((r) => r['Workflow ID'] === `fax-${delivered.id}`)).toMatchObject({ FaxStatus: 'delivered', FaxCountry: 'DE', PaymentState: 'captured', FaxPages: '1' });
    expect(table.rows.find((r) => r['Workflow ID'] === `fax-${unpaid.id}`)).toMatchObject({
      Status: 'Running',
      FaxStatus: 'awaiting_payment',
      FaxCountry: 'DE',
      PaymentState: 'none',
    });
    await uiScreenshots(page, 'workflows');
    await readmePicture(page, 'workflows');
    await expectChosenColumnsKept(page, delivered);

    await page.goto(`${stack().ui}/namespaces/default/workflows?query=${encodeURIComponent('ExecutionStatus="Running"')}`);
    await rows.filter({ hasText: `fax-${unpaid.id}` }).waitFor();
    const running = await listTable(page);
    expect(running.rows.length).toBeGreaterThan(0);
    for (const row of running.rows) expect(row.Status).toBe('Running');
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
    await page
      .locator('[data-testid="workflow-id-heading"]')
      .filter({ hasText: `fax-${delivered.id}` })
      .waitFor();
    await page.getByText('capturePayment').first().waitFor();
    await expectDeliveredInPlainWords(page, delivered);
    await uiScreenshots(page, 'history');
    await readmePicture(page, 'history');
  });

  test('a fax being sent: its pending activity follows the transmission', async () => {
    const { web } = stack();
    // Fifty pages take the carrier sandbox long enough to look at the transmission in flight.
    const sending = await paidFax(web, '+49 30 2345678', 50);
    await waitForFax(web, sending, (f) => f.status === 'sending', 90_000);
    await page.goto(`${stack().ui}/namespaces/default/workflows/fax-${sending.id}`);
    await page.waitForURL(/\/history/);
    await page.goto(page.url().replace(/\/history.*$/, '/pending-activities'));
    await page.locator('ul[role="list"]').getByText('watchTransmission').first().waitFor();
    // Between two looks at the carrier: when the next comes, and how soon (not "None").
    const shown = await page.locator('ul[role="list"]').first().innerText();
    expect(shown).toMatch(/Next Retry\s+[\d-]+ UTC [\d:.]+\s+([12]?\d|30)s/);
    await uiScreenshots(page, 'pending-activity');
  });

  test("the schedules page lists the daily reconciliation; its page's Trigger starts a run", async () => {
    const runs = async (): Promise<number> => {
      const res = await fetch(`${stack().ui}/api/v1/namespaces/default/workflows?query=${encodeURIComponent("TemporalScheduledById='durafax-reconciliation'")}`);
      return ((await res.json()) as { executions?: unknown[] }).executions?.length ?? 0;
    };
    await page.goto(`${stack().ui}/namespaces/default/schedules`);
    await page.getByText('durafax-reconciliation').first().waitFor();
    // The title counts schedules as a real server's scheduler workflows (it read "0 Schedules" once).
    await page
      .getByText(/^\s*1 Schedule\s*$/)
      .first()
      .waitFor();
    await expect(page.getByText(/not implemented|does not run|An Error Occurred/i).count()).resolves.toBe(0);
    await uiScreenshots(page, 'schedules');
    const before = await runs();
    await page.getByText('durafax-reconciliation').first().click();
    await page.waitForURL(/\/schedules\/durafax-reconciliation/);
    await page.locator('#schedule-actions-menu-button').click();
    await page.locator('[data-testid="trigger-schedule"]').click();
    await page.locator('#trigger-schedule-modal [data-testid="confirm-modal-button"]').click();
    const until = Date.now() + 20_000;
    while ((await runs()) === before && Date.now() < until) await page.waitForTimeout(250);
    expect(await runs()).toBe(before + 1);
    await uiScreenshots(page, 'schedule');
  });

  test('the batch operations and worker deployments pages list what the engine has (nothing yet), without an error', async () => {
    for (const [path_, title] of EMPTY_PAGES) {
      await page.goto(`${stack().ui}/namespaces/default/${path_}`);
      await page.getByText(title).waitFor();
      await expect(page.getByText(/not implemented|does not run|An Error Occurred/i).count()).resolves.toBe(0);
      await uiScreenshots(page, path_);
    }
  });

  test("a cancel sent from the UI cancels the fax: the API and the sender's status page say so", async () => {
    await page.goto(`${stack().ui}/namespaces/default/workflows/fax-${unpaid.id}`);
    await page.waitForURL(/\/history/);
    await requestCancellation(page);
    const cancelled = await waitForFax(stack().web, unpaid, (f) => f.status === 'cancelled');
    expect(cancelled.payment.state).toBe('none');
    expect((await readFax(stack().web, unpaid)).status).toBe('cancelled');
    // The workflow itself ends cancelled, which the UI's header shows once it polls again.
    await page.locator('header').getByText('Canceled', { exact: true }).first().waitFor();
    await uiScreenshots(page, 'cancelled');
    await expectStatusPageCancelled(browser, stack().web, unpaid);
  });
});
