import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import { formatMoney } from '../domain/pricing';
import type { FaxState } from './contract';
import { faxCountryKey, faxPagesKey, faxStatusKey, paymentStateKey } from './search-attributes';

/** The `patched()` id of the search attributes: workflows begun before it set none, so their histories replay. */
export const SEARCH_ATTRIBUTES_PATCH = 'fax-search-attributes';

/**
 * What support sees of a fax in the Temporal UI while it runs: its search attributes and its
 * current details. Only the destination country appears there, never the number: Temporal
 * holds no personal data.
 */
export class FaxVisibility {
  /**
   * What this run has upserted. Not read back from workflowInfo(), whose starting values come
   * from the start event: whether to upsert must depend on this code's own steps alone to
   * replay the same everywhere.
   */
  private readonly upserted = new Map<string, unknown>();

  constructor(
    /** Changes only when support resends the fax to a corrected number in another country. */
    private country: string | null,
    /** False for a workflow begun before the patch. */
    private readonly withSearchAttributes: boolean,
  ) {}

  moveToCountry(country: string): void {
    this.country = country;
  }

  /** Brings the current details and, when patched, the search attributes that changed up to date. */
  show(state: FaxState, maxTransmissions: number): void {
    setCurrentDetails(currentDetails(state, this.country, maxTransmissions));
    if (!this.withSearchAttributes) return;
    const wanted: SearchAttributeUpdatePair[] = [
      { key: faxStatusKey, value: state.status },
      { key: paymentStateKey, value: state.paymentState },
    ];
    if (this.country) wanted.push({ key: faxCountryKey, value: this.country });
    if (state.pages !== null) wanted.push({ key: faxPagesKey, value: state.pages });
    // Only what changed: each upsert is an event in the history.
    const changed = wanted.filter((pair) => this.upserted.get(pair.key.name) !== pair.value);
    if (!changed.length) return;
    for (const pair of changed) this.upserted.set(pair.key.name, pair.value);
    upsertSearchAttributes(changed);
  }
}

/** The fax in plain words (Temporal UI markdown): destination, pages, amount, the current step and the payment. */
function currentDetails(state: FaxState, country: string | null, maxTransmissions: number): string {
  const to = country ? ` to ${country}` : '';
  const priced =
    state.pages !== null && state.amount !== null && state.currency !== null
      ? `${state.pages} ${state.pages === 1 ? 'page' : 'pages'}, ${formatMoney(state.amount, state.currency, 'en')}`
      : 'pages and price follow from the conversion';
  return [`**Fax ${state.faxId}**${to}: ${priced}`, `**Now:** ${currentStep(state, maxTransmissions)}`, `**Payment:** ${PAYMENT_WORDS[state.paymentState]}`].join('\n\n');
}

const PAYMENT_WORDS: Record<FaxState['paymentState'], string> = {
  none: 'not paid',
  authorized: 'card hold authorized',
  captured: 'captured',
  released: 'card hold released, nothing charged',
  refunded: 'refunded',
};

function currentStep(state: FaxState, maxTransmissions: number): string {
  const attempt = state.attempts.length;
  const reason = state.failureReason ? state.failureReason.replace(/_/g, ' ') : 'unknown reason';
  const documents = state.purged ? 'documents purged' : 'documents kept until the retention ends';
  switch (state.status) {
    case 'converting':
      return 'converting the document';
    case 'awaiting_payment':
      return 'waiting for the payment';
    case 'queued':
      return 'paid, queued for transmission';
    case 'sending':
      return `transmission ${attempt} of ${maxTransmissions}`;
    case 'retrying':
      return `transmission ${attempt} of ${maxTransmissions} failed (${reason}); transmission ${attempt + 1} follows after a pause`;
    case 'delivered':
      return `delivered; ${documents}`;
    case 'rejected':
    case 'expired':
    case 'cancelled':
    case 'failed':
      return `${state.status} (${reason}); ${documents}`;
  }
}
