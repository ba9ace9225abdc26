/**
 * Reads a Ledger (see invariants.ts) from where each party keeps its own record: PostgreSQL,
 * the Stripe sandbox's API (payment intents, `charge.captured` events, refunds) through the
 * official library, the carrier sandbox's fax list, and Temporal's description of each fax's
 * workflow.
 */
import { Client as TemporalClient, WorkflowNotFoundError } from '@temporalio/client';
import { Client as PgClient } from 'pg';
import Stripe from 'stripe';
import { decodeClientState } from '../../src/carrier/client-state';
import { FAX_ID_KEY } from '../../src/payments/stripe-mapping';
import { faxWorkflowId } from '../../src/workflows/contract';
import type { Ledger, LedgerFax, LedgerIntent, LedgerTransmission } from './invariants';

export interface LedgerSources {
  databaseUrl: string;
  /** Base URL of the Stripe sandbox (`http://127.0.0.1:port`). */
  stripeUrl: string;
  /** Base URL of the carrier sandbox. */
  carrierUrl: string;
  temporal: TemporalClient;
}

interface FaxRow {
  id: string;
  status: LedgerFax['status'];
  failure_reason: string | null;
  payment_state: LedgerFax['paymentState'];
  payment_intent_id: string | null;
  price_amount: number | null;
  amount_captured: number;
  purge_at: Date | null;
  purged_at: Date | null;
  documents_kept: string;
}

async function readDatabase(url: string): Promise<{ faxes: LedgerFax[]; largeObjects: number }> {
  const pg = new PgClient({ connectionString: url });
  await pg.connect();
  try {
    const faxes = await pg.query<FaxRow>(
      `SELECT f.id, f.status, f.failure_reason, f.payment_state, f.payment_intent_id, f.price_amount, f.amount_captured, f.purge_at, f.purged_at,
              (SELECT count(*) FROM document d WHERE d.fax_id = f.id AND d.data IS NOT NULL) AS documents_kept
         FROM fax f`,
    );
    const attempts = await pg.query<{ fax_id: string; number: number; status: string; carrier_fax_id: string | null }>(
      'SELECT fax_id, number, status, carrier_fax_id FROM fax_attempt ORDER BY number',
    );
    const largeObjects = await pg.query<{ n: string }>('SELECT count(*) AS n FROM pg_largeobject_metadata');
    return {
      faxes: faxes.rows.map((r) => ({
        id: r.id,
        status: r.status,
        failureReason: r.failure_reason,
        paymentState: r.payment_state,
        paymentIntentId: r.payment_intent_id,
        priceAmount: r.price_amount,
        amountCaptured: r.amount_captured,
        purgeAt: r.purge_at,
        purgedAt: r.purged_at,
        documentsKept: Number(r.documents_kept),
        attempts: attempts.rows.filter((a) => a.fax_id === r.id).map((a) => ({ number: a.number, status: a.status, carrierFaxId: a.carrier_fax_id })),
      })),
      largeObjects: Number(largeObjects.rows[0].n),
    };
  } finally {
    await pg.end();
  }
}

async function readStripe(url: string): Promise<LedgerIntent[]> {
  const u = new URL(url);
  const stripe = new Stripe('sk_test_ledger', { host: u.hostname, port: Number(u.port), protocol: 'http', maxNetworkRetries: 2 });
  const captures = new Map<string, number>();
  for await (const event of stripe.events.list({ type: 'charge.captured', limit: 100 })) {
    const pi = (event.data.object as Stripe.Charge).payment_intent as string;
    captures.set(pi, (captures.get(pi) ?? 0) + 1);
  }
  const refunded = new Map<string, number>();
  for await (const refund of stripe.refunds.list({ limit: 100 })) {
    const pi = refund.payment_intent as string;
    if (refund.status === 'succeeded') refunded.set(pi, (refunded.get(pi) ?? 0) + refund.amount);
  }
  const intents: LedgerIntent[] = [];
  for await (const pi of stripe.paymentIntents.list({ limit: 100 })) {
    intents.push({
      id: pi.id,
      faxId: pi.metadata[FAX_ID_KEY] ?? null,
      status: pi.status,
      amountReceived: pi.amount_received,
      captures: captures.get(pi.id) ?? 0,
      refunded: refunded.get(pi.id) ?? 0,
    });
  }
  return intents;
}

async function readCarrier(url: string): Promise<LedgerTransmission[]> {
  const out: LedgerTransmission[] = [];
  for (let page = 1; ; page++) {
    const res = await fetch(`${url}/v2/faxes?page[size]=250&page[number]=${page}`, { headers: { Authorization: 'Bearer KEY_LEDGER' } });
    if (!res.ok) throw new Error(`the carrier sandbox answered ${res.status} to its fax list`);
    const body = (await res.json()) as { data: Array<{ id: string; status: string; client_state?: string }>; meta: { total_pages: number } };
    for (const fax of body.data) {
      const state = decodeClientState(fax.client_state);
      out.push({ id: fax.id, faxId: state?.faxId ?? null, attempt: state?.attempt ?? null, status: fax.status });
    }
    if (page >= body.meta.total_pages) return out;
  }
}

async function readWorkflows(temporal: TemporalClient, faxIds: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const id of faxIds) {
    try {
      const description = await temporal.workflow.getHandle(faxWorkflowId(id)).describe();
      out.set(id, description.status.name);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      out.set(id, 'NOT_FOUND');
    }
  }
  return out;
}

/** The whole ledger, read now. */
export async function readLedger(sources: LedgerSources): Promise<Ledger> {
  const { faxes, largeObjects } = await readDatabase(sources.databaseUrl);
  const [intents, transmissions] = await Promise.all([readStripe(sources.stripeUrl), readCarrier(sources.carrierUrl)]);
  const workflows = await readWorkflows(
    sources.temporal,
    faxes.map((f) => f.id),
  );
  return { faxes, intents, transmissions, workflows, largeObjects, readAt: new Date() };
}
