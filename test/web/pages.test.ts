import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PostgresDocumentStore } from '../../src/db/document-store';
import { Fax } from '../../src/db/entities/fax';
import { FaxAttempt } from '../../src/db/entities/fax-attempt';
import { LOCALES } from '../../src/domain/status';
import type Koa from 'koa';
import request from 'supertest';
import Router from '@koa/router';
import { createLogger } from '../../src/log';
import { createApp, createAppFrame } from '../../src/web/app';
import { Assets } from '../../src/web/assets';
import { PageRenderer } from '../../src/web/pages/render';
import { makePdf } from '../helpers/sender';
import { createWebHarness, type WebHarness } from './harness';

let h: WebHarness;
let pdf: Buffer;

beforeAll(async () => {
  h = await createWebHarness({ RATE_LIMITS: 'cancel=3/1h,numberCheck=1000/1m' });
  pdf = await makePdf(2);
});
afterAll(async () => {
  await h.close();
});

/** The cookie pair (`name=value`) a response sets, by name. */
function cookie(res: { headers: Record<string, unknown> }, name: string): string | undefined {
  const set = (res.headers['set-cookie'] as string[] | undefined) ?? [];
  return set.find((c) => c.startsWith(`${name}=`));
}

/** A browser's visit: its cookies and the CSRF token of the form on the page it loaded. */
async function visit(path: string, lang = 'en'): Promise<{ html: string; cookies: string; csrf: string }> {
  const res = await h.api().get(path).set('Accept', 'text/html').set('Accept-Language', lang);
  const set = (res.headers['set-cookie'] as unknown as string[] | undefined) ?? [];
  const csrf = /name="_csrf" value="([^"]+)"/.exec(res.text)?.[1] ?? '';
  return { html: res.text, cookies: set.map((c) => c.split(';')[0]).join('; '), csrf };
}

describe('every page, in every language', () => {
  const pages = ['/', '/prices', '/faq', '/terms', '/privacy', '/imprint'];
  test.each(LOCALES.flatMap((l) => pages.map((p) => [l, p] as const)))('/%s%s renders in its language without a missing text', async (locale, page) => {
    const res = await h.api().get(`/${locale}${page}`).set('Accept', 'text/html');
    expect(res.status).toBe(200);
    expect(res.text).toContain(`<html lang="${locale}">`);
    // A message key that is not translated would show as itself.
    expect(res.text).not.toMatch(/\b(page|reason|status|error)\.[a-z_]+\.[a-z_.]+/);
    // Links to the same page in the other languages, for the language switch.
    for (const other of LOCALES.filter((l) => l !== locale)) expect(res.text).toContain(`href="/${other}${page}"`);
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers['content-security-policy']).not.toContain('unsafe-inline');
    expect(res.headers['x-frame-options']).toBe('DENY');
  });

  test('the imprint and the help pages quote the configuration, not fixed text', async () => {
    const imprint = await h.api().get('/de/imprint');
    expect(imprint.text).toContain(h.config.operator.name);
    expect(imprint.text).toContain(h.config.operator.email);
    const faq = await h.api().get('/en/faq');
    expect(faq.text).toContain('7 days after the fax ends');
    expect(faq.text).toContain(`To ${h.config.allowedCountries.length} countries`);
  });

  test('the prices page lists every country served, each with the rate of the one price table', async () => {
    const res = await h.api().get('/fr/prices');
    for (const code of h.config.allowedCountries) expect(res.text).toContain(`data-country="${code}"`);
    // Germany at the default rate, the United States at its own (0.99 + 0.59).
    expect(res.text).toMatch(/data-country="DE">.*?0,99\s€.*?0,79\s€.*?1,78\s€/s);
    expect(res.text).toMatch(/data-country="US">.*?0,99\s€.*?0,59\s€.*?1,58\s€/s);
  });
});

