import { Fax } from '../../src/db/entities/fax';
import { FaxAttempt } from '../../src/db/entities/fax-attempt';
import { timelineOf } from '../../src/web/pages/timeline';

const limits = { maxUploadBytes: 20 * 1024 * 1024, maxPages: 50 };
const at = (minute: number): Date => new Date(Date.UTC(2026, 11, 6, 9, minute));

function fax(overrides: Partial<Fax>): Fax {
  return Object.assign(new Fax(), {
    id: '00000000-0000-4000-8000-000000000001',
    status: 'converting',
    toNumber: '+49301234567',
    country: 'DE',
    locale: 'en',
    pages: null,
    priceAmount: null,
    currency: null,
    paymentState: 'none',
    failureReason: null,
    amountCaptured: 0,
    amountRefunded: 0,
    createdAt: at(0),
    convertedAt: null,
    paidAt: null,
    deliveredAt: null,
    completedAt: null,
    settledAt: null,
    nextAttemptAt: null,
    purgeAt: null,
    purgedAt: null,
    ...overrides,
  } as Partial<Fax>);
}

function attempt(number: number, overrides: Partial<FaxAttempt>): FaxAttempt {
  return Object.assign(new FaxAttempt(), { faxId: 'f', number, status: 'queued', reason: null, pagesSent: null, submittedAt: at(number * 10), completedAt: null, ...overrides });
}

const summary = (steps: ReturnType<typeof timelineOf>) => steps.map((s) => `${s.state}:${s.title}${s.detail ? ` — ${s.detail}` : ''}`);

test('a fax being converted: received, then preparing', () => {
  const steps = timelineOf(fax({}), [], { maxTransmissions: 3, locale: 'en', limits });
  expect(summary(steps)).toEqual(['done:Document received', 'current:Preparing the fax pages']);
  expect(steps[0].time).toEqual({ iso: '2026-12-06T09:00:00.000Z', text: '6 Dec 2026, 09:00 UTC' });
});

test('a refused document says why, with the limit it names', () => {
  const steps = timelineOf(fax({ status: 'rejected', failureReason: 'too_many_pages', convertedAt: at(1) }), [], { maxTransmissions: 3, locale: 'de', limits });
  expect(summary(steps)[1]).toBe('failed:Dokument nicht angenommen — Das Dokument hat zu viele Seiten (> 50). Die Grenze liegt bei 50 Seiten.');
});

test('busy twice, then delivered and charged: each attempt with its reason, in order', () => {
  const f = fax({
    status: 'delivered',
    pages: 2,
    priceAmount: 257,
    currency: 'eur',
    paymentState: 'captured',
    amountCaptured: 257,
    convertedAt: at(1),
    paidAt: at(2),
    deliveredAt: at(40),
    completedAt: at(40),
    settledAt: at(41),
    purgeAt: at(50),
  });
  const attempts = [
    attempt(1, { status: 'failed', reason: 'busy', pagesSent: 0, completedAt: at(11) }),
    attempt(2, { status: 'failed', reason: 'busy', pagesSent: 0, completedAt: at(21) }),
    attempt(3, { status: 'delivered', pagesSent: 2, completedAt: at(40) }),
  ];
  expect(summary(timelineOf(f, attempts, { maxTransmissions: 3, locale: 'en', limits }))).toEqual([
    'done:Document received',
    'done:2 pages ready',
    'done:Paid: €2.57 authorised on your card — Charged only once the fax is delivered',
    'failed:Transmission 1 of 3 — The line was busy. · 0 of 2 pages sent',
    'failed:Transmission 2 of 3 — The line was busy. · 0 of 2 pages sent',
    'done:Transmission 3 of 3 — Delivered · 2 of 2 pages sent',
    'done:Fax delivered',
    'done:Charged: €2.57',
    'todo:Documents are deleted',
  ]);
});

test('waiting between attempts shows when the next one is due; a failure releases the hold; the purge is told', () => {
  const retrying = fax({
    status: 'retrying',
    pages: 1,
    priceAmount: 178,
    currency: 'eur',
    paymentState: 'authorized',
    paidAt: at(2),
    failureReason: 'no_answer',
    nextAttemptAt: at(20),
  });
  const first = [attempt(1, { status: 'failed', reason: 'no_answer', pagesSent: 0, completedAt: at(12) })];
  const steps = timelineOf(retrying, first, { maxTransmissions: 3, locale: 'fr', limits });
  expect(summary(steps).slice(3)).toEqual([
    'failed:Transmission 1 sur 3 — Le télécopieur n’a pas répondu. · Pages envoyées : 0 sur 1',
    'current:Transmission 2 sur 3 — Nouvelle tentative à',
    'todo:Remise',
    'todo:Débit à la remise',
    'todo:Les documents sont supprimés après la fin du fax',
  ]);
  expect(steps.find((s) => s.key === 'next-attempt')?.time?.iso).toBe('2026-12-06T09:20:00.000Z');

  const failed = fax({ ...retrying, status: 'failed', paymentState: 'released', settledAt: at(30), completedAt: at(30), purgedAt: at(59) });
  expect(summary(timelineOf(failed, first, { maxTransmissions: 3, locale: 'en', limits })).slice(-3)).toEqual([
    'failed:Fax not delivered — The fax machine did not answer.',
    'done:Card hold released — You were not charged',
    'done:Documents deleted',
  ]);
});

test('after support resends to a corrected number, the new round counts from 1 again after a step that says so', () => {
  const f = fax({
    status: 'delivered',
    toNumber: '+49301234599',
    pages: 1,
    priceAmount: 178,
    currency: 'eur',
    paymentState: 'released',
    convertedAt: at(1),
    paidAt: at(2),
    deliveredAt: at(45),
    completedAt: at(45),
  });
  const attempts = [1, 2, 3].map((n) => attempt(n, { status: 'failed', reason: 'number_unallocated', pagesSent: 0, completedAt: at(n * 10 + 1) }));
  attempts.push(attempt(4, { status: 'delivered', pagesSent: 1, submittedAt: at(42), completedAt: at(45) }));
  const steps = summary(timelineOf(f, attempts, { maxTransmissions: 3, locale: 'en', limits, resends: [{ at: at(40), toNumber: '+49301234599' }] }));
  expect(steps.slice(5, 8)).toEqual([
    'failed:Transmission 3 of 3 — The number is not in service. · 0 of 1 pages sent',
    'done:Sent again to +49 30 1234599 — Our support team corrected the number, at no charge to you',
    'done:Transmission 1 of 3 — Delivered · 1 of 1 pages sent',
  ]);
});
