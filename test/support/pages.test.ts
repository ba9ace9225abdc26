import request from 'supertest';
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../../src/config/config';
import { Fax } from '../../src/db/entities/fax';
import { SupportActionRow } from '../../src/db/entities/support';
import { FaxAttempt } from '../../src/db/entities/fax-attempt';
import { WebhookEvents } from '../../src/db/webhook-events';
import { silentLogger } from '../../src/log';
import { hashPassword } from '../../src/support/passwords';
import { createApp } from '../../src/web/app';
import { supportStartUp } from '../../src/web/support/start-up';
import { createWebHarness, type WebHarness } from '../web/harness';
import { RecordingSupport } from './recording-support';

const PASSWORD = 'correct horse battery';
let h: WebHarness;
let support: RecordingSupport;
let app: ReturnType<typeof createApp>;
let users: string;

beforeAll(async () => {
  users = `alice:${await hashPassword(PASSWORD)},bob:${await hashPassword('bobs password 12')}`;
  h = await createWebHarness({ SUPPORT_USERS: users, TEMPORAL_UI_URL: 'http://ui.example:8233' });
  support = new RecordingSupport();
  app = createApp({ ...h.deps, support });
});
afterAll(async () => {
  await h.close();
});

/** The Set-Cookie lines of an answer (supertest types headers loosely). */
const setCookies = (res: request.Response): string[] => (res.headers['set-cookie'] as unknown as string[] | undefined) ?? [];

const csrfOf = (html: string): string => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';

/** A browser of its own (cookies kept) signed in as `name`. */
async function signedIn(name = 'alice', password = PASSWORD): Promise<request.Agent> {
  const agent = request.agent(app.callback());
  const page = await agent.get('/en/support/login');
  const res = await agent
    .post('/en/support/login')
    .type('form')
    .send({ _csrf: csrfOf(page.text), name, password });
  expect(res.status).toBe(303);
  return agent;
}

async function formToken(agent: request.Agent, path: string): Promise<string> {
  const page = await agent.get(path);
  expect(page.status).toBe(200);
  return csrfOf(page.text);
}

async function insert(overrides: Partial<Fax> = {}): Promise<Fax> {
  return (await h.insertFax(overrides)).fax;
}

