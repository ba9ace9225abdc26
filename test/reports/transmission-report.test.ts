import { encodeGreyPng } from '../../src/conversion/raster/png';
import { Fax } from '../../src/db/entities/fax';
import { FaxAttempt } from '../../src/db/entities/fax-attempt';
import type { Locale } from '../../src/domain/status';
import { buildTransmissionReport, type TransmissionReportInput } from '../../src/reports/transmission-report';
import { pdfPages, pdfText } from '../helpers/pdf-text';

const FAX_ID = '3f2b8c1e-8d7a-4c55-9a0e-6b1f2d3c4e5f';
const OPERATOR = { name: 'Beispiel Faxdienste GmbH', address: ['Musterstraße 1', '10115 Berlin'], email: 'hilfe@example.com' };
const at = (iso: string): Date => new Date(iso);

function fax(changes: Partial<Fax> = {}): Fax {
  return Object.assign(new Fax(), {
    id: FAX_ID,
    status: 'delivered',
    toNumber: '+493012345678',
    country: 'DE',
    locale: 'en',
    email: 'sender@example.com',
    cover: null,
    pages: 2,
    priceAmount: 257,
    currency: 'eur',
    paymentState: 'captured',
    amountCaptured: 257,
    amountRefunded: 0,
    attempts: 1,
    failureReason: null,
    createdAt: at('2026-03-02T09:14:05Z'),
    paidAt: at('2026-03-02T09:16:40Z'),
    deliveredAt: at('2026-03-02T09:18:31Z'),
    completedAt: at('2026-03-02T09:18:31Z'),
    purgedAt: null,
    ...changes,
  } satisfies Partial<Fax>);
}

function attempt(number: number, changes: Partial<FaxAttempt> = {}): FaxAttempt {
  return Object.assign(new FaxAttempt(), {
    faxId: FAX_ID,
    number,
    status: 'delivered',
    reason: null,
    pagesSent: 2,
    durationSecs: 83,
    submittedAt: at('2026-03-02T09:17:02Z'),
    completedAt: at('2026-03-02T09:18:31Z'),
    ...changes,
  } satisfies Partial<FaxAttempt>);
}

/** A page-1 thumbnail as the conversion makes it: 216 px wide, 8-bit grey. */
function thumbnail(): Buffer {
  const width = 216;
  const height = 305;
  const pixels = new Uint8Array(width * height).fill(255);
  for (let y = 20; y < 40; y++) pixels.fill(0, y * width + 20, y * width + 196);
  return encodeGreyPng(pixels, width, height);
}

function input(locale: Locale, f: Fax, attempts: FaxAttempt[], firstPageThumbnail: Buffer | null): TransmissionReportInput {
  f.locale = locale;
  return { fax: f, attempts, firstPageThumbnail, locale, operator: OPERATOR };
}

const delivered = (locale: Locale): TransmissionReportInput => input(locale, fax(), [attempt(1)], thumbnail());

const failedAfterRetries = (locale: Locale): TransmissionReportInput =>
  input(
    locale,
    fax({ status: 'failed', failureReason: 'no_answer', paymentState: 'released', amountCaptured: 0, deliveredAt: null, attempts: 3, completedAt: at('2026-03-02T09:40:12Z') }),
    [
      attempt(1, { status: 'failed', reason: 'busy', pagesSent: 0, durationSecs: 12, submittedAt: at('2026-03-02T09:17:02Z'), completedAt: at('2026-03-02T09:17:20Z') }),
      attempt(2, { status: 'failed', reason: 'line_error', pagesSent: 1, durationSecs: 64, submittedAt: at('2026-03-02T09:22:30Z'), completedAt: at('2026-03-02T09:23:41Z') }),
      attempt(3, { status: 'failed', reason: 'no_answer', pagesSent: null, durationSecs: null, submittedAt: at('2026-03-02T09:39:00Z'), completedAt: at('2026-03-02T09:40:12Z') }),
    ],
    thumbnail(),
  );

const purged = (locale: Locale): TransmissionReportInput => input(locale, fax({ purgedAt: at('2026-03-09T09:18:31Z') }), [attempt(1)], null);

