import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { STACK_ERROR_ENV, stackUrls, type StackUrls } from './stack';

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** The Chromium binary the browser tests drive, or null when none is installed. */
export function chromiumPath(): string | null {
  return CANDIDATES.find((p): p is string => !!p && fs.existsSync(p)) ?? null;
}

/** Screenshots land here, one PNG per page and width, for people to look at. */
export const SCREENSHOTS = path.resolve(__dirname, '..', '..', 'test-results', 'screenshots');

/** The two widths every page is looked at: a small phone and a laptop. */
export const WIDTHS = [360, 1280] as const;

/**
 * `describe` for browser tests: skipped, with the reason printed once, when Chromium is not
 * installed or the shared stack did not start.
 */
export function describeInBrowser(name: string, fn: (stack: () => StackUrls) => void): void {
  const urls = stackUrls();
  const stackError = process.env[STACK_ERROR_ENV];
  if (stackError) {
    describe(name, () => {
      test('the shared stack starts', () => {
        throw new Error(`durafax start did not start for the browser tests: ${stackError}`);
      });
    });
    return;
  }
  if (!chromiumPath() || !urls) {
    describe.skip(name, () => {
      test('needs Chromium', () => undefined);
    });
    process.stdout.write(`skipped "${name}": Chromium is not installed (apt-get install chromium)\n`);
    return;
  }
  describe(name, () => fn(() => urls));
}

export async function launchChromium(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error('Chromium is not installed (apt-get install chromium)');
  return chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
  });
}

/** A fresh browser context (its own cookies) in one language, phone-sized or not. */
export async function newContext(browser: Browser, opts: { locale?: string; width?: number } = {}): Promise<BrowserContext> {
  const width = opts.width ?? 1280;
  return browser.newContext({
    locale: opts.locale ?? 'en-US',
    viewport: { width, height: width < 600 ? 740 : 900 },
    acceptDownloads: true,
  });
}

/**
 * Full-page screenshots of what the page shows now, at each width, into `test-results/
 * screenshots/<name>-<width>.png`. The page's own viewport is put back afterwards.
 */
export async function screenshots(page: Page, name: string): Promise<string[]> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const original = page.viewportSize();
  const files: string[] = [];
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: width < 600 ? 740 : 900 });
    const file = path.join(SCREENSHOTS, `${name}-${width}.png`);
    await page.screenshot({ path: file, fullPage: true });
    files.push(file);
  }
  if (original) await page.setViewportSize(original);
  return files;
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[] }>;
}

const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Runs axe-core in the page (by evaluation, so the page's own Content-Security-Policy, which
 * allows no injected script, stays on) and returns the serious and critical violations.
 */
export async function seriousA11yViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    // Runs inside the page: `globalThis` is its window.
    const page = globalThis as unknown as { document: unknown; axe: { run(ctx: unknown, opts: object): Promise<{ violations: AxeViolation[] }> } };
    const result = await page.axe.run(page.document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
