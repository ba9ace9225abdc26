import { randomBytes } from 'node:crypto';
import { PDFDocument } from 'pdf-lib';
import { makePdf } from '../helpers/carrier';
import { applicationFailure, insertFax, readFax, run, startHarness, type Harness } from './harness';

// The real converter (src/conversion): each conversion runs in a child process (MuPDF, G4 encoder).
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.stop();
});

async function faxWithUpload(upload: Buffer, overrides: Parameters<typeof insertFax>[1] = {}): Promise<string> {
  const fax = await insertFax(h.db, overrides);
  await h.store.put({ faxId: fax.id, kind: 'original', contentType: 'application/octet-stream', data: upload });
  return fax.id;
}

function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

test('stores the fax PDF, the TIFF-F, a preview and a thumbnail per page, and prices the fax; twice is harmless', async () => {
  const faxId = await faxWithUpload(await makePdf(2));
  const quote = await run(h.activities.convertDocument, faxId);
  expect(quote).toEqual({ pages: 2, amount: 99 + 2 * 79, currency: 'eur' });

  const fax = await readFax(h.db, faxId);
  expect(fax).toMatchObject({ pages: 2, paper: 'a4', priceAmount: 257, currency: 'eur', warnings: [], failureDetail: null });

  const files = await h.store.list(faxId);
  expect(files.map((d) => `${d.kind}:${d.page}`).sort()).toEqual(['fax_pdf:0', 'fax_tiff:0', 'original:0', 'preview:1', 'preview:2', 'thumbnail:1', 'thumbnail:2']);

  const pdf = (await h.store.find(faxId, 'fax_pdf'))!;
  expect(pdf.contentType).toBe('application/pdf');
  expect((await PDFDocument.load(pdf.data)).getPageCount()).toBe(2);
  const tiff = (await h.store.find(faxId, 'fax_tiff'))!;
  expect(tiff.contentType).toBe('image/tiff');
  expect(tiff.data.subarray(0, 4).toString('latin1')).toMatch(/^(II\*\0|MM\0\*)$/);
  for (const page of [1, 2]) {
    const preview = (await h.store.find(faxId, 'preview', page))!;
    const thumbnail = (await h.store.find(faxId, 'thumbnail', page))!;
    expect(pngSize(preview.data).width).toBe(1728);
    expect(pngSize(thumbnail.data).width).toBeLessThan(1728);
  }

  // A retry after a crash converts again and overwrites in place: same quote, same rows.
  expect(await run(h.activities.convertDocument, faxId)).toEqual(quote);
  const again = await h.store.list(faxId);
  expect(again.map((d) => [d.id, d.kind, d.page, d.sha256])).toEqual(files.map((d) => [d.id, d.kind, d.page, d.sha256]));
  expect(await readFax(h.db, faxId)).toMatchObject({ pages: 2, priceAmount: 257 });
});

test('a cover page counts as a page, and a US fax is fitted to Letter', async () => {
  const faxId = await faxWithUpload(await makePdf(2), {
    toNumber: '+12025550143',
    country: 'US',
    cover: { senderName: 'A. Sender', subject: 'Contract' },
  });
  const quote = await run(h.activities.convertDocument, faxId);
  // The US rate of the price table: 0.99 + 0.59 per page.
  expect(quote).toEqual({ pages: 3, amount: 99 + 3 * 59, currency: 'eur' });
  expect(await readFax(h.db, faxId)).toMatchObject({ pages: 3, paper: 'letter', priceAmount: 276 });
  expect(await h.store.find(faxId, 'preview', 3)).not.toBeNull();
});

test('a document that cannot be faxed fails with its reason, not retried, and the fax row says why', async () => {
  const faxId = await faxWithUpload(randomBytes(4096));
  const failure = await applicationFailure(run(h.activities.convertDocument, faxId));
  expect(failure.type).toBe('unsupported_format');
  expect(failure.nonRetryable).toBe(true);
  const fax = await readFax(h.db, faxId);
  expect(fax.failureDetail).toBe(failure.message);
  expect(fax.failureDetail).not.toBe('');
  expect(fax).toMatchObject({ pages: null, priceAmount: null });
  expect(await h.store.find(faxId, 'fax_pdf')).toBeNull();
});

test('more pages than allowed is too_many_pages, with the numbers for the message', async () => {
  const faxId = await faxWithUpload(await makePdf(11));
  const failure = await applicationFailure(run(h.activities.convertDocument, faxId));
  expect(failure).toMatchObject({ type: 'too_many_pages', nonRetryable: true });
  expect(JSON.stringify(failure.details)).toContain('10');
  expect((await readFax(h.db, faxId)).failureDetail).toBe(failure.message);
});

test('a fax without a stored upload is a fault to retry, not a business failure', async () => {
  const fax = await insertFax(h.db);
  const err: unknown = await run(h.activities.convertDocument, fax.id).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  expect((err as Error).message).toMatch(/no stored upload/);
  expect((err as { nonRetryable?: boolean }).nonRetryable).not.toBe(true);
});
