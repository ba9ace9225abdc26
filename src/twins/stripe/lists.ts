import { invalidParam } from './errors';
import type { Params } from './form';

/** One page of a Stripe list: `data` newest first, and whether older objects follow. */
export interface ListPage<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  url: string;
}

/**
 * Stripe's cursor pagination over objects kept in creation order: newest first, `limit`
 * (1–100, default 10) per page, `starting_after` the last id of the previous page. Creation
 * order rather than `created` (whole seconds) keeps the pages stable when many objects share
 * a second.
 */
export function listPage<T extends { id: string }>(kept: Iterable<T>, p: Params, url: string): ListPage<T> {
  const limit = p.integer('limit') ?? 10;
  if (limit < 1 || limit > 100) throw invalidParam('limit', 'This value must be between 1 and 100.');
  const newestFirst = [...kept].reverse();
  const after = p.string('starting_after');
  let start = 0;
  if (after) {
    start = newestFirst.findIndex((o) => o.id === after) + 1;
    if (start === 0) throw invalidParam('starting_after', `No such object: '${after}'`);
  }
  const data = newestFirst.slice(start, start + limit);
  return { object: 'list', data, has_more: start + limit < newestFirst.length, url };
}
