import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { createActivities } from '../../src/activities';
import { createCarrier } from '../../src/carrier/telnyx-carrier';
import type { Limits, Operator } from '../../src/config/config';
import { priceTable } from '../../src/config/prices';
import { convertDocument } from '../../src/conversion';
import { PostgresDocumentStore } from '../../src/db/document-store';
import { EmailOutbox } from '../../src/db/email-outbox';
import { Fax } from '../../src/db/entities/fax';
import { sealToken } from '../../src/domain/token-seal';
import { silentLogger } from '../../src/log';
import { createPayments } from '../../src/payments/stripe-payments';
import type { Payments } from '../../src/payments/types';
import type { FaxActivities } from '../../src/workflows/contract';

export const APP_SECRET = 'email-test-secret-0123456789abcdefghij';
export const OPERATOR: Operator = { name: 'Beispiel Faxdienste GmbH', address: ['Musterstraße 1', '10115 Berlin'], email: 'hilfe@example.com' };
export const LIMITS: Limits = { maxUploadBytes: 20 * 1024 * 1024, maxPages: 50 };
export const TOKEN = 'tok_0123456789abcdefghijklmnopqrstuvwxyzABCDE';

/** Nothing listens here: activities these tests do not call never reach a provider. */
const NOWHERE = 'http://127.0.0.1:9';

/**
 * The fax activities on a test database, with email on (an outbox) or off. Conversion and the
 * carrier are real but unused; payments go where the test says (the Stripe twin) or nowhere.
 */
export function emailActivities(db: DataSource, opts: { email: boolean; payments?: Payments }): FaxActivities {
  return createActivities({
    db,
    store: new PostgresDocumentStore(db),
    payments: opts.payments ?? createPayments({ secretKey: 'sk_test_unused', webhookSecret: 'whsec_unused', apiBase: NOWHERE }),
    carrier: createCarrier({ apiKey: 'KEY_UNUSED', connectionId: 'unused', publicKey: '', fromNumber: '+15005550006', apiBase: NOWHERE }),
    convert: convertDocument,
    config: {
      policy: {
        paymentWindowMs: 3600_000,
        maxTransmissions: 3,
        retryDelayMs: 1000,
        retentionMs: 86_400_000,
        statusPollMs: 1000,
        captureMarginMs: 3600_000,
        prices: priceTable('eur', { base: 99, perPage: 79 }, {}),
      },
      limits: LIMITS,
      appSecret: APP_SECRET,
      web: { publicBaseUrl: 'http://localhost:3000' },
    },
    log: silentLogger,
    outbox: opts.email ? new EmailOutbox(db) : undefined,
  });
}

/** A fax as the web stores it: with an email, its token sealed for the status link. */
export async function insertFax(db: DataSource, overrides: Partial<Fax> = {}): Promise<Fax> {
  const id = overrides.id ?? randomUUID();
  await db.getRepository(Fax).insert({
    id,
    tokenHash: 'e'.repeat(64),
    tokenSealed: sealToken(TOKEN, APP_SECRET),
    status: 'sending',
    toNumber: '+493012345678',
    country: 'DE',
    locale: 'en',
    email: 'sender@example.com',
    pages: 2,
    priceAmount: 257,
    currency: 'eur',
    paymentState: 'authorized',
    workflowId: `fax-${id}`,
    ...overrides,
  });
  return db.getRepository(Fax).findOneByOrFail({ id });
}

export function readFax(db: DataSource, id: string): Promise<Fax> {
  return db.getRepository(Fax).findOneByOrFail({ id });
}
