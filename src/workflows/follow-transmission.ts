import { CancellationScope, condition, isCancellation } from '@temporalio/workflow';
import type { AttemptState, CarrierUpdate, TransmissionSnapshot } from './contract';
import { act } from './fax-activities';

/**
 * Follows one transmission until final: carrier webhooks (signals, queued in `updates`)
 * usually tell first; the polling activity is the backstop and is cancelled once the outcome
 * is known. Keeps the attempt's record up to date.
 */
export async function followTransmission(
  faxId: string,
  { attempt, of, carrierFaxId, record }: { attempt: number; of: number; carrierFaxId: string; record: AttemptState },
  updates: CarrierUpdate[],
): Promise<TransmissionSnapshot> {
  let polled: TransmissionSnapshot | undefined;
  let pollError: Error | undefined;
  const scope = new CancellationScope();
  const poll = scope
    .run(() => act.watchTransmission(faxId, attempt, of, carrierFaxId))
    .then(
      (s) => {
        polled = s;
      },
      (err: unknown) => {
        if (!isCancellation(err)) pollError = err instanceof Error ? err : new Error(String(err));
      },
    );
  let final: TransmissionSnapshot | undefined;
  while (!final) {
    await condition(() => updates.length > 0 || polled !== undefined || pollError !== undefined);
    if (polled) {
      final = polled;
      break;
    }
    if (pollError) throw pollError;
    const update = updates.shift()!;
    // Reports about an earlier attempt's transmission change nothing now.
    if (update.carrierFaxId !== carrierFaxId) continue;
    const snapshot = await act.recordCarrierUpdate(faxId, attempt, update);
    applySnapshot(record, snapshot);
    if (snapshot.final) final = snapshot;
  }
  scope.cancel();
  await poll;
  applySnapshot(record, final);
  return final;
}

function applySnapshot(record: AttemptState, s: TransmissionSnapshot): void {
  record.pagesSent = s.pagesSent ?? record.pagesSent;
  if (s.final) {
    record.status = s.delivered ? 'delivered' : 'failed';
    record.reason = s.reason;
    record.retryable = s.delivered ? null : s.retryable;
  } else if (s.status === 'sending' || s.status === 'originated') {
    record.status = 'sending';
  }
}
