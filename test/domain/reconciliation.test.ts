import { attemptFinding, paymentFinding, reconcileFax, stripePaymentState, type FaxFacts, type IntentFacts } from '../../src/domain/reconciliation';

/** The rules alone, for the cases the twins' run does not reach. */
const fax = (over: Partial<FaxFacts> = {}): FaxFacts => ({
  id: 'f1',
  status: 'delivered',
  paymentState: 'captured',
  paymentIntentId: 'pi_1',
  priceAmount: 257,
  currency: 'eur',
  amountCaptured: 257,
  amountRefunded: 0,
  purgedAt: null,
  ...over,
});
const intent = (over: Partial<IntentFacts> = {}): IntentFacts => ({
  id: 'pi_1',
  status: 'succeeded',
  amount: 257,
  amountReceived: 257,
  amountRefunded: 0,
  currency: 'eur',
  faxId: 'f1',
  ...over,
});

test('Stripe states in Durafax words: a partial capture released the rest, which Stripe counts as refunded', () => {
  expect(stripePaymentState(intent({ status: 'requires_capture', amountReceived: 0 }))).toBe('authorized');
  expect(stripePaymentState(intent({ status: 'canceled', amountReceived: 0 }))).toBe('released');
  expect(stripePaymentState(intent({ status: 'requires_payment_method', amountReceived: 0 }))).toBe('none');
  expect(stripePaymentState(intent({ amountRefunded: 257 }))).toBe('refunded');
  expect(stripePaymentState(intent({ amount: 300, amountReceived: 257, amountRefunded: 43 }))).toBe('captured');
});

test('payment findings a run over the twins does not make', () => {
  expect(paymentFinding(fax(), intent())).toBeNull();
  expect(paymentFinding(fax(), intent({ amountReceived: 300, amount: 300 }))).toBe('captured_amount_differs');
  expect(paymentFinding(fax(), intent({ amountRefunded: 100 }))).toBe('refund_unrecorded');
  expect(paymentFinding(fax({ paymentState: 'refunded', amountRefunded: 257 }), intent({ amountRefunded: 257 }))).toBeNull();
  expect(paymentFinding(fax(), intent({ faxId: 'f2' }))).toBe('payment_other_fax');
  expect(paymentFinding(fax({ paymentIntentId: null }), undefined)).toBe('delivered_not_charged');
  expect(paymentFinding(fax(), intent({ status: 'canceled', amountReceived: 0 }))).toBe('delivered_not_charged');
  // A failed fax captured early and refunded in full is in step; one still marked captured here is not.
  expect(paymentFinding(fax({ status: 'failed', paymentState: 'refunded', amountRefunded: 257 }), intent({ amountRefunded: 257 }))).toBeNull();
  expect(paymentFinding(fax({ status: 'failed', paymentState: 'captured' }), intent({ status: 'canceled', amountReceived: 0 }))).toBe('payment_state_differs');
  expect(paymentFinding(fax({ status: 'rejected', paymentState: 'none', paymentIntentId: null }), undefined)).toBeNull();
  expect(paymentFinding(fax({ status: 'expired', paymentState: 'released' }), intent({ status: 'requires_payment_method', amountReceived: 0 }))).toBeNull();
});

test('carrier findings: still open at the carrier, and a delivered attempt the fax delivered anyway by a later one', () => {
  const attempt = { number: 1, status: 'failed' as const, carrierStatus: 'failed', carrierFaxId: 'c1' };
  expect(attemptFinding(fax({ status: 'failed' }), attempt, { id: 'c1', status: 'sending', failureReason: null })).toBe('carrier_still_open');
  expect(attemptFinding(fax(), attempt, { id: 'c1', status: 'delivered', failureReason: null })).toBe('attempt_differs');
  expect(attemptFinding(fax(), attempt, null)).toBe('carrier_fax_not_found');
  const findings = reconcileFax({
    fax: fax(),
    attempts: [attempt, { ...attempt, number: 2, status: 'delivered', carrierStatus: 'delivered', carrierFaxId: 'c2' }],
    intent: intent(),
    carrier: new Map([
      ['c1', { id: 'c1', status: 'failed', failureReason: 'receiver_busy' }],
      ['c2', { id: 'c2', status: 'delivered', failureReason: null }],
    ]),
  });
  expect(findings).toEqual([]);
});
