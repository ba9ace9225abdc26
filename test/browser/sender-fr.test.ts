import { senderJourneys } from './sender-journeys';

senderJourneys('fr');
