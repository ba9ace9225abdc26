import type { Catalog } from '../index';

/**
 * Messages owned by src/carrier: the carrier's own statuses (for status and support pages)
 * and the details of a refused carrier webhook.
 */
export const carrierMessages: Catalog = {
  en: {
    'carrier.status.queued': 'Waiting at the fax carrier',
    'carrier.status.media.processed': 'Document received by the fax carrier',
    'carrier.status.originated': 'Dialling',
    'carrier.status.sending': 'Sending',
    'carrier.status.delivered': 'Delivered',
    'carrier.status.failed': 'Not delivered',
    'carrier.webhook.missing_signature': 'The Telnyx signature headers are missing.',
    'carrier.webhook.stale_timestamp': 'The Telnyx timestamp is too old or in the future.',
    'carrier.webhook.bad_signature': 'The Telnyx signature does not match.',
    'carrier.webhook.bad_body': 'The body is not a Telnyx event.',
  },
  de: {
    'carrier.status.queued': 'Wartet beim Faxanbieter',
    'carrier.status.media.processed': 'Dokument beim Faxanbieter eingegangen',
    'carrier.status.originated': 'Wählt',
    'carrier.status.sending': 'Wird gesendet',
    'carrier.status.delivered': 'Zugestellt',
    'carrier.status.failed': 'Nicht zugestellt',
    'carrier.webhook.missing_signature': 'Die Telnyx-Signatur-Header fehlen.',
    'carrier.webhook.stale_timestamp': 'Der Telnyx-Zeitstempel ist zu alt oder liegt in der Zukunft.',
    'carrier.webhook.bad_signature': 'Die Telnyx-Signatur stimmt nicht.',
    'carrier.webhook.bad_body': 'Der Inhalt ist kein Telnyx-Ereignis.',
  },
  fr: {
    'carrier.status.queued': 'En attente chez l’opérateur de fax',
    'carrier.status.media.processed': 'Document reçu par l’opérateur de fax',
    'carrier.status.originated': 'Numérotation',
    'carrier.status.sending': 'Envoi en cours',
    'carrier.status.delivered': 'Remis',
    'carrier.status.failed': 'Non remis',
    'carrier.webhook.missing_signature': 'Les en-têtes de signature Telnyx sont absents.',
    'carrier.webhook.stale_timestamp': 'L’horodatage Telnyx est trop ancien ou dans le futur.',
    'carrier.webhook.bad_signature': 'La signature Telnyx ne correspond pas.',
    'carrier.webhook.bad_body': 'Le contenu n’est pas un événement Telnyx.',
  },
};
