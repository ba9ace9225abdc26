import { createHash, randomUUID } from 'node:crypto';
import type Koa from 'koa';
import { formatBytes } from '../conversion/limits';
import type { DocumentStore } from '../db/document-store';
import type { CoverSheet } from '../db/entities/fax';
import { DuplicateIdempotencyKey, type Faxes } from '../db/faxes';
import { validateFaxNumber } from '../domain/phone';
import { PAPER_SIZES, type FaxStatus, type Locale, type PaperSize } from '../domain/status';
import type { Logger } from '../log';
import { faxWorkflowId } from '../workflows/contract';
import { hashToken, newAccessToken, sealToken, unsealToken } from './access-token';
import { HttpProblem, unavailable } from './errors';
import type { FaxWorkflows } from './fax-workflows';
import { chooseLocale, localeOf } from './middleware/locale';
import { readMultipart, type UploadedFile } from './multipart';

export interface CreateFaxDeps {
  faxes: Faxes;
  store: DocumentStore;
  workflows: FaxWorkflows;
  allowedCountries: readonly string[];
  appSecret: string;
  maxUploadBytes: number;
  log: Logger;
}

/** What a sender asks for: checked, normalised, ready to store. */
export interface FaxRequest {
  document: UploadedFile;
  toNumber: string;
  country: string;
  email: string | null;
  locale: Locale;
  paper: PaperSize | null;
  cover: CoverSheet | null;
  /** The failed fax whose document the sender sends again ("send again to a corrected number"). */
  resentFrom?: string;
}

/** What a sender typed, kept to show the form again beside its problems. */
export type FaxForm = Record<string, string>;

export type FaxFormCheck = { ok: true; request: FaxRequest } | { ok: false; problems: HttpProblem[]; form: FaxForm };

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,190}\.[^\s@]{2,}$/;

/** The cover page's fields: form name → column key and the longest text accepted. */
export const COVER_FIELDS: Record<string, { key: keyof CoverSheet; max: number }> = {
  cover_sender: { key: 'senderName', max: 200 },
  cover_recipient: { key: 'recipientName', max: 200 },
  cover_subject: { key: 'subject', max: 300 },
  cover_message: { key: 'message', max: 3000 },
};

/**
 * Reads the upload while it streams: one document up to the size limit (413 at once past
 * it), and the form's text fields. Nothing is stored yet.
 */
export async function readFaxUpload(ctx: Koa.Context, maxUploadBytes: number): Promise<{ fields: FaxForm; files: UploadedFile[] }> {
  if (!ctx.is('multipart/form-data')) throw new HttpProblem(415, 'invalid_request', { detail: 'multipart/form-data' });
  const declared = Number(ctx.get('Content-Length') || 0);
  if (declared > maxUploadBytes + 64 * 1024) {
    throw new HttpProblem(413, 'upload_too_large', { limit: formatBytes(maxUploadBytes) }, { headers: { Connection: 'close' }, field: 'document' });
  }
  const upload = await readMultipart(ctx.req, { fileBytes: maxUploadBytes, files: 1, fields: 16, fieldBytes: 4096 });
  chooseLocale(ctx, upload.fields.locale);
  return upload;
}

/** Checks every field of a fax request and reports all problems at once, each with its field. */
export function checkFaxForm(ctx: Koa.Context, fields: FaxForm, files: UploadedFile[], allowedCountries: readonly string[]): FaxFormCheck {
  const problems: HttpProblem[] = [];
  const document = files.find((f) => f.field === 'document');
  if (!document || files.length !== 1) problems.push(new HttpProblem(400, 'missing_document', {}, { field: 'document' }));
  else if (document.data.length === 0) problems.push(new HttpProblem(422, 'empty_document', {}, { field: 'document' }));

  const number = validateFaxNumber(fields.to ?? '', allowedCountries, fields.country);
  if (!number.ok) problems.push(new HttpProblem(number.reason === 'missing_number' ? 400 : 422, number.reason, {}, { field: 'to' }));

  const email = fields.email?.trim() || null;
  if (email && (email.length > 254 || !EMAIL.test(email))) problems.push(new HttpProblem(422, 'invalid_email', {}, { field: 'email' }));

  let paper: PaperSize | null = null;
  if (fields.paper && fields.paper !== 'auto') {
    if ((PAPER_SIZES as readonly string[]).includes(fields.paper)) paper = fields.paper as PaperSize;
    else problems.push(new HttpProblem(422, 'invalid_request', { detail: 'paper: a4 | letter' }, { field: 'paper' }));
  }

  const cover: CoverSheet = {};
  for (const [field, { key, max }] of Object.entries(COVER_FIELDS)) {
    const value = fields[field]?.trim();
    if (!value) continue;
    if (value.length > max) problems.push(new HttpProblem(422, 'text_too_long', { limit: max }, { field }));
    else cover[key] = value;
  }

  if (problems.length || !document || !number.ok) return { ok: false, problems, form: fields };
  return {
    ok: true,
    request: {
      document,
      toNumber: number.e164,
      country: number.country,
      email,
      locale: localeOf(ctx),
      paper,
      cover: Object.keys(cover).length ? cover : null,
    },
  };
}

