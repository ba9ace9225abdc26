import { spawn, type ChildProcess } from 'node:child_process';

/**
 * A process of the test's own that can be frozen (SIGSTOP) and thawed (SIGCONT), to see what
 * a client does when a dependency stops answering without closing its connections. Every
 * test that freezes one thaws it in a `finally`, and stops it at the end.
 */
export interface Freezable {
  pid: number;
  freeze(): void;
  thaw(): void;
  stop(): Promise<void>;
}

export function freezable(child: ChildProcess): Freezable {
  const pid = child.pid;
  if (pid === undefined) throw new Error('the process did not start');
  return {
    pid,
    freeze: () => process.kill(pid, 'SIGSTOP'),
    thaw: () => process.kill(pid, 'SIGCONT'),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) {
          resolve();
          return;
        }
        child.once('exit', () => resolve());
        // A frozen process must run again to die of SIGTERM.
        process.kill(pid, 'SIGCONT');
        child.kill('SIGTERM');
      }),
  };
}

/** Forwards every connection on a loopback port to `targetPort` on the loopback address. */
const PROXY = `
const net = require('node:net');
const target = Number(process.argv[1]);
const server = net.createServer((client) => {
  const upstream = net.connect(target, '127.0.0.1');
  client.pipe(upstream).pipe(client);
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
});
server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));
`;

/** A TCP proxy in a process of its own, on a loopback port, to `targetPort`: freezing it freezes the dependency behind it. */
export async function startProxy(targetPort: number): Promise<Freezable & { port: number }> {
  const child = spawn(process.execPath, ['-e', PROXY, String(targetPort)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString('utf8').trim())));
    child.once('exit', (code) => reject(new Error(`the proxy exited (${code})`)));
  });
  return { ...freezable(child), port };
}
