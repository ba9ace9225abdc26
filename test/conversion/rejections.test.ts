import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConversionError } from '../../src/conversion';
import { hasMessage } from '../../src/i18n';
import { A4, bombPng, elf, encryptedOffice, encryptedPdf, imageFile, pdf, pdfWithHugeImage, textPdf, tiff, zip, docx } from './helpers/corpus';
import { convert } from './helpers/convert';

/** The ConversionError a conversion fails with (the test fails if it succeeds or throws anything else). */
async function rejection(promise: Promise<unknown>): Promise<ConversionError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ConversionError) return err;
    throw err;
  }
  throw new Error('the document was accepted');
}

// Conversions in this file use a temporary folder of their own, so leftovers can be seen.
const savedTmp = process.env.TMPDIR;
let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'durafax-rejections-'));
  process.env.TMPDIR = tmp;
});
afterAll(() => {
  process.env.TMPDIR = savedTmp;
  fs.rmSync(tmp, { recursive: true, force: true });
});
afterEach(() => {
  expect(fs.readdirSync(tmp)).toEqual([]);
});

describe('documents that cannot be faxed are refused with a reason', () => {
  test('a renamed executable: unsupported_format', async () => {
    const err = await rejection(convert(elf()));
    expect(err.reason).toBe('unsupported_format');
    expect(hasMessage(`reason.${err.reason}`)).toBe(true);
  });

  test('a ZIP that is no office document: unsupported_format', async () => {
    expect((await rejection(convert(zip([['data.csv', 'a,b,c\n']])))).reason).toBe('unsupported_format');
  });

  test('random binary data: unsupported_format', async () => {
    const noise = Buffer.alloc(10000);
    for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24;
    expect((await rejection(convert(noise))).reason).toBe('unsupported_format');
  });

  test('larger than the limit: file_too_large, with the limit in the message parameters', async () => {
    const err = await rejection(convert(await textPdf(1), { limits: { maxBytes: 100 } }));
    expect(err.reason).toBe('file_too_large');
    expect(err.params.limit).toBe('1 KB');
  });

  test('a 200-page PDF: too_many_pages, quickly', async () => {
    const started = Date.now();
    const err = await rejection(convert(await textPdf(200)));
    expect(err.reason).toBe('too_many_pages');
    expect(err.params).toEqual({ pages: 200, limit: 50 });
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  test('a cover page counts towards the page limit', async () => {
    const err = await rejection(convert(await textPdf(3), { limits: { maxPages: 3 }, cover: { locale: 'en', subject: 'x' } }));
    expect(err.params).toEqual({ pages: 4, limit: 3 });
  });

  test('a TIFF with more pages than allowed: too_many_pages', async () => {
    const err = await rejection(
      convert(
        tiff([
          { width: 20, height: 20 },
          { width: 20, height: 20 },
          { width: 20, height: 20 },
        ]),
        { limits: { maxPages: 2 } },
      ),
    );
    expect(err.reason).toBe('too_many_pages');
  });

  test('a PNG declaring 100000 × 100000 pixels: page_too_large, before decoding', async () => {
    const started = Date.now();
    const err = await rejection(convert(bombPng()));
    expect(err.reason).toBe('page_too_large');
    expect(err.params).toEqual({ width: 100000, height: 100000 });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  test('a PDF embedding an enormous image: page_too_large', async () => {
    expect((await rejection(convert(await pdfWithHugeImage()))).reason).toBe('page_too_large');
  });

  test('an encrypted PDF: encrypted_document', async () => {
    expect((await rejection(convert(await encryptedPdf()))).reason).toBe('encrypted_document');
  });

  test('a password-protected Office file: encrypted_document', async () => {
    expect((await rejection(convert(encryptedOffice()))).reason).toBe('encrypted_document');
  });

  test('a truncated PDF: corrupt_document', async () => {
    const whole = await textPdf(3);
    expect((await rejection(convert(whole.subarray(0, Math.floor(whole.length * 0.6))))).reason).toBe('corrupt_document');
  });

  test.each([
    ['png', () => imageFile('png', 300, 400)],
    ['jpeg', () => imageFile('jpeg', 300, 400)],
    ['docx', () => docx(['Hello'])],
  ])('a truncated %s: corrupt_document', async (_type, make) => {
    const whole = make();
    expect((await rejection(convert(whole.subarray(0, Math.floor(whole.length * 0.7))))).reason).toBe('corrupt_document');
  });

  test.each([
    ['an empty file', async () => Buffer.alloc(0)],
    ['text with only white space', async () => Buffer.from(' \n\t\n\f  \r\n')],
    ['a PDF without pages', async () => pdf([])],
    [
      'a PDF of blank pages',
      async () =>
        pdf([
          { size: A4, blank: true },
          { size: A4, blank: true },
        ]),
    ],
  ])('%s: empty_document', async (_name, make) => {
    expect((await rejection(convert(await make()))).reason).toBe('empty_document');
  });

  test('an office document where LibreOffice is not available: needs_libreoffice', async () => {
    expect((await rejection(convert(docx(['Hello']), { libreOffice: false }))).reason).toBe('needs_libreoffice');
  });

  test('over the time budget: conversion_timeout, and the child is gone', async () => {
    const err = await rejection(convert(await textPdf(20), { limits: { timeoutMs: 150 } }));
    expect(err.reason).toBe('conversion_timeout');
  });

  test('over the memory budget: conversion_out_of_memory', async () => {
    // A 40-megapixel picture needs far more than 150 MiB once decoded.
    const big = imageFile('png', 8000, 5000);
    const err = await rejection(convert(big, { limits: { memoryMb: 150 } }));
    expect(err.reason).toBe('conversion_out_of_memory');
  });

  test('every conversion reason has a translated message in every language', () => {
    for (const reason of [
      'unsupported_format',
      'needs_libreoffice',
      'file_too_large',
      'too_many_pages',
      'page_too_large',
      'encrypted_document',
      'corrupt_document',
      'empty_document',
      'conversion_timeout',
      'conversion_out_of_memory',
    ]) {
      expect(hasMessage(`reason.${reason}`)).toBe(true);
    }
  });
});
