import fs from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../../src/db/data-source';
import { PostgresDocumentStore } from '../../src/db/document-store';
import { EmailOutbox } from '../../src/db/email-outbox';
import type { EmailKind } from '../../src/db/entities/email-outbox';
import type { Fax } from '../../src/db/entities/fax';
import { sealToken } from '../../src/domain/token-seal';
import { EmailRelay, type RetryPolicy } from '../../src/email/relay';
import { silentLogger } from '../../src/log';
import { startMailTwin, type MailTwin } from '../../src/twins/mail';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { eventually } from '../helpers/stripe';
import { APP_SECRET, insertFax, LIMITS, OPERATOR, TOKEN } from './harness';

let t: TestDatabase;
let outbox: EmailOutbox;
let mailDir: string;
let twin: MailTwin;
const relays: EmailRelay[] = [];
const dataSources: DataSource[] = [];

beforeAll(async () => {
  t = await createTestDatabase();
  outbox = new EmailOutbox(t.db);
  mailDir = await fs.mkdtemp(path.join(os.tmpdir(), 'durafax-mail-'));
  twin = await startMailTwin({ port: 0, mailDir });
});
afterEach(async () => {
  await Promise.all(relays.splice(0).map((r) => r.stop()));
});
afterAll(async () => {
  await Promise.all(dataSources.map((d) => d.destroy()));
  await twin.stop();
  await t.drop();
  await fs.rm(mailDir, { recursive: true, force: true });
});

/** A relay with a database pool of its own, as in a worker process of its own. */
async function startRelay(smtpUrl: string, opts: { sweepMs?: number; retry?: RetryPolicy } = {}): Promise<EmailRelay> {
  const db = createDataSource({ url: t.url, poolSize: 4, applicationName: 'durafax-test-relay' });
  await db.initialize();
  dataSources.push(db);
  const relay = new EmailRelay({
    db,
    store: new PostgresDocumentStore(db),
    smtpUrl,
    from: 'Durafax <fax@durafax.example>',
    publicBaseUrl: 'https://durafax.example',
    appSecret: APP_SECRET,
    operator: OPERATOR,
    limits: LIMITS,
    log: silentLogger,
    sweepMs: opts.sweepMs ?? 3_600_000,
    retry: opts.retry,
  });
  relays.push(relay);
  await relay.start();
  return relay;
}

/** Queues an email as the activities do: in a transaction of its own. */
async function queue(fax: Fax, kind: EmailKind): Promise<void> {
  await t.db.transaction((tx) => outbox.queue(fax, kind)!(tx));
}

test('two relays at once send every email exactly once, woken by the notification alone', async () => {
  await Promise.all([startRelay(twin.url), startRelay(twin.url)]);
  const faxes = await Promise.all(Array.from({ length: 8 }, () => insertFax(t.db, { status: 'queued' })));
  // The hourly sweep never runs in this test: only the NOTIFY of each insert wakes the relays.
  await Promise.all(faxes.map((f) => queue(f, 'payment_confirmed')));
  const rows = await eventually(async () => {
    const all = (await Promise.all(faxes.map((f) => outbox.forFax(f.id)))).flat();
    expect(all.map((r) => r.state)).toEqual(Array(8).fill('sent'));
    return all;
  }, 30_000);

  const received = await twin.mailbox.list();
  const ids = await Promise.all(received.map(async (m) => (await simpleParser(await fs.readFile(path.join(mailDir, `${m.id}.eml`)))).messageId));
  expect(ids.sort()).toEqual(rows.map((r) => `<${r.id}@durafax.example>`).sort());
  expect(rows.every((r) => r.attempts === 0 && r.sentAt instanceof Date)).toBe(true);
});

