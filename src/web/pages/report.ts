import type Koa from 'koa';
import type { Operator } from '../../config/config';
import type { DocumentStore } from '../../db/document-store';
import type { Faxes } from '../../db/faxes';
import { HttpProblem } from '../errors';
import { localeOf } from '../middleware/locale';
import { currentFax } from '../middleware/require-fax';

export interface ReportDeps {
  faxes: Faxes;
  store: DocumentStore;
  operator: Operator;
}

/**
 * GET /{lang}/faxes/:id/report.pdf: the transmission report of a paid fax that has ended,
 * in the page's language, with page 1's thumbnail while the documents are retained.
 */
export function reportDownload(deps: ReportDeps): Koa.Middleware {
  return async (ctx) => {
    const fax = currentFax(ctx);
    if (!['delivered', 'failed', 'cancelled', 'expired'].includes(fax.status) || !fax.paidAt) throw new HttpProblem(404, 'not_found');
    const thumbnail = fax.purgedAt ? null : await deps.store.find(fax.id, 'thumbnail', 1);
    // pdf-lib only for the few who download a report: loaded by the first, not resident in every web process.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { buildTransmissionReport } = require('../../reports/transmission-report') as typeof import('../../reports/transmission-report');
    const pdf = await buildTransmissionReport({
      fax,
      attempts: await deps.faxes.attempts(fax.id),
      firstPageThumbnail: thumbnail?.data ?? null,
      locale: localeOf(ctx),
      operator: deps.operator,
    });
    ctx.set('Cache-Control', 'private, no-store');
    ctx.attachment(`durafax-report-${fax.id.slice(0, 8)}.pdf`);
    ctx.type = 'application/pdf';
    ctx.body = pdf;
  };
}
