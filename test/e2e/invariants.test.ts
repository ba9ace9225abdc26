import { checkInvariants, type Ledger, type LedgerFax } from '../helpers/invariants';

/** The checker the crash storm and the duplicate test rely on finds each kind of violation. */
const NOW = new Date('2026-12-06T12:00:00Z');
const PAST = new Date(NOW.getTime() - 3_600_000);

function fax(overrides: Partial<LedgerFax> = {}): LedgerFax {
  return {
    id: 'f1',
    status: 'delivered',
    failureReason: null,
    paymentState: 'captured',
    paymentIntentId: 'pi_1',
    priceAmount: 257,
    amountCaptured: 257,
    purgeAt: PAST,
    purgedAt: PAST,
    attempts: [{ number: 1, status: 'delivered', carrierFaxId: 'cf1' }],
    documentsKept: 0,
    ...overrides,
  };
}

function ledger(overrides: Partial<Ledger> = {}): Ledger {
  return {
    faxes: [fax()],
    intents: [{ id: 'pi_1', faxId: 'f1', status: 'succeeded', amountReceived: 257, captures: 1, refunded: 0 }],
    transmissions: [{ id: 'cf1', faxId: 'f1', attempt: 1, status: 'delivered' }],
    workflows: new Map([['f1', 'COMPLETED']]),
    largeObjects: 0,
    readAt: NOW,
    ...overrides,
  };
}

const rules = (l: Ledger, accepted: string[] = ['f1']): string[] => checkInvariants(l, accepted).map((v) => v.rule);

test('a consistent ledger has no violation', () => {
  expect(rules(ledger())).toEqual([]);
});

test('each broken guarantee is reported', () => {
  expect(rules(ledger(), ['f1', 'f2'])).toEqual(['upload lost']);
  expect(rules(ledger({ faxes: [fax({ status: 'sending', paymentState: 'authorized', purgedAt: null })], workflows: new Map([['f1', 'RUNNING']]) }))).toEqual(
    expect.arrayContaining(['not final', 'workflow open', 'payment state']),
  );
  expect(rules(ledger({ transmissions: [ledger().transmissions[0], { id: 'cf2', faxId: 'f1', attempt: 1, status: 'delivered' }] }))).toEqual(
    expect.arrayContaining(['sent twice', 'delivery count']),
  );
  expect(rules(ledger({ intents: [{ id: 'pi_1', faxId: 'f1', status: 'succeeded', amountReceived: 257, captures: 2, refunded: 0 }] }))).toEqual(
    expect.arrayContaining(['captured twice', 'capture count']),
  );
  const failed = fax({ status: 'failed', paymentState: 'released', attempts: [{ number: 1, status: 'failed', carrierFaxId: 'cf1' }] });
  expect(rules(ledger({ faxes: [failed], transmissions: [{ id: 'cf1', faxId: 'f1', attempt: 1, status: 'failed' }] }))).toEqual(['charged without delivery']);
  expect(rules(ledger({ intents: [...ledger().intents, { id: 'pi_2', faxId: 'f1', status: 'requires_capture', amountReceived: 0, captures: 0, refunded: 0 }] }))).toEqual([
    'hold left open',
  ]);
  expect(rules(ledger({ faxes: [fax({ documentsKept: 3 })] }))).toEqual(['document kept']);
  expect(rules(ledger({ transmissions: [] }))).toEqual(expect.arrayContaining(['transmission missing', 'delivery count']));
  expect(rules(ledger({ transmissions: [...ledger().transmissions, { id: 'cf9', faxId: 'f9', attempt: 1, status: 'queued' }] }))).toEqual(['unknown transmission']);
  expect(rules(ledger({ largeObjects: 1 }))).toEqual(['upload bytes left']);
});

test('a refunded undelivered fax and a document still within its retention are fine', () => {
  const failed = fax({
    status: 'failed',
    paymentState: 'refunded',
    purgeAt: new Date(NOW.getTime() + 60_000),
    purgedAt: null,
    documentsKept: 2,
    attempts: [{ number: 1, status: 'failed', carrierFaxId: 'cf1' }],
  });
  const l = ledger({
    faxes: [failed],
    intents: [{ id: 'pi_1', faxId: 'f1', status: 'succeeded', amountReceived: 257, captures: 1, refunded: 257 }],
    transmissions: [{ id: 'cf1', faxId: 'f1', attempt: 1, status: 'failed' }],
    workflows: new Map([['f1', 'RUNNING']]),
  });
  expect(rules(l)).toEqual(['workflow open']);
});
