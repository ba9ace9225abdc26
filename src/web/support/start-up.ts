import type { DataSource } from 'typeorm';
import type { Config } from '../../config/config';
import type { Logger } from '../../log';
import { SupportSignIn } from '../../support/sign-in';

/** How long the sandbox's printed sign-in link stays valid. */
const LINK_TTL_MS = 24 * 3_600_000;

/**
 * What the web does for support when it starts: ends the sessions of users no longer in
 * SUPPORT_USERS, and in sandbox mode prints a one-time sign-in link (to the terminal, not the
 * log: the link opens a session).
 */
export async function supportStartUp(db: DataSource, config: Config, log: Logger, print: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): Promise<void> {
  const signIn = new SupportSignIn(db, { users: config.support.users, sandbox: config.sandbox });
  const ended = await signIn.prune();
  if (ended) log.info('support sessions ended', { count: ended });
  if (!config.sandbox) {
    if (!config.support.users.length) log.info('no support users configured (SUPPORT_USERS): the support pages admit nobody');
    return;
  }
  const token = await signIn.newLoginLink(LINK_TTL_MS);
  print(`support sign-in (sandbox, one-time, 24 h): ${config.web.publicBaseUrl}/en/support/login/${token}`);
}
