/**
 * Memory of the running Durafax processes, read from /proc: the supervisor's children are
 * told apart by their command line (`index.js web`, `… worker`, …).
 */
import fs from 'node:fs';

/** `sandbox` and `ui` are processes of their own when started so (the crash-storm stack); `durafax start` runs them in its own process. */
export type Role = 'web' | 'worker' | 'engine' | 'sandbox' | 'ui' | 'postgres';

export interface Memory {
  /** Resident set now, in MiB (VmRSS). */
  rssMb: number;
  /** Highest resident set since the process started, in MiB (VmHWM). */
  peakMb: number;
  /**
   * Proportional set size now, in MiB: its resident pages, each page shared with other
   * processes counted as its share (the `node` binary's pages, about 34 MB, are in every Node
   * process's RSS but in memory once).
   */
  pssMb: number;
}

function read(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    // The process ended between listing and reading.
    return null;
  }
}

/** The fields of /proc/<pid>/stat after the command name, from field 3 (state) on. */
function statFields(pid: number): string[] | null {
  const stat = read(`/proc/${pid}/stat`);
  // The command name in parentheses may hold spaces; the fields after it are fixed.
  return stat ? stat.slice(stat.lastIndexOf(')') + 2).split(' ') : null;
}

function parentOf(pid: number): number | null {
  const fields = statFields(pid);
  return fields ? Number(fields[1]) : null;
}

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

export interface CpuTime {
  /** User and system time of the process itself, in ms. */
  ownMs: number;
  /** User and system time of its children that ended and were waited for, in ms. */
  endedChildrenMs: number;
}

/** CPU time used so far; null once the process is gone. */
export function cpuOf(pid: number): CpuTime | null {
  const f = statFields(pid);
  if (!f) return null;
  const ms = (i: number): number => (Number(f[i]) * 1000) / TICKS_PER_SECOND;
  // utime, stime, cutime, cstime are fields 14–17, i.e. 11–14 here.
  return { ownMs: ms(11) + ms(12), endedChildrenMs: ms(13) + ms(14) };
}

/**
 * CPU time of a live process's threads so far, in ms to the nanosecond (the scheduler's
 * /proc/<pid>/task/<tid>/schedstat, where /proc/<pid>/stat counts 10 ms ticks); threads that
 * have ended are not counted. Null once the process is gone.
 */
export function threadsCpuMs(pid: number): number | null {
  let tasks: string[];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return null;
  }
  return tasks.reduce((sum, tid) => sum + Number(read(`/proc/${pid}/task/${tid}/schedstat`)?.split(' ')[0] ?? 0) / 1e6, 0);
}

/** Direct children of a process. */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    if (parentOf(Number(entry)) === pid) out.push(Number(entry));
  }
  return out;
}

function roleOf(pid: number): Role | null {
  const cmdline = read(`/proc/${pid}/cmdline`);
  if (!cmdline) return null;
  const args = cmdline.split('\0');
  if (args[0].endsWith('/postgres')) return 'postgres';
  const cli = args.findIndex((a) => a.endsWith('/cli/index.js'));
  const command = cli >= 0 ? args[cli + 1] : undefined;
  return command === 'web' || command === 'worker' || command === 'engine' || command === 'sandbox' || command === 'ui' ? command : null;
}

/** The supervisor's children by role. */
export function stackProcesses(supervisorPid: number): Partial<Record<Role, number>> {
  const out: Partial<Record<Role, number>> = {};
  for (const pid of childrenOf(supervisorPid)) {
    const role = roleOf(pid);
    if (role) out[role] = pid;
  }
  return out;
}

function kib(status: string, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return m ? Number(m[1]) : 0;
}

/** VmRSS, VmHWM and PSS of one process; null once it is gone. */
export function memoryOf(pid: number): Memory | null {
  const status = read(`/proc/${pid}/status`);
  if (!status) return null;
  const rollup = read(`/proc/${pid}/smaps_rollup`);
  return { rssMb: kib(status, 'VmRSS') / 1024, peakMb: kib(status, 'VmHWM') / 1024, pssMb: rollup ? kib(rollup, 'Pss') / 1024 : NaN };
}

/**
 * Proportional set size of a process and all its children, in MiB: for PostgreSQL, whose
 * backends share one buffer pool, adding their RSS would count it many times over.
 */
export function treePssMb(pid: number): number {
  const rollup = read(`/proc/${pid}/smaps_rollup`);
  const own = rollup ? kib(rollup, 'Pss') / 1024 : 0;
  return own + childrenOf(pid).reduce((sum, child) => sum + treePssMb(child), 0);
}

/** Resident set and PSS of a process's children together (the worker's conversion processes), in MiB. */
export function childrenMemory(pid: number): { rssMb: number; pssMb: number } {
  return childrenOf(pid).reduce(
    (sum, child) => {
      const mem = memoryOf(child);
      return { rssMb: sum.rssMb + (mem?.rssMb ?? 0), pssMb: sum.pssMb + (mem?.pssMb ?? 0) };
    },
    { rssMb: 0, pssMb: 0 },
  );
}

/** CPU time of a process and all its descendants, running or ended, in ms. */
export function treeCpuMs(pid: number): number {
  const cpu = cpuOf(pid);
  if (!cpu) return 0;
  return cpu.ownMs + cpu.endedChildrenMs + childrenOf(pid).reduce((sum, child) => sum + treeCpuMs(child), 0);
}
