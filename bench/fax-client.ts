/**
 * A sender as the benchmarks play it: the JSON API for the fax, and the Stripe sandbox's
 * hosted checkout page for the payment (GET the form, POST the card with its CSRF token and
 * cookie, follow the redirect back to the app as a browser does).
 */
import { performance } from 'node:perf_hooks';
import type { FaxView } from '../src/web/fax-view';

/** Any valid German number that is not a sandbox test number: delivered on the first call. */
export const DELIVERED_NUMBER = '+49 30 12345678';
const SUCCEEDING_CARD = '4242 4242 4242 4242';

/** A one-page letter in plain text: the smallest ordinary upload. */
export const ONE_PAGE_LETTER = Buffer.from(
  ['Dear Sir or Madam,', '', 'please find our order below.', '', '  12 x A4 binders', '   4 x toner, black', '', 'Kind regards,', 'Durafax Benchmark Ltd', ''].join('\n'),
);

export interface CreatedFax {
  id: string;
  token: string;
}

export class FaxApi {
  constructor(readonly baseUrl: string) {}

  async create(document: Buffer, to: string): Promise<CreatedFax> {
    const form = new FormData();
    form.set('to', to);
    form.set('locale', 'en');
    form.set('document', new Blob([document], { type: 'text/plain' }), 'letter.txt');
    const res = await fetch(`${this.baseUrl}/api/faxes`, { method: 'POST', body: form });
    const body = (await res.json()) as CreatedFax;
    if (res.status !== 201) throw new Error(`POST /api/faxes answered ${res.status}: ${JSON.stringify(body)}`);
    return body;
  }

  async read(fax: CreatedFax): Promise<FaxView> {
    const res = await fetch(`${this.baseUrl}/api/faxes/${fax.id}`, { headers: { Authorization: `Bearer ${fax.token}` } });
    const body = (await res.json()) as FaxView;
    if (res.status !== 200) throw new Error(`GET /api/faxes/:id answered ${res.status}: ${JSON.stringify(body)}`);
    return body;
  }

  /** Asks for the fax's checkout, as the Pay button does; returns where to pay. */
  async checkout(fax: CreatedFax): Promise<string> {
    const res = await fetch(`${this.baseUrl}/api/faxes/${fax.id}/checkout`, { method: 'POST', headers: { Authorization: `Bearer ${fax.token}` } });
    const body = (await res.json()) as { checkoutUrl?: string };
    if (res.status !== 200 || !body.checkoutUrl) throw new Error(`POST /api/faxes/:id/checkout answered ${res.status}: ${JSON.stringify(body)}`);
    return body.checkoutUrl;
  }

  /** Reads the fax every `intervalMs` until `done` holds; fails on a final status that is not wanted. */
  async waitFor(fax: CreatedFax, what: string, done: (view: FaxView) => boolean, intervalMs: number, timeoutMs = 60_000): Promise<FaxView> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const view = await this.read(fax);
      if (done(view)) return view;
      if (['rejected', 'expired', 'cancelled', 'failed'].includes(view.status)) {
        throw new Error(`fax ended ${view.status} (${view.failure?.code ?? 'no reason'}) while waiting for ${what}`);
      }
      if (performance.now() > deadline) throw new Error(`fax still ${view.status} after ${timeoutMs / 1000} s waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }

  async healthz(): Promise<void> {
    const res = await fetch(`${this.baseUrl}/healthz`);
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`GET /healthz answered ${res.status}`);
  }
}

export const quoted = (v: FaxView): boolean => v.status === 'awaiting_payment' && v.price !== null;
/** Attempt 1 is with the carrier: submitted and accepted (or already further along). */
export const handedToCarrier = (v: FaxView): boolean => ['queued', 'sending', 'delivered'].includes(v.attempts[0]?.status ?? '');
export const completed = (v: FaxView): boolean => v.status === 'delivered' && v.payment.state === 'captured';

function formOf(html: string): { action: string; csrf: string } {
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
  if (!action || !csrf) throw new Error('the checkout page has no card form');
  return { action, csrf };
}

export interface Payment {
  /** performance.now() when the card form was sent. */
  postedAt: number;
  /** performance.now() when the sandbox answered it (303 to the app). */
  answeredAt: number;
}

/** Pays on the hosted checkout page with the succeeding test card, then follows the redirect to the app. */
export async function payByCard(checkoutUrl: string): Promise<Payment> {
  const page = await fetch(checkoutUrl, { redirect: 'manual' });
  const html = await page.text();
  if (page.status !== 200) throw new Error(`checkout page answered ${page.status}`);
  const cookie = page.headers.get('set-cookie')?.split(';')[0] ?? '';
  const { action, csrf } = formOf(html);
  const postedAt = performance.now();
  const paid = await fetch(new URL(action, checkoutUrl), {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf, card_number: SUCCEEDING_CARD, card_expiry: '12 / 34', card_cvc: '123' }).toString(),
  });
  await paid.arrayBuffer();
  const answeredAt = performance.now();
  const location = paid.headers.get('location');
  if (paid.status !== 303 || !location) throw new Error(`card payment answered ${paid.status}`);
  // The app's success URL confirms the payment too (the webhook's backstop) and sends the browser to the status page.
  const back = await fetch(location, { redirect: 'manual' });
  await back.arrayBuffer();
  if (back.status !== 303) throw new Error(`the app's success URL answered ${back.status}`);
  return { postedAt, answeredAt };
}
