import readline from 'node:readline';
import { hashPassword, MIN_PASSWORD_LENGTH } from '../support/passwords';
import { isSupportUserName, withSupportUser } from '../support/users';

const USAGE = `Usage: durafax support-user add NAME

Asks for NAME's password (twice at a terminal; one line on a pipe) and prints the
SUPPORT_USERS value with NAME added: the password's scrypt hash, never the password.
`;

/** Reads one line from a terminal without showing what is typed. */
function askHidden(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const input = process.stdin;
    process.stderr.write(prompt);
    let typed = '';
    input.setRawMode(true);
    input.resume();
    input.setEncoding('utf8');
    const done = (err?: Error): void => {
      input.setRawMode(false);
      input.pause();
      input.removeListener('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(typed);
    };
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new Error('cancelled'));
        if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
        else typed += ch;
      }
    };
    input.on('data', onData);
  });
}

/** The first line of a piped stdin (scripts and tests). */
async function readLine(): Promise<string> {
  const lines = readline.createInterface({ input: process.stdin, terminal: false });
  for await (const line of lines) {
    lines.close();
    return line;
  }
  return '';
}

async function askPassword(): Promise<string> {
  if (!process.stdin.isTTY) return readLine();
  const first = await askHidden('Password: ');
  const second = await askHidden('Again: ');
  if (first !== second) throw new Error('the two passwords differ');
  return first;
}

/** `durafax support-user add NAME`: a support user's configuration entry. */
export async function runSupportUser(argv: string[]): Promise<void> {
  const [command, name, ...rest] = argv;
  if (command !== 'add' || !name || rest.length) {
    process.stderr.write(USAGE);
    process.exitCode = 2;
    return;
  }
  if (!isSupportUserName(name)) throw new Error(`"${name}" is not a user name: lower-case letters, digits, . _ - (and not "sandbox")`);
  const password = await askPassword();
  if (password.length < MIN_PASSWORD_LENGTH) throw new Error(`the password must have at least ${MIN_PASSWORD_LENGTH} characters`);
  const value = withSupportUser(process.env.SUPPORT_USERS, { name, passwordHash: await hashPassword(password) });
  process.stderr.write(`Set this for the web (and the Temporal UI), replacing SUPPORT_USERS; restart them to apply:\n`);
  process.stdout.write(`SUPPORT_USERS='${value}'\n`);
}
