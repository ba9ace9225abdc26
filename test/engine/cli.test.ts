import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { freePort } from '../../src/net';
import { parseEngineArgs } from '../../src/engine/cli-args';
import { ENGINE_LAUNCHER } from '../helpers/temporal';

test('the time-skipping test server shape: <port> [extra args]', () => {
  expect(parseEngineArgs(['43210', '--whatever'], {})).toMatchObject({ port: 43210, timeSkipping: true });
});

test("the temporal CLI's dev-server shape, unknown flags tolerated", () => {
  const opts = parseEngineArgs(
    [
      'server',
      'start-dev',
      '--port',
      '7244',
      '--namespace',
      'faxes',
      '--ip',
      '127.0.0.1',
      '--log-format',
      'pretty',
      '--log-level',
      'warn',
      '--dynamic-config-value',
      'frontend.enableUpdateWorkflowExecution=true',
      '--headless',
      '--search-attribute',
      'FaxStatus=Keyword',
      '--brand-new-flag',
    ],
    {},
  );
  expect(opts).toMatchObject({ port: 7244, host: '127.0.0.1', inMemory: true, namespaces: ['faxes'], logLevel: 'warn', searchAttributes: { FaxStatus: 2 } });
  expect(opts.timeSkipping).toBeUndefined();
  expect(parseEngineArgs(['server', 'start-dev', '--db-filename', '/tmp/x.db'], {})).toMatchObject({ inMemory: false, dbFile: '/tmp/x.db' });
  expect(parseEngineArgs(['server', 'start-dev', '--dynamic-config-value', 'limit.blobSize.error=1024'], {})).toMatchObject({ dynamicConfig: { 'limit.blobSize.error': '1024' } });
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

describe('the dev-server shape as the SDK starts it', () => {
  let tmp: string;
  beforeEach(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'durafax-dev-server-'));
  });
  afterEach(async () => {
    await fs.rm(tmp, { recursive: true, force: true });
  });
  const executable = { type: 'existing-path' as const, path: process.env.TEMPORAL_CLI_PATH ?? ENGINE_LAUNCHER };

  test('--db-filename F creates F and keeps the state in it across restarts', async () => {
    const dbFilename = path.join(tmp, 'dev.db');
    const first = await TestWorkflowEnvironment.createLocal({ server: { executable, dbFilename } });
    const workflowId = `kept-${randomUUID()}`;
    await first.client.workflow.start('anything', { taskQueue: 'nobody-polls', workflowId });
    await first.teardown();
    expect((await fs.stat(dbFilename)).size).toBeGreaterThan(0);
    const second = await TestWorkflowEnvironment.createLocal({ server: { executable, dbFilename } });
    try {
      expect((await second.client.workflow.getHandle(workflowId).describe()).status.name).toBe('RUNNING');
    } finally {
      await second.teardown();
    }
  });

  test('--ui-port serves the Temporal UI and its API there', async () => {
    const uiPort = await freePort();
    const env = await TestWorkflowEnvironment.createLocal({ server: { executable, ui: true, uiPort } });
    try {
      const settings = (await (await fetch(`http://127.0.0.1:${uiPort}/api/v1/settings`)).json()) as { DefaultNamespace: string };
      expect(settings.DefaultNamespace).toBe('default');
      const namespaces = (await (await fetch(`http://127.0.0.1:${uiPort}/api/v1/namespaces`)).json()) as { namespaces: { namespaceInfo: { name: string } }[] };
      expect(namespaces.namespaces.map((n) => n.namespaceInfo.name)).toContain('default');
      expect((await fetch(`http://127.0.0.1:${uiPort}/`)).status).toBe(200);
    } finally {
      await env.teardown();
    }
  });
});
