import request from 'supertest';
import type Koa from 'koa';
import { loadConfig, type Config } from '../../src/config/config';
import { PostgresDocumentStore } from '../../src/db/document-store';
import { Fax } from '../../src/db/entities/fax';
import { silentLogger } from '../../src/log';
import { createPayments } from '../../src/payments/stripe-payments';
import { hashToken, newAccessToken } from '../../src/web/access-token';
import { createApp, type AppDeps } from '../../src/web/app';
import { FaxChanges } from '../../src/web/fax-changes';
import type { FaxSignals } from '../../src/web/fax-signals';
import type { CancelDecision, FaxWorkflows } from '../../src/web/fax-workflows';
import type { CheckoutOffer, FaxState } from '../../src/workflows/contract';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { RecordingSupport } from '../support/recording-support';

/** The workflow boundary, recorded: what the web tier asked of Temporal. */
export class RecordingWorkflows implements FaxWorkflows {
  started: string[] = [];
  cancels: string[] = [];
  failStart = false;
  decision: CancelDecision = 'accepted';
  async start(faxId: string): Promise<void> {
    if (this.failStart) throw new Error('Temporal unavailable');
    this.started.push(faxId);
  }
  async cancel(faxId: string): Promise<CancelDecision> {
    this.cancels.push(faxId);
    return this.decision;
  }
  async state(): Promise<FaxState | null> {
    return null;
  }
  /** The checkouts asked for, and the workflow's answer (null: not payable). */
  checkouts: string[] = [];
  offer: CheckoutOffer | null = { url: 'http://127.0.0.1:9/c/pay/cs_test_recorded', payBy: new Date(Date.now() + 3_600_000).toISOString() };
  async checkout(faxId: string): Promise<CheckoutOffer | null> {
    this.checkouts.push(faxId);
    return this.offer;
  }
}

export const noSignals: FaxSignals = {
  paymentAuthorized: async () => 'delivered',
  carrierEvent: async () => 'delivered',
};

export interface WebHarness {
  t: TestDatabase;
  config: Config;
  workflows: RecordingWorkflows;
  app: Koa;
  /** What the app was made from, to make a second web process on the same database. */
  deps: AppDeps;
  changes: FaxChanges;
  /** Temporal's readiness, as the health route sees it. */
  ready: { temporal: boolean };
  api(): ReturnType<typeof request>;
  /** A fax row (defaults: converting, to a German number, in English) and its token. */
  insertFax(overrides?: Partial<Fax>): Promise<{ fax: Fax; token: string }>;
  close(): Promise<void>;
}

/**
 * The whole web application (pages, API, webhooks) on a fresh database, in sandbox mode,
 * with the workflow boundary recorded instead of a Temporal server behind it.
 */
export async function createWebHarness(env: Record<string, string> = {}): Promise<WebHarness> {
  const t = await createTestDatabase();
  const config = loadConfig('web', {
    DURAFAX_SANDBOX: '1',
    DATABASE_URL: t.url,
    TEMPORAL_ADDRESS: '127.0.0.1:1',
    STRIPE_API_BASE: 'http://127.0.0.1:1',
    TELNYX_API_BASE: 'http://127.0.0.1:1',
    TELNYX_PUBLIC_KEY: 'a1wrR1MonmiaAiI2j97liVJc4wNQNh8jTkGFHyYq7Fg=',
    // Tests about other things make many faxes from one address; the limits' own tests set theirs.
    RATE_LIMITS: 'upload=10000/1h,uploadPerNumber=10000/1h,uploadGlobal=10000/1h,cancel=10000/1h,pay=10000/1h,checkoutReturn=10000/1h',
    // Likewise for uploads at once: the admission limit's own tests set theirs.
    MAX_CONCURRENT_UPLOADS: '100',
    ...env,
  });
  const workflows = new RecordingWorkflows();
  const ready = { temporal: true };
  const changes = new FaxChanges(t.url, silentLogger);
  const deps: AppDeps = {
    config,
    db: t.db,
    store: new PostgresDocumentStore(t.db),
    workflows,
    support: new RecordingSupport(),
    signals: noSignals,
    payments: createPayments(config.stripe),
    log: silentLogger,
    changes,
    readiness: {
      database: async () => {
        await t.db.query('SELECT 1');
      },
      temporal: async () => {
        if (!ready.temporal) throw new Error('down');
      },
    },
  };
  const app = createApp(deps);
  return {
    t,
    config,
    workflows,
    app,
    deps,
    changes,
    ready,
    api: () => request(app.callback()),
    async insertFax(overrides = {}) {
      const token = newAccessToken();
      const id = overrides.id ?? crypto.randomUUID();
      await t.db.getRepository(Fax).insert({
        id,
        tokenHash: hashToken(token),
        status: 'converting',
        toNumber: '+49301234567',
        country: 'DE',
        locale: 'en',
        workflowId: `fax-${id}`,
        ...overrides,
      });
      return { fax: await t.db.getRepository(Fax).findOneByOrFail({ id }), token };
    },
    async close() {
      await changes.stop();
      await t.drop();
    },
  };
}
