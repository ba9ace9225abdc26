import Router from '@koa/router';
import type Koa from 'koa';
import type { DataSource } from 'typeorm';
import { parseFaxWebhook } from '../../carrier/telnyx-fax';
import { forgetWebhookEvent, recordWebhookEvent } from '../../db/webhook-events';
import { negotiateLocale, t } from '../../i18n';
import type { Logger } from '../../log';
import { HttpProblem, type ProblemBody } from '../errors';
import type { FaxSignals } from '../fax-signals';
import { readRawBody } from './telnyx-raw-body';
import { createSignatureChecker } from './telnyx-signature';

export { isStaleTransition } from '../../carrier/transitions';

export interface TelnyxRouteDeps {
  db: DataSource;
  signals: FaxSignals;
  /** Base64 Ed25519 public key of the carrier (Telnyx portal, or the twin's). */
  publicKey: string;
  log: Logger;
  /** How old a signed timestamp may be, in seconds (at most 300, the library's own limit). */
  toleranceSecs?: number;
}

/** Fax webhooks are small; anything bigger is not from Telnyx. */
const MAX_BODY_BYTES = 256 * 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function localeOf(ctx: Koa.Context): ReturnType<typeof negotiateLocale> {
  return negotiateLocale(ctx.query.locale, ctx.get('Accept-Language'));
}

function refuse(ctx: Koa.Context, key: string): HttpProblem {
  return new HttpProblem(400, 'invalid_request', { detail: t(localeOf(ctx), `carrier.webhook.${key}`) });
}

/**
 * POST /webhooks/telnyx: verifies Telnyx's signature over the raw body, drops repeats by
 * event id, and forwards each new fax event to its workflow (fax id from client_state).
 * Events arrive out of order; the endpoint forwards them all and the workflow ignores stale
 * ones (isStaleTransition). Unknown event types and faxes that are not ours get a 200.
 */
export function createTelnyxRoutes(deps: TelnyxRouteDeps): Router {
  const { db, signals } = deps;
  const log = deps.log.child({ route: 'telnyx-webhook' });
  const checkSignature = createSignatureChecker(deps.publicKey, deps.toleranceSecs);
  const router = new Router();

  router.post('/webhooks/telnyx', async (ctx) => {
    const raw = await readRawBody(ctx.req, MAX_BODY_BYTES);
    const check = await checkSignature(raw, {
      'telnyx-signature-ed25519': ctx.get('telnyx-signature-ed25519') || undefined,
      'telnyx-timestamp': ctx.get('telnyx-timestamp') || undefined,
    });
    if (!check.ok) {
      log.warn('webhook refused', { problem: check.problem });
      throw refuse(ctx, check.problem);
    }

    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      throw refuse(ctx, 'bad_body');
    }
    const parsed = parseFaxWebhook(body);
    if (parsed.kind === 'invalid') {
      log.warn('signed webhook without the fields of a fax event', { problem: parsed.problem });
      throw refuse(ctx, 'bad_body');
    }
    if (parsed.kind === 'ignored') {
      log.debug('event type ignored', { eventType: parsed.eventType });
      ctx.body = { received: true, ignored: true };
      return;
    }

    const { event, eventType } = parsed;
    const fields = { eventId: event.eventId, eventType, carrierFaxId: event.carrierFaxId };
    if (!event.clientState) {
      // Inbound faxes, or faxes another application sent on the same account.
      log.info('fax event without our client_state; ignored', fields);
      ctx.body = { received: true, ignored: true };
      return;
    }
    const { faxId } = event.clientState;
    const fresh = await recordWebhookEvent(db, {
      provider: 'telnyx',
      eventId: event.eventId,
      type: eventType,
      faxId: UUID.test(faxId) ? faxId : null,
    });
    if (!fresh) {
      log.debug('duplicate event dropped', { ...fields, faxId });
      ctx.body = { received: true, duplicate: true };
      return;
    }

    try {
      const outcome = await signals.carrierEvent(faxId, event);
      log.info('carrier event forwarded', { ...fields, faxId, attempt: event.clientState.attempt, status: event.status, outcome });
    } catch (err) {
      // Forget the event so Telnyx's redelivery is processed, and ask for that redelivery.
      await forgetWebhookEvent(db, 'telnyx', event.eventId);
      log.error('could not signal the fax workflow', { ...fields, faxId, err });
      const problem: ProblemBody = { error: { code: 'unavailable', message: t(localeOf(ctx), 'error.unavailable') } };
      ctx.status = 503;
      ctx.body = problem;
      return;
    }
    ctx.body = { received: true };
  });

  return router;
}
