/** The hosted checkout page's words, in the languages Durafax serves. */
export type PageLanguage = 'en' | 'de' | 'fr';

const en = {
  title: 'Pay',
  sandbox: 'Sandbox checkout — a local stand-in for Stripe. No real card is charged.',
  total: 'Total',
  expires: 'This payment page closes at {time}.',
  card_number: 'Card number',
  expiry: 'Expiry (MM / YY)',
  cvc: 'CVC',
  pay: 'Pay {amount}',
  back: 'Back',
  test_cards: 'Test cards',
  card_authorize: 'succeeds',
  card_decline: 'is declined',
  card_insufficient_funds: 'has insufficient funds',
  card_authenticate: 'asks for authentication first',
  card_refund_fails: 'succeeds; its refunds fail later',
  any_expiry: 'Use any future expiry date and any three-digit CVC.',
  authenticate_title: 'Authentication',
  authenticate_text: 'Your bank asks you to confirm this payment of {amount}. This sandbox lets you choose the outcome.',
  complete_auth: 'Complete authentication',
  fail_auth: 'Fail authentication',
  closed_expired: 'This payment page has expired. Nothing was charged.',
  closed_complete: 'This payment is already complete.',
  continue: 'Continue',
  csrf: 'This form has expired. Please reload the page and try again.',
  generic_decline: 'Your card was declined. Please try another card.',
  insufficient_funds: 'Your card has insufficient funds. Please try another card.',
  test_mode_live_card: 'Your card was declined: this sandbox accepts test cards only.',
  incorrect_number: 'Your card number is incorrect.',
  invalid_expiry: 'Your card’s expiration date is incorrect or in the past.',
  invalid_cvc: 'Your card’s security code is incorrect.',
  payment_intent_authentication_failure: 'We are unable to authenticate your payment method. Please choose a different card and try again.',
  payment_intent_unexpected_state: 'There is no authentication waiting for this payment. Please start again.',
};

export type TextKey = keyof typeof en;
type Texts = Record<TextKey, string>;

const de: Texts = {
  title: 'Bezahlen',
  sandbox: 'Test-Kasse – ein lokaler Ersatz für Stripe. Es wird keine echte Karte belastet.',
  total: 'Gesamt',
  expires: 'Diese Zahlungsseite schließt um {time}.',
  card_number: 'Kartennummer',
  expiry: 'Gültig bis (MM / JJ)',
  cvc: 'Prüfnummer',
  pay: '{amount} bezahlen',
  back: 'Zurück',
  test_cards: 'Testkarten',
  card_authorize: 'wird angenommen',
  card_decline: 'wird abgelehnt',
  card_insufficient_funds: 'hat keine ausreichende Deckung',
  card_authenticate: 'verlangt zuerst eine Bestätigung',
  card_refund_fails: 'wird angenommen; Erstattungen scheitern später',
  any_expiry: 'Beliebiges künftiges Ablaufdatum und beliebige dreistellige Prüfnummer.',
  authenticate_title: 'Bestätigung',
  authenticate_text: 'Ihre Bank bittet Sie, diese Zahlung über {amount} zu bestätigen. In dieser Testumgebung wählen Sie das Ergebnis.',
  complete_auth: 'Bestätigung abschließen',
  fail_auth: 'Bestätigung scheitern lassen',
  closed_expired: 'Diese Zahlungsseite ist abgelaufen. Es wurde nichts belastet.',
  closed_complete: 'Diese Zahlung ist bereits abgeschlossen.',
  continue: 'Weiter',
  csrf: 'Dieses Formular ist abgelaufen. Bitte laden Sie die Seite neu und versuchen Sie es noch einmal.',
  generic_decline: 'Ihre Karte wurde abgelehnt. Bitte versuchen Sie eine andere Karte.',
  insufficient_funds: 'Ihre Karte hat keine ausreichende Deckung. Bitte versuchen Sie eine andere Karte.',
  test_mode_live_card: 'Ihre Karte wurde abgelehnt: Diese Testumgebung akzeptiert nur Testkarten.',
  incorrect_number: 'Die Kartennummer ist falsch.',
  invalid_expiry: 'Das Ablaufdatum der Karte ist falsch oder liegt in der Vergangenheit.',
  invalid_cvc: 'Die Prüfnummer der Karte ist falsch.',
  payment_intent_authentication_failure: 'Ihre Zahlungsmethode konnte nicht bestätigt werden. Bitte wählen Sie eine andere Karte.',
  payment_intent_unexpected_state: 'Für diese Zahlung wartet keine Bestätigung. Bitte beginnen Sie von vorn.',
};