describe('language', () => {
  test('/ goes to the visitor’s language: Accept-Language, then the language picked before', async () => {
    const german = await h.api().get('/').set('Accept-Language', 'de-AT,de;q=0.9,en;q=0.5');
    expect(german.status).toBe(302);
    expect(german.headers.location).toBe('/de/');
    expect((await h.api().get('/prices').set('Accept-Language', 'es, fr;q=0.5')).headers.location).toBe('/fr/prices');
    expect((await h.api().get('/').set('Accept-Language', 'ja')).headers.location).toBe('/en/');
    // Visiting a French page remembers the choice for the unprefixed addresses.
    const visited = await h.api().get('/fr/faq');
    const lang = cookie(visited, 'lang');
    expect(lang).toMatch(/^lang=fr;.*httponly/i);
    expect((await h.api().get('/').set('Accept-Language', 'de').set('Cookie', lang!.split(';')[0])).headers.location).toBe('/fr/');
  });

  test('error pages are in the visitor’s language, and a browser gets a page, not JSON', async () => {
    const res = await h.api().get('/de/nirgendwo').set('Accept', 'text/html');
    expect(res.status).toBe(404);
    expect(res.type).toBe('text/html');
    expect(res.text).toContain('Seite nicht gefunden');
    expect(res.text).toContain('Diese Seite gibt es nicht.');
    expect(res.text).not.toMatch(/at .*\.ts:\d+/);
    const json = await h.api().get('/de/nirgendwo');
    expect(json.body.error.code).toBe('not_found');
  });
});

describe('a failure on our side', () => {
  test('is a 500 page in the visitor’s language that reveals nothing internal, and is logged', async () => {
    const logged: string[] = [];
    const log = createLogger('web', 'error', (line) => logged.push(line));
    const renderer = new PageRenderer({ sandbox: true, operator: h.config.operator, assets: new Assets(), secureCookies: false });
    const app = createAppFrame(log, { errorPage: (ctx, answer) => renderer.renderError(ctx, answer) });
    const router = new Router();
    router.get('/de/broken', () => {
      throw new Error('connection to 10.0.0.7 refused by secret-host');
    });
    app.use(router.routes());
    const res = await request(app.callback()).get('/de/broken').set('Accept', 'text/html');
    expect(res.status).toBe(500);
    expect(res.text).toContain('Etwas ist schiefgegangen');
    expect(res.text).toContain('Es wurde nichts belastet');
    expect(res.text).not.toContain('secret-host');
    expect(res.text).not.toMatch(/at .*\.ts:\d+/);
    expect(logged.join('\n')).toContain('secret-host');
  });
});

describe('the private link', () => {
  test('the token is exchanged for an HttpOnly, SameSite=Lax cookie for that fax and left out of the address', async () => {
    const { fax, token } = await h.insertFax({ status: 'converting' });
    const res = await h.api().get(`/en/faxes/${fax.id}?t=${token}`).set('Accept', 'text/html');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`/en/faxes/${fax.id}`);
    expect(res.headers['cache-control']).toBe('no-store');
    const set = cookie(res, `fax_${fax.id}`);
    expect(set).toContain(`fax_${fax.id}=${token}`);
    expect(set).toMatch(/httponly/i);
    expect(set).toMatch(/samesite=lax/i);
    // Sandbox mode runs on plain http; outside it the cookie is Secure (next test).
    expect(set).not.toMatch(/secure/i);

    const page = await h.api().get(`/en/faxes/${fax.id}`).set('Cookie', set!.split(';')[0]).set('Accept', 'text/html');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Preparing your document');
    expect(page.text).not.toContain(token);
  });

  test('a wrong token, another fax’s cookie or none at all is the same 404', async () => {
    const { fax } = await h.insertFax();
    const other = await h.insertFax();
    expect((await h.api().get(`/en/faxes/${fax.id}?t=wrong`).set('Accept', 'text/html')).status).toBe(404);
    expect((await h.api().get(`/en/faxes/${fax.id}`).set('Accept', 'text/html')).status).toBe(404);
    const res = await h.api().get(`/en/faxes/${fax.id}`).set('Cookie', `fax_${fax.id}=${other.token}`).set('Accept', 'text/html');
    expect(res.status).toBe(404);
    expect(res.text).toContain('We could not find this fax');
  });

  test('outside sandbox mode the cookie is Secure', async () => {
    const live = await createWebHarness({
      DURAFAX_SANDBOX: '0',
      APP_SECRET: 'x'.repeat(40),
      STRIPE_SECRET_KEY: 'sk_test_x',
      STRIPE_WEBHOOK_SECRET: 'whsec_x',
      TELNYX_API_KEY: 'k',
      TELNYX_CONNECTION_ID: 'c',
      FAX_FROM_NUMBER: '+4930123456',
      PUBLIC_BASE_URL: 'https://fax.example.org',
      OPERATOR_NAME: 'Example',
      OPERATOR_ADDRESS: 'Street 1',
      OPERATOR_EMAIL: 'a@example.org',
    });
    try {
      const { fax, token } = await live.insertFax();
      const res = await live.api().get(`/en/faxes/${fax.id}?t=${token}`);
      expect(cookie(res, `fax_${fax.id}`)).toMatch(/;\s*secure/i);
      expect(res.headers['strict-transport-security']).toContain('max-age=');
    } finally {
      await live.close();
    }
  });
});

