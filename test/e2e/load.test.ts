import { runLoad } from '../helpers/load';
import { startE2eStack, type E2eStack } from './harness';

/**
 * The load bench (bench/load.ts: 100 clients, 60 s, the whole stack), short: 20 clients for
 * 4 s against the web tier, creating, reading and cancelling faxes and asking for health.
 * Not one answer may be a 5xx, and every request must be answered.
 */
let stack: E2eStack;

beforeAll(async () => {
  stack = await startE2eStack({ env: { MAX_CONCURRENT_UPLOADS: '20' } });
}, 90_000);

afterAll(async () => {
  await stack?.stop();
}, 30_000);

test('20 clients for 4 seconds: no 5xx, no request unanswered', async () => {
  const result = await runLoad({
    baseUrl: stack.baseUrl,
    clients: 20,
    durationMs: 4_000,
    document: Buffer.from('Dear Sir or Madam,\n\nplease find our order below.\n'),
    to: '+49 30 5550160',
    // Every kind is asked at least once, however busy the machine.
    everyKindWithinMs: 30_000,
  });
  expect(result.serverErrors).toBe(0);
  expect(result.noAnswer).toBe(0);
  for (const kind of ['create', 'read', 'cancel', 'healthz', 'readyz'] as const) expect(result.byKind[kind].count).toBeGreaterThan(0);
  expect(result.byKind.create.statuses[201]).toBeGreaterThan(0);
  expect(result.byKind.read.statuses[200]).toBeGreaterThan(0);
}, 60_000);