describe('sign-in', () => {
  test('the right password opens a session in an HttpOnly cookie; the wrong one does not', async () => {
    const agent = request.agent(app.callback());
    const page = await agent.get('/de/support/login');
    expect(page.text).toContain('Beim Durafax-Support anmelden');
    const wrong = await agent
      .post('/de/support/login')
      .type('form')
      .send({ _csrf: csrfOf(page.text), name: 'alice', password: 'not it at all' });
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('Benutzername oder Passwort ist falsch.');
    expect(setCookies(wrong).join()).not.toContain('durafax_support=');
    // An unknown name is answered the same way.
    const unknown = await agent
      .post('/de/support/login')
      .type('form')
      .send({ _csrf: csrfOf(page.text), name: 'mallory', password: PASSWORD });
    expect(unknown.status).toBe(401);

    const good = await agent
      .post('/de/support/login')
      .type('form')
      .send({ _csrf: csrfOf(page.text), name: 'Alice', password: PASSWORD, next: '/de/support?status=failed' });
    expect(good.status).toBe(303);
    expect(good.headers.location).toBe('/de/support?status=failed');
    const cookie = setCookies(good).find((c) => c.startsWith('durafax_support=')) ?? '';
    expect(cookie).toMatch(/httponly/i);
    expect(cookie).toMatch(/samesite=strict/i);
    expect(cookie).toMatch(/path=\//i);
    const search = await agent.get('/de/support');
    expect(search.status).toBe(200);
    expect(search.text).toContain('Angemeldet als <strong>alice</strong>');
    // The table holds a hash of the token, never the token.
    const token = /durafax_support=([^;]+)/.exec(cookie)![1];
    const rows: Array<{ token_hash: string }> = await h.t.db.query('SELECT token_hash FROM support_session');
    expect(rows.some((r) => r.token_hash.includes(token))).toBe(false);
  });

  test('a sign-in form without its CSRF token is refused', async () => {
    const res = await request(app.callback()).post('/en/support/login').type('form').send({ name: 'alice', password: PASSWORD });
    expect(res.status).toBe(403);
  });

  test('five wrong passwords lock the name: then even the right one is refused until the lock ends', async () => {
    const agent = request.agent(app.callback());
    const token = csrfOf((await agent.get('/en/support/login')).text);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++)
      statuses.push(
        (
          await agent
            .post('/en/support/login')
            .type('form')
            .send({ _csrf: token, name: 'bob', password: `wrong ${i}` })
        ).status,
      );
    expect(statuses).toEqual([401, 401, 401, 401, 423]);
    const locked = await agent.post('/en/support/login').type('form').send({ _csrf: token, name: 'bob', password: 'bobs password 12' });
    expect(locked.status).toBe(423);
    expect(locked.text).toContain('this user name is locked until');
    // Other names are not affected.
    expect((await signedIn('alice')).get).toBeDefined();
    // Once the lock has ended, the right password works again.
    await h.t.db.query(`UPDATE support_lockout SET locked_until = now() - interval '1 second' WHERE username = 'bob'`);
    const after = await agent.post('/en/support/login').type('form').send({ _csrf: token, name: 'bob', password: 'bobs password 12' });
    expect(after.status).toBe(303);
  });

  test('signing out ends the session for good', async () => {
    const sessions = async (): Promise<number> => (await h.t.db.query<Array<{ n: number }>>('SELECT count(*)::int AS n FROM support_session'))[0].n;
    const agent = await signedIn();
    const token = await formToken(agent, '/en/support');
    const before = await sessions();
    const out = await agent.post('/en/support/logout').type('form').send({ _csrf: token });
    expect(out.status).toBe(303);
    expect(out.headers.location).toBe('/en/support/login?note=signed_out');
    expect(await sessions()).toBe(before - 1);
    expect((await agent.get('/en/support').set('Accept', 'text/html')).status).toBe(303);
  });

  test('in sandbox mode the printed one-time link signs in once', async () => {
    const printed: string[] = [];
    await supportStartUp(h.t.db, h.config, silentLogger, (line) => printed.push(line));
    expect(printed).toHaveLength(1);
    const link = /http:\/\/[^ ]+\/en\/support\/login\/([A-Za-z0-9_-]{43})$/.exec(printed[0]);
    expect(link).not.toBeNull();
    const agent = request.agent(app.callback());
    const used = await agent.get(`/en/support/login/${link![1]}`);
    expect(used.status).toBe(303);
    expect((await agent.get('/en/support')).text).toContain('Signed in as <strong>sandbox</strong>');
    const again = await request(app.callback()).get(`/en/support/login/${link![1]}`);
    expect(again.status).toBe(410);
  });

  test('outside sandbox mode there is no sign-in link, and a user taken out of SUPPORT_USERS loses the session', async () => {
    const agent = await signedIn('bob', 'bobs password 12');
    const production = loadConfig('web', { ...process.env, ...productionEnv(), SUPPORT_USERS: users.split(',')[0] });
    const printed: string[] = [];
    await supportStartUp(h.t.db, production, silentLogger, (line) => printed.push(line));
    expect(printed).toEqual([]);
    expect((await agent.get('/en/support').set('Accept', 'text/html')).status).toBe(303);
  });
});

function productionEnv(): Record<string, string> {
  return {
    DURAFAX_SANDBOX: '0',
    DATABASE_URL: h.t.url,
    TEMPORAL_ADDRESS: '127.0.0.1:1',
    PUBLIC_BASE_URL: 'https://fax.example.org',
    APP_SECRET: 'x'.repeat(40),
    STRIPE_SECRET_KEY: 'sk_test_x',
    STRIPE_WEBHOOK_SECRET: 'whsec_x',
    TELNYX_API_KEY: 'KEY',
    TELNYX_CONNECTION_ID: '1',
    TELNYX_PUBLIC_KEY: 'a1wrR1MonmiaAiI2j97liVJc4wNQNh8jTkGFHyYq7Fg=',
    FAX_FROM_NUMBER: '+4930123456',
    OPERATOR_NAME: 'X',
    OPERATOR_ADDRESS: 'Y',
    OPERATOR_EMAIL: 'z@example.org',
  };
}

