import { ApplicationFailure } from '@temporalio/common';
import type { DocumentStore } from '../db/document-store';
import { formatForDisplay } from '../domain/phone';
import { paperFor, priceFor, type PriceTable } from '../domain/pricing';
import { ConversionError, type ConversionOptions, type ConversionResult } from '../conversion/types';
import type { Faxes } from '../db/faxes';
import type { Quote } from '../workflows/contract';
import { whileBeating } from './heartbeats';

export type Converter = (input: Buffer, options: ConversionOptions) => Promise<ConversionResult>;

export interface ConversionStepDeps {
  records: Faxes;
  store: DocumentStore;
  convert: Converter;
  prices: PriceTable;
  maxPages: number;
  maxUploadBytes: number;
}

/** Stores what the conversion made: the transmitted PDF, the TIFF-F, and each page's preview and thumbnail. */
export async function storePages(store: DocumentStore, faxId: string, result: ConversionResult): Promise<void> {
  await store.put({ faxId, kind: 'fax_pdf', contentType: 'application/pdf', data: result.pdf });
  await store.put({ faxId, kind: 'fax_tiff', contentType: 'image/tiff', data: result.tiff });
  for (const [i, page] of result.pageImages.entries()) {
    await store.put({ faxId, kind: 'preview', page: i + 1, contentType: 'image/png', data: page.preview });
    await store.put({ faxId, kind: 'thumbnail', page: i + 1, contentType: 'image/png', data: page.thumbnail });
  }
}

export function createConversionStep({ records, store, convert, prices, maxPages, maxUploadBytes }: ConversionStepDeps) {
  async function convertAndPrice(faxId: string): Promise<Quote> {
    const fax = await records.get(faxId);
    const original = await store.find(faxId, 'original');
    if (!original) throw new Error(`fax ${faxId} has no stored upload`);
    const paper = fax.paper ?? paperFor(fax.country);
    let result: ConversionResult;
    try {
      result = await convert(original.data, {
        paper,
        cover: fax.cover ? { ...fax.cover, recipientNumber: formatForDisplay(fax.toNumber), locale: fax.locale } : undefined,
        limits: { maxPages, maxBytes: maxUploadBytes },
      });
    } catch (err) {
      if (err instanceof ConversionError) {
        await records.update(faxId, { failureDetail: err.message, convertedAt: new Date() });
        throw ApplicationFailure.create({ type: err.reason, message: err.message, details: [err.params], nonRetryable: true });
      }
      throw err;
    }
    await storePages(store, faxId, result);
    const { amount, currency } = priceFor(fax.country, result.pages, prices);
    await records.update(faxId, {
      pages: result.pages,
      paper: result.paper,
      warnings: result.warnings.map((w) => (w.page ? `${w.code}:${w.page}` : w.code)),
      priceAmount: amount,
      currency,
      convertedAt: new Date(),
    });
    return { pages: result.pages, amount, currency };
  }

  return {
    /**
     * Turns the upload into fax pages, stores the transmitted PDF, the TIFF-F and the
     * previews, and prices the fax. A document that cannot be faxed fails with its reason
     * code, not retried.
     */
    async convertDocument(faxId: string): Promise<Quote> {
      return whileBeating(() => convertAndPrice(faxId));
    },
  };
}
