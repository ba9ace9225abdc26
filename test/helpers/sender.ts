import { PDFDocument, StandardFonts } from 'pdf-lib';
import { CARDS, CheckoutBrowser } from './stripe';

/** A small real PDF of `pages` text pages. */
export async function makePdf(pages: number): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (let i = 1; i <= pages; i++) {
    const page = doc.addPage([595, 842]);
    page.drawText(`Durafax test page ${i} of ${pages}`, { x: 60, y: 760, size: 24, font });
    page.drawText('The quick brown fox jumps over the lazy dog.', { x: 60, y: 700, size: 12, font });
  }
  return Buffer.from(await doc.save());
}

export interface Created {
  id: string;
  token: string;
}

export interface FaxJson {
  id: string;
  status: string;
  pages: number | null;
  price: { amount: number; currency: string } | null;
  payment: { state: string; checkoutUrl: string | null };
  attempts: Array<{ number: number; status: string; reason: string | null; pagesSent: number | null }>;
  failure: { code: string } | null;
}

export async function createFax(baseUrl: string, to: string, pdf: Buffer): Promise<Created> {
  const form = new FormData();
  form.set('to', to);
  form.set('locale', 'en');
  form.set('document', new Blob([pdf], { type: 'application/pdf' }), 'letter.pdf');
  const res = await fetch(`${baseUrl}/api/faxes`, { method: 'POST', body: form });
  const body = (await res.json()) as Created & { error?: unknown };
  if (res.status !== 201) throw new Error(`create answered ${res.status}: ${JSON.stringify(body)}`);
  return body;
}

export async function readFax(baseUrl: string, fax: Created): Promise<FaxJson> {
  const res = await fetch(`${baseUrl}/api/faxes/${fax.id}`, { headers: { Authorization: `Bearer ${fax.token}` } });
  if (res.status !== 200) throw new Error(`read answered ${res.status}`);
  return (await res.json()) as FaxJson;
}

/** Polls the API until the fax matches `pred`. */
export async function waitForFax(baseUrl: string, fax: Created, pred: (f: FaxJson) => boolean, timeoutMs = 60_000): Promise<FaxJson> {
  const deadline = Date.now() + timeoutMs;
  let last: FaxJson | undefined;
  while (Date.now() < deadline) {
    last = await readFax(baseUrl, fax);
    if (pred(last)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`fax never reached the expected state; last: ${JSON.stringify(last)}`);
}

/** Asks for the fax's checkout, as the Pay button does (`POST /api/faxes/:id/checkout`); returns where to pay. */
export async function openCheckout(baseUrl: string, fax: Created): Promise<string> {
  const res = await fetch(`${baseUrl}/api/faxes/${fax.id}/checkout`, { method: 'POST', headers: { Authorization: `Bearer ${fax.token}` } });
  const body = (await res.json()) as { checkoutUrl?: string };
  if (res.status !== 200 || !body.checkoutUrl) throw new Error(`checkout answered ${res.status}: ${JSON.stringify(body)}`);
  return body.checkoutUrl;
}

/**
 * Pays on the Stripe sandbox's hosted page with the succeeding test card and follows the
 * redirect to the app's success URL, as a browser would. Returns the success URL's status.
 */
export async function payByCard(checkoutUrl: string): Promise<number> {
  const browser = new CheckoutBrowser('en');
  const paid = await browser.pay(checkoutUrl, CARDS.visa);
  if (paid.status !== 303 || !paid.location) throw new Error(`payment page answered ${paid.status}`);
  const success = await fetch(paid.location, { redirect: 'manual' });
  return success.status;
}
