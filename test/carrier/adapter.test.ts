import { randomUUID } from 'node:crypto';
import { CarrierError } from '../../src/carrier/errors';
import { classifyFailure } from '../../src/carrier/failure';
import { createCarrier, telnyxBaseUrl } from '../../src/carrier/telnyx-carrier';
import type { Carrier, SubmitRequest } from '../../src/carrier/types';
import type { CarrierConfig } from '../../src/config/config';
import { freePort } from '../../src/net';
import { startCarrierTwin, TEST_NUMBERS, type CarrierTwin } from '../../src/twins/carrier';
import { MemoryLedger, startMediaServer, waitForFinal, type MediaServer } from '../helpers/carrier';

const API_KEY = 'KEY_TEST_ADAPTER';
const DELIVERABLE = '+442079460958';

let media: MediaServer;
let twin: CarrierTwin;
let carrier: Carrier;

const config = (overrides: Partial<CarrierConfig> = {}): CarrierConfig => ({
  apiKey: API_KEY,
  connectionId: 'sandbox-connection',
  publicKey: twin.publicKey,
  fromNumber: '+15005550006',
  apiBase: twin.url,
  ...overrides,
});

const request = (to: string, attempt = 1, path = '/doc-2.pdf', faxId = randomUUID()): SubmitRequest => ({
  faxId,
  attempt,
  to,
  mediaUrl: media.url(path),
});

beforeAll(async () => {
  media = await startMediaServer();
  twin = await startCarrierTwin({ port: await freePort(), msPerPage: 10, apiKey: API_KEY });
  carrier = createCarrier(config());
});

afterAll(async () => {
  await twin.stop();
  await media.close();
});

test('the twin URL becomes the library base URL under /v2', () => {
  expect(telnyxBaseUrl('http://127.0.0.1:4010')).toBe('http://127.0.0.1:4010/v2');
  expect(telnyxBaseUrl('http://127.0.0.1:4010/v2/')).toBe('http://127.0.0.1:4010/v2');
  expect(telnyxBaseUrl(undefined)).toBeUndefined();
});

test('a fax to an ordinary number is delivered with its pages and call time', async () => {
  const req = request(DELIVERABLE);
  const sent = await carrier.sendOnce(req, new MemoryLedger());
  expect(sent.status).toBe('queued');
  expect(sent.clientState).toEqual({ faxId: req.faxId, attempt: 1 });
  expect(sent.to).toBe(DELIVERABLE);
  const done = await waitForFinal(carrier, sent.id);
  expect(done).toMatchObject({ id: sent.id, status: 'delivered', failureReason: null, pagesSent: 2, callDurationSecs: 68 });
  expect(twin.transmissions(req.faxId)).toBe(1);
  expect(twin.transmissions(sent.id)).toBe(1);
  expect(media.hits('/doc-2.pdf')).toBeGreaterThanOrEqual(1);
});

test('every status on the way is visible: queued, media.processed, originated, sending, delivered', async () => {
  // Slow enough (200 ms per step) that polling sees every status even on a busy machine.
  const slow = await startCarrierTwin({ port: 0, msPerPage: 800 });
  try {
    const slowCarrier = createCarrier(config({ apiBase: slow.url }));
    const sent = await slowCarrier.sendOnce(request(DELIVERABLE, 1, '/doc-1.pdf'), new MemoryLedger());
    const seen: string[] = ['queued'];
    await waitForFinal(slowCarrier, sent.id, 15_000, seen);
    expect(seen).toEqual(['queued', 'media.processed', 'originated', 'sending', 'delivered']);
  } finally {
    await slow.stop();
  }
});

test('+49 30 12340001 is busy twice, then delivered', async () => {
  const faxId = randomUUID();
  const ledger = new MemoryLedger();
  const outcomes: string[] = [];
  for (const attempt of [1, 2, 3]) {
    const sent = await carrier.sendOnce(request(TEST_NUMBERS.busyTwice, attempt, '/doc-1.pdf', faxId), ledger);
    const done = await waitForFinal(carrier, sent.id);
    outcomes.push(done.status === 'failed' ? `${done.failureReason}:${classifyFailure(done.failureReason, done.pagesSent).class}` : done.status);
  }
  expect(outcomes).toEqual(['user_busy:retryable', 'user_busy:retryable', 'delivered']);
  expect(twin.transmissions(faxId)).toBe(3);
  expect([1, 2, 3].map((a) => twin.transmissions(faxId, a))).toEqual([1, 1, 1]);
  // Another fax to the same number has its own count.
  const other = await carrier.sendOnce(request(TEST_NUMBERS.busyTwice, 1, '/doc-1.pdf'), new MemoryLedger());
  expect((await waitForFinal(carrier, other.id)).failureReason).toBe('user_busy');
});

