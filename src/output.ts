/**
 * This process's stdout and stderr, as its logs and messages are written to them. Whoever reads
 * them can go away: a terminal closed, a supervisor or a parent killed outright. A write then
 * fails (EPIPE on a pipe or socket, EIO on a terminal), and Node reports that as an `error`
 * event on the stream; unhandled, it becomes an uncaught exception, whose report is written to
 * the same dead stream, and so on: a process that logs its uncaught errors (the supervisor,
 * the engine) spun on that at full CPU while its memory grew, and never stopped. So a failed
 * write is noted, and the stream's output is dropped from then on; the process carries on with
 * what it was doing (usually stopping, as its supervisor or parent is gone).
 */
type Stream = NodeJS.WriteStream;

const gone = new Set<Stream>();
let guarded = false;

/** Listens for the streams' write errors (once per process); done on first use. */
export function guardOutput(): void {
  if (guarded) return;
  guarded = true;
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => gone.add(stream));
}

function write(stream: Stream, text: string): void {
  guardOutput();
  if (gone.has(stream) || stream.destroyed) return;
  stream.write(text);
}

/** Writes to stdout, or drops the text once nobody reads it. */
export function writeOut(text: string): void {
  write(process.stdout, text);
}

/** Writes to stderr, or drops the text once nobody reads it. */
export function writeErr(text: string): void {
  write(process.stderr, text);
}
