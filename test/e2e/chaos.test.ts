import { spawn } from 'node:child_process';
import path from 'node:path';

/**
 * The crash storm, short: bench/chaos.ts itself with a few faxes and a few seconds of kills
 * (every kind of process at least once), run as the bench runs, and its verdict read from
 * the JSON line it prints. Its invariants are tested on their own in invariants.test.ts.
 */
const ROOT = path.resolve(__dirname, '..', '..');

interface ChaosResult {
  faxes: number;
  accepted: number;
  kills: number;
  violations: number;
  violationList: unknown[];
  byRole: Record<string, { kills: number }>;
  outcomes: Record<string, Record<string, number>>;
}

test('a short crash storm: every fax final, nothing lost, sent or charged twice', async () => {
  const env = {
    ...process.env,
    CHAOS_FAXES: '8',
    CHAOS_SECONDS: '10',
    CHAOS_KILL_MS: '1200-2000',
    CHAOS_DOWNTIME_MS: '200-800',
    CHAOS_SENDERS: '4',
    // A worker killed while it submits a transmission holds that attempt until the submission's
    // start-to-close timeout (2 min, no heartbeat: src/workflows/fax-activities.ts), then the
    // retry comes 5 s later and the fax finishes: up to about 130 s after the kill. The drain
    // must outlast that; a fax still open after 60 s is described in the output.
    CHAOS_DRAIN_SECONDS: '150',
    CHAOS_SLOW_SECONDS: '60',
    PAYMENT_WINDOW: '6s',
    RETENTION: '2s',
    UPLOAD_TIMEOUT: '3s',
    CHAOS_RESULT: '1',
  };
  const bench = spawn(process.execPath, ['-r', './src/conversion/child/register-ts.js', 'bench/chaos.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  bench.stdout.on('data', (d: Buffer) => (output += d.toString()));
  bench.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const killer = setTimeout(() => bench.kill('SIGINT'), 220_000);
  const code = await new Promise<number | null>((resolve) => bench.once('exit', resolve));
  clearTimeout(killer);

  const line = output.split('\n').find((l) => l.startsWith('chaos-result '));
  if (!line) throw new Error(`the bench printed no result (exit ${code}):\n${output.slice(-4000)}`);
  const result = JSON.parse(line.slice('chaos-result '.length)) as ChaosResult;
  // A fax still open when the drain ran out is described by the bench (its workflow's pending
  // work and last events): shown with the violations.
  const stuck = output.split('\n').filter((l) => /^\[chaos [\d:]+\] (stuck|faxes still open)/.test(l));
  expect({ violations: result.violationList, stuck: result.violations ? stuck : [] }).toEqual({ violations: [], stuck: [] });
  expect(result.violations).toBe(0);
  expect(code).toBe(0);
  expect(result.accepted).toBe(result.faxes);
  // Each kind of process died at least once under the faxes.
  for (const role of ['worker', 'web', 'engine', 'postgres']) expect(result.byRole[role].kills).toBeGreaterThanOrEqual(1);
  const delivered = Object.values(result.outcomes).reduce((n, statuses) => n + (statuses.delivered ?? 0), 0);
  expect(delivered).toBeGreaterThanOrEqual(1);
}, 240_000);