test.each([
  [TEST_NUMBERS.neverAnswers, 'receiver_no_response', 'retryable', 'no_answer', 0],
  [TEST_NUMBERS.voiceLine, 'receiver_incompatible_destination', 'final', 'not_a_fax_machine', 20],
  [TEST_NUMBERS.unallocated, 'receiver_unallocated_number', 'final', 'number_unallocated', 0],
  ['+4900000000', 'receiver_invalid_number_format', 'final', 'invalid_number', 0],
])('%s fails with %s (%s %s)', async (to, failureReason, cls, reason, seconds) => {
  const sent = await carrier.sendOnce(request(to), new MemoryLedger());
  const done = await waitForFinal(carrier, sent.id);
  expect(done).toMatchObject({ status: 'failed', failureReason, pagesSent: 0, callDurationSecs: seconds });
  expect(classifyFailure(done.failureReason, done.pagesSent)).toEqual({ class: cls, reason });
});

test('+49 30 12340005 drops after page 1 (partially sent, retryable), then is delivered', async () => {
  const faxId = randomUUID();
  const ledger = new MemoryLedger();
  const first = await waitForFinal(carrier, (await carrier.sendOnce(request(TEST_NUMBERS.dropsAfterPageOne, 1, '/doc-3.pdf', faxId), ledger)).id);
  expect(first).toMatchObject({ status: 'failed', failureReason: 'receiver_call_dropped', pagesSent: 1, callDurationSecs: 38 });
  expect(classifyFailure(first.failureReason, first.pagesSent)).toEqual({ class: 'retryable', reason: 'partially_sent' });
  const second = await waitForFinal(carrier, (await carrier.sendOnce(request(TEST_NUMBERS.dropsAfterPageOne, 2, '/doc-3.pdf', faxId), ledger)).id);
  expect(second).toMatchObject({ status: 'delivered', failureReason: null, pagesSent: 3 });
  expect(twin.transmissions(faxId)).toBe(2);
});

test.each([
  ['/missing.pdf', 'file_download_failed', 'retryable'],
  ['/moved.pdf', 'file_download_failed', 'retryable'],
  ['/text.pdf', 'file_format_invalid', 'final'],
])('media %s fails with %s (%s media_unavailable)', async (path, failureReason, cls) => {
  const done = await waitForFinal(carrier, (await carrier.sendOnce(request(DELIVERABLE, 1, path), new MemoryLedger())).id);
  expect(done).toMatchObject({ status: 'failed', failureReason });
  expect(classifyFailure(done.failureReason)).toEqual({ class: cls, reason: 'media_unavailable' });
});

test('cancel stops a fax in progress; cancelling a final fax changes nothing', async () => {
  const slow = await startCarrierTwin({ port: 0, msPerPage: 400 });
  try {
    const slowCarrier = createCarrier(config({ apiBase: slow.url }));
    const sent = await slowCarrier.sendOnce(request(DELIVERABLE, 1, '/doc-5.pdf'), new MemoryLedger());
    const cancelled = await slowCarrier.cancel(sent.id);
    expect(cancelled).toMatchObject({ id: sent.id, status: 'failed', failureReason: 'sender_canceled' });
    expect(await slowCarrier.cancel(sent.id)).toMatchObject({ status: 'failed', failureReason: 'sender_canceled' });
  } finally {
    await slow.stop();
  }
  const delivered = await waitForFinal(carrier, (await carrier.sendOnce(request(DELIVERABLE, 1, '/doc-1.pdf'), new MemoryLedger())).id);
  expect(await carrier.cancel(delivered.id)).toMatchObject({ id: delivered.id, status: 'delivered' });
});

