import { isCancellation, setHandler } from '@temporalio/workflow';
import {
  cancelDecisionUpdate,
  cancelSignal,
  carrierEventSignal,
  checkoutUpdate,
  paymentAuthorizedSignal,
  refundUpdate,
  resendUpdate,
  stateQuery,
  type FaxState,
  type FaxWorkflowInput,
} from './contract';
import { FaxProcess } from './fax-process';

/**
 * One fax from upload to purge: convert → offer the quote (the checkout, a card hold, opens
 * when the sender asks to pay, by update) → wait for the payment → transmit (submit, follow,
 * retry) → capture on delivery or release the hold → retain → purge.
 * Inputs carry the fax id, the destination country and where conversions run; activities read and write
 * PostgreSQL and talk to the providers. While the fax is retained, support may refund it
 * (delivered) or send it again to a corrected number (failed), by update. The phases and their
 * state live in FaxProcess.
 */
export async function faxWorkflow({ faxId, country, conversionTaskQueue }: FaxWorkflowInput): Promise<FaxState> {
  const fax = new FaxProcess(faxId, country ?? null);
  setHandler(stateQuery, () => fax.state);
  setHandler(paymentAuthorizedSignal, (p) => fax.onPaymentAuthorized(p));
  setHandler(cancelSignal, (c) => fax.onCancel(c));
  setHandler(cancelDecisionUpdate, (id) => fax.cancelDecision(id));
  setHandler(carrierEventSignal, (u) => fax.onCarrierEvent(u));
  setHandler(checkoutUpdate, () => fax.onCheckout(), { validator: () => fax.validateCheckout() });
  setHandler(refundUpdate, (r) => fax.onRefund(r), { validator: (_r) => fax.validateRefund() });
  setHandler(resendUpdate, (r) => fax.onResend(r), { validator: (_r) => fax.validateResend() });

  await fax.loadPolicy();
  try {
    // Each phase either ends the fax (a rejected document, an expired checkout, a cancel…) or hands on to the next.
    const ending = (await fax.convert(conversionTaskQueue)) ?? (await fax.awaitPayment()) ?? (await fax.settle(await fax.transmit()));
    return await fax.retainAndPurge(ending);
  } catch (err) {
    if (!isCancellation(err)) throw err;
    await fax.undo();
    throw err;
  }
}
