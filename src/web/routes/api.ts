import { createHash, randomUUID } from 'node:crypto';
import Router from '@koa/router';
import type Koa from 'koa';
import type { DataSource } from 'typeorm';
import type { Config } from '../../config/config';
import type { DocumentStore } from '../../db/document-store';
import { Fax, type CoverSheet } from '../../db/entities/fax';
import { FaxAttempt } from '../../db/entities/fax-attempt';
import { validateFaxNumber } from '../../domain/phone';
import { FINAL_FAX_STATUSES, PAPER_SIZES, isLocale, type Locale, type PaperSize } from '../../domain/status';
import { negotiateLocale } from '../../i18n';
import type { Logger } from '../../log';
import { faxWorkflowId } from '../../workflows/contract';
import { bearerToken, hashToken, newAccessToken, sealToken, tokenMatches, unsealToken } from '../access-token';
import { HttpProblem } from '../errors';
import type { FaxWorkflows } from '../fax-workflows';
import { faxView } from '../fax-view';
import { readMultipart } from '../multipart';
import { formatBytes } from '../../conversion/limits';

export interface ApiDeps {
  db: DataSource;
  store: DocumentStore;
  workflows: FaxWorkflows;
  config: Pick<Config, 'allowedCountries' | 'appSecret' | 'limits'>;
  log: Logger;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,190}\.[^\s@]{2,}$/;
const COVER_FIELDS: Record<string, { key: keyof CoverSheet; max: number }> = {
  cover_sender: { key: 'senderName', max: 200 },
  cover_recipient: { key: 'recipientName', max: 200 },
  cover_subject: { key: 'subject', max: 300 },
  cover_message: { key: 'message', max: 3000 },
};

interface CreatedBody {
  id: string;
  status: string;
  token: string;
  links: { self: string; status: string; cancel: string };
}

function createdBody(fax: Pick<Fax, 'id' | 'status'>, token: string): CreatedBody {
  return {
    id: fax.id,
    status: fax.status,
    token,
    links: { self: `/api/faxes/${fax.id}`, status: `/faxes/${fax.id}?t=${token}`, cancel: `/api/faxes/${fax.id}/cancel` },
  };
}

