import type { Fax } from '../db/entities/fax';
import { FINAL_FAX_STATUSES } from '../domain/status';
import { HttpProblem } from './errors';
import type { CancelDecision, FaxWorkflows } from './fax-workflows';

export type SenderCancel = { kind: 'already_cancelled' } | { kind: 'asked'; decision: Exclude<CancelDecision, 'refused'> };

/**
 * A sender's cancel, asked of the fax's workflow (the only one who may decide): honoured
 * until the transmission starts and between attempts. A 409 when it is too late.
 */
export async function cancelBySender(workflows: FaxWorkflows, fax: Fax): Promise<SenderCancel> {
  if (fax.status === 'cancelled') return { kind: 'already_cancelled' };
  if (FINAL_FAX_STATUSES.includes(fax.status) || fax.status === 'sending') throw new HttpProblem(409, 'not_cancellable');
  const decision = await workflows.cancel(fax.id, 'sender');
  if (decision === 'refused') throw new HttpProblem(409, 'not_cancellable');
  return { kind: 'asked', decision };
}