describe('forms are protected against forgery', () => {
  test('a cancel without the form’s token, or with another browser’s, is refused in the visitor’s language', async () => {
    const { fax, token } = await h.insertFax({ status: 'awaiting_payment', pages: 2, priceAmount: 257, currency: 'eur' });
    const faxCookie = `fax_${fax.id}=${token}`;
    const none = await h.api().post(`/de/faxes/${fax.id}/cancel`).set('Cookie', faxCookie).set('Accept', 'text/html').type('form').send({});
    expect(none.status).toBe(403);
    expect(none.text).toContain('Dieses Formular ist abgelaufen');

    const mine = await visit('/de/');
    const theirs = await visit('/de/');
    const forged = await h.api().post(`/de/faxes/${fax.id}/cancel`).set('Cookie', `${faxCookie}; ${mine.cookies}`).type('form').send({ _csrf: theirs.csrf });
    expect(forged.status).toBe(403);
    expect(h.workflows.cancels).not.toContain(fax.id);

    const ok = await h.api().post(`/de/faxes/${fax.id}/cancel`).set('Cookie', `${faxCookie}; ${mine.cookies}`).type('form').send({ _csrf: mine.csrf });
    expect(ok.status).toBe(303);
    expect(ok.headers.location).toBe(`/de/faxes/${fax.id}?note=cancel_accepted`);
    expect(h.workflows.cancels).toContain(fax.id);
  });

  test('an upload without the token is refused before anything is stored', async () => {
    const before = await h.t.db.getRepository(Fax).count();
    const res = await h.api().post('/en/faxes').set('Accept', 'text/html').field('to', '+49 30 1234567').attach('document', pdf, 'letter.pdf');
    expect(res.status).toBe(403);
    expect(await h.t.db.getRepository(Fax).count()).toBe(before);
  });

  test('the API takes the fax cookie for reading only: a cancel through it needs the bearer token', async () => {
    const { fax, token } = await h.insertFax({ status: 'awaiting_payment' });
    expect((await h.api().get(`/api/faxes/${fax.id}`).set('Cookie', `fax_${fax.id}=${token}`)).status).toBe(200);
    expect((await h.api().post(`/api/faxes/${fax.id}/cancel`).set('Cookie', `fax_${fax.id}=${token}`)).status).toBe(404);
  });
});

