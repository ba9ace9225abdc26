import type { Catalog } from '../index';

export const commonMessages: Catalog = {
  en: {
    'error.internal': 'Something went wrong on our side. Nothing was charged; please try again in a moment.',
    'error.not_found': 'This page does not exist.',
    'error.method_not_allowed': 'This action is not allowed here.',
    'error.unavailable': 'The service is starting or busy. Please try again in a moment.',
    'sandbox.banner': 'Sandbox: no real fax is sent and no card is charged.',
  },
  de: {
    'error.internal': 'Bei uns ist etwas schiefgegangen. Es wurde nichts belastet; bitte versuchen Sie es gleich noch einmal.',
    'error.not_found': 'Diese Seite gibt es nicht.',
    'error.method_not_allowed': 'Diese Aktion ist hier nicht erlaubt.',
    'error.unavailable': 'Der Dienst startet gerade oder ist ausgelastet. Bitte versuchen Sie es gleich noch einmal.',
    'sandbox.banner': 'Testumgebung: Es wird kein echtes Fax gesendet und keine Karte belastet.',
  },
  fr: {
    'error.internal': 'Un problème est survenu de notre côté. Rien n’a été débité ; veuillez réessayer dans un instant.',
    'error.not_found': 'Cette page n’existe pas.',
    'error.method_not_allowed': 'Cette action n’est pas autorisée ici.',
    'error.unavailable': 'Le service démarre ou est occupé. Veuillez réessayer dans un instant.',
    'sandbox.banner': 'Bac à sable : aucun vrai fax n’est envoyé et aucune carte n’est débitée.',
  },
};
