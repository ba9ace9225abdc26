import { spawn } from 'node:child_process';
import net from 'node:net';
import { parseEngineArgs } from '../../src/engine/cli-args';
import { ENGINE_LAUNCHER } from '../helpers/temporal';

test('the time-skipping test server shape: <port> [extra args]', () => {
  expect(parseEngineArgs(['43210', '--whatever'], {})).toMatchObject({ port: 43210, timeSkipping: true });
});

test("the temporal CLI's dev-server shape, unknown flags tolerated", () => {
  const opts = parseEngineArgs(
    [
      'server', 'start-dev', '--port', '7244', '--namespace', 'faxes', '--ip', '127.0.0.1', '--log-format', 'pretty', '--log-level', 'warn',
      '--dynamic-config-value', 'frontend.enableUpdateWorkflowExecution=true', '--headless', '--search-attribute', 'FaxStatus=Keyword', '--brand-new-flag',
    ],
    {},
  );
  expect(opts).toMatchObject({ port: 7244, host: '127.0.0.1', inMemory: true, namespaces: ['faxes'], logLevel: 'warn', searchAttributes: { FaxStatus: 2 } });
  expect(opts.timeSkipping).toBeUndefined();
  expect(parseEngineArgs(['server', 'start-dev', '--db-filename', '/tmp/x.db'], {})).toMatchObject({ inMemory: false, dataDir: '/tmp/x.db.engine' });
});

test("durafax engine's own flags and ENGINE_PORT", () => {
  expect(parseEngineArgs([], { ENGINE_PORT: '7300' })).toMatchObject({ port: 7300 });
  expect(parseEngineArgs(['--port=7301', '--data-dir', '/var/x', '--in-memory'], {})).toMatchObject({ port: 7301, dataDir: '/var/x', inMemory: true });
  expect(() => parseEngineArgs(['--port', 'seventy'], {})).toThrow(/port number/);
  expect(() => parseEngineArgs(['--search-attribute', 'Nope=Float'], {})).toThrow(/Name=Type/);
});

test('a busy port is a one-line error and exit code 1', async () => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as net.AddressInfo).port;
  try {
    const child = spawn(process.execPath, [ENGINE_LAUNCHER, '--port', String(port), '--in-memory'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.stdout.resume();
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain(`127.0.0.1:${port}`);
    expect(stderr).toContain('already in use');
  } finally {
    blocker.close();
  }
});
