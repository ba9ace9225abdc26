import { createHash, randomUUID } from 'node:crypto';
import type Koa from 'koa';
import isEmail from 'validator/lib/isEmail';
import { formatBytes } from '../conversion/limits';
import type { DocumentStore, StreamedFile } from '../db/document-store';
import type { CoverSheet, Fax } from '../db/entities/fax';
import { DuplicateIdempotencyKey, type Faxes } from '../db/faxes';
import { validateFaxNumber } from '../domain/phone';
import { PAPER_SIZES, type FaxStatus, type Locale, type PaperSize } from '../domain/status';
import type { Logger } from '../log';
import { faxWorkflowId } from '../workflows/contract';
import { hashToken, newAccessToken, sealToken, unsealToken } from './access-token';
import { HttpProblem } from './errors';
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
  /** The longest pause within an upload before it is given up. */
  uploadIdleMs: number;
  /** Called as an upload's body begins to arrive (a worker then gets a conversion process ready). */
  uploadBegun?: () => void;
  log: Logger;
}

/** What a sender asks for: checked, normalised, ready to store. */
export interface FaxRequest {
  document: StreamedFile;
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

/**
 * An address Stripe and our mail server will take as it is: validator.js's check (RFC 5321
 * lengths, a real domain with a top-level part), without display names, IP domains or
 * quoted local parts, whose quotes and spaces no sender's receipt needs.
 */
function isSendableEmail(email: string): boolean {
  return isEmail(email, { require_tld: true, allow_ip_domain: false, allow_display_name: false, blacklisted_chars: '"' });
}

/** The cover page's fields: form name → column key and the longest text accepted. */
export const COVER_FIELDS: Record<string, { key: keyof CoverSheet; max: number }> = {
  cover_sender: { key: 'senderName', max: 200 },
  cover_recipient: { key: 'recipientName', max: 200 },
  cover_subject: { key: 'subject', max: 300 },
  cover_message: { key: 'message', max: 3000 },
};

/**
 * Reads the upload while it streams, the document spooled to a temporary file: one document
 * up to the size limit (413 at once past it), and the form's text fields. Nothing is stored
 * yet. `use` gets the upload; its temporary file is gone once `use` has finished.
 */
export async function withFaxUpload<T>(
  ctx: Koa.Context,
  deps: Pick<CreateFaxDeps, 'maxUploadBytes' | 'uploadIdleMs' | 'uploadBegun'>,
  use: (upload: { fields: FaxForm; files: UploadedFile[] }) => Promise<T>,
): Promise<T> {
  if (!ctx.is('multipart/form-data')) throw new HttpProblem(415, 'invalid_request', { detail: 'multipart/form-data' });
  const declared = Number(ctx.get('Content-Length') || 0);
  if (declared > deps.maxUploadBytes + 64 * 1024) {
    throw new HttpProblem(413, 'upload_too_large', { limit: formatBytes(deps.maxUploadBytes) }, { headers: { Connection: 'close' }, field: 'document' });
  }
  deps.uploadBegun?.();
  const upload = await readMultipart(ctx.req, { fileBytes: deps.maxUploadBytes, files: 1, fields: 16, fieldBytes: 4096, idleMs: deps.uploadIdleMs });
  try {
    chooseLocale(ctx, upload.fields.locale);
    return await use(upload);
  } finally {
    await upload.discard();
  }
}

/** Checks every field of a fax request and reports all problems at once, each with its field. */
export function checkFaxForm(ctx: Koa.Context, fields: FaxForm, files: UploadedFile[], allowedCountries: readonly string[]): FaxFormCheck {
  const problems: HttpProblem[] = [];
  const document = files.find((f) => f.field === 'document');
  if (!document || files.length !== 1) problems.push(new HttpProblem(400, 'missing_document', {}, { field: 'document' }));
  else if (document.size === 0) problems.push(new HttpProblem(422, 'empty_document', {}, { field: 'document' }));

  const number = validateFaxNumber(fields.to ?? '', allowedCountries, fields.country);
  if (!number.ok) problems.push(new HttpProblem(number.reason === 'missing_number' ? 400 : 422, number.reason, {}, { field: 'to' }));

  const email = fields.email?.trim() || null;
  if (email && (email.length > 254 || !isSendableEmail(email))) problems.push(new HttpProblem(422, 'invalid_email', {}, { field: 'email' }));

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
    .update(Buffer.from(r.document.sha256, 'hex'))
    .digest('hex');
}

/**
 * Starts the fax's workflow and notes it. When Temporal is out of reach (the call's deadline
 * passed), the fax stays accepted: the web's WorkflowStarter starts it once Temporal answers.
 */
async function startWorkflow(deps: Pick<CreateFaxDeps, 'faxes' | 'workflows' | 'log'>, faxId: string, country: string): Promise<boolean> {
  try {
    await deps.workflows.start(faxId, { country });
  } catch (err) {
    deps.log.warn('fax accepted; its workflow starts once Temporal answers', { faxId, error: err instanceof Error ? err.message : String(err) });
    return false;
  }
  await deps.faxes.workflowStarted(faxId);
  return true;
}

/** The answer an earlier request under the same Idempotency-Key got, if there was one. */
async function replayOf(deps: CreateFaxDeps, idempotencyKey: string, digest: string, locale: Locale): Promise<AcceptedFax | null> {
  const previous = await deps.faxes.findByIdempotencyKey(idempotencyKey);
  if (!previous) return null;
  if (previous.requestDigest !== digest) throw new HttpProblem(409, 'idempotency_conflict');
  const token = previous.tokenSealed ? unsealToken(previous.tokenSealed, deps.appSecret) : null;
  if (!token) throw new HttpProblem(409, 'idempotency_conflict');
  // The first request may have been answered before its workflow could start.
  if (!previous.workflowStartedAt) await startWorkflow(deps, previous.id, previous.country);
  return { id: previous.id, status: previous.status, locale, token, replayed: true };
}

/**
 * Accepts a checked fax request: the fax row and its upload in one transaction — so a fax
 * is never without its document, and once committed it is accepted for good — then its
 * workflow. If Temporal does not answer in time the workflow is started later (and the
 * answer is the same). With an Idempotency-Key, a repeated request gets the first answer,
 * also when it raced the first one.
 */
export async function acceptFax(deps: CreateFaxDeps, request: FaxRequest, idempotencyKey: string | null): Promise<AcceptedFax> {
  const { faxes, store, log } = deps;
  if (idempotencyKey && idempotencyKey.length > 255) throw new HttpProblem(400, 'invalid_request', { detail: 'Idempotency-Key' });
  const digest = digestOf(request);
  if (idempotencyKey) {
    const replay = await replayOf(deps, idempotencyKey, digest, request.locale);
    if (replay) return replay;
  }

  const id = randomUUID();
  const token = newAccessToken();
  const row: Partial<Fax> = {
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
  };
  try {
    await faxes.insert(row, async (tx) => {
      await store.put({ faxId: id, kind: 'original', contentType: 'application/octet-stream', data: request.document }, tx);
    });
  } catch (err) {
    if (!(err instanceof DuplicateIdempotencyKey) || !idempotencyKey) throw err;
    // The same request, retried while the first was still being stored: that one's answer.
    const replay = await replayOf(deps, idempotencyKey, digest, request.locale);
    if (!replay) throw err;
    return replay;
  }
  const started = await startWorkflow(deps, id, request.country);
  log.info('fax accepted', { faxId: id, country: request.country, bytes: request.document.size, workflowStarted: started });
  return { id, status: 'converting', locale: request.locale, token, replayed: false };
}
