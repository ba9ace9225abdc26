import fs from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { CARDS, checkoutRequest } from '../../helpers/stripe';
import { acceptingEndpoint, DAY_MS, paidSession, restartable, view } from './restartable';

test('settled objects go to the page file once idle and read back as they were; open ones stay and still expire', async () => {
  const endpoint = await acceptingEndpoint();
  const env = await restartable({ webhookUrl: endpoint.url, pageIdleMs: 0, journalMinCompactBytes: 4096 });
  let twin = await env.start();
  try {
    const { raw, payments } = env;
    const captured = await paidSession(payments, CARDS.visa);
    await raw.paymentIntents.capture(captured.intentId);
    await raw.refunds.create({ payment_intent: captured.intentId, amount: 100 });
    const toCapture = await paidSession(payments, CARDS.visa);
    const held = await paidSession(payments, CARDS.visa);
    const open = await payments.createCheckoutSession(checkoutRequest(randomUUID()));
    await twin.webhooksIdle();
    const sessionIds = [captured.sessionId, toCapture.sessionId, held.sessionId, open.id];
    const before = await view(raw, twin, sessionIds);

    // Everything the view read is idle now: all but the open session and the two holds go out.
    await twin.sweep();
    const { resident, total } = twin.residency();
    expect(resident).toBe(3);
    expect(total).toBeGreaterThan(20);
    expect((await fs.stat(path.join(env.dataDir, 'stripe-twin.pages'))).size).toBeGreaterThan(0);
    expect(await view(raw, twin, sessionIds)).toEqual(before);

    // A capture marks its session (paged out meanwhile) paid, and that change is what a restart reads.
    await twin.sweep();
    expect(twin.residency().resident).toBe(3);
    await raw.paymentIntents.capture(toCapture.intentId);
    expect(await raw.checkout.sessions.retrieve(toCapture.sessionId)).toMatchObject({ payment_status: 'paid' });
    // The sweep still sees the hold and the open session: past their deadlines they lapse.
    await twin.advanceClock(8 * DAY_MS);
    expect(await twin.sweep()).toBe(2);
    expect(await raw.paymentIntents.retrieve(held.intentId)).toMatchObject({ status: 'canceled', cancellation_reason: 'automatic' });
    expect(await raw.checkout.sessions.retrieve(open.id)).toMatchObject({ status: 'expired' });
    await twin.webhooksIdle();
    const after = await view(raw, twin, sessionIds);
    await twin.sweep();
    expect(twin.residency().resident).toBe(0);
    await twin.stop();

    // The journal (compacted along the way, paged-out objects written from their pages) has it all.
    twin = await env.start();
    expect(twin.residency().resident).toBe(0);
    expect(await view(raw, twin, sessionIds)).toEqual(after);
  } finally {
    await twin.stop();
    await endpoint.stop();
    await env.cleanup();
  }
});
