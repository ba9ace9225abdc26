/**
 * Ghostscript as the conversion bench's baseline, run the way a user runs it:
 *   gs -q -dNOPAUSE -dBATCH -dSAFER -sDEVICE=tiffg4 -r204x196 -sOutputFile=out.tif in.pdf
 * either as that one command (process start included), or started ahead of need with the same
 * options, reading PostScript from its standard input, and then handed the document
 * (`(in.pdf) run`): process start excluded, like a Durafax conversion in a warmed-up process.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { threadsCpuMs } from './fax-processes';

export interface Sample {
  ms: number;
  cpuMs: number;
  peakRssMb: number;
}

/** The options of the user's command, less the file names. */
const GS_OPTIONS = ['-q', '-dNOPAUSE', '-dSAFER', '-sDEVICE=tiffg4', '-r204x196'];

export function ghostscriptVersion(): string | null {
  const found = spawnSync('gs', ['--version'], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : null;
}

/** CPU time and peak resident memory of a running process, from /proc. */
function usage(pid: number): { cpuMs: number; peakRssMb: number } {
  const cpuMs = threadsCpuMs(pid);
  if (cpuMs === null) throw new Error(`process ${pid} is gone`);
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const peakRssMb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
  return { cpuMs, peakRssMb };
}

/**
 * The one-shot command: wall time from spawn to exit; CPU and peak RSS sampled from /proc
 * every millisecond while it runs (the last millisecond can be missed).
 */
export function runGsOnce(pdfPath: string, outPath: string): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const proc = spawn('gs', [...GS_OPTIONS, '-dBATCH', `-sOutputFile=${outPath}`, pdfPath], { stdio: 'ignore' });
    let last = { cpuMs: 0, peakRssMb: 0 };
    const sample = (): void => {
      try {
        last = usage(proc.pid!);
      } catch {
        // It has just exited.
      }
    };
    const timer = setInterval(sample, 1);
    proc.on('error', reject);
    proc.on('exit', (code) => {
      clearInterval(timer);
      if (code !== 0) reject(new Error(`gs exited with ${code}`));
      else resolve({ ms: performance.now() - started, ...last });
    });
  });
}

/** A Ghostscript process started ahead of need, waiting for a document on its standard input. */
export class WarmGhostscript {
  private readonly proc: ChildProcessWithoutNullStreams;
  private pending = '';
  private waiters: Array<(line: string) => void> = [];

  private constructor(inputDir: string, outPath: string) {
    // Under -dSAFER, Ghostscript reads only files it was told about.
    this.proc = spawn('gs', [...GS_OPTIONS, `--permit-file-read=${inputDir}${path.sep}`, `-sOutputFile=${outPath}`]);
    this.proc.stdout.resume();
    this.proc.stderr.on('data', (d: Buffer) => {
      this.pending += d.toString('utf8');
      for (let i = this.pending.indexOf('\n'); i >= 0; i = this.pending.indexOf('\n')) {
        const line = this.pending.slice(0, i);
        this.pending = this.pending.slice(i + 1);
        this.waiters.shift()?.(line);
      }
    });
  }

  /** Runs PostScript, then prints a marker on standard error (unbuffered) and waits for it. */
  private say(postscript: string, marker: string): Promise<string> {
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.proc.stdin.write(`${postscript} (%stderr) (w) file dup (${marker}\\n) writestring flushfile\n`);
    });
  }

  static async start(inputDir: string, outPath: string): Promise<WarmGhostscript> {
    const gs = new WarmGhostscript(inputDir, outPath);
    const answer = await gs.say('', 'ready');
    if (answer !== 'ready') throw new Error(`gs did not start: ${answer}`);
    return gs;
  }

  /** Converts one PDF: wall time from handing it over to the last page written. */
  async convert(pdfPath: string): Promise<Sample> {
    const before = usage(this.proc.pid!);
    const started = performance.now();
    const answer = await this.say(`(${pdfPath}) run`, 'done');
    const ms = performance.now() - started;
    if (answer !== 'done') throw new Error(`gs: ${answer}`);
    const after = usage(this.proc.pid!);
    return { ms, cpuMs: after.cpuMs - before.cpuMs, peakRssMb: after.peakRssMb };
  }

  async quit(): Promise<void> {
    const exited = new Promise((resolve) => this.proc.on('exit', resolve));
    this.proc.stdin.end('quit\n');
    await exited;
  }
}
