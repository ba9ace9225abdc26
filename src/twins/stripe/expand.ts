import type { TwinContext } from './context';
import { invalidParam } from './errors';
import type { StripeObjectJson } from './model';

/** Which fields of each object can be expanded, and where their ids point. */
const EXPANDABLE: Record<string, Record<string, 'intents' | 'charges'>> = {
  'checkout.session': { payment_intent: 'intents' },
  payment_intent: { latest_charge: 'charges' },
  refund: { charge: 'charges', payment_intent: 'intents' },
  charge: { payment_intent: 'intents' },
};

function expandOne(ctx: TwinContext, obj: Record<string, unknown>, path: string[], full: string): void {
  const [field, ...rest] = path;
  const kind = EXPANDABLE[String(obj.object)]?.[field];
  if (!kind) throw invalidParam('expand', `This property cannot be expanded (${full}).`);
  const value = obj[field];
  if (typeof value === 'string') {
    const target = ctx.state[kind].get(value);
    obj[field] = target ? structuredClone(target) : value;
  }
  const child = obj[field];
  if (rest.length && child && typeof child === 'object') expandOne(ctx, child as Record<string, unknown>, rest, full);
}

/** A copy of `obj` with the requested `expand[]` paths replaced by the objects they name. */
export function expand<T extends StripeObjectJson>(ctx: TwinContext, obj: T, paths: string[]): T {
  if (paths.length === 0) return obj;
  const copy = structuredClone(obj) as unknown as Record<string, unknown>;
  for (const p of paths) expandOne(ctx, copy, p.split('.'), p);
  return copy as unknown as T;
}
