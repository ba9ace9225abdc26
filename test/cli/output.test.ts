import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';

/**
 * A process whose output reader goes away (its supervisor or parent killed outright, its
 * terminal closed) while it logs, and that logs its uncaught errors as the engine and the
 * supervisor do. Before `src/output.ts`, every failed write was an uncaught error whose report
 * went to the same dead stream, and so on (tens of thousands a second; the supervisor spun on
 * them and never stopped its children). Now the output is dropped: no uncaught error at all.
 */
const ROOT = path.resolve(__dirname, '..', '..');

const CHILD = `
const { createLogger } = require('./src/log');
const log = createLogger('test', 'info');
let uncaught = 0;
process.on('uncaughtException', (err) => {
  uncaught++;
  log.error('uncaught exception', { err });
});
log.info('ready');
const busy = setInterval(() => log.info('working', { pad: 'x'.repeat(200) }), 1);
process.stdin.on('close', () => {
  for (let i = 0; i < 2000; i++) log.info('stopping', { i });
  clearInterval(busy);
  setTimeout(() => {
    log.info('stopped');
    // The exit code says how many uncaught errors there were (capped).
    process.exit(Math.min(uncaught, 100));
  }, 200);
});
process.stdin.resume();
`;

test('a process whose output reader is gone drops its output: no write error reaches it, and it stops when told', async () => {
  const child = spawn(process.execPath, ['-r', './src/conversion/child/register-ts.js', '-e', CHILD], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const lines = readline.createInterface({ input: child.stdout });
  await new Promise<void>((resolve, reject) => {
    lines.on('line', (line) => {
      if (line.includes('"ready"')) resolve();
    });
    void exited.then(() => reject(new Error('the child exited before it was ready')));
  });
  // The reader goes away: nothing reads the child's output any more, then its stdin closes.
  lines.close();
  child.stdout.destroy();
  child.stderr.destroy();
  await new Promise((resolve) => setTimeout(resolve, 300));
  child.stdin.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const { code, signal } = await exited;
  clearTimeout(timer);
  expect(signal).toBeNull();
  expect(code).toBe(0);
}, 60_000);
