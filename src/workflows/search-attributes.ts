import { defineSearchAttributeKey } from '@temporalio/common';

/**
 * The custom search attributes a fax workflow sets, so support can filter faxes in the
 * Temporal UI (`FaxStatus="failed"`, `FaxCountry="DE"`). A namespace must have them registered
 * before a worker runs the workflow: the engine registers them when `durafax start` starts it,
 * `durafax temporal setup` registers them on a real server.
 */
export const faxStatusKey = defineSearchAttributeKey('FaxStatus', 'KEYWORD');
export const faxCountryKey = defineSearchAttributeKey('FaxCountry', 'KEYWORD');
export const paymentStateKey = defineSearchAttributeKey('PaymentState', 'KEYWORD');
export const faxPagesKey = defineSearchAttributeKey('FaxPages', 'INT');

/** Each attribute's type as the Temporal CLI, tcld and the engine's `--search-attribute Name=Type` spell it. */
export const FAX_SEARCH_ATTRIBUTES: Readonly<Record<string, 'Keyword' | 'Int'>> = {
  [faxStatusKey.name]: 'Keyword',
  [faxCountryKey.name]: 'Keyword',
  [paymentStateKey.name]: 'Keyword',
  [faxPagesKey.name]: 'Int',
};

/** The engine's flags that register them when it starts (`durafax engine --search-attribute Name=Type`). */
export const ENGINE_SEARCH_ATTRIBUTE_FLAGS: readonly string[] = Object.entries(FAX_SEARCH_ATTRIBUTES).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]);