describe('access without a session', () => {
  test('pages send the browser to the sign-in; forms, images and scripts are refused', async () => {
    const fax = await insert({ status: 'delivered', paymentState: 'captured', pages: 1 });
    const anonymous = request(app.callback());
    const page = await anonymous.get(`/fr/support/faxes/${fax.id}`).set('Accept', 'text/html');
    expect(page.status).toBe(303);
    expect(page.headers.location).toBe(`/fr/support/login?next=${encodeURIComponent(`/fr/support/faxes/${fax.id}`)}`);
    expect((await anonymous.get('/en/support').set('Accept', 'text/html')).status).toBe(303);
    expect((await anonymous.get(`/en/support/faxes/${fax.id}/pages/1`).set('Accept', 'image/png')).status).toBe(401);
    const refund = await anonymous.post(`/en/support/faxes/${fax.id}/refund`).type('form').send({ reason: 'asked' });
    expect(refund.status).toBe(401);
    expect(
      await anonymous
        .get(`/en/support?q=${fax.id}`)
        .set('Accept', 'application/json')
        .then((r) => r.status),
    ).toBe(401);
    const forged = await anonymous
      .get('/en/support')
      .set('Cookie', `durafax_support=${'A'.repeat(43)}`)
      .set('Accept', 'text/html');
    expect(forged.status).toBe(303);
    expect(support.refunds).toEqual([]);
  });

  test('the sign-in page only sends back to support pages', async () => {
    const page = await request(app.callback()).get('/en/support/login?next=https%3A%2F%2Fevil.example%2F');
    expect(page.status).toBe(200);
    expect(page.text).not.toContain('name="next"');
  });
});

describe('search', () => {
  const ids: Record<string, string> = {};
  let agent: request.Agent;
  beforeAll(async () => {
    agent = await signedIn();
    await h.t.db.query('DELETE FROM fax');
    const base = { status: 'delivered' as const, pages: 2, priceAmount: 257, currency: 'eur', paymentState: 'captured' as const };
    ids.ada = (await insert({ ...base, toNumber: '+493012345678', email: 'Ada@Example.org', paymentIntentId: 'pi_ada0001', checkoutSessionId: 'cs_ada0001' })).id;
    ids.failed = (await insert({ ...base, status: 'failed', paymentState: 'released', toNumber: '+33123456789', email: 'bea@example.org', paymentIntentId: 'pi_bea0002' })).id;
    ids.old = (await insert({ ...base, toNumber: '+441632960001' })).id;
    await h.t.db.query(`UPDATE fax SET created_at = '2026-01-15T10:00:00Z' WHERE id = $1`, [ids.old]);
  });

  const found = async (query: string): Promise<string[]> => {
    const res = await agent.get(`/en/support?${query}`);
    expect(res.status).toBe(200);
    return [...res.text.matchAll(/href="\/en\/support\/faxes\/([0-9a-f-]{36})"/g)].map((m) => m[1]);
  };

  test('by fax id and by the reference the sender sees', async () => {
    expect(await found(`q=${ids.ada}`)).toEqual([ids.ada]);
    expect(await found(`q=${ids.failed.slice(0, 8).toUpperCase()}`)).toEqual([ids.failed]);
  });

  test('by fax number, whole in any format or in part', async () => {
    expect(await found(`q=${encodeURIComponent('+49 30 1234 5678')}`)).toEqual([ids.ada]);
    expect(await found(`q=${encodeURIComponent('0049 (30) 12345678')}`)).toEqual([ids.ada]);
    expect(await found('q=23456789')).toEqual([ids.failed]);
    expect(await found(`q=${encodeURIComponent('030 1234')}`)).toEqual([ids.ada]);
  });

  test('by email, in any case', async () => {
    expect(await found('q=ada%40example.ORG')).toEqual([ids.ada]);
    expect(await found('q=nobody%40example.org')).toEqual([]);
  });

  test('by payment intent or checkout session id', async () => {
    expect(await found('q=pi_bea0002')).toEqual([ids.failed]);
    expect(await found('q=cs_ada0001')).toEqual([ids.ada]);
  });

  test('by status and by date range', async () => {
    expect(await found('status=failed')).toEqual([ids.failed]);
    expect(await found('from=2026-01-15&to=2026-01-15')).toEqual([ids.old]);
    expect((await found('to=2026-01-14')).length).toBe(0);
    expect(new Set(await found('status=delivered'))).toEqual(new Set([ids.ada, ids.old]));
    const bad = await agent.get('/en/support?from=2026-02-01&to=2026-01-01');
    expect(bad.status).toBe(422);
    expect(bad.text).toContain('the first not after the second');
  });

  test('what is none of these is explained, not searched', async () => {
    const res = await agent.get('/de/support?q=hello');
    expect(res.status).toBe(422);
    expect(res.text).toContain('Danach können wir nicht suchen.');
  });

  test('pages of twenty, newest first', async () => {
    for (let i = 0; i < 21; i++) await insert({ status: 'expired', toNumber: '+493099990000' });
    const first = await found('status=expired');
    const second = await found('status=expired&page=2');
    expect(first).toHaveLength(20);
    expect(second).toHaveLength(1);
    expect(new Set([...first, ...second]).size).toBe(21);
    const page = await agent.get('/en/support?status=expired');
    expect(page.text).toContain('Showing 1–20 of 21');
    expect(page.text).toContain('href="/en/support?status=expired&amp;page=2"');
  });
});

