import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { TEST_NUMBERS } from '../../src/twins/carrier';
import { checkInvariants } from '../helpers/invariants';
import { startE2eStack, until, type E2eStack } from './harness';
import { makePdf, openCheckout, waitForFax, type Created } from '../helpers/sender';
import { CARDS, CheckoutBrowser } from '../helpers/stripe';

/**
 * Duplicates and disorder: every webhook the Stripe and carrier sandboxes send reaches the
 * web 10 times, at random moments within two seconds (so later events overtake earlier ones)
 * and concurrently; the success redirect is replayed; the API's create is sent 10 times at
 * once under one Idempotency-Key. Each has exactly one effect.
 */
const COPIES = 10;
let stack: E2eStack;
let proxy: http.Server;
const deliveries: Array<Promise<number>> = [];
let webBase = '';

/** Takes each webhook from a sandbox (answering 200 at once) and sends it on to the web COPIES times. */
function fanOut(req: http.IncomingMessage, res: http.ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    res.writeHead(200).end();
    const body = Buffer.concat(chunks);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && !['host', 'content-length', 'connection'].includes(k)) headers[k] = v;
    for (let i = 0; i < COPIES; i++) {
      deliveries.push(
        new Promise<void>((r) => setTimeout(r, Math.random() * 2000))
          .then(() => fetch(`${webBase}${req.url}`, { method: 'POST', headers, body }))
          .then(async (answer) => {
            await answer.arrayBuffer();
            return answer.status;
          }),
      );
    }
  });
}

beforeAll(async () => {
  proxy = http.createServer(fanOut);
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  stack = await startE2eStack({ webhookBase: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, env: { STATUS_POLL_INTERVAL: '30s' } });
  webBase = stack.baseUrl;
}, 90_000);

afterAll(async () => {
  await stack?.stop();
  await new Promise<void>((resolve) => {
    proxy?.close(() => resolve());
    proxy?.closeAllConnections();
  });
}, 30_000);

/**
 * The API's create, sent `COPIES` times at once with one Idempotency-Key; a copy turned away
 * because too many uploads arrive at once (503) is sent again, as its Retry-After asks.
 */
async function createRepeated(to: string, pdf: Buffer): Promise<{ created: Created; statuses: number[] }> {
  const key = randomUUID();
  const send = async (): Promise<{ status: number; body: Created }> => {
    for (let tries = 1; ; tries++) {
      const form = new FormData();
      form.set('to', to);
      form.set('locale', 'en');
      form.set('document', new Blob([pdf], { type: 'application/pdf' }), 'letter.pdf');
      const res = await fetch(`${stack.baseUrl}/api/faxes`, { method: 'POST', body: form, headers: { 'Idempotency-Key': key } });
      const body = (await res.json()) as Created;
      if (res.status !== 503 || tries === 20) return { status: res.status, body };
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
    }
  };
  const answers = await Promise.all(Array.from({ length: COPIES }, send));
  expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
  return { created: answers[0].body, statuses: answers.map((a) => a.status) };
}

/** Pays, then sends the browser's return to the app COPIES times at once, and once more later. */
async function payAndReplayReturn(fax: Created): Promise<number[]> {
  const paid = await new CheckoutBrowser('en').pay(await openCheckout(stack.baseUrl, fax), CARDS.visa);
  expect(paid.status).toBe(303);
  const replay = async (): Promise<number> => {
    const res = await fetch(paid.location!, { redirect: 'manual' });
    await res.arrayBuffer();
    return res.status;
  };
  const statuses = await Promise.all(Array.from({ length: COPIES }, replay));
  return [...statuses, await replay()];
}

test('ten copies of every webhook, the return replayed, the create repeated: one effect each', async () => {
  const pdf = await makePdf(2);
  const faxes = [await createRepeated('+49 30 5550177', pdf), await createRepeated(TEST_NUMBERS.busyTwice, pdf)];
  for (const { statuses } of faxes) {
    // One upload stored; every other copy is its replay.
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(COPIES - 1);
  }
  const returns: number[] = [];
  for (const { created } of faxes) {
    await waitForFax(stack.baseUrl, created, (f) => f.status === 'awaiting_payment', 30_000);
    returns.push(...(await payAndReplayReturn(created)));
  }
  expect(returns.every((s) => s === 303)).toBe(true);

  const [plain, busy] = await Promise.all(
    faxes.map(({ created }) => waitForFax(stack.baseUrl, created, (f) => f.status === 'delivered' && f.payment.state === 'captured', 60_000)),
  );
  expect(plain.attempts.map((a) => a.status)).toEqual(['delivered']);
  expect(busy.attempts.map((a) => a.status)).toEqual(['failed', 'failed', 'delivered']);

  // Every copy of every webhook has been answered, none with an error.
  await until(async () => {
    await Promise.all([stack.stripeTwin.webhooksIdle(), stack.carrierTwin.webhooksIdle()]);
    const before = deliveries.length;
    await Promise.all(deliveries);
    return deliveries.length === before;
  }, 'every webhook copy to be delivered');
  const statuses = await Promise.all(deliveries);
  expect(statuses.length).toBeGreaterThanOrEqual(COPIES * 10);
  expect(statuses.filter((s) => s >= 300)).toEqual([]);

  await until(
    async () => (await stack.ledger()).workflows.size === 2 && [...(await stack.ledger()).workflows.values()].every((s) => s === 'COMPLETED'),
    'both workflows to close',
    30_000,
  );
  const ledger = await stack.ledger();
  expect(ledger.faxes).toHaveLength(2);
  expect(
    checkInvariants(
      ledger,
      faxes.map((f) => f.created.id),
    ),
  ).toEqual([]);
  expect(ledger.intents.filter((i) => i.status === 'succeeded').map((i) => i.captures)).toEqual([1, 1]);
  expect(ledger.transmissions).toHaveLength(4);
}, 120_000);