describe('never twice', () => {
  test('a crash between submit and record is reconciled: exactly one transmission', async () => {
    const faxId = randomUUID();
    const ledger = new MemoryLedger();
    // Attempt 1 of the same fax to the same number is already out: it must not be mistaken for attempt 2.
    const first = await carrier.sendOnce(request(TEST_NUMBERS.busyTwice, 1, '/doc-1.pdf', faxId), ledger);

    ledger.failRecords = 1;
    await expect(carrier.sendOnce(request(TEST_NUMBERS.busyTwice, 2, '/doc-1.pdf', faxId), ledger)).rejects.toThrow('worker died');
    expect(twin.transmissions(faxId, 2)).toBe(1);
    expect(await ledger.recorded(faxId, 2)).toBeNull();

    const again = await carrier.sendOnce(request(TEST_NUMBERS.busyTwice, 2, '/doc-1.pdf', faxId), ledger);
    expect(twin.transmissions(faxId, 2)).toBe(1);
    expect(again.id).not.toBe(first.id);
    expect(again.clientState).toEqual({ faxId, attempt: 2 });
    expect(await ledger.recorded(faxId, 2)).toBe(again.id);

    // Once recorded, the ledger answers without asking the carrier to send.
    const third = await carrier.sendOnce(request(TEST_NUMBERS.busyTwice, 2, '/doc-1.pdf', faxId), ledger);
    expect(third.id).toBe(again.id);
    expect(twin.transmissions(faxId)).toBe(2);
  });

  test('a submission that never reached the carrier is made after all, once', async () => {
    const faxId = randomUUID();
    const ledger = new MemoryLedger();
    const unreachable = createCarrier(config({ apiBase: `http://127.0.0.1:${await freePort()}` }), { maxRetries: 0, timeoutMs: 2000 });
    const err = await unreachable.sendOnce(request(DELIVERABLE, 1, '/doc-1.pdf', faxId), ledger).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CarrierError);
    expect((err as CarrierError).kind).toBe('transient');
    expect(await ledger.submittingSince(faxId, 1)).toBeInstanceOf(Date);

    const sent = await carrier.sendOnce(request(DELIVERABLE, 1, '/doc-1.pdf', faxId), ledger);
    expect(await ledger.recorded(faxId, 1)).toBe(sent.id);
    expect(twin.transmissions(faxId)).toBe(1);
  });
});

describe('typed errors', () => {
  test('a request the carrier refuses is invalid_request (final)', async () => {
    const badFrom = createCarrier(config({ fromNumber: '5005550006' }));
    const err = (await badFrom.sendOnce(request(DELIVERABLE), new MemoryLedger()).catch((e: unknown) => e)) as CarrierError;
    expect(err).toBeInstanceOf(CarrierError);
    expect([err.kind, err.status, err.carrierCode, err.retryable]).toEqual(['invalid_request', 422, '10016', false]);
    // The carrier names our caller id: a configuration to fix, not the sender's number.
    expect([err.field, err.refusesDestination]).toEqual(['from', false]);
    expect(err.message).not.toContain('5005550006');
  });

  test('a malformed request is refused before it leaves', async () => {
    const ledger = new MemoryLedger();
    await expect(carrier.sendOnce({ ...request(DELIVERABLE), to: '0301234567' }, ledger)).rejects.toMatchObject({ kind: 'invalid_request', field: 'to', refusesDestination: true });
    await expect(carrier.sendOnce({ ...request(DELIVERABLE), mediaUrl: 'ftp://host/doc.pdf' }, ledger)).rejects.toMatchObject({
      kind: 'invalid_request',
      refusesDestination: false,
    });
    await expect(carrier.sendOnce({ ...request(DELIVERABLE), attempt: 0 }, ledger)).rejects.toMatchObject({ kind: 'invalid_request' });
    await expect(carrier.sendOnce({ ...request(DELIVERABLE), mediaUrl: 'file:///etc/passwd' }, ledger)).rejects.toMatchObject({ kind: 'invalid_request' });
    expect(ledger.starts.size).toBe(0);
  });

  test('a wrong key is authentication', async () => {
    const wrongKey = createCarrier(config({ apiKey: 'KEY_WRONG' }));
    await expect(wrongKey.get(randomUUID())).rejects.toMatchObject({ kind: 'authentication', status: 401, carrierCode: '10009' });
  });

  test('an unknown fax is not_found', async () => {
    await expect(carrier.get(randomUUID())).rejects.toMatchObject({ kind: 'not_found', status: 404, carrierCode: '10005' });
    await expect(carrier.cancel(randomUUID())).rejects.toMatchObject({ kind: 'not_found' });
  });

  test('an unreachable carrier is transient', async () => {
    const down = createCarrier(config({ apiBase: `http://127.0.0.1:${await freePort()}` }), { maxRetries: 0, timeoutMs: 2000 });
    await expect(down.get(randomUUID())).rejects.toMatchObject({ kind: 'transient', retryable: true });
  });
});
