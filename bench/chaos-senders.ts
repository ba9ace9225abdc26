/**
 * Senders for the crash storm: each plays one scenario through the JSON API and the Stripe
 * sandbox's checkout page while processes die under it. A request that meets a dead or
 * unready process (no connection, 5xx, 429) is retried as a careful client would — the
 * upload under the same Idempotency-Key — until the run's deadline.
 */
import { randomUUID } from 'node:crypto';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { TEST_NUMBERS } from '../src/twins/carrier/test-numbers';
import type { FaxView } from '../src/web/fax-view';
import { CARDS, CheckoutBrowser } from '../test/helpers/stripe';
import { ONE_PAGE_LETTER } from './fax-client';

/** What a sender does, and the destination that makes the carrier sandbox answer so. */
export const SCENARIOS = {
  /** Pays; any valid number is delivered at once. */
  deliver: '+49 30 12345678',
  /** Pays; busy twice, delivered on the third transmission. */
  busy: TEST_NUMBERS.busyTwice,
  /** Pays; never answers: fails after the last transmission, the hold released. */
  noAnswer: TEST_NUMBERS.neverAnswers,
  /** Pays; a voice line: fails at once. */
  voice: TEST_NUMBERS.voiceLine,
  /** Pays for two pages; dropped after page 1, delivered on the second transmission. */
  drop: TEST_NUMBERS.dropsAfterPageOne,
  /** Cancels before paying. */
  cancel: '+49 30 12345679',
  /** Never pays: expires. */
  abandon: '+49 30 12345670',
  /** Pays and cancels at once: cancelled (hold released) or delivered, whichever wins. */
  payThenCancel: '+49 30 12345671',
} as const;
export type Scenario = keyof typeof SCENARIOS;

/** The mix of a storm, in shares that add up to 100. */
export const MIX: Record<Scenario, number> = { deliver: 50, busy: 10, noAnswer: 5, voice: 5, drop: 5, cancel: 10, abandon: 5, payThenCancel: 10 };

/** `count` scenarios in the proportions of MIX, shuffled. */
export function planScenarios(count: number): Scenario[] {
  const plan: Scenario[] = [];
  const kinds = Object.keys(MIX) as Scenario[];
  for (let i = 0; i < count; i++) {
    // Every kind once before the mix takes over, so even a short run meets each.
    plan.push(i < kinds.length ? kinds[i] : pickByShare(kinds));
  }
  return plan.sort(() => Math.random() - 0.5);
}

function pickByShare(kinds: Scenario[]): Scenario {
  let roll = Math.random() * 100;
  for (const kind of kinds) {
    roll -= MIX[kind];
    if (roll < 0) return kind;
  }
  return 'deliver';
}

export interface SenderOutcome {
  scenario: Scenario;
  /** The fax's id once its upload was accepted (201, or the replay of a 201); null when never. */
  faxId: string | null;
  /** Requests that were retried (no connection, 5xx, 429). */
  retries: number;
  /** Uploads answered as a replay of an earlier try under the same Idempotency-Key. */
  replays: number;
  /** Why the sender stopped short of its scenario, if it did. */
  problem: string | null;
}

interface Created {
  id: string;
  token: string;
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

let twoPagePdf: Promise<Buffer> | undefined;
function twoPages(): Promise<Buffer> {
  twoPagePdf ??= (async () => {
    const doc = await PDFDocument.create();
    const font = await doc.embedFont(StandardFonts.Helvetica);
    for (let i = 1; i <= 2; i++) doc.addPage([595, 842]).drawText(`Chaos bench, page ${i} of 2`, { x: 60, y: 760, size: 24, font });
    return Buffer.from(await doc.save());
  })();
  return twoPagePdf;
}

export class ChaosSender {
  private retries = 0;
  private replays = 0;

  constructor(
    private readonly webUrl: string,
    private readonly deadline: number,
  ) {}

