import request from 'supertest';
import { Reconciliations } from '../../src/db/reconciliations';
import type { Finding } from '../../src/domain/reconciliation';
import { hashPassword } from '../../src/support/passwords';
import { createApp } from '../../src/web/app';
import { createWebHarness, type WebHarness } from '../web/harness';
import { RecordingSupport } from './recording-support';

/** The reconciliation's support page: its reports and findings in each language, and "run now". */
const PASSWORD = 'correct horse battery';
let h: WebHarness;
let support: RecordingSupport;
let app: ReturnType<typeof createApp>;
let reports: Reconciliations;

beforeAll(async () => {
  h = await createWebHarness({ SUPPORT_USERS: `alice:${await hashPassword(PASSWORD)}`, RECONCILE_AT: '04:15 Europe/Berlin' });
  support = new RecordingSupport();
  app = createApp({ ...h.deps, support });
  reports = new Reconciliations(h.t.db);
});
afterAll(async () => {
  await h.close();
});

const csrfOf = (html: string): string => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';

async function signedIn(): Promise<request.Agent> {
  const agent = request.agent(app.callback());
  const page = await agent.get('/en/support/login');
  const res = await agent
    .post('/en/support/login')
    .type('form')
    .send({ _csrf: csrfOf(page.text), name: 'alice', password: PASSWORD });
  expect(res.status).toBe(303);
  return agent;
}

const WINDOW = { overlapMs: 3600_000, quietMs: 0, firstRunMs: 24 * 3600_000 };

/** A finished run with the findings given. */
async function finishedRun(workflowId: string, findings: Finding[]): Promise<string> {
  const report = await reports.open(workflowId, WINDOW);
  await reports.addFindings(report.id, findings);
  await reports.close(report.id, 12);
  return report.id;
}

