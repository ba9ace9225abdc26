/** The offline Stripe twin (sandbox mode only). */
export { startStripeTwin, type StripeTwin, type StripeTwinOptions } from './server';
