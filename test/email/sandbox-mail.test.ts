import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import request from 'supertest';
import type Koa from 'koa';
import { encodeGreyPng } from '../../src/conversion/raster/png';
import { PostgresDocumentStore } from '../../src/db/document-store';
import { EmailOutbox } from '../../src/db/email-outbox';
import { FaxAttempt } from '../../src/db/entities/fax-attempt';
import { EmailRelay } from '../../src/email/relay';
import { silentLogger } from '../../src/log';
import { startMailTwin, type MailTwin } from '../../src/twins/mail';
import { createAppFrame } from '../../src/web/app';
import { Assets } from '../../src/web/assets';
import { PageRenderer } from '../../src/web/pages/render';
import { createSandboxMailRoutes } from '../../src/web/sandbox/routes';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { pdfPages, pdfText } from '../helpers/pdf-text';
import { eventually } from '../helpers/stripe';
import { APP_SECRET, emailActivities, insertFax, LIMITS, OPERATOR, TOKEN } from './harness';

let t: TestDatabase;
let mailDir: string;
let twin: MailTwin;
let relay: EmailRelay;
let faxId: string;

/** The web tier's page frame with only the sandbox mail routes in it. */
function app(sandbox: boolean): Koa {
  const frame = createAppFrame(silentLogger);
  const pages = new PageRenderer({ sandbox, operator: OPERATOR, assets: new Assets([]), secureCookies: false });
  const router = createSandboxMailRoutes({ sandbox, mailDir: sandbox ? mailDir : null, pages });
  frame.use(router.routes()).use(router.allowedMethods());
  return frame;
}

beforeAll(async () => {
  t = await createTestDatabase();
  mailDir = await fs.mkdtemp(path.join(os.tmpdir(), 'durafax-sandbox-mail-'));
  twin = await startMailTwin({ port: 0, mailDir });
  const store = new PostgresDocumentStore(t.db);
  relay = new EmailRelay({
    db: t.db,
    store,
    smtpUrl: twin.url,
    from: 'Durafax <fax@durafax.example>',
    publicBaseUrl: 'https://durafax.example',
    appSecret: APP_SECRET,
    operator: OPERATOR,
    limits: LIMITS,
    log: silentLogger,
  });
  await relay.start();

  // A German sender's fax, paid, transmitted and delivered: the worker's real path to its receipt.
  const fax = await insertFax(t.db, { locale: 'de', status: 'sending', paymentState: 'captured', amountCaptured: 257, paidAt: new Date() });
  faxId = fax.id;
  const pixels = new Uint8Array(216 * 305).fill(255).fill(0, 216 * 20, 216 * 40);
  await store.put({ faxId, kind: 'thumbnail', page: 1, contentType: 'image/png', data: encodeGreyPng(pixels, 216, 305) });
  await t.db
    .getRepository(FaxAttempt)
    .insert({ faxId, number: 1, status: 'delivered', pagesSent: 2, durationSecs: 75, submittedAt: new Date(Date.now() - 90_000), completedAt: new Date() });
  const activities = emailActivities(t.db, { email: true });
  await new EmailOutbox(t.db).queue(fax, 'payment_confirmed')!(t.db.manager);
  await activities.setStatus(faxId, { status: 'delivered', failureReason: null, purgeAt: null });
  await eventually(async () => expect((await new EmailOutbox(t.db).forFax(faxId)).map((r) => r.state)).toEqual(['sent', 'sent']), 20_000);
});
afterAll(async () => {
  await relay.stop();
  await twin.stop();
  await t.drop();
  await fs.rm(mailDir, { recursive: true, force: true });
});

