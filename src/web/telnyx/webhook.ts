import type Koa from 'koa';
import { parseFaxWebhook } from '../../carrier/telnyx-fax';
import type { WebhookEvents } from '../../db/webhook-events';
import { isUuid } from '../../domain/ids';
import type { Logger } from '../../log';
import { HttpProblem, unavailable } from '../errors';
import type { FaxSignals } from '../fax-signals';
import { readRawBody } from '../raw-body';
import type { createTelnyxSignatureChecker } from './signature';

export interface TelnyxWebhookDeps {
  events: WebhookEvents;
  signals: FaxSignals;
  log: Logger;
}

/** Fax webhooks are small; anything bigger is not from Telnyx. */
const MAX_BODY_BYTES = 256 * 1024;

function refuse(problem: string): HttpProblem {
  return new HttpProblem(400, 'invalid_request', {}, { messageKey: `carrier.webhook.${problem}` });
}

/**
 * POST /webhooks/telnyx: verifies Telnyx's signature over the raw body, drops repeats by
 * event id, and forwards each new fax event to its workflow (fax id from client_state).
 * Events arrive out of order; they are all forwarded, and the activity that records them
 * ignores stale ones. Unknown event types and faxes that are not ours get a 200.
 */
export function telnyxWebhook(deps: TelnyxWebhookDeps, checkSignature: ReturnType<typeof createTelnyxSignatureChecker>): Koa.Middleware {
  const { events, signals, log } = deps;
  return async (ctx) => {
    const raw = (await readRawBody(ctx.req, MAX_BODY_BYTES)).toString('utf8');
    const check = await checkSignature(raw, {
      'telnyx-signature-ed25519': ctx.get('telnyx-signature-ed25519') || undefined,
      'telnyx-timestamp': ctx.get('telnyx-timestamp') || undefined,
    });
    if (!check.ok) {
      log.warn('webhook refused', { problem: check.problem });
      throw refuse(check.problem);
    }

    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      throw refuse('bad_body');
    }
    const parsed = parseFaxWebhook(body);
    if (parsed.kind === 'invalid') {
      log.warn('signed webhook without the fields of a fax event', { problem: parsed.problem });
      throw refuse('bad_body');
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
    const fresh = await events.record({ provider: 'telnyx', eventId: event.eventId, type: eventType, faxId: isUuid(faxId) ? faxId : null });
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
      await events.forget('telnyx', event.eventId);
      log.error('could not signal the fax workflow', { ...fields, faxId, err });
      throw unavailable();
    }
    ctx.body = { received: true };
  };
}
