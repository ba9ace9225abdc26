/** The offline Stripe twin (sandbox mode only). */
export { startStripeTwin, type StripeTwin, type StripeTwinOptions } from './server';
export { TEST_CARDS, type TestCard } from './cards';
export type { FaultRule } from './api';