test('the sandbox SMTP server received the receipt, in German, with the report attached and the private link', async () => {
  const files = (await fs.readdir(mailDir)).filter((f) => f.endsWith('.eml')).sort();
  expect(files).toHaveLength(2);
  const receipt = await simpleParser(await fs.readFile(path.join(mailDir, files[1])));
  expect(receipt.subject).toBe('Zugestellt: Ihr Fax an +49 30 12345678');
  expect(receipt.to && !Array.isArray(receipt.to) ? receipt.to.text : '').toBe('sender@example.com');
  expect(receipt.headers.get('auto-submitted')).toBe('auto-generated');
  expect(receipt.messageId).toMatch(/^<[0-9a-f-]{36}@durafax\.example>$/);
  const link = `https://durafax.example/de/faxes/${faxId}?t=${TOKEN}`;
  expect(receipt.text).toContain('wurde am');
  expect(receipt.text).toContain('2,57\u00a0€ wurden Ihrer Karte belastet.');
  expect(receipt.text).toContain(link);
  expect(receipt.html).toContain(`href="${link}"`);

  expect(receipt.attachments).toHaveLength(1);
  const [report] = receipt.attachments;
  expect(report).toMatchObject({ contentType: 'application/pdf', filename: `durafax-report-${faxId.slice(0, 8)}.pdf` });
  const text = await pdfText(report.content);
  for (const expected of ['Durafax — Sendebericht', 'Zugestellt', '+49 30 12345678 (Deutschland)', '2,57 €', '1 Min. 15 Sek.', faxId]) expect(text).toContain(expected);
  expect((await pdfPages(report.content))[0].images).toBe(1);
});

describe('the mailbox page', () => {
  test('lists the messages newest first: time, recipient, subject, attachments', async () => {
    const res = await request(app(true).callback()).get('/de/sandbox/mail').expect(200);
    expect(res.type).toBe('text/html');
    expect(res.text).toContain('Sandbox-Postfach');
    const receipt = res.text.indexOf('Zugestellt: Ihr Fax an +49 30 12345678');
    const confirmation = res.text.indexOf('Ihr Fax an +49 30 12345678 ist unterwegs');
    expect(receipt).toBeGreaterThan(-1);
    expect(confirmation).toBeGreaterThan(receipt);
    expect(res.text).toContain('sender@example.com');
    expect(res.text).toContain(`durafax-report-${faxId.slice(0, 8)}.pdf`);
    expect(res.text).toMatch(/<time datetime="\d{4}-\d\d-\d\dT[\d:.]+Z">[^<]+ UTC<\/time>/);
  });

  test('shows one message with its text, its links, and its attachment to download', async () => {
    const agent = request(app(true).callback());
    const list = await agent.get('/en/sandbox/mail').expect(200);
    const href = /href="(\/en\/sandbox\/mail\/\d{15}-[0-9a-f]{8})">Zugestellt/.exec(list.text)![1];
    const page = await agent.get(href).expect(200);
    expect(page.text).toContain('<h1>Zugestellt: Ihr Fax an +49 30 12345678</h1>');
    expect(page.text).toContain(`<a href="https://durafax.example/de/faxes/${faxId}?t=${TOKEN}">`);
    expect(page.text).toContain('2,57\u00a0€ wurden Ihrer Karte belastet.');

    const pdf = await agent
      .get(`${href}/attachments/0`)
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .expect(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.headers['content-disposition']).toContain('attachment');
    expect((pdf.body as Buffer).subarray(0, 5).toString()).toBe('%PDF-');
    await agent.get(`${href}/attachments/1`).expect(404);
    await agent.get('/en/sandbox/mail/000000000000001-deadbeef').expect(404);
    await agent.get('/en/sandbox/mail/..%2F..%2Fetc%2Fpasswd').expect(404);
  });

  test("/sandbox/mail goes to the visitor's language", async () => {
    const res = await request(app(true).callback()).get('/sandbox/mail').set('Accept-Language', 'fr-FR,fr;q=0.9').expect(302);
    expect(res.headers.location).toBe('/fr/sandbox/mail');
  });

  test('outside sandbox mode there is no such page', async () => {
    const agent = request(app(false).callback());
    for (const url of ['/sandbox/mail', '/en/sandbox/mail', '/en/sandbox/mail/000000000000001-deadbeef']) await agent.get(url).expect(404);
  });
});
