import type { Catalog } from '../index';

/** Messages owned by src/payments and the Stripe routes. */
export const paymentMessages: Catalog = {
  en: {
    'checkout.description': 'Fax to {number}, pages: {pages}',
    'payments.webhook.no_signature': 'The Stripe-Signature header is missing.',
    'payments.webhook.bad_signature': 'The Stripe signature does not match this request.',
    'payments.webhook.stale': 'The Stripe signature is too old: its timestamp is outside the allowed five minutes.',
    'payments.webhook.bad_body': 'The body is not a Stripe event.',
    'payments.redirect.invalid': 'This payment link is not valid. If you paid, your fax’s status page shows it.',
    'payments.confirm_later':
      'We could not confirm your payment with the payment provider just now. If you paid, your fax continues on its own and nothing is charged twice. Please reload this page in a moment.',
  },
  de: {
    'checkout.description': 'Fax an {number}, Seiten: {pages}',
    'payments.webhook.no_signature': 'Der Header Stripe-Signature fehlt.',
    'payments.webhook.bad_signature': 'Die Stripe-Signatur passt nicht zu dieser Anfrage.',
    'payments.webhook.stale': 'Die Stripe-Signatur ist zu alt: Ihr Zeitstempel liegt außerhalb der erlaubten fünf Minuten.',
    'payments.webhook.bad_body': 'Der Inhalt ist kein Stripe-Ereignis.',
    'payments.redirect.invalid': 'Dieser Zahlungslink ist ungültig. Wenn Sie bezahlt haben, zeigt die Statusseite Ihres Faxes das an.',
    'payments.confirm_later':
      'Wir konnten Ihre Zahlung gerade nicht beim Zahlungsanbieter bestätigen. Wenn Sie bezahlt haben, geht Ihr Fax von selbst weiter, und nichts wird doppelt belastet. Bitte laden Sie diese Seite gleich neu.',
  },
  fr: {
    'checkout.description': 'Fax vers {number}, pages : {pages}',
    'payments.webhook.no_signature': 'L’en-tête Stripe-Signature est absent.',
    'payments.webhook.bad_signature': 'La signature Stripe ne correspond pas à cette requête.',
    'payments.webhook.stale': 'La signature Stripe est trop ancienne : son horodatage dépasse les cinq minutes autorisées.',
    'payments.webhook.bad_body': 'Le contenu n’est pas un événement Stripe.',
    'payments.redirect.invalid': 'Ce lien de paiement n’est pas valide. Si vous avez payé, la page de suivi de votre fax l’indique.',
    'payments.confirm_later':
      'Nous n’avons pas pu confirmer votre paiement auprès du prestataire pour le moment. Si vous avez payé, votre fax continue tout seul et rien n’est débité deux fois. Veuillez recharger cette page dans un instant.',
  },
};
