import { expireSessionIfDue } from './checkout';
import { NO_REQUEST, type TwinContext } from './context';
import { expireHoldIfDue } from './intents';
import { failDueRefunds } from './refunds';

/**
 * What Stripe does in the background: expires sessions past `expires_at`, cancels holds
 * past `capture_before`, and lets refunds to the failing-refund card fail. Returns how many
 * objects changed.
 */
export function sweep(ctx: TwinContext): number {
  let changed = 0;
  // Open sessions and holds are never paged out: those in memory are all that can change.
  for (const rec of [...ctx.state.sessions.residentValues()]) if (expireSessionIfDue(ctx, rec, NO_REQUEST)) changed++;
  for (const pi of [...ctx.state.intents.residentValues()]) if (expireHoldIfDue(ctx, pi, NO_REQUEST)) changed++;
  changed += failDueRefunds(ctx, NO_REQUEST);
  return changed;
}
