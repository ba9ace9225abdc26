import { EmailOutbox } from '../../src/db/email-outbox';
import { Faxes } from '../../src/db/faxes';
import type { FaxStatus, PaymentState } from '../../src/domain/status';
import { CARDS, CheckoutBrowser, checkoutRequest, twinWithPayments, type TwinWithPayments } from '../helpers/stripe';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { emailActivities, insertFax, readFax } from './harness';

let t: TestDatabase;
let outbox: EmailOutbox;
beforeAll(async () => {
  t = await createTestDatabase();
  outbox = new EmailOutbox(t.db);
});
afterAll(async () => {
  await t.drop();
});

const kinds = async (faxId: string): Promise<string[]> => (await outbox.forFax(faxId)).map((r) => r.kind);

describe('a receipt is queued with the final status', () => {
  test('delivered: the status and the receipt are written together; a retried activity queues one receipt', async () => {
    const activities = emailActivities(t.db, { email: true });
    const fax = await insertFax(t.db, { paymentState: 'captured', amountCaptured: 257 });
    await activities.setStatus(fax.id, { status: 'delivered', failureReason: null, purgeAt: Date.now() + 86_400_000 });
    await activities.setStatus(fax.id, { status: 'delivered', failureReason: null, purgeAt: Date.now() + 86_400_000 });
    expect((await readFax(t.db, fax.id)).status).toBe('delivered');
    const rows = await outbox.forFax(fax.id);
    expect(rows).toMatchObject([{ kind: 'receipt', state: 'pending', attempts: 0 }]);
  });

  test.each<[FaxStatus, PaymentState, string | null, boolean]>([
    ['failed', 'released', 'no_answer', true],
    ['rejected', 'none', 'corrupt_document', true],
    ['cancelled', 'released', 'cancelled_by_sender', true],
    ['cancelled', 'none', 'cancelled_by_sender', false],
    ['expired', 'none', 'payment_expired', false],
    ['retrying', 'authorized', 'busy', false],
    ['sending', 'authorized', null, false],
  ])('%s with payment %s (%s): a receipt: %s', async (status, paymentState, reason, expected) => {
    const activities = emailActivities(t.db, { email: true });
    const fax = await insertFax(t.db, { paymentState });
    await activities.setStatus(fax.id, { status, failureReason: reason, purgeAt: null });
    expect((await readFax(t.db, fax.id)).status).toBe(status);
    expect(await kinds(fax.id)).toEqual(expected ? ['receipt'] : []);
  });

  test('a fax without an email gets none, and none is queued while email is off', async () => {
    const noAddress = await insertFax(t.db, { email: null, tokenSealed: null, paymentState: 'captured' });
    await emailActivities(t.db, { email: true }).setStatus(noAddress.id, { status: 'delivered', failureReason: null, purgeAt: null });
    const emailOff = await insertFax(t.db, { paymentState: 'captured' });
    await emailActivities(t.db, { email: false }).setStatus(emailOff.id, { status: 'delivered', failureReason: null, purgeAt: null });
    for (const fax of [noAddress, emailOff]) {
      expect((await readFax(t.db, fax.id)).status).toBe('delivered');
      expect(await kinds(fax.id)).toEqual([]);
    }
  });
});

describe('atomic', () => {
  test('when the email cannot be queued, the status is not written either', async () => {
    const fax = await insertFax(t.db, { paymentState: 'captured' });
    // The outbox refuses receipts for a moment: the whole status change must fail with it.
    await t.db.query(`ALTER TABLE email_outbox ADD CONSTRAINT refuse_receipts CHECK (kind <> 'receipt') NOT VALID`);
    try {
      await expect(emailActivities(t.db, { email: true }).setStatus(fax.id, { status: 'delivered', failureReason: null, purgeAt: null })).rejects.toThrow(/refuse_receipts/);
    } finally {
      await t.db.query('ALTER TABLE email_outbox DROP CONSTRAINT refuse_receipts');
    }
    const after = await readFax(t.db, fax.id);
    expect(after.status).toBe('sending');
    expect(after.completedAt).toBeNull();
    expect(await kinds(fax.id)).toEqual([]);
  });

  test('when the transaction fails after the email was queued, neither stays', async () => {
    const fax = await insertFax(t.db);
    const queue = outbox.queue(fax, 'receipt')!;
    await expect(
      new Faxes(t.db).update(fax.id, { status: 'delivered' }, async (tx) => {
        await queue(tx);
        throw new Error('the worker died here');
      }),
    ).rejects.toThrow('the worker died here');
    expect((await readFax(t.db, fax.id)).status).toBe('sending');
    expect(await kinds(fax.id)).toEqual([]);
  });
});

describe('payment confirmed', () => {
  let stripe: TwinWithPayments;
  beforeAll(async () => {
    stripe = await twinWithPayments();
  });
  afterAll(async () => {
    await stripe.twin.stop();
  });

  test('confirming the hold queues "we are sending your fax" with the status change to queued', async () => {
    const fax = await insertFax(t.db, { status: 'awaiting_payment', paymentState: 'none' });
    const session = await stripe.payments.createCheckoutSession(checkoutRequest(fax.id));
    expect((await new CheckoutBrowser().pay(session.url!, CARDS.visa)).status).toBe(303);
    const paymentIntentId = (await stripe.payments.retrieveCheckoutSession(session.id)).paymentIntentId!;
    const activities = emailActivities(t.db, { email: true, payments: stripe.payments });
    await activities.confirmPayment(fax.id, paymentIntentId);
    await activities.confirmPayment(fax.id, paymentIntentId);
    expect(await readFax(t.db, fax.id)).toMatchObject({ status: 'queued', paymentState: 'authorized' });
    expect(await kinds(fax.id)).toEqual(['payment_confirmed']);
  });
});
