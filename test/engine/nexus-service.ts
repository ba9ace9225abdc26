import * as nexus from 'nexus-rpc';

/** The Nexus service the engine's tests call from a workflow and handle on another worker. */
export const faxService = nexus.service('fax', {
  /** Answers at once (a synchronous operation). */
  echo: nexus.operation<string, string>(),
  /** Runs a workflow (an asynchronous operation): its result is the operation's. */
  viaWorkflow: nexus.operation<string, string>(),
  /** The handler turns the request down (BAD_REQUEST: not retried). */
  rejects: nexus.operation<string, string>(),
  /** Fails on its first attempts (INTERNAL: retried), then answers. */
  flaky: nexus.operation<string, string>(),
  /** The operation fails (an operation error). */
  declines: nexus.operation<string, string>(),
  /** Answers after two seconds (real time): a start request that is still out for a while. */
  slow: nexus.operation<string, string>(),
  /** Always fails with a retryable handler error. */
  busy: nexus.operation<string, string>(),
  /** Fails with an INTERNAL handler error the handler marks non-retryable (a non-retryable application failure). */
  outOfPaper: nexus.operation<string, string>(),
  /** Runs a workflow whose first run fails and is retried, and whose retry continues as new before it answers. */
  viaChain: nexus.operation<string, string>(),
});
