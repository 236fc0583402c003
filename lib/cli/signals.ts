/**
 * The CLI process on SIGINT / SIGTERM: give the terminal its cursor back (progress bars
 * hide it), undo what is in flight (lib/interrupt: temp files, scratch directories,
 * multipart uploads), and exit with 128 + the signal's number, as a shell reports a process
 * the signal killed: 130 for SIGINT, 143 for SIGTERM. A second signal exits at once.
 */
import { undoInterrupted } from '../interrupt';

const SIGNALS = { SIGINT: 2, SIGTERM: 15 } as const;
/** Long enough for a few AbortMultipartUpload requests, short enough for an impatient Ctrl-C. */
const CLEANUP_TIMEOUT_MS = 5000;
const SHOW_CURSOR = '\u001b[?25h';

export function exitCleanlyOnSignals(): void {
  let stopping = false;
  for (const [signal, number] of Object.entries(SIGNALS)) {
    process.on(signal, () => {
      const status = 128 + number;
      if (stopping) process.exit(status);
      stopping = true;
      if (process.stderr.isTTY) process.stderr.write(`${SHOW_CURSOR}\n`);
      void undoInterrupted(CLEANUP_TIMEOUT_MS).finally(() => process.exit(status));
    });
  }
}