export interface AcceptedFax {
  id: string;
  status: FaxStatus;
  locale: Locale;
  /** The access token: shown to the sender once, never stored. */
  token: string;
  /** An earlier request under the same Idempotency-Key made this fax. */
  replayed: boolean;
}

function digestOf(r: FaxRequest): string {
  return createHash('sha256')
    .update(JSON.stringify([r.toNumber, r.email, r.locale, r.paper, r.cover ?? {}]))
    .update(createHash('sha256').update(r.document.data).digest())
    .digest('hex');
}

/**
 * Accepts a checked fax request: the fax row, then its upload, then its workflow — and
 * takes the fax back if a later step fails, so nothing half-made is left. With an
 * Idempotency-Key, a repeated request gets the first answer (and starting the workflow
 * again is safe: the first request may have died between storing and starting).
 */
export async function acceptFax(deps: CreateFaxDeps, request: FaxRequest, idempotencyKey: string | null): Promise<AcceptedFax> {
  const { faxes, store, workflows, log } = deps;
  if (idempotencyKey && idempotencyKey.length > 255) throw new HttpProblem(400, 'invalid_request', { detail: 'Idempotency-Key' });
  const digest = digestOf(request);
  if (idempotencyKey) {
    const previous = await faxes.findByIdempotencyKey(idempotencyKey);
    if (previous) {
      if (previous.requestDigest !== digest) throw new HttpProblem(409, 'idempotency_conflict');
      const token = previous.tokenSealed ? unsealToken(previous.tokenSealed, deps.appSecret) : null;
      if (!token) throw new HttpProblem(409, 'idempotency_conflict');
      await workflows.start(previous.id, { country: previous.country });
      return { id: previous.id, status: previous.status, locale: request.locale, token, replayed: true };
    }
  }

  const id = randomUUID();
  const token = newAccessToken();
  try {
    await faxes.insert({
      id,
      tokenHash: hashToken(token),
      // Sealed (never in the clear) when a replay must answer with it, or an email must link to the fax.
      tokenSealed: idempotencyKey || request.email ? sealToken(token, deps.appSecret) : null,
      status: 'converting',
      toNumber: request.toNumber,
      country: request.country,
      locale: request.locale,
      email: request.email,
      cover: request.cover,
      paper: request.paper,
      idempotencyKey,
      requestDigest: idempotencyKey ? digest : null,
      resentFrom: request.resentFrom ?? null,
      workflowId: faxWorkflowId(id),
    });
  } catch (err) {
    if (err instanceof DuplicateIdempotencyKey) throw new HttpProblem(409, 'idempotency_conflict');
    throw err;
  }
  try {
    await store.put({ faxId: id, kind: 'original', contentType: 'application/octet-stream', data: request.document.data });
  } catch (err) {
    await faxes.delete(id);
    throw err;
  }
  try {
    await workflows.start(id, { country: request.country });
  } catch (err) {
    // Without a workflow the fax would never move: take it back and say so.
    log.error('could not start the fax workflow', { faxId: id, err });
    await faxes.delete(id);
    throw unavailable();
  }
  log.info('fax accepted', { faxId: id, country: request.country, bytes: request.document.data.length });
  return { id, status: 'converting', locale: request.locale, token, replayed: false };
}