/** The JSON API: create a fax, read it, cancel it, and see its pages. */
export function createApiRoutes(deps: ApiDeps): Router {
  const { db, store, workflows, config, log } = deps;
  const router = new Router({ prefix: '/api' });

  /**
   * Sets the request's language early so errors are answered in it: an explicit choice,
   * then the Accept-Language header, then the fax's own language, then English.
   */
  const localeOf = (ctx: Koa.Context, explicit?: unknown, fallback?: Locale): Locale => {
    const chosen = explicit ?? ctx.query.locale;
    const locale =
      isLocale(chosen) || ctx.get('Accept-Language') || !fallback ? negotiateLocale(chosen, ctx.get('Accept-Language')) : fallback;
    (ctx.state as { locale?: Locale }).locale = locale;
    return locale;
  };

  /** The fax the bearer token opens; 404 for a wrong id or token alike, so nothing leaks. */
  const authorized = async (ctx: Koa.Context): Promise<Fax> => {
    const id = (ctx.params as { id: string }).id;
    const token = bearerToken(ctx.get('Authorization'));
    const fax = UUID.test(id) ? await db.getRepository(Fax).findOneBy({ id }) : null;
    if (!fax || !tokenMatches(token, fax.tokenHash)) throw new HttpProblem(404, 'not_found');
    return fax;
  };

  router.post('/faxes', async (ctx) => {
    localeOf(ctx);
    const idempotencyKey = ctx.get('Idempotency-Key').trim() || null;
    if (idempotencyKey && idempotencyKey.length > 255) throw new HttpProblem(400, 'invalid_request', { detail: 'Idempotency-Key' });
    if (!ctx.is('multipart/form-data')) throw new HttpProblem(415, 'invalid_request', { detail: 'multipart/form-data' });
    const declared = Number(ctx.get('Content-Length') || 0);
    if (declared > config.limits.maxUploadBytes + 64 * 1024) {
      throw new HttpProblem(413, 'upload_too_large', { limit: formatBytes(config.limits.maxUploadBytes) }, { Connection: 'close' });
    }
    const { fields, files } = await readMultipart(ctx.req, {
      fileBytes: config.limits.maxUploadBytes,
      files: 1,
      fields: 12,
      fieldBytes: 4096,
    });
    const locale = localeOf(ctx, isLocale(fields.locale) ? fields.locale : undefined);

    const document = files.find((f) => f.field === 'document');
    if (!document || files.length !== 1) throw new HttpProblem(400, 'missing_document');
    if (document.data.length === 0) throw new HttpProblem(422, 'empty_document');

    const number = validateFaxNumber(fields.to ?? '', config.allowedCountries);
    if (!number.ok) throw new HttpProblem(number.reason === 'missing_number' ? 400 : 422, number.reason);

    const email = fields.email?.trim() || null;
    if (email && (email.length > 254 || !EMAIL.test(email))) throw new HttpProblem(422, 'invalid_email');

    let paper: PaperSize | null = null;
    if (fields.paper) {
      if (!(PAPER_SIZES as readonly string[]).includes(fields.paper)) throw new HttpProblem(422, 'invalid_request', { detail: 'paper: a4 | letter' });
      paper = fields.paper as PaperSize;
    }

    const cover: CoverSheet = {};
    for (const [field, { key, max }] of Object.entries(COVER_FIELDS)) {
      const value = fields[field]?.trim();
      if (!value) continue;
      if (value.length > max) throw new HttpProblem(422, 'invalid_request', { detail: `${field} ≤ ${max}` });
      cover[key] = value;
    }
    const hasCover = Object.keys(cover).length > 0;

    const digest = createHash('sha256')
      .update(JSON.stringify([number.e164, email, locale, paper, cover]))
      .update(createHash('sha256').update(document.data).digest())
      .digest('hex');

    if (idempotencyKey) {
      const previous = await db.getRepository(Fax).findOne({
        where: { idempotencyKey },
        select: ['id', 'status', 'requestDigest', 'tokenSealed', 'country'],
      });
      if (previous) {
        if (previous.requestDigest !== digest) throw new HttpProblem(409, 'idempotency_conflict');
        const token = previous.tokenSealed ? unsealToken(previous.tokenSealed, config.appSecret) : null;
        if (!token) throw new HttpProblem(409, 'idempotency_conflict');
        // The first request may have died between storing and starting: starting again is safe.
        await workflows.start(previous.id, { country: previous.country });
        ctx.status = 200;
        ctx.set('Idempotent-Replayed', 'true');
        ctx.body = createdBody(previous, token);
        return;
      }
    }

    const id = randomUUID();
    const token = newAccessToken();
    const fax: Partial<Fax> = {
      id,
      tokenHash: hashToken(token),
      tokenSealed: idempotencyKey ? sealToken(token, config.appSecret) : null,
      status: 'converting',
      toNumber: number.e164,
      country: number.country,
      locale,
      email,
      cover: hasCover ? cover : null,
      paper,
      idempotencyKey,
      requestDigest: idempotencyKey ? digest : null,
      workflowId: faxWorkflowId(id),
    };
    try {
      await db.getRepository(Fax).insert(fax);
    } catch (err) {
      // Two requests with the same key at once: the other one won.
      if (idempotencyKey && (err as { code?: string }).code === '23505') throw new HttpProblem(409, 'idempotency_conflict');
      throw err;
    }
    try {
      await store.put({ faxId: id, kind: 'original', contentType: 'application/octet-stream', data: document.data });
    } catch (err) {
      await db.getRepository(Fax).delete({ id });
      throw err;
    }
    try {
      await workflows.start(id, { country: number.country });
    } catch (err) {
      // Without a workflow the fax would never move: take it back and say so.
      log.error('could not start the fax workflow', { faxId: id, err });
      await db.getRepository(Fax).delete({ id });
      throw new HttpProblem(503, 'service_unavailable', {}, { 'Retry-After': '5' });
    }
    log.info('fax accepted', { faxId: id, country: number.country, bytes: document.data.length });
    ctx.status = 201;
    ctx.set('Location', `/api/faxes/${id}`);
    ctx.body = createdBody({ id, status: 'converting' }, token);
  });

  router.get('/faxes/:id', async (ctx) => {
    const fax = await authorized(ctx);
    const locale = localeOf(ctx, undefined, fax.locale);
    const attempts = await db.getRepository(FaxAttempt).findBy({ faxId: fax.id });
    ctx.set('Cache-Control', 'no-store');
    ctx.body = faxView(fax, attempts, locale);
  });

  router.post('/faxes/:id/cancel', async (ctx) => {
    const fax = await authorized(ctx);
    localeOf(ctx, undefined, fax.locale);
    if (fax.status === 'cancelled') {
      ctx.status = 200;
      ctx.body = { id: fax.id, status: 'cancelled' };
      return;
    }
    if (FINAL_FAX_STATUSES.includes(fax.status) || fax.status === 'sending') throw new HttpProblem(409, 'not_cancellable');
    const decision = await workflows.cancel(fax.id, 'sender');
    if (decision === 'refused') throw new HttpProblem(409, 'not_cancellable');
    ctx.status = 202;
    ctx.body = { id: fax.id, status: decision === 'accepted' ? 'cancelling' : fax.status, cancel: decision };
  });

  router.get('/faxes/:id/pages/:page', async (ctx) => {
    const fax = await authorized(ctx);
    localeOf(ctx, undefined, fax.locale);
    const page = Number((ctx.params as { page: string }).page.replace(/\.png$/, ''));
    if (!Number.isInteger(page) || page < 1 || page > (fax.pages ?? 0)) throw new HttpProblem(404, 'not_found');
    const kind = ctx.query.size === 'thumb' ? 'thumbnail' : 'preview';
    const image = await store.find(fax.id, kind, page);
    if (!image) throw new HttpProblem(404, 'not_found');
    ctx.set('Cache-Control', 'private, max-age=300');
    ctx.type = 'image/png';
    ctx.body = image.data;
  });

  return router;
}
