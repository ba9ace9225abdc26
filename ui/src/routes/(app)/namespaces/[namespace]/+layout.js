import { fetchSearchAttributesForNamespace } from '$lib/services/search-attributes-service';
import { allSearchAttributes } from '$lib/stores/search-attributes';

import { applyFaxColumnDefaults } from '../../../../fax-columns';

/** The namespace's search attributes drive the list's filters and columns. */
export async function load({ params, parent, fetch }) {
  await parent();
  const attributes = await fetchSearchAttributesForNamespace(params.namespace, fetch);
  allSearchAttributes.set(attributes);
  applyFaxColumnDefaults(params.namespace, attributes.customAttributes ?? {});
}