describe('a delivered fax', () => {
  test.each([
    ['en', 'Durafax — transmission report', 'Delivered', '+49 30 12345678 (Germany)', '€2.57', 'Document uploaded', '2 / 2', '1 min 23 s', 'Page 1 of 1'],
    ['de', 'Durafax — Sendebericht', 'Zugestellt', '+49 30 12345678 (Deutschland)', '2,57 €', 'Dokument hochgeladen', '2 / 2', '1 Min. 23 Sek.', 'Seite 1 von 1'],
    ['fr', 'Durafax — rapport de transmission', 'Remis', '+49 30 12345678 (Allemagne)', '2,57 €', 'Document déposé', '2 / 2', '1 min 23 s', 'Page 1 sur 1'],
  ] as const)(
    '%s: header, outcome, destination, amount, times, the attempt, the operator, the id, page 1',
    async (locale, header, outcome, destination, amount, uploaded, pagesSent, call, pageOf) => {
      const pdf = await buildTransmissionReport(delivered(locale));
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
      const text = await pdfText(pdf);
      for (const expected of [header, outcome, destination, amount, uploaded, pagesSent, call, pageOf, FAX_ID, OPERATOR.name]) expect(text).toContain(expected);
      expect(text).toContain(locale === 'en' ? '2 Mar 2026, 09:18:31' : locale === 'de' ? '02.03.2026, 09:18:31' : '2 mars 2026, 09:18:31');
      const [page] = await pdfPages(pdf);
      expect(page.images).toBe(1);
    },
  );
});

describe('a fax that failed after retries', () => {
  test.each([
    ['en', 'Not delivered', ['The line was busy.', 'The connection dropped or the line was noisy.', 'The fax machine did not answer.'], 'Not charged: hold released', 'Ended'],
    [
      'de',
      'Nicht zugestellt',
      ['Die Leitung war besetzt.', 'Die Verbindung wurde unterbrochen oder die Leitung war gestört.', 'Das Faxgerät hat nicht geantwortet.'],
      'Nicht belastet: Reservierung freigegeben',
      'Beendet',
    ],
    [
      'fr',
      'Non remis',
      ['La ligne était occupée.', 'La communication a été coupée ou la ligne était perturbée.', 'Le télécopieur n’a pas répondu.'],
      'Non débité : autorisation libérée',
      'Terminé',
    ],
  ] as const)('%s: every attempt with its reason in plain words, the outcome, nothing charged', async (locale, outcome, reasons, amount, ended) => {
    const text = await pdfText(await buildTransmissionReport(failedAfterRetries(locale)));
    for (const expected of [outcome, ...reasons, amount, ended]) expect(text).toContain(expected);
    expect(text).toContain('0 / 2');
    expect(text).toContain('1 / 2');
    expect(text).not.toContain('2 / 2');
    // The attempts in order.
    const positions = reasons.map((r) => text.indexOf(r, text.indexOf(reasons[0])));
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
  });

  test('a refunded early capture says so, with the amount', async () => {
    const report = failedAfterRetries('en');
    Object.assign(report.fax, { paymentState: 'refunded', amountCaptured: 257, amountRefunded: 257 });
    expect(await pdfText(await buildTransmissionReport(report))).toContain('Not charged: €2.57 refunded');
  });
});

describe('a fax whose documents were purged', () => {
  test.each([
    ['en', 'The documents were deleted on 9 Mar 2026, 09:18:31'],
    ['de', 'Die Dokumente wurden am 09.03.2026, 09:18:31'],
    ['fr', 'Les documents ont été supprimés le 9 mars 2026, 09:18:31'],
  ] as const)('%s: no picture, a note saying when the documents went', async (locale, note) => {
    const pdf = await buildTransmissionReport(purged(locale));
    expect(await pdfText(pdf)).toContain(note);
    expect((await pdfPages(pdf))[0].images).toBe(0);
  });
});

test('characters the standard fonts lack are replaced; accents of German and French stay', async () => {
  const report = delivered('de');
  report.fax.cover = { recipientName: 'Jürgen Weiß & Cie — Société', subject: 'Σύμβαση 2026 🚀 Łódź' };
  const text = await pdfText(await buildTransmissionReport(report));
  expect(text).toContain('Jürgen Weiß & Cie — Société');
  expect(text).toContain('??????? 2026 ? ?ódz');
});

test('many attempts continue on a second page under the same header band and footer', async () => {
  const report = failedAfterRetries('en');
  report.attempts = Array.from({ length: 40 }, (_, i) => attempt(i + 1, { status: 'failed', reason: 'busy' }));
  const pages = await pdfPages(await buildTransmissionReport(report));
  expect(pages.length).toBeGreaterThan(1);
  for (const [i, page] of pages.entries()) {
    expect(page.text).toContain('Durafax — transmission report');
    expect(page.text).toContain(`Page ${i + 1} of ${pages.length}`);
  }
  expect(pages.map((p) => p.text).join('')).toContain('40');
});