const fr: Texts = {
  title: 'Payer',
  sandbox: 'Paiement bac à sable – un substitut local de Stripe. Aucune vraie carte n’est débitée.',
  total: 'Total',
  expires: 'Cette page de paiement se ferme à {time}.',
  card_number: 'Numéro de carte',
  expiry: 'Expiration (MM / AA)',
  cvc: 'Cryptogramme',
  pay: 'Payer {amount}',
  back: 'Retour',
  test_cards: 'Cartes de test',
  card_authorize: 'est acceptée',
  card_decline: 'est refusée',
  card_insufficient_funds: 'a un solde insuffisant',
  card_authenticate: 'demande d’abord une authentification',
  card_refund_fails: 'est acceptée ; ses remboursements échouent ensuite',
  any_expiry: 'Utilisez n’importe quelle date d’expiration future et n’importe quel cryptogramme à trois chiffres.',
  authenticate_title: 'Authentification',
  authenticate_text: 'Votre banque vous demande de confirmer ce paiement de {amount}. Ce bac à sable vous laisse choisir le résultat.',
  complete_auth: 'Réussir l’authentification',
  fail_auth: 'Faire échouer l’authentification',
  closed_expired: 'Cette page de paiement a expiré. Rien n’a été débité.',
  closed_complete: 'Ce paiement est déjà effectué.',
  continue: 'Continuer',
  csrf: 'Ce formulaire a expiré. Veuillez recharger la page et réessayer.',
  generic_decline: 'Votre carte a été refusée. Veuillez essayer une autre carte.',
  insufficient_funds: 'Le solde de votre carte est insuffisant. Veuillez essayer une autre carte.',
  test_mode_live_card: 'Votre carte a été refusée : ce bac à sable n’accepte que les cartes de test.',
  incorrect_number: 'Le numéro de carte est incorrect.',
  invalid_expiry: 'La date d’expiration de la carte est incorrecte ou dépassée.',
  invalid_cvc: 'Le cryptogramme de la carte est incorrect.',
  payment_intent_authentication_failure: 'Nous ne parvenons pas à authentifier votre moyen de paiement. Veuillez choisir une autre carte.',
  payment_intent_unexpected_state: 'Aucune authentification n’est en attente pour ce paiement. Veuillez recommencer.',
};

const TEXTS: Record<PageLanguage, Texts> = { en, de, fr };

/** Stripe's session locale (`de`, `fr-CA`, `auto`, …) reduced to a page language. */
export function pageLanguage(locale: string | null, acceptLanguage?: string): PageLanguage {
  const pick = (tag: string | undefined): PageLanguage | null => {
    const base = tag?.trim().toLowerCase().split(/[-;]/)[0];
    return base === 'de' || base === 'fr' || base === 'en' ? base : null;
  };
  if (locale && locale !== 'auto') return pick(locale) ?? 'en';
  for (const part of (acceptLanguage ?? '').split(',')) {
    const lang = pick(part);
    if (lang) return lang;
  }
  return 'en';
}

export function text(lang: PageLanguage, key: TextKey, params: Record<string, string> = {}): string {
  return TEXTS[lang][key].replace(/\{(\w+)\}/g, (whole, name: string) => params[name] ?? whole);
}

/** The page's message for a decline or input problem code. */
export function problemText(lang: PageLanguage, code: string): string {
  const key = (code === 'card_declined' ? 'generic_decline' : code) as TextKey;
  return key in en ? text(lang, key) : text(lang, 'generic_decline');
}
