/**
 * The sender's journeys in one language, in Chromium, against the shared `durafax start`
 * stack: from the empty form to a delivered fax (its report and its receipt), a declined
 * card, a busy line, a cancel between transmissions, a file that is no document, and a bad
 * number — each page looked at in a screenshot at both widths and checked with axe-core.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { formatMoney } from '../../src/domain/pricing';
import type { Locale } from '../../src/domain/status';
import { t, tPlural } from '../../src/i18n';
import { countryName } from '../../src/web/pages/format';
import { makePdf } from '../helpers/sender';
import { pdfText } from '../helpers/pdf-text';
import { CARDS } from '../helpers/stripe';
import { describeInBrowser, launchChromium, newContext, screenshots, seriousA11yViolations } from './browser';

/** Distinct destinations per language, so each journey's emails and faxes are its own. */
const NUMBERS: Record<Locale, { national: string; international: string }> = {
  en: { national: '030 55501001', international: '+49 30 55501001' },
  de: { national: '030 55501002', international: '+49 30 55501002' },
  fr: { national: '030 55501003', international: '+49 30 55501003' },
};
const BUSY = '+49 30 12340001';

export function senderJourneys(locale: Locale): void {
  const tr = (key: string, params = {}): string => t(locale, key, params);

  describeInBrowser(`the sender's pages in ${locale}`, (stack) => {
    let browser: Browser;
    let pdf: string;
    const errors: string[] = [];

    beforeAll(async () => {
      browser = await launchChromium();
      pdf = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'durafax-pages-')), `letter-${locale}.pdf`);
      fs.writeFileSync(pdf, await makePdf(2));
    });
    afterAll(async () => {
      await browser.close();
      fs.rmSync(path.dirname(pdf), { recursive: true, force: true });
    });
    afterEach(() => {
      // A script error on any page fails the journey that met it.
      expect(errors.splice(0)).toEqual([]);
    });

    async function open(opts: { javaScript?: boolean } = {}): Promise<{ context: BrowserContext; page: Page }> {
      const context = await newContext(browser, { locale: locale === 'en' ? 'en-GB' : locale });
      if (opts.javaScript === false) {
        await context.close();
        const noScript = await browser.newContext({ locale, javaScriptEnabled: false, viewport: { width: 1280, height: 900 } });
        return { context: noScript, page: await noScript.newPage() };
      }
      const page = await context.newPage();
      page.on('pageerror', (err) => errors.push(err.message));
      page.on('dialog', (dialog) => void dialog.accept());
      return { context, page };
    }

    async function expectAccessible(page: Page): Promise<void> {
      expect(await seriousA11yViolations(page)).toEqual([]);
    }

    /** Fills the form and uploads; lands on the fax's page. */
    async function upload(page: Page, opts: { number: string; file?: string; email?: string; cover?: boolean }): Promise<string> {
      await page.goto(`${stack().web}/${locale}/`);
      await page.setInputFiles('#f-document', opts.file ?? pdf);
      await page.selectOption('#f-country', 'DE');
      await page.fill('#f-to', opts.number);
      if (opts.email) await page.fill('#f-email', opts.email);
      if (opts.cover) {
        await page.click('details.options summary');
        await page.fill('#f-cover_recipient', 'Dr. Ada Lovelace');
        await page.fill('#f-cover_subject', locale === 'de' ? 'Vertrag – Änderungen' : locale === 'fr' ? 'Contrat – modifications' : 'Contract – changes');
      }
      await page.click('#send-form button[type=submit]');
      await page.waitForURL(/\/faxes\/[0-9a-f-]{36}$/);
      return /\/faxes\/([0-9a-f-]{36})$/.exec(page.url())![1];
    }

    async function pay(page: Page, card: string): Promise<void> {
      await page.click('button[data-pay]');
      await page.waitForURL(/\/c\/pay\//);
      await page.fill('#card_number', card);
      await page.fill('#card_expiry', '12 / 34');
      await page.fill('#card_cvc', '123');
      await page.click('button[type=submit]');
    }

    const status = (page: Page, ...values: string[]) => page.waitForSelector(values.map((v) => `[data-status="${v}"]`).join(', '), { timeout: 60_000 });

    test('from the empty form to a delivered fax, followed live; the report and the receipt', async () => {
      const { context, page } = await open();
      const email = `sender.${locale}@example.org`;
      await page.goto(`${stack().web}/${locale}/`);
      expect(await page.locator('h1').textContent()).toBe(tr('page.home.title'));
      await screenshots(page, `${locale}-home`);
      await expectAccessible(page);

      const id = await upload(page, { number: NUMBERS[locale].national, email, cover: true });
      await status(page, 'awaiting_payment');
      // Both pages and the cover page, as they will be transmitted, and the exact price.
      const previews = page.locator('.previews img');
      expect(await previews.count()).toBe(3);
      await page.waitForFunction(() =>
        [
          ...(globalThis as unknown as { document: { querySelectorAll(s: string): Array<{ complete: boolean; naturalWidth: number }> } }).document.querySelectorAll(
            '.previews img',
          ),
        ].every((img) => img.complete && img.naturalWidth > 0),
      );
      // The cover page counts: 3 pages to Germany at 0.99 + 0.79 a page.
      const price = formatMoney(99 + 3 * 79, 'eur', locale);
      expect(await page.locator('.price').textContent()).toBe(price);
      expect(await page.locator('.breakdown').textContent()).toContain(`3 × ${formatMoney(79, 'eur', locale)}`);
      expect(await page.locator('h1').textContent()).toBe(tr('page.fax.head.awaiting_payment'));
      await screenshots(page, `${locale}-quote`);
      await expectAccessible(page);

      // A larger view of page 1 on click, closed again with Escape.
      await page.click('.previews a >> nth=0');
      await page.waitForSelector('dialog.lightbox[open] img');
      await screenshots(page, `${locale}-preview`);
      await page.keyboard.press('Escape');
      await page.waitForSelector('dialog.lightbox', { state: 'detached' });

      await pay(page, CARDS.visa);
      await page.waitForURL(new RegExp(`/${locale}/faxes/${id}$`));
      await page.evaluate(() => {
        (globalThis as unknown as { samePage: boolean }).samePage = true;
      });
      await status(page, 'queued', 'sending');
      await screenshots(page, `${locale}-sending`);
      await status(page, 'delivered');
      // Reached without a reload: the page followed the fax by itself.
      expect(await page.evaluate(() => (globalThis as unknown as { samePage?: boolean }).samePage)).toBe(true);
      await page.waitForSelector(`[data-step="money"] .step-title:text("${tr('page.timeline.charged', { amount: price })}")`, { timeout: 15_000 });
      expect(await page.locator('h1').textContent()).toBe(tr('page.fax.head.delivered'));
      await screenshots(page, `${locale}-delivered`);
      await expectAccessible(page);

      const [download] = await Promise.all([page.waitForEvent('download'), page.click('a[href$="report.pdf"]')]);
      const report = await pdfText(fs.readFileSync(await download.path()));
      expect(report).toContain(NUMBERS[locale].international);
      expect(report).toContain(t(locale, 'status.delivered'));
      // The text read back from the PDF has plain spaces where the amount has a no-break one.
      expect(report).toContain(price.replace(/\s/g, ' '));

      // The receipt, in the sandbox's mailbox, with the report attached.
      const subject = tr('email.receipt.subject', { status: t(locale, 'status.delivered'), number: NUMBERS[locale].international });
      const deadline = Date.now() + 30_000;
      let row = page.locator('table.mailbox tr', { hasText: email }).filter({ hasText: subject });
      for (;;) {
        await page.goto(`${stack().web}/${locale}/sandbox/mail`);
        row = page.locator('table.mailbox tr', { hasText: email }).filter({ hasText: subject });
        if ((await row.count()) > 0 || Date.now() > deadline) break;
        await page.waitForTimeout(500);
      }
      expect(await row.count()).toBe(1);
      expect(await row.locator('a[download]').first().textContent()).toMatch(/\.pdf$/);
      await screenshots(page, `${locale}-mailbox`);
      await row.locator('td a').first().click();
      expect(await page.locator('pre.mail-text').textContent()).toContain(`/${locale}/faxes/${id}?t=`);
      await screenshots(page, `${locale}-receipt`);
      await context.close();
    });

    test('a declined card charges nothing and leaves the fax payable', async () => {
      const { context, page } = await open();
      const id = await upload(page, { number: NUMBERS[locale].national });
      await status(page, 'awaiting_payment');
      await pay(page, CARDS.declined);
      await page.waitForSelector('.error[role=alert]');
      await screenshots(page, `${locale}-card-declined`);
      // Back on the fax's page: still waiting for a payment, still payable.
      await page.goto(`${stack().web}/${locale}/faxes/${id}`);
      await status(page, 'awaiting_payment');
      expect(await page.locator('button[data-pay]').count()).toBe(1);
      expect(await page.locator('[data-step="paid"]').getAttribute('class')).toContain('step-current');
      await context.close();
    });

    test('a busy line is retried, and the timeline shows each try with its reason', async () => {
      const { context, page } = await open();
      await upload(page, { number: BUSY });
      await status(page, 'awaiting_payment');
      await pay(page, CARDS.visa);
      await status(page, 'retrying');
      expect(await page.locator('h1').textContent()).toBe(tr('page.fax.head.retrying'));
      await screenshots(page, `${locale}-busy-retrying`);
      await status(page, 'delivered');
      const failed = page.locator('.step-failed .step-detail');
      await page.waitForFunction(() => (globalThis as unknown as { document: { querySelectorAll(s: string): unknown[] } }).document.querySelectorAll('.step-failed').length === 2);
      expect(await failed.count()).toBe(2);
      for (const text of await failed.allTextContents()) expect(text).toContain(tr('reason.busy'));
      expect(await page.locator('[data-step="attempt-3"]').textContent()).toContain(tr('page.timeline.attempt.delivered'));
      await screenshots(page, `${locale}-busy-delivered`);
      await context.close();
    });

    test('a cancel before the next transmission ends the fax with its card hold released', async () => {
      const { context, page } = await open();
      await upload(page, { number: BUSY });
      await status(page, 'awaiting_payment');
      await pay(page, CARDS.visa);
      await status(page, 'retrying');
      await page.click('form[data-confirm] button');
      await status(page, 'cancelled');
      await page.waitForSelector(`[data-step="money"] .step-title:text("${tr('page.timeline.released')}")`, { timeout: 15_000 });
      expect(await page.locator('h1').textContent()).toBe(tr('page.fax.head.cancelled'));
      await screenshots(page, `${locale}-cancelled`);
      await expectAccessible(page);
      await context.close();
    });

    test('a file that is no document is refused with the reason in plain words', async () => {
      const { context, page } = await open();
      const junk = path.join(path.dirname(pdf), 'notes.pdf');
      fs.writeFileSync(junk, randomBytes(4096));
      await upload(page, { number: NUMBERS[locale].national, file: junk });
      await status(page, 'rejected');
      expect(await page.locator('h1').textContent()).toBe(tr('page.fax.head.rejected'));
      expect(await page.locator('.status-head .lead').textContent()).toMatch(
        new RegExp(`${tr('reason.unsupported_format').slice(0, 20)}|${tr('reason.corrupt_document').slice(0, 20)}`),
      );
      expect(await page.locator(`a:text("${tr('page.fax.rejected.again')}")`).count()).toBe(1);
      await screenshots(page, `${locale}-rejected`);
      await expectAccessible(page);
      await context.close();
    });

    test('a bad number is refused as it is typed, and again by the server without script', async () => {
      const { context, page } = await open();
      await page.goto(`${stack().web}/${locale}/`);
      await page.selectOption('#f-country', 'DE');
      await page.fill('#f-to', '0900 1234567');
      await page.waitForSelector('.number-check.bad', { timeout: 15_000 });
      expect(await page.locator('.number-check').textContent()).toBe(tr('reason.number_type_not_allowed'));
      await page.fill('#f-to', NUMBERS[locale].national);
      await page.waitForSelector('.number-check.ok', { timeout: 15_000 });
      expect(await page.locator('.number-check').textContent()).toContain(NUMBERS[locale].international);
      await page.fill('#f-to', '0900 1234567');
      await page.waitForSelector('.number-check.bad', { timeout: 15_000 });
      await screenshots(page, `${locale}-number-check`);
      await context.close();

      const plain = await open({ javaScript: false });
      await plain.page.goto(`${stack().web}/${locale}/`);
      await plain.page.setInputFiles('#f-document', pdf);
      await plain.page.selectOption('#f-country', 'DE');
      await plain.page.fill('#f-to', '0900 1234567');
      await plain.page.click('#send-form button[type=submit]');
      await plain.page.waitForSelector('#f-to-error', { timeout: 15_000 });
      expect(await plain.page.locator('#f-to-error').textContent()).toBe(tr('reason.number_type_not_allowed'));
      expect(await plain.page.locator('#error-summary h3').textContent()).toBe(tPlural(locale, 'page.form.problems', 1));
      expect(await plain.page.inputValue('#f-to')).toBe('0900 1234567');
      await screenshots(plain.page, `${locale}-number-refused`);
      await plain.context.close();

      // The same answer in a browser with script, reached past the script's own check
      // (form.submit() skips it), so axe can look at the form with its errors.
      const scripted = await open();
      await scripted.page.goto(`${stack().web}/${locale}/`);
      await scripted.page.setInputFiles('#f-document', pdf);
      await scripted.page.fill('#f-to', '0900 1234567');
      await Promise.all([
        scripted.page.waitForNavigation(),
        scripted.page.evaluate(() => (globalThis as unknown as { document: { getElementById(id: string): { submit(): void } } }).document.getElementById('send-form').submit()),
      ]);
      expect(await scripted.page.locator('#f-to').getAttribute('aria-invalid')).toBe('true');
      await expectAccessible(scripted.page);
      await scripted.context.close();
    });

    test('the form and the quote work from the keyboard alone, with the focus always visible', async () => {
      const { context, page } = await open();
      await page.goto(`${stack().web}/${locale}/`);
      const focused = () =>
        page.evaluate(() => {
          const doc = (globalThis as unknown as { document: { activeElement: { id: string; tagName: string; className: string } | null } }).document;
          const el = doc.activeElement;
          return el ? el.id || `${el.tagName.toLowerCase()}.${el.className}` : '';
        });
      const order: string[] = [];
      for (let i = 0; i < 20 && !order.includes('button.btn btn-primary btn-large'); i++) {
        await page.keyboard.press('Tab');
        order.push(await focused());
      }
      expect(order[0]).toBe('a.skip');
      const fields = ['f-document', 'f-country', 'f-to', 'f-email', 'summary.', 'button.btn btn-primary btn-large'];
      expect(order.filter((id) => fields.includes(id))).toEqual(fields);
      // Tabbing reaches the number field with a visible focus ring.
      await page.focus('#f-to');
      await page.keyboard.press('Shift+Tab');
      await page.keyboard.press('Tab');
      const outline = await page.evaluate(() => {
        const g = globalThis as unknown as { document: { activeElement: unknown }; getComputedStyle(el: unknown): { outlineStyle: string; outlineWidth: string } };
        const style = g.getComputedStyle(g.document.activeElement);
        return `${style.outlineStyle} ${style.outlineWidth}`;
      });
      expect(outline).toBe('solid 3px');

      // The file comes from the system's picker; everything else is typed, and Enter sends.
      await page.setInputFiles('#f-document', pdf);
      await page.focus('#f-country');
      // A focused list picks the option whose name starts with what is typed.
      await page.keyboard.type(countryName('DE', locale));
      await page.keyboard.press('Tab');
      await page.keyboard.type(NUMBERS[locale].national);
      await page.keyboard.press('Enter');
      await page.waitForURL(/\/faxes\/[0-9a-f-]{36}$/);
      await status(page, 'awaiting_payment');
      await page.focus('button[data-pay]');
      await page.keyboard.press('Enter');
      await page.waitForURL(/\/c\/pay\//);
      await context.close();
    });

    test('the prices, help and legal pages, and a missing page', async () => {
      const { context, page } = await open();
      for (const name of ['prices', 'faq', 'terms', 'privacy', 'imprint', 'no-such-page']) {
        const res = await page.goto(`${stack().web}/${locale}/${name}`);
        expect(res?.status()).toBe(name === 'no-such-page' ? 404 : 200);
        await screenshots(page, `${locale}-${name}`);
        await expectAccessible(page);
      }
      await page.goto(`${stack().web}/${locale}/prices`);
      await page.fill('#price-filter', locale === 'de' ? 'Deutsch' : locale === 'fr' ? 'Allemagne' : 'Germany');
      expect(await page.locator('#price-table tbody tr:visible').count()).toBe(1);
      await context.close();
    });
  });
}