describe('the reconciliation page', () => {
  let uncaptured: string;
  let carrierDelivered: string;

  beforeAll(async () => {
    uncaptured = (await h.insertFax({ status: 'delivered', paymentState: 'captured', priceAmount: 257, currency: 'eur', paymentIntentId: 'pi_uncaptured1' })).fax.id;
    carrierDelivered = (await h.insertFax({ status: 'failed', paymentState: 'released', priceAmount: 257, currency: 'eur' })).fax.id;
    await finishedRun('reconciliation-2026-12-05T03:15:00Z', []);
    await finishedRun('reconciliation-2026-12-06T03:15:00Z', [
      {
        faxId: uncaptured,
        code: 'delivered_not_captured',
        attempt: 0,
        ours: { status: 'delivered', paymentState: 'captured', price: 257, currency: 'eur', captured: 257, refunded: 0, purged: false },
        theirs: {
          party: 'stripe',
          paymentIntentId: 'pi_uncaptured1',
          found: true,
          status: 'requires_capture',
          amount: 257,
          received: 0,
          refunded: 0,
          currency: 'eur',
          faxId: uncaptured,
        },
      },
      {
        faxId: carrierDelivered,
        code: 'carrier_delivered_failed_here',
        attempt: 2,
        ours: {
          status: 'failed',
          paymentState: 'released',
          price: 257,
          currency: 'eur',
          captured: 0,
          refunded: 0,
          purged: true,
          attempt: { number: 2, status: 'failed', carrierStatus: 'failed' },
        },
        theirs: { party: 'carrier', carrierFaxId: 'cfx-delivered-2', found: true, attempt: 2, status: 'delivered', failureReason: null },
      },
    ]);
  });

  test('needs a signed-in support user: a browser goes to the sign-in, "run now" is refused', async () => {
    const anonymous = request(app.callback());
    const page = await anonymous.get('/de/support/reconciliation').set('Accept', 'text/html');
    expect(page.status).toBe(303);
    expect(page.headers.location).toBe(`/de/support/login?next=${encodeURIComponent('/de/support/reconciliation')}`);
    const run = await anonymous.post('/en/support/reconciliation/run').type('form').send({});
    expect(run.status).toBe(401);
    expect(support.reconciliations).toBe(0);
  });

  test('lists the latest runs with their findings, each linking to its fax, in English', async () => {
    const agent = await signedIn();
    const res = await agent.get('/en/support/reconciliation');
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const html = res.text;
    expect(html).toContain('Reconciliation with Stripe and the carrier');
    expect(html).toContain('Every day at 04:15 (Europe/Berlin).');
    // The newest run first, with its two findings; the older one found nothing.
    expect(html.indexOf('2 findings')).toBeGreaterThan(-1);
    expect(html.indexOf('2 findings')).toBeLessThan(html.indexOf('Everything agrees: nothing to do.'));
    expect(html).toContain(`href="/en/support/faxes/${uncaptured}"`);
    expect(html).toContain(`href="/en/support/faxes/${carrierDelivered}"`);
    expect(html).toContain('Delivered, but the card hold was never captured');
    expect(html).toContain('Delivered · payment: Charged · price €2.57, captured €2.57, refunded €0.00');
    expect(html).toContain('Stripe: pi_uncaptured1: requires_capture, captured €0.00 of €2.57, refunded €0.00');
    expect(html).toContain('Capture the payment in Stripe’s dashboard before the hold lapses');
    expect(html).toContain('The carrier delivered it, Durafax says it was not');
    expect(html).toContain('transmission 2: failed · documents deleted');
    expect(html).toContain('Carrier: fax cfx-delivered-2 (transmission 2): delivered');
    expect(html).toContain('12 faxes checked.');
  });

  test('in German and in French', async () => {
    const agent = await signedIn();
    const de = (await agent.get('/de/support/reconciliation')).text;
    expect(de).toContain('Abgleich mit Stripe und dem Fax-Anbieter');
    expect(de).toContain('Jeden Tag um 04:15 (Europe/Berlin).');
    expect(de).toContain('Zugestellt, aber die Kartenreservierung wurde nie eingezogen');
    expect(de).toContain('Ziehen Sie die Zahlung im Stripe-Dashboard ein');
    expect(de).toContain('2 Abweichungen');
    expect(de).toContain(`href="/de/support/faxes/${uncaptured}"`);
    const fr = (await agent.get('/fr/support/reconciliation')).text;
    expect(fr).toContain('Rapprochement avec Stripe et l’opérateur de fax');
    expect(fr).toContain('Remis, mais l’autorisation de la carte n’a jamais été encaissée');
    expect(fr).toContain('L’opérateur l’a remis, Durafax dit que non');
    expect(fr).toContain('2 écarts');
    expect(fr).toContain('Opérateur : fax cfx-delivered-2 (transmission 2) : delivered');
    expect(fr).toContain(`href="/fr/support/faxes/${carrierDelivered}"`);
  });

  test("a fax's own page shows its findings until the fax changes again", async () => {
    const agent = await signedIn();
    const page = (await agent.get(`/en/support/faxes/${uncaptured}`)).text;
    expect(page).toContain('<div class="alert alert-error reconciliation-finding" data-code="delivered_not_captured">');
    expect(page).toContain('Reconciliation: Delivered, but the card hold was never captured.');
    expect(page).toContain('Stripe: pi_uncaptured1: requires_capture');
    expect(page).toContain('<a href="/en/support/reconciliation">All findings of the reconciliation</a>');
    expect((await agent.get(`/de/support/faxes/${carrierDelivered}`)).text).toContain('Abgleich: Der Fax-Anbieter hat zugestellt, Durafax sagt nein.');
    expect((await agent.get(`/fr/support/faxes/${carrierDelivered}`)).text).toContain('Durafax indique : Non remis');
    // Settled since (a refund, a webhook, support's action): the finding is no longer news on the fax's page.
    await h.t.db.query('UPDATE fax SET updated_at = now() WHERE id = $1', [uncaptured]);
    expect((await agent.get(`/en/support/faxes/${uncaptured}`)).text).not.toContain('reconciliation-finding');
    expect((await agent.get('/en/support/reconciliation')).text).toContain(`href="/en/support/faxes/${uncaptured}"`);
  });

  test('the support home links to it', async () => {
    const agent = await signedIn();
    for (const [locale, label] of [
      ['en', 'Reconciliation'],
      ['de', 'Abgleich'],
      ['fr', 'Rapprochement'],
    ]) {
      const home = (await agent.get(`/${locale}/support`)).text;
      expect(home).toContain(`<a href="/${locale}/support/reconciliation">${label}</a>`);
    }
  });

  test('"run now" asks for the schedule’s trigger (with its CSRF token) and says what came of it', async () => {
    const agent = await signedIn();
    const token = csrfOf((await agent.get('/en/support/reconciliation')).text);
    const forged = await agent.post('/en/support/reconciliation/run').type('form').send({});
    expect(forged.status).toBe(403);
    expect(support.reconciliations).toBe(0);

    const run = await agent.post('/en/support/reconciliation/run').type('form').send({ _csrf: token });
    expect(run.status).toBe(303);
    expect(run.headers.location).toBe('/en/support/reconciliation?note=triggered');
    expect(support.reconciliations).toBe(1);
    expect((await agent.get(run.headers.location)).text).toContain('The reconciliation has been started');

    support.reconcileAnswer = 'off';
    const off = await agent.post('/fr/support/reconciliation/run').type('form').send({ _csrf: token });
    expect(off.headers.location).toBe('/fr/support/reconciliation?note=off');
    expect(support.reconciliations).toBe(2);
    expect((await agent.get(off.headers.location)).text).toContain('Il n’y a pas de planification du rapprochement');

    // A web configured with the reconciliation off says so on the page.
    const offApp = createApp({ ...h.deps, config: { ...h.deps.config, reconcileAt: null }, support });
    const offAgent = request.agent(offApp.callback());
    const login = await offAgent.get('/en/support/login');
    await offAgent
      .post('/en/support/login')
      .type('form')
      .send({ _csrf: csrfOf(login.text), name: 'alice', password: PASSWORD });
    expect((await offAgent.get('/en/support/reconciliation')).text).toContain('Switched off (RECONCILE_AT=off)');
  });
});