describe('the send form without script', () => {
  test('a bad number comes back beside its field, in the visitor’s language, with what was typed', async () => {
    const form = await visit('/de/');
    const before = await h.t.db.getRepository(Fax).count();
    const res = await h
      .api()
      .post('/de/faxes')
      .set('Cookie', form.cookies)
      .set('Accept', 'text/html')
      .field('_csrf', form.csrf)
      .field('country', 'DE')
      .field('to', '0900 1234567')
      .field('email', 'nicht-gueltig')
      .attach('document', pdf, 'brief.pdf');
    expect(res.status).toBe(422);
    expect(res.text).toContain('Bitte korrigieren Sie diese 2 Angaben');
    expect(res.text).toMatch(/id="f-to-error">An Mehrwertdienst/);
    expect(res.text).toContain('id="f-email-error">Diese E-Mail-Adresse scheint nicht zu stimmen.');
    expect(res.text).toContain('value="0900 1234567"');
    expect(res.text).toMatch(/id="f-to"[^>]*aria-invalid="true"/);
    expect(await h.t.db.getRepository(Fax).count()).toBe(before);
  });

  test('a good upload makes the fax, opens its page by cookie, and takes a national number in the chosen country', async () => {
    const form = await visit('/fr/');
    const res = await h
      .api()
      .post('/fr/faxes')
      .set('Cookie', form.cookies)
      .field('_csrf', form.csrf)
      .field('country', 'FR')
      .field('to', '01 23 45 67 89')
      .field('cover_subject', 'Contrat')
      .attach('document', pdf, 'contrat.pdf');
    expect(res.status).toBe(303);
    const id = /^\/fr\/faxes\/([0-9a-f-]{36})$/.exec(res.headers.location)?.[1];
    expect(id).toBeDefined();
    expect(cookie(res, `fax_${id}`)).toMatch(/httponly/i);
    const fax = await h.t.db.getRepository(Fax).findOneByOrFail({ id });
    expect(fax).toMatchObject({ toNumber: '+33123456789', country: 'FR', locale: 'fr', cover: { subject: 'Contrat' } });
    expect(h.workflows.started).toContain(id);
    expect((await new PostgresDocumentStore(h.t.db).find(id!, 'original'))?.data.equals(pdf)).toBe(true);
  });

  test('the page script’s upload gets JSON: every problem with its field, or where to go', async () => {
    const form = await visit('/en/');
    const bad = await h.api().post('/en/faxes').set('Cookie', form.cookies).set('X-CSRF-Token', form.csrf).set('Accept', 'application/json').field('to', '+1 900 555 0100');
    expect(bad.status).toBe(422);
    const errors = (bad.body as { errors: Array<{ field: string }> }).errors;
    expect(errors.map((e) => e.field).sort()).toEqual(['document', 'to']);
    const good = await h
      .api()
      .post('/en/faxes')
      .set('Cookie', form.cookies)
      .set('X-CSRF-Token', form.csrf)
      .set('Accept', 'application/json')
      .field('to', '+49 30 1234567')
      .attach('document', pdf, 'a.pdf');
    expect(good.status).toBe(201);
    expect(good.body.location).toBe(`/en/faxes/${good.body.id}`);
  });

  test('a file over the limit is stopped while it streams and answered on the form', async () => {
    const small = await createWebHarness({ MAX_UPLOAD_BYTES: '4096' });
    try {
      const form = await (async () => {
        const res = await small.api().get('/de/');
        return {
          cookies: ((res.headers['set-cookie'] as unknown as string[]) ?? []).map((c) => c.split(';')[0]).join('; '),
          csrf: /name="_csrf" value="([^"]+)"/.exec(res.text)![1],
        };
      })();
      const res = await small
        .api()
        .post('/de/faxes')
        .set('Cookie', form.cookies)
        .set('X-CSRF-Token', form.csrf)
        .set('Accept', 'text/html')
        .field('to', '+49 30 1234567')
        .attach('document', Buffer.alloc(200_000, 1), 'big.pdf');
      expect(res.status).toBe(413);
      expect(res.text).toContain('Die Datei ist zu groß. Die Grenze liegt bei 4 KB.');
      expect(res.text).toContain('id="send-form"');
    } finally {
      await small.close();
    }
  });
});

describe('the same form sent twice', () => {
  test('gives one fax: the form carries its own idempotency key', async () => {
    const form = await visit('/en/');
    const key = /name="idempotency_key" value="([0-9a-f-]{36})"/.exec(form.html)?.[1];
    expect(key).toBeDefined();
    const send = () =>
      h.api().post('/en/faxes').set('Cookie', form.cookies).field('_csrf', form.csrf).field('idempotency_key', key!).field('to', '+49 30 7777777').attach('document', pdf, 'a.pdf');
    const before = await h.t.db.getRepository(Fax).count();
    const [first, second] = [await send(), await send()];
    expect(first.status).toBe(303);
    expect(second.status).toBe(303);
    expect(second.headers.location).toBe(first.headers.location);
    expect(await h.t.db.getRepository(Fax).count()).toBe(before + 1);
    // Another form (a new key) is another fax.
    expect((await visit('/en/')).html).not.toContain(key!);
  });
});