  async run(scenario: Scenario): Promise<SenderOutcome> {
    let created: Created | null = null;
    try {
      created = await this.create(scenario);
      if (scenario === 'abandon') return this.outcome(scenario, created, null);
      const quoted = await this.waitFor(created, (v) => v.status !== 'converting');
      if (quoted.status !== 'awaiting_payment') return this.outcome(scenario, created, `conversion ended ${quoted.status}`);
      if (scenario === 'cancel') {
        await this.cancel(created);
        return this.outcome(scenario, created, null);
      }
      const checkout = await this.request(
        `${this.webUrl}/api/faxes/${created.id}/checkout`,
        { method: 'POST', headers: { Authorization: `Bearer ${created.token}` } },
        this.deadline,
      );
      const offer = (await checkout.json()) as { checkoutUrl?: string };
      if (checkout.status !== 200 || !offer.checkoutUrl) return this.outcome(scenario, created, `checkout answered ${checkout.status}`);
      const paid = await new CheckoutBrowser('en').pay(offer.checkoutUrl, CARDS.visa);
      if (paid.status !== 303 || !paid.location) return this.outcome(scenario, created, `card payment answered ${paid.status}`);
      // The success redirect is the webhook's backstop: tried while the web is up, not insisted on.
      await this.request(paid.location, { redirect: 'manual' }, Date.now() + 5_000)
        .then((res) => res.arrayBuffer())
        .catch(() => undefined);
      if (scenario === 'payThenCancel') await this.cancel(created);
      return this.outcome(scenario, created, null);
    } catch (err) {
      return this.outcome(scenario, created, err instanceof Error ? err.message : String(err));
    }
  }

  private outcome(scenario: Scenario, created: Created | null, problem: string | null): SenderOutcome {
    return { scenario, faxId: created?.id ?? null, retries: this.retries, replays: this.replays, problem };
  }

  private async create(scenario: Scenario): Promise<Created> {
    const key = randomUUID();
    const document = scenario === 'drop' ? await twoPages() : ONE_PAGE_LETTER;
    const res = await this.request(
      `${this.webUrl}/api/faxes`,
      () => {
        const form = new FormData();
        form.set('to', SCENARIOS[scenario]);
        form.set('locale', 'en');
        form.set('document', new Blob([document], { type: scenario === 'drop' ? 'application/pdf' : 'text/plain' }), scenario === 'drop' ? 'letter.pdf' : 'letter.txt');
        return { method: 'POST', body: form, headers: { 'Idempotency-Key': key } };
      },
      this.deadline,
    );
    const body = (await res.json()) as Created;
    // A retry of an upload that was stored before its answer was lost replays it: 200, the same fax.
    const replayed = res.status === 200 && res.headers.get('idempotent-replayed') === 'true';
    if (res.status !== 201 && !replayed) throw new Error(`create answered ${res.status}: ${JSON.stringify(body)}`);
    if (replayed) this.replays++;
    return body;
  }

  private async cancel(fax: Created): Promise<void> {
    const res = await this.request(`${this.webUrl}/api/faxes/${fax.id}/cancel`, { method: 'POST', headers: { Authorization: `Bearer ${fax.token}` } }, this.deadline);
    await res.arrayBuffer();
  }

  private async waitFor(fax: Created, done: (view: FaxView) => boolean): Promise<FaxView> {
    for (;;) {
      const res = await this.request(`${this.webUrl}/api/faxes/${fax.id}`, { headers: { Authorization: `Bearer ${fax.token}` } }, this.deadline);
      const view = (await res.json()) as FaxView;
      if (res.status !== 200) throw new Error(`read answered ${res.status}`);
      if (done(view)) return view;
      if (Date.now() > this.deadline) throw new Error(`still ${view.status} at the deadline`);
      await pause(250);
    }
  }

  /** One request, retried while the answer says "not now" (no connection, 5xx, 429, an upload timed out: 408) until `until`. */
  private async request(url: string, init: RequestInit | (() => RequestInit), until: number): Promise<Response> {
    for (;;) {
      let res: Response | null = null;
      let failure: unknown = null;
      try {
        res = await fetch(url, typeof init === 'function' ? init() : init);
      } catch (err) {
        failure = err;
      }
      if (res && res.status < 500 && res.status !== 429 && res.status !== 408) return res;
      await res?.arrayBuffer().catch(() => undefined);
      if (Date.now() > until) throw new Error(`gave up on ${url}: ${res ? `answered ${res.status}` : String(failure)}`);
      this.retries++;
      await pause(300 + Math.random() * 700);
    }
  }
}
