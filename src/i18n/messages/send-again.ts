import type { Catalog } from '../index';

/** The sender's "send again to a corrected number", on the page of a fax that failed. */
export const sendAgainMessages: Catalog = {
  en: {
    'page.fax.send_again.heading': 'Send it again to a corrected number',
    'page.fax.send_again.text':
      'Was a digit wrong? Send the same pages to another number. It is a new fax: you see its price and pay as before — and again, you are charged only if it is delivered.',
    'page.fax.send_again.label': 'Fax number',
    'page.fax.send_again.hint': 'With the country code, e.g. +49 30 1234567.',
    'page.fax.send_again.submit': 'Send to this number',
    'page.fax.send_again.problem': 'Please check the number: {problem}',
    'page.fax.send_again.not_possible': 'This fax cannot be sent again: only a fax that failed can, while its document is kept.',
  },
  de: {
    'page.fax.send_again.heading': 'An eine korrigierte Nummer erneut senden',
    'page.fax.send_again.text':
      'War eine Ziffer falsch? Senden Sie dieselben Seiten an eine andere Nummer. Das ist ein neues Fax: Sie sehen seinen Preis und bezahlen wie zuvor – und wieder nur, wenn es zugestellt wird.',
    'page.fax.send_again.label': 'Faxnummer',
    'page.fax.send_again.hint': 'Mit Ländervorwahl, z. B. +49 30 1234567.',
    'page.fax.send_again.submit': 'An diese Nummer senden',
    'page.fax.send_again.problem': 'Bitte prüfen Sie die Nummer: {problem}',
    'page.fax.send_again.not_possible': 'Dieses Fax kann nicht erneut gesendet werden: Das geht nur bei einem gescheiterten Fax, solange sein Dokument aufbewahrt wird.',
  },
  fr: {
    'page.fax.send_again.heading': 'Renvoyer à un numéro corrigé',
    'page.fax.send_again.text':
      'Un chiffre était faux ? Envoyez les mêmes pages à un autre numéro. C’est un nouveau fax : vous voyez son prix et payez comme avant — et, là encore, vous n’êtes débité que s’il est remis.',
    'page.fax.send_again.label': 'Numéro de fax',
    'page.fax.send_again.hint': 'Avec l’indicatif du pays, p. ex. +33 1 23 45 67 89.',
    'page.fax.send_again.submit': 'Envoyer à ce numéro',
    'page.fax.send_again.problem': 'Veuillez vérifier le numéro : {problem}',
    'page.fax.send_again.not_possible': 'Ce fax ne peut pas être renvoyé : seul un fax échoué peut l’être, tant que son document est conservé.',
  },
};
