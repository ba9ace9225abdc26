import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { conversionTaskQueueOf, faxWorkflowId, paymentAuthorizedSignal, stateQuery, type CarrierUpdate, type FaxState } from '../../src/workflows/contract';
import type { faxWorkflow } from '../../src/workflows/fax';
import { FAX_SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes';
import { createTimeSkippingEnv } from '../helpers/temporal';
import { FakeProviders, type Scenario } from './fake-providers';

export const workflowsPath = require.resolve('../../src/workflows');
/**
 * Histories of earlier workflow versions: faxes in flight must keep replaying. RECORD_HISTORIES=1
 * writes the histories of the tests that run into it; pick them with `-t`, since fixtures
 * recorded before a patch must stay as they are.
 */
export const FIXTURES = path.join(__dirname, 'histories');

export interface Run {
  providers: FakeProviders;
  handle: WorkflowHandle<typeof faxWorkflow>;
  faxId: string;
}

export interface FaxOptions {
  /** The destination country the web passes to the workflow. */
  country?: string;
}

/**
 * A test file's time-skipping engine, with the fax search attributes registered as
 * `durafax start` registers them, and a folder for the histories of its runs. Registers its
 * own beforeAll/afterAll.
 */
export function useFaxTestBed(): {
  env: () => TestWorkflowEnvironment;
  runHistories: () => string;
  withFax: (name: string, scenario: Scenario, body: (run: Run) => Promise<void>, options?: FaxOptions) => Promise<void>;
} {
  let env: TestWorkflowEnvironment | undefined;
  let runHistories: string | undefined;
  beforeAll(async () => {
    env = await createTimeSkippingEnv({ searchAttributes: { ...FAX_SEARCH_ATTRIBUTES } });
    runHistories = await fs.mkdtemp(path.join(os.tmpdir(), 'durafax-histories-'));
  });
  afterAll(async () => {
    await env?.teardown();
    if (runHistories) await fs.rm(runHistories, { recursive: true, force: true });
  });
  const theEnv = (): TestWorkflowEnvironment => {
    if (!env) throw new Error('the test environment is not started yet');
    return env;
  };
  const theRunHistories = (): string => {
    if (!runHistories) throw new Error('the test environment is not started yet');
    return runHistories;
  };

  /** Runs `body` with a worker for one fax workflow whose providers follow `scenario`. */
  const withFax = async (name: string, scenario: Scenario, body: (run: Run) => Promise<void>, options: FaxOptions = {}): Promise<void> => {
    const testEnv = theEnv();
    const taskQueue = `wf-${randomUUID()}`;
    const providers = new FakeProviders(scenario, async () => testEnv.currentTimeMs());
    // As the worker runs them: the conversion on a queue of its own, served by a worker that
    // has only it (the fax's own worker lacks it, so a conversion sent elsewhere never runs).
    const { convertDocument, ...others } = providers.activities();
    const conversionTaskQueue = conversionTaskQueueOf(taskQueue);
    // A cancelled polling activity learns of it at its next heartbeat; until then virtual time cannot skip.
    const common = { connection: testEnv.nativeConnection, maxHeartbeatThrottleInterval: '200ms' } as const;
    const worker = await Worker.create({ ...common, taskQueue, workflowsPath, activities: others });
    const conversionWorker = await Worker.create({ ...common, taskQueue: conversionTaskQueue, activities: { convertDocument } });
    const faxId = randomUUID();
    await conversionWorker.runUntil(() =>
      worker.runUntil(async () => {
        const handle = await testEnv.client.workflow.start<typeof faxWorkflow>('faxWorkflow', {
          taskQueue,
          workflowId: faxWorkflowId(faxId),
          args: [{ faxId, country: options.country ?? 'DE', conversionTaskQueue }],
        });
        await body({ providers, handle, faxId });
        // A workflow left running (in retention, say) would keep the shared virtual clock from skipping.
        if ((await handle.describe()).status.name === 'RUNNING') await handle.terminate('test finished');
      }),
    );
    const history = await testEnv.client.workflow.getHandle(faxWorkflowId(faxId)).fetchHistory();
    const file = `${name}.json`;
    const json = historyToJSON(history);
    await fs.writeFile(path.join(theRunHistories(), file), json);
    if (process.env.RECORD_HISTORIES === '1') await fs.writeFile(path.join(FIXTURES, file), json);
  };

  return { env: theEnv, runHistories: theRunHistories, withFax };
}

/** Waits (in real time, briefly) until the workflow reports a state matching `pred`. */
export async function until(handle: Run['handle'], pred: (s: FaxState) => boolean): Promise<FaxState> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const s = await handle.query(stateQuery);
    if (pred(s)) return s;
    if (Date.now() > deadline) throw new Error(`state never matched; last: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const pay = (handle: Run['handle'], pi = 'pi_1'): Promise<void> =>
  handle.signal(paymentAuthorizedSignal, { paymentIntentId: pi, checkoutSessionId: 'cs_1', source: 'webhook' });

export const event = (carrierFaxId: string, status: CarrierUpdate['status'], extra: Partial<CarrierUpdate> = {}): CarrierUpdate => ({
  eventId: randomUUID(),
  carrierFaxId,
  status,
  failureReason: null,
  pagesSent: null,
  callDurationSecs: null,
  occurredAt: new Date().toISOString(),
  ...extra,
});