describe('rate limits', () => {
  test('payments and cancels also count per destination number, whoever asks', async () => {
    const limited = await createWebHarness({ RATE_LIMITS: 'cancel=100/1h,cancelPerNumber=2/1h' });
    try {
      const a = await limited.insertFax({ status: 'delivered', toNumber: '+49301111111' });
      const b = await limited.insertFax({ status: 'delivered', toNumber: '+49301111111' });
      const c = await limited.insertFax({ status: 'delivered', toNumber: '+49302222222' });
      const cancel = (f: { fax: Fax; token: string }) => limited.api().post(`/api/faxes/${f.fax.id}/cancel`).set('Authorization', `Bearer ${f.token}`);
      expect((await cancel(a)).status).toBe(409);
      expect((await cancel(b)).status).toBe(409);
      expect((await cancel(a)).status).toBe(429);
      expect((await cancel(c)).status).toBe(409);
    } finally {
      await limited.close();
    }
  });

  test('past the limit: 429 with Retry-After and a page in the visitor’s language, counted in PostgreSQL for every web process', async () => {
    const limited = await createWebHarness({ RATE_LIMITS: 'cancel=3/1h' });
    // A second web process on the same database counts against the same limit.
    const other = createApp({ ...limited.deps, changes: limited.changes });
    try {
      const { fax, token } = await limited.insertFax({ status: 'delivered' });
      const res = await limited.api().get('/fr/');
      const cookies = ((res.headers['set-cookie'] as unknown as string[]) ?? []).map((c) => c.split(';')[0]).join('; ');
      const csrf = /name="_csrf" value="([^"]+)"/.exec(res.text)![1];
      const post = (app: Koa) =>
        request(app.callback())
          .post(`/fr/faxes/${fax.id}/cancel`)
          .set('Cookie', `fax_${fax.id}=${token}; ${cookies}`)
          .set('Accept', 'text/html')
          .type('form')
          .send({ _csrf: csrf });
      expect((await post(limited.app)).status).toBe(409);
      expect((await post(other)).status).toBe(409);
      expect((await post(limited.app)).status).toBe(409);
      const refused = await post(other);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(3000);
      expect(refused.text).toContain('Trop de demandes');
      // The API's cancels count against the same limit, and say so in JSON.
      const api = await request(other.callback()).post(`/api/faxes/${fax.id}/cancel`).set('Authorization', `Bearer ${token}`).set('Accept-Language', 'fr');
      expect(api.status).toBe(429);
      expect(api.body.error).toEqual({ code: 'rate_limited', message: expect.stringContaining('Trop de requêtes') });
    } finally {
      await limited.close();
    }
  });
});

