/** CPU time and memory of each part of a running stack, by the names the tables print. */
import { spawn } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { childrenMemory, cpuOf, memoryOf, treeCpuMs, treePssMb, type Memory, type Role } from './fax-processes';
import type { Stack } from './fax-stack';

const NODE_ROLES: Role[] = ['web', 'worker', 'engine', 'sandbox', 'ui'];
export const CONVERSIONS = "worker's conversion processes";
export const SUPERVISOR = 'durafax start (with the sandboxes and the Temporal UI)';
export const POSTGRES = 'PostgreSQL, all processes (PSS)';

/** CPU time used so far, in ms: each process with its descendants, the worker's conversions apart, and this process. */
export function cpuNow(stack: Stack): Map<string, number> {
  const pids = stack.processes();
  const out = new Map<string, number>();
  // Its own time only: its children are counted below, each apart.
  if (stack.supervisorPid) out.set(SUPERVISOR, cpuOf(stack.supervisorPid)?.ownMs ?? 0);
  for (const role of NODE_ROLES) {
    const pid = pids[role];
    if (!pid) continue;
    const own = cpuOf(pid)?.ownMs ?? 0;
    out.set(role, role === 'worker' ? own : treeCpuMs(pid));
    if (role === 'worker') out.set(CONVERSIONS, treeCpuMs(pid) - own);
  }
  if (pids.postgres) out.set('PostgreSQL', treeCpuMs(pids.postgres));
  const self = process.cpuUsage();
  out.set('the senders and the watcher (this process)', (self.user + self.system) / 1000);
  return out;
}

/**
 * Memory held now: VmRSS, VmHWM and PSS of each Node process, `durafax start` itself included;
 * the worker's conversion processes together (no peak: they come and go); PostgreSQL's
 * processes as summed PSS (in both columns: their RSS would count the shared buffers many times).
 */
export function memoryNow(stack: Stack): Map<string, Memory> {
  const out = new Map<string, Memory>();
  const supervisor = stack.supervisorPid ? memoryOf(stack.supervisorPid) : null;
  if (supervisor) out.set(SUPERVISOR, supervisor);
  const pids = stack.processes();
  for (const role of NODE_ROLES) {
    const pid = pids[role];
    const mem = pid ? memoryOf(pid) : null;
    if (mem) out.set(role, mem);
  }
  if (pids.worker) out.set(CONVERSIONS, { ...childrenMemory(pids.worker), peakMb: NaN });
  if (pids.postgres) {
    const pss = treePssMb(pids.postgres);
    out.set(POSTGRES, { rssMb: pss, pssMb: pss, peakMb: NaN });
  }
  return out;
}

/** Resident memory (`rssMb`) or PSS (`pssMb`) of every process together, in MiB. */
export function sumMb(memory: Map<string, Memory>, field: 'rssMb' | 'pssMb' = 'rssMb'): number {
  return [...memory.values()].reduce((sum, m) => sum + m[field], 0);
}

/** The memory of a Node process that does nothing: the floor under every process above. */
export async function bareNodeMemory(): Promise<Memory> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => undefined, 1000)'], { stdio: 'ignore' });
  try {
    await delay(1000);
    return (child.pid ? memoryOf(child.pid) : null) ?? { rssMb: NaN, peakMb: NaN, pssMb: NaN };
  } finally {
    child.kill('SIGTERM');
  }
}