describe('a fax and the actions on it', () => {
  let agent: request.Agent;
  beforeAll(async () => {
    agent = await signedIn();
  });

  test('the page shows the attempts with the carrier’s reasons, the webhooks, the links, and what can be done', async () => {
    const fax = await insert({ status: 'failed', paymentState: 'released', pages: 1, failureReason: 'number_unallocated', paymentIntentId: 'pi_x1' });
    await h.t.db.getRepository(FaxAttempt).insert({
      faxId: fax.id,
      number: 1,
      status: 'failed',
      carrierFaxId: `cf-${randomUUID()}`,
      carrierStatus: 'failed',
      carrierReason: 'receiver_invalid_number_format',
      reason: 'number_unallocated',
      retryable: false,
    });
    await new WebhookEvents(h.t.db).record({ provider: 'telnyx', eventId: 'evt-telnyx-1', type: 'fax.failed', faxId: fax.id });
    const page = await agent.get(`/en/support/faxes/${fax.id}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('receiver_invalid_number_format');
    expect(page.text).toContain('evt-telnyx-1');
    expect(page.text).toContain(`href="http://ui.example:8233/namespaces/default/workflows/fax-${fax.id}"`);
    expect(page.text).toContain('Send again to a corrected number');
    expect(page.text).toContain(`action="/en/support/faxes/${fax.id}/resend"`);
    expect(page.text).not.toContain(`action="/en/support/faxes/${fax.id}/refund"`);
    expect(page.text).toContain('Only a delivered fax is refunded.');
    // The recorded workflow boundary has no live state: the page says so instead of failing.
    expect(page.text).toContain('The workflow was not found');
  });

  test('a refund goes to the workflow with the audit row’s id and the user, and is logged with its outcome', async () => {
    const fax = await insert({ status: 'delivered', paymentState: 'captured', pages: 1, priceAmount: 178, currency: 'eur', amountCaptured: 178 });
    const token = await formToken(agent, `/en/support/faxes/${fax.id}`);
    const missing = await agent.post(`/en/support/faxes/${fax.id}/refund`).type('form').send({ _csrf: token, reason: '' });
    expect(missing.status).toBe(422);
    expect(missing.text).toContain('Please say why');
    expect(support.refunds).toEqual([]);

    const res = await agent.post(`/en/support/faxes/${fax.id}/refund`).type('form').send({ _csrf: token, reason: 'Sender was charged twice' });
    expect(res.status).toBe(303);
    const [row] = await h.t.db.getRepository(SupportActionRow).find({ where: { faxId: fax.id } });
    expect(row).toMatchObject({ actor: 'alice', kind: 'refund', reason: 'Sender was charged twice', outcome: 'refunded', outcomeCode: null });
    expect(row.completedAt).toBeInstanceOf(Date);
    expect(support.refunds).toEqual([{ faxId: fax.id, request: { actionId: row.id, by: 'alice' } }]);
    expect(res.headers.location).toBe(`/en/support/faxes/${fax.id}?action=${row.id}#actions`);
    const page = await agent.get(res.headers.location);
    expect(page.text).toContain('€1.78 refunded to the sender’s card.');
    expect(page.text).toContain('<p class="audit-outcome">refunded</p>');
    expect(page.text).toContain('Sender was charged twice');
  });

  test('a refusal and a closed workflow are logged as such', async () => {
    const fax = await insert({ status: 'delivered', paymentState: 'captured', pages: 1 });
    const token = await formToken(agent, `/de/support/faxes/${fax.id}`);
    support.refundAnswer = { kind: 'refused', reason: 'not_refundable' };
    await agent.post(`/de/support/faxes/${fax.id}/refund`).type('form').send({ _csrf: token, reason: 'erste Bitte' });
    support.refundAnswer = { kind: 'closed' };
    await agent.post(`/de/support/faxes/${fax.id}/refund`).type('form').send({ _csrf: token, reason: 'zweite Bitte' });
    const rows = await h.t.db.getRepository(SupportActionRow).find({ where: { faxId: fax.id }, order: { createdAt: 'ASC' } });
    expect(rows.map((r) => [r.outcome, r.outcomeCode])).toEqual([
      ['refused', 'not_refundable'],
      ['closed', null],
    ]);
    const page = await agent.get(`/de/support/faxes/${fax.id}`);
    expect(page.text).toContain('abgelehnt: erstattet wird nur ein zugestelltes, bezahltes Fax');
    expect(page.text).toContain('Grund: erste Bitte');
    expect(page.text).toContain('nicht möglich: Der Workflow des Faxes ist beendet');
  });

  test('a resend needs a valid, different number; it is kept with the action, not sent to the workflow', async () => {
    const fax = await insert({ status: 'failed', paymentState: 'released', pages: 1, toNumber: '+493012340004' });
    await h.t.db.getRepository(FaxAttempt).insert({ faxId: fax.id, number: 1, status: 'failed', reason: 'number_unallocated' });
    const token = await formToken(agent, `/en/support/faxes/${fax.id}`);
    const invalid = await agent.post(`/en/support/faxes/${fax.id}/resend`).type('form').send({ _csrf: token, number: '12', reason: 'typo' });
    expect(invalid.status).toBe(422);
    expect(invalid.text).toContain('aria-invalid="true"');
    const same = await agent.post(`/en/support/faxes/${fax.id}/resend`).type('form').send({ _csrf: token, number: '+49 30 12340004', reason: 'typo' });
    expect(same.status).toBe(422);
    expect(same.text).toContain('This is the number the fax already went to.');
    const ok = await agent.post(`/en/support/faxes/${fax.id}/resend`).type('form').send({ _csrf: token, number: '030 1234567', reason: 'Sender gave 0 instead of 7' });
    expect(ok.status).toBe(303);
    const [row] = await h.t.db.getRepository(SupportActionRow).find({ where: { faxId: fax.id } });
    expect(row).toMatchObject({ kind: 'resend', toNumber: '+49301234567', previousNumber: '+493012340004', outcome: 'resending' });
    expect(support.resends.at(-1)).toEqual({ faxId: fax.id, request: { actionId: row.id, by: 'alice' } });
    expect(JSON.stringify(support.resends)).not.toContain('1234567');
  });

  test('a cancel is the workflow’s cancel signal, by support, and is logged', async () => {
    const fax = await insert({ status: 'awaiting_payment' });
    const token = await formToken(agent, `/en/support/faxes/${fax.id}`);
    await agent.post(`/en/support/faxes/${fax.id}/cancel`).type('form').send({ _csrf: token, reason: 'Sender asked by phone' });
    expect(h.workflows.cancels).toContain(fax.id);
    const [row] = await h.t.db.getRepository(SupportActionRow).find({ where: { faxId: fax.id } });
    expect(row).toMatchObject({ kind: 'cancel', outcome: 'accepted', actor: 'alice' });
  });

  test('an unknown fax is a 404 in the support pages’ own layout', async () => {
    const res = await agent.get(`/en/support/faxes/${randomUUID()}`).set('Accept', 'text/html');
    expect(res.status).toBe(404);
    expect(res.text).toContain('There is no fax with this id.');
    expect(res.text).toContain('Signed in as');
  });
});