describe('the fax page', () => {
  test('the quote shows the pages, the price and how it was computed, and Pay asks the workflow for the checkout', async () => {
    const { fax, token } = await h.insertFax({
      status: 'awaiting_payment',
      pages: 2,
      priceAmount: 257,
      currency: 'eur',
      paymentExpiresAt: new Date(Date.now() + 3_600_000),
      convertedAt: new Date(),
    });
    const store = new PostgresDocumentStore(h.t.db);
    for (const page of [1, 2]) await store.put({ faxId: fax.id, kind: 'thumbnail', page, contentType: 'image/png', data: Buffer.from('png') });
    const page = await h.api().get(`/de/faxes/${fax.id}`).set('Cookie', `fax_${fax.id}=${token}`);
    expect(page.text).toContain('Prüfen und bezahlen');
    expect(page.text).toContain('0,99\u00a0€ pro Fax + 2 × 0,79\u00a0€ pro Seite = 2,57\u00a0€');
    expect(page.text).toContain(`/api/faxes/${fax.id}/pages/2?size=thumb`);
    expect(page.text).toContain('2,57\u00a0€ bezahlen und senden');
    const thumb = await h.api().get(`/api/faxes/${fax.id}/pages/2?size=thumb`).set('Cookie', `fax_${fax.id}=${token}`);
    expect(thumb.status).toBe(200);

    const form = await visit('/de/');
    // No checkout exists until the sender clicks Pay: the workflow opens it then.
    expect(h.workflows.checkouts).not.toContain(fax.id);
    const pay = await h.api().post(`/de/faxes/${fax.id}/pay`).set('Cookie', `fax_${fax.id}=${token}; ${form.cookies}`).type('form').send({ _csrf: form.csrf });
    expect(pay.status).toBe(303);
    expect(pay.headers.location).toBe(h.workflows.offer!.url);
    expect(h.workflows.checkouts).toEqual([fax.id]);

    // A fax the workflow will not take payment for (paid meanwhile, expired…) goes back to its page with a note.
    h.workflows.offer = null;
    try {
      const refused = await h.api().post(`/de/faxes/${fax.id}/pay`).set('Cookie', `fax_${fax.id}=${token}; ${form.cookies}`).type('form').send({ _csrf: form.csrf });
      expect(refused.status).toBe(303);
      expect(refused.headers.location).toBe(`/de/faxes/${fax.id}?note=not_payable`);
    } finally {
      h.workflows.offer = { url: 'http://127.0.0.1:9/c/pay/cs_test_recorded', payBy: new Date(Date.now() + 3_600_000).toISOString() };
    }
  });

  test('a refused document says why and offers a new upload', async () => {
    const { fax, token } = await h.insertFax({ status: 'rejected', failureReason: 'too_many_pages', convertedAt: new Date(), completedAt: new Date() });
    const page = await h.api().get(`/en/faxes/${fax.id}`).set('Cookie', `fax_${fax.id}=${token}`);
    expect(page.text).toContain('We could not use this document');
    expect(page.text).toContain(`The limit is ${h.config.limits.maxPages} pages.`);
    expect(page.text).toContain('Upload another document');
  });

  test('the timeline tells each attempt with the carrier’s reason, and the report comes once the fax has ended', async () => {
    const { fax, token } = await h.insertFax({
      status: 'retrying',
      pages: 2,
      priceAmount: 257,
      currency: 'eur',
      paymentState: 'authorized',
      paidAt: new Date(),
      failureReason: 'busy',
      nextAttemptAt: new Date(Date.now() + 60_000),
    });
    await h.t.db.getRepository(FaxAttempt).insert({ faxId: fax.id, number: 1, status: 'failed', reason: 'busy', retryable: true, pagesSent: 0, completedAt: new Date() });
    const auth = { Cookie: `fax_${fax.id}=${token}` };
    const page = await h.api().get(`/fr/faxes/${fax.id}`).set(auth);
    expect(page.text).toContain('Transmission 1 sur 3');
    expect(page.text).toContain('La ligne était occupée.');
    expect(page.text).toContain('Transmission 2 sur 3');
    expect((await h.api().get(`/fr/faxes/${fax.id}/report.pdf`).set(auth)).status).toBe(404);

    await h.t.db
      .getRepository(Fax)
      .update({ id: fax.id }, { status: 'delivered', paymentState: 'captured', amountCaptured: 257, deliveredAt: new Date(), completedAt: new Date(), settledAt: new Date() });
    const report = await h.api().get(`/fr/faxes/${fax.id}/report.pdf`).set(auth).buffer(true);
    expect(report.status).toBe(200);
    expect(report.headers['content-type']).toBe('application/pdf');
    expect(report.headers['content-disposition']).toContain('attachment');
    expect((report.body as Buffer).subarray(0, 5).toString()).toBe('%PDF-');
  });

  test('a status page hears each change of its fax over server-sent events', async () => {
    const { fax, token } = await h.insertFax({ status: 'awaiting_payment', pages: 1, priceAmount: 178, currency: 'eur' });
    const server = http.createServer(h.app.callback()).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const { port } = server.address() as AddressInfo;
    const events: string[] = [];
    const got = (status: string) => events.some((e) => e.includes(`"status":"${status}"`));
    const req = http.get({ port, host: '127.0.0.1', path: `/en/faxes/${fax.id}/events`, headers: { Cookie: `fax_${fax.id}=${token}` } });
    try {
      const res = await new Promise<http.IncomingMessage>((resolve) => req.once('response', resolve));
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toContain('text/event-stream');
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => events.push(chunk));
      await waitFor(() => got('awaiting_payment'));
      // A write anywhere (here: straight to the table, as an activity would) reaches the page.
      await h.t.db.getRepository(Fax).update({ id: fax.id }, { status: 'queued', paymentState: 'authorized', paidAt: new Date() });
      await waitFor(() => got('queued'));
      await h.t.db.getRepository(FaxAttempt).insert({ faxId: fax.id, number: 1, status: 'sending' });
      await h.t.db.getRepository(Fax).update({ id: fax.id }, { status: 'sending' });
      await waitFor(() => got('sending'));
      expect(events.join('')).toMatch(/event:\s?change/);
    } finally {
      req.destroy();
      server.close();
      server.closeAllConnections();
    }
  });
});

describe('the number check', () => {
  test('answers with the international form or the problem in plain words, by the upload’s rules', async () => {
    const ok = await h.api().get('/api/numbers/check').query({ to: '030 1234567', country: 'DE', locale: 'de' });
    expect(ok.body).toEqual({ ok: true, e164: '+49301234567', international: '+49 30 1234567', country: 'DE', countryName: 'Deutschland' });
    const premium = await h.api().get('/api/numbers/check').query({ to: '+49 900 1234567', locale: 'en' });
    expect(premium.body).toMatchObject({ ok: false, code: 'number_type_not_allowed' });
    const national = await h.api().get('/api/numbers/check').query({ to: '030 1234567' });
    expect(national.body).toMatchObject({ ok: false, code: 'invalid_number' });
    const elsewhere = await h.api().get('/api/numbers/check').query({ to: '+7 495 123 45 67', locale: 'fr' });
    expect(elsewhere.body).toMatchObject({ ok: false, code: 'country_not_served', message: 'Nous ne pouvons pas encore envoyer de fax vers ce pays.' });
  });
});

async function waitFor(pred: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
