import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../../src/activities';
import type { FaxActivities } from '../../src/workflows/contract';
import { createCarrier } from '../../src/carrier/telnyx-carrier';
import type { Carrier } from '../../src/carrier/types';
import type { FaxPolicy } from '../../src/config/config';
import { priceTable } from '../../src/config/prices';
import { convertDocument } from '../../src/conversion';
import { PostgresDocumentStore } from '../../src/db/document-store';
import { Fax } from '../../src/db/entities/fax';
import { isReasonCode } from '../../src/domain/reasons';
import { silentLogger, type Logger } from '../../src/log';
import { errorMiddleware } from '../../src/web/errors';
import type { StripePayments } from '../../src/payments/stripe-payments';
import type { Payments } from '../../src/payments/types';
import { startCarrierTwin, type CarrierTwin } from '../../src/twins/carrier';
import type { StripeTwin } from '../../src/twins/stripe';
import { createMediaRoutes } from '../../src/web/media';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { twinWithPayments } from '../helpers/stripe';

export const APP_SECRET = 'activities-test-secret-0123456789abcdef';
/** A German landline the carrier twin delivers to (any valid number that is not a test number). */
export const DELIVERABLE = '+493012345678';

export const POLICY: FaxPolicy = {
  paymentWindowMs: 3600_000,
  maxTransmissions: 3,
  retryDelayMs: 1000,
  retentionMs: 7 * 24 * 3600_000,
  statusPollMs: 20,
  captureMarginMs: 3600_000,
  prices: priceTable('eur', { base: 99, perPage: 79 }, {}),
};

/** Parts the activities can be rebuilt with. */
interface Changes {
  carrier?: Carrier;
  payments?: Payments;
  policy?: Partial<FaxPolicy>;
  log?: Logger;
}

export interface HarnessOptions {
  /** Time from authorization to the hold's capture deadline at the Stripe twin. */
  holdWindowMs?: number;
  /** Simulated transmission time per page at the carrier twin. */
  msPerPage?: number;
}

/**
 * Everything the activities talk to, real: a fresh migrated database, the document converter,
 * the Stripe twin behind the Stripe adapter, the carrier twin behind the Telnyx adapter, and
 * the app's own media route, from which the carrier twin downloads the fax PDF.
 */
export interface Harness {
  db: TestDatabase['db'];
  store: PostgresDocumentStore;
  stripe: StripeTwin;
  payments: StripePayments;
  carrierTwin: CarrierTwin;
  carrier: Carrier;
  media: RunningApp;
  activities: FaxActivities;
  /** The same activities with other parts (another twin, another poll interval). */
  activitiesWith(changes: Changes): FaxActivities;
  carrierFor(twin: CarrierTwin): Carrier;
  stop(): Promise<void>;
}

interface RunningApp {
  url: string;
  stop(): Promise<void>;
}

/** The app's signed media route, as the web tier mounts it, on a free loopback port. */
async function serveMedia(store: PostgresDocumentStore): Promise<RunningApp> {
  const app = new Koa();
  const router = createMediaRoutes({ store, appSecret: APP_SECRET });
  app.use(errorMiddleware(silentLogger));
  app.use(router.routes()).use(router.allowedMethods());
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const t = await createTestDatabase();
  const store = new PostgresDocumentStore(t.db);
  const { twin: stripe, payments } = await twinWithPayments({ holdWindowMs: opts.holdWindowMs, sweepIntervalMs: 3600_000 });
  const carrierTwin = await startCarrierTwin({ port: 0, msPerPage: opts.msPerPage ?? 30 });
  const media = await serveMedia(store);
  const carrierFor = (twin: CarrierTwin): Carrier =>
    createCarrier(
      { apiKey: 'KEY_TEST_ACTIVITIES', connectionId: 'sandbox-connection', publicKey: twin.publicKey, fromNumber: '+15005550006', apiBase: twin.url },
      { timeoutMs: 5000, maxRetries: 0 },
    );
  const carrier = carrierFor(carrierTwin);

  const build = (changes: Changes = {}): FaxActivities => {
    const deps: ActivityDeps = {
      db: t.db,
      store,
      payments: changes.payments ?? payments,
      carrier: changes.carrier ?? carrier,
      convert: convertDocument,
      config: {
        policy: { ...POLICY, ...changes.policy },
        limits: { maxUploadBytes: 5 * 1024 * 1024, maxPages: 10 },
        appSecret: APP_SECRET,
        web: { publicBaseUrl: media.url },
      },
      log: changes.log ?? silentLogger,
    };
    return createActivities(deps);
  };

  return {
    db: t.db,
    store,
    stripe,
    payments,
    carrierTwin,
    carrier,
    media,
    activities: build(),
    activitiesWith: build,
    carrierFor,
    stop: async () => {
      await carrierTwin.stop();
      await stripe.stop();
      await media.stop();
      await t.drop();
    },
  };
}

const temporalLogger = new DefaultLogger('ERROR');

/** An activity environment of its own for one call (a cancelled environment stays cancelled). */
export function activityEnv(faxId: string = randomUUID()): MockActivityEnvironment {
  return new MockActivityEnvironment({ activityType: 'faxActivity', workflowExecution: { workflowId: `fax-${faxId}`, runId: randomUUID() } }, { logger: temporalLogger });
}

/** Runs one activity the way a worker would: inside an activity Context (a fresh one unless given). */
export function run<A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> {
  return runIn(activityEnv(), fn, ...args);
}

export function runIn<A extends unknown[], R>(env: MockActivityEnvironment, fn: (...args: A) => Promise<R>, ...args: A): Promise<R> {
  return env.run<A, R, typeof fn>(fn, ...args);
}

/**
 * The ApplicationFailure an activity failed with; fails the test if it succeeded, threw
 * something else, or used a type that is not a reason code.
 */
export async function applicationFailure(p: Promise<unknown>): Promise<ApplicationFailure> {
  const outcome = await p.then(
    () => null,
    (err: unknown) => err,
  );
  if (outcome instanceof ApplicationFailure) {
    // The workflow shows the type to senders as a translated reason: it must be a known code.
    if (!isReasonCode(outcome.type)) throw new Error(`failure type ${String(outcome.type)} is not a reason code`);
    return outcome;
  }
  throw new Error(`expected an ApplicationFailure, got ${outcome === null ? 'success' : outcome instanceof Error ? `${outcome.name}: ${outcome.message}` : typeof outcome}`);
}

export async function insertFax(db: TestDatabase['db'], overrides: Partial<Fax> = {}): Promise<Fax> {
  const id = overrides.id ?? randomUUID();
  await db.getRepository(Fax).insert({
    id,
    tokenHash: 'c'.repeat(64),
    status: 'converting',
    toNumber: DELIVERABLE,
    country: 'DE',
    locale: 'en',
    workflowId: `fax-${id}`,
    ...overrides,
  });
  return readFax(db, id);
}

export function readFax(db: TestDatabase['db'], id: string): Promise<Fax> {
  return db.getRepository(Fax).findOneByOrFail({ id });
}
