import { SupportActions } from '../../src/db/support-actions';
import { FINAL_FAX_STATUSES } from '../../src/domain/status';
import { createLogger } from '../../src/log';
import { signMediaPath } from '../../src/web/media-url';
import { APP_SECRET, DELIVERABLE, insertFax, POLICY, readFax, run, startHarness, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.stop();
});

const DAY = 24 * 3600_000;

test('loadPolicy hands the workflow the configured policy numbers', async () => {
  expect(await run(h.activities.loadPolicy)).toEqual({
    paymentWindowMs: POLICY.paymentWindowMs,
    maxTransmissions: POLICY.maxTransmissions,
    retryDelayMs: POLICY.retryDelayMs,
    retentionMs: POLICY.retentionMs,
    statusPollMs: POLICY.statusPollMs,
    captureMarginMs: POLICY.captureMarginMs,
  });
  const other = h.activitiesWith({ policy: { maxTransmissions: 5, retryDelayMs: 60_000 } });
  expect(await run(other.loadPolicy)).toMatchObject({ maxTransmissions: 5, retryDelayMs: 60_000 });
});

describe('setStatus', () => {
  test.each(FINAL_FAX_STATUSES.filter((s) => s !== 'delivered'))('%s is final: completed_at and purge_at are set, the checkout link is gone', async (status) => {
    const fax = await insertFax(h.db, { status: 'awaiting_payment', checkoutUrl: 'http://127.0.0.1:9/c/pay/cs_test_x' });
    const purgeAt = Date.now() + 7 * DAY;
    await run(h.activities.setStatus, fax.id, { status, failureReason: 'payment_expired', purgeAt });
    const after = await readFax(h.db, fax.id);
    expect(after).toMatchObject({ status, failureReason: 'payment_expired', checkoutUrl: null, deliveredAt: null });
    expect(after.completedAt).toBeInstanceOf(Date);
    expect(after.purgeAt?.getTime()).toBe(purgeAt);
  });

  test('delivered sets delivered_at and clears the reason of an earlier failed attempt; twice keeps the first times', async () => {
    const fax = await insertFax(h.db, { status: 'sending' });
    await run(h.activities.setStatus, fax.id, { status: 'retrying', failureReason: 'busy' });
    const retrying = await readFax(h.db, fax.id);
    expect(retrying).toMatchObject({ status: 'retrying', failureReason: 'busy', completedAt: null, purgeAt: null });

    const purgeAt = Date.now() + 7 * DAY;
    await run(h.activities.setStatus, fax.id, { status: 'delivered', failureReason: null, purgeAt });
    const delivered = await readFax(h.db, fax.id);
    expect(delivered).toMatchObject({ status: 'delivered', failureReason: null });
    expect(delivered.deliveredAt).toBeInstanceOf(Date);
    expect(delivered.completedAt).toBeInstanceOf(Date);

    await run(h.activities.setStatus, fax.id, { status: 'delivered', failureReason: null, purgeAt });
    const again = await readFax(h.db, fax.id);
    expect(again.deliveredAt?.getTime()).toBe(delivered.deliveredAt?.getTime());
    expect(again.completedAt?.getTime()).toBe(delivered.completedAt?.getTime());
    expect(again.purgeAt?.getTime()).toBe(purgeAt);
  });

  test('a status that is not final leaves completed_at and purge_at unset', async () => {
    const fax = await insertFax(h.db);
    await run(h.activities.setStatus, fax.id, { status: 'queued' });
    expect(await readFax(h.db, fax.id)).toMatchObject({ status: 'queued', completedAt: null, purgeAt: null, failureReason: null });
  });

  test('a reason that is not a known reason code is not written over the recorded one', async () => {
    const fax = await insertFax(h.db, { status: 'sending', failureReason: 'no_answer' });
    await run(h.activities.setStatus, fax.id, { status: 'failed', failureReason: 'something_else' });
    expect(await readFax(h.db, fax.id)).toMatchObject({ status: 'failed', failureReason: 'no_answer' });
  });

  test('logs the fax id, status and reason, and nothing personal', async () => {
    const lines: string[] = [];
    const logged = h.activitiesWith({ log: createLogger('worker', 'info', (line) => lines.push(line)) });
    const fax = await insertFax(h.db, { status: 'sending', email: 'sender@example.com' });
    await run(logged.setStatus, fax.id, { status: 'failed', failureReason: 'number_unallocated', purgeAt: Date.now() + DAY });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({ msg: 'fax status', faxId: fax.id, status: 'failed', reason: 'number_unallocated' });
    expect(lines[0]).not.toContain(DELIVERABLE.slice(1));
    expect(lines[0]).not.toContain('sender@example.com');
  });
});

