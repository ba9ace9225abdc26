import { senderJourneys } from './sender-journeys';

senderJourneys('en');
