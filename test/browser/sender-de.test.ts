import { senderJourneys } from './sender-journeys';

senderJourneys('de');