describe('purgeDocuments', () => {
  test('deletes the bytes of every file but keeps the rows; the fax is marked purged; twice is harmless', async () => {
    const fax = await insertFax(h.db, { status: 'delivered' });
    const pdfId = await h.store.put({ faxId: fax.id, kind: 'fax_pdf', contentType: 'application/pdf', data: Buffer.from('%PDF-1.7 fax') });
    await h.store.put({ faxId: fax.id, kind: 'original', contentType: 'application/pdf', data: Buffer.from('%PDF-1.7 upload') });
    await h.store.put({ faxId: fax.id, kind: 'preview', page: 1, contentType: 'image/png', data: Buffer.from('png') });
    const other = await insertFax(h.db, { status: 'sending' });
    await h.store.put({ faxId: other.id, kind: 'fax_pdf', contentType: 'application/pdf', data: Buffer.from('%PDF-1.7 other') });

    const link = `${h.media.url}${signMediaPath(pdfId, new Date(Date.now() + 3600_000), APP_SECRET)}`;
    expect((await fetch(link)).status).toBe(200);

    expect(await run(h.activities.purgeDocuments, fax.id)).toBe(3);
    expect(await h.store.find(fax.id, 'fax_pdf')).toBeNull();
    expect(await h.store.find(fax.id, 'original')).toBeNull();
    expect(await h.store.find(fax.id, 'preview', 1)).toBeNull();
    const rows = await h.store.list(fax.id);
    expect(rows).toHaveLength(3);
    expect(rows.every((r) => r.purgedAt instanceof Date && r.size > 0)).toBe(true);
    const purged = await readFax(h.db, fax.id);
    expect(purged.purgedAt).toBeInstanceOf(Date);
    expect(purged.status).toBe('delivered');
    // The carrier's link to the document stops working with it.
    expect((await fetch(link)).status).toBe(404);

    expect(await run(h.activities.purgeDocuments, fax.id)).toBe(0);
    expect((await readFax(h.db, fax.id)).purgedAt?.getTime()).toBe(purged.purgedAt?.getTime());
    // Another fax's files are untouched.
    expect((await h.store.find(other.id, 'fax_pdf'))?.data.toString()).toBe('%PDF-1.7 other');
  });

  test('a purged fax has no personal field left, here or in its support actions; what accounting needs stays', async () => {
    const personal = { email: 'ada.lovelace@example.org', number: '+493098765432', sender: 'Ada Lovelace', note: 'Ada called from her office' };
    const fax = await insertFax(h.db, {
      status: 'delivered',
      toNumber: personal.number,
      email: personal.email,
      cover: { senderName: personal.sender, recipientName: 'Charles Babbage', subject: 'Engines', message: 'See the notes.' },
      tokenSealed: 'sealed-token-of-the-fax',
      idempotencyKey: `key-${personal.email}`,
      requestDigest: 'd'.repeat(64),
      checkoutUrl: 'http://127.0.0.1:9/c/pay/cs_test_personal',
      priceAmount: 257,
      currency: 'eur',
      pages: 2,
      paymentState: 'captured',
      paymentIntentId: 'pi_accounting',
      amountCaptured: 257,
      deliveredAt: new Date(),
      completedAt: new Date(),
    });
    const actions = new SupportActions(h.db);
    const resend = await actions.begin({ faxId: fax.id, actor: 'bob', kind: 'resend', reason: personal.note, toNumber: '+493011112222', previousNumber: personal.number });
    await actions.finish(resend.id, 'resending');

    await run(h.activities.purgeDocuments, fax.id);

    const [{ row }] = await h.db.query<Array<{ row: Record<string, unknown> }>>('SELECT row_to_json(fax) AS row FROM fax WHERE id = $1', [fax.id]);
    const text = JSON.stringify(row);
    for (const value of [personal.email, personal.number, personal.sender, 'Babbage', 'sealed-token', 'cs_test_personal', 'd'.repeat(64)]) expect(text).not.toContain(value);
    expect(row).toMatchObject({ to_number: null, email: null, cover: null, token_sealed: null, idempotency_key: null, request_digest: null, checkout_url: null });
    expect(row).toMatchObject({
      status: 'delivered',
      country: 'DE',
      pages: 2,
      price_amount: 257,
      currency: 'eur',
      amount_captured: 257,
      payment_state: 'captured',
      payment_intent_id: 'pi_accounting',
    });
    expect(row.purged_at).not.toBeNull();
    expect(row.delivered_at).not.toBeNull();

    const audit = await actions.forFax(fax.id);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: 'bob', kind: 'resend', outcome: 'resending', reason: null, toNumber: null, previousNumber: null });
    expect(JSON.stringify(audit)).not.toContain('Ada');
  });
});