describe('against a server that fails', () => {
  let server: SMTPServer;
  let url: string;
  let refuse: (n: number) => number | null;
  const accepted: Buffer[] = [];
  const tries: number[] = [];

  beforeAll(async () => {
    server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      logger: false,
      onRcptTo(address, _session, callback) {
        callback(address.address.startsWith('nobody@') ? Object.assign(new Error('no such user'), { responseCode: 550 }) : null);
      },
      onData(stream, _session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          tries.push(Date.now());
          const code = refuse(tries.length);
          if (code) callback(Object.assign(new Error('not now'), { responseCode: code }));
          else {
            accepted.push(Buffer.concat(chunks));
            callback();
          }
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(() => {
    accepted.length = 0;
    tries.length = 0;
  });

  test('a temporary refusal is retried after the backoff, then the email goes once', async () => {
    refuse = (n) => (n === 1 ? 451 : null);
    await startRelay(url, { sweepMs: 3_600_000, retry: { firstDelayMs: 400, maxDelayMs: 5000, maxAttempts: 5 } });
    const fax = await insertFax(t.db, { status: 'failed', paymentState: 'released', failureReason: 'busy' });
    await queue(fax, 'receipt');

    const afterFirst = await eventually(async () => {
      const [row] = await outbox.forFax(fax.id);
      expect(row).toMatchObject({ state: 'pending', attempts: 1, lastError: 'EMESSAGE 451' });
      return row;
    }, 10_000);
    expect(afterFirst.nextAttemptAt.getTime()).toBeGreaterThan(Date.now());

    await eventually(async () => expect((await outbox.forFax(fax.id))[0]).toMatchObject({ state: 'sent', attempts: 1 }), 10_000);
    expect(tries).toHaveLength(2);
    expect(tries[1] - tries[0]).toBeGreaterThanOrEqual(350);
    expect(accepted).toHaveLength(1);
    expect((await simpleParser(accepted[0])).subject).toBe('Not delivered: your fax to +49 30 12345678');
  });

  test('after the last attempt the email is given up, and kept as failed', async () => {
    refuse = () => 421;
    await startRelay(url, { sweepMs: 3_600_000, retry: { firstDelayMs: 50, maxDelayMs: 100, maxAttempts: 3 } });
    const fax = await insertFax(t.db, { status: 'queued' });
    await queue(fax, 'payment_confirmed');
    await eventually(async () => expect((await outbox.forFax(fax.id))[0]).toMatchObject({ state: 'failed', attempts: 3, lastError: 'EMESSAGE 421' }), 10_000);
    expect(tries).toHaveLength(3);
    expect(accepted).toHaveLength(0);
  });

  test('a recipient refused for good is not retried', async () => {
    refuse = () => null;
    await startRelay(url, { sweepMs: 3_600_000, retry: { firstDelayMs: 50, maxDelayMs: 100, maxAttempts: 5 } });
    const fax = await insertFax(t.db, { status: 'queued', email: 'nobody@example.com' });
    await queue(fax, 'payment_confirmed');
    await eventually(async () => expect((await outbox.forFax(fax.id))[0]).toMatchObject({ state: 'failed', attempts: 1, lastError: 'EENVELOPE 550' }), 10_000);
    expect(tries).toHaveLength(0);
  });
});

test('an email queued while no relay ran is sent by the first sweep; a token that cannot be unsealed leaves the link out', async () => {
  const fax = await insertFax(t.db, { status: 'queued', locale: 'de', tokenSealed: sealToken(TOKEN, 'another-secret-0123456789abcdefghijkl') });
  const linked = await insertFax(t.db, { status: 'queued', locale: 'fr' });
  await queue(fax, 'payment_confirmed');
  await queue(linked, 'payment_confirmed');
  await startRelay(twin.url);
  const [unlinkedMail, linkedMail] = await eventually(async () => {
    const byFax = await Promise.all(
      [fax, linked].map(async (f) => {
        const [row] = await outbox.forFax(f.id);
        expect(row.state).toBe('sent');
        const messages = await Promise.all((await twin.mailbox.list()).map((m) => twin.mailbox.read(m.id)));
        return messages.find((m) => m?.text.includes(f.id))!;
      }),
    );
    expect(byFax.every(Boolean)).toBe(true);
    return byFax;
  }, 10_000);
  expect(unlinkedMail.subject).toBe('Ihr Fax an +49 30 12345678 ist unterwegs');
  expect(unlinkedMail.text).not.toContain('?t=');
  expect(linkedMail.subject).toBe('Votre fax vers le +49 30 12345678 est en route');
  expect(linkedMail.text).toContain(`https://durafax.example/fr/faxes/${linked.id}?t=${TOKEN}`);
  expect(linkedMail.text).toContain(`Identifiant du fax : ${linked.id}`);
});
