import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { officeToPdf } from '../../src/conversion/child/sources/office';
import { ConversionProcess } from '../../src/conversion/conversion-process';
import { canRunOffline, converterEnvironment } from '../../src/conversion/converter-environment';

/** Secrets as the worker holds them: a converter must see none of them. */
const SECRETS: Record<string, string> = {
  APP_SECRET: 'app-secret-0123456789abcdef0123456789',
  STRIPE_SECRET_KEY: 'sk_test_secret_for_converter_test',
  DATABASE_URL: 'postgres://durafax:pg-password-for-converter-test@127.0.0.1/durafax',
  TELNYX_API_KEY: 'KEY_telnyx_secret_for_converter_test',
};

const linux = process.platform === 'linux';
if (!linux) console.warn('Converter environment tests skipped: they read /proc, which only Linux has.');

let saved: NodeJS.ProcessEnv;
beforeAll(() => {
  saved = { ...process.env };
  Object.assign(process.env, SECRETS);
});
afterAll(() => {
  for (const name of Object.keys(SECRETS)) delete process.env[name];
  Object.assign(process.env, saved);
});

function expectNoSecret(environment: Record<string, string | undefined>): void {
  const text = JSON.stringify(environment);
  for (const [name, value] of Object.entries(SECRETS)) {
    expect(environment[name]).toBeUndefined();
    expect(text).not.toContain(value);
  }
}

/** A process's environment as the kernel started it with. */
function environOf(pid: number): Record<string, string> {
  const raw = fs.readFileSync(`/proc/${pid}/environ`, 'utf8');
  return Object.fromEntries(
    raw
      .split('\0')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
}

test('the environment handed to converters keeps paths and language, and drops everything else', () => {
  const env = converterEnvironment({ HOME: '/tmp/job' }, { PATH: '/usr/bin', LANG: 'de_DE.UTF-8', ...SECRETS, NODE_OPTIONS: '--require /x.js' });
  expect(env).toEqual({ PATH: '/usr/bin', LANG: 'de_DE.UTF-8', HOME: '/tmp/job' });
});

(linux ? test : test.skip)(
  'a conversion process sees no secret in its environment',
  async () => {
    const child = ConversionProcess.start(256);
    try {
      await child.ready;
      expect(child.pid).toBeDefined();
      const env = environOf(child.pid!);
      expectNoSecret(env);
      expect(env.PATH).toBe(process.env.PATH);
    } finally {
      child.killGroup();
    }
  },
  60_000,
);

(linux ? test : test.skip)(
  'LibreOffice gets no secret and, where the machine allows, no network',
  async () => {
    // Stands in for LibreOffice: writes what it sees (its environment, whether it reached a
    // server of this test on the loopback address) where LibreOffice writes its PDF.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'durafax-converter-env-'));
    const connections: net.Socket[] = [];
    const server = net.createServer((socket) => connections.push(socket.end()));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    const fake = path.join(dir, 'fake-soffice');
    fs.writeFileSync(
      fake,
      `#!${process.execPath}
const fs = require('node:fs');
const net = require('node:net');
const out = process.argv[process.argv.indexOf('--outdir') + 1];
const done = (reached) => fs.writeFileSync(out + '/document.pdf', JSON.stringify({ env: process.env, reached }));
const socket = net.connect(${port}, '127.0.0.1', () => { socket.destroy(); done(true); });
socket.on('error', () => done(false));
`,
      { mode: 0o700 },
    );
    try {
      const seen = JSON.parse((await officeToPdf(fake, Buffer.from('doc'), 'docx', dir, 30_000)).toString('utf8')) as { env: Record<string, string>; reached: boolean };
      expectNoSecret(seen.env);
      expect(seen.env.HOME).toBe(dir);
      if (canRunOffline()) {
        expect(seen.reached).toBe(false);
        expect(connections).toHaveLength(0);
      } else {
        console.warn('LibreOffice keeps the network here: unshare is missing or user namespaces are not allowed (see README, Security).');
        expect(seen.reached).toBe(true);
      }
    } finally {
      server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
  60_000,
);
