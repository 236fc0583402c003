/**
 * What to undo when the process is interrupted (SIGINT, SIGTERM): temp files, scratch
 * directories, unfinished multipart uploads. Code registers an undo step while it holds
 * such a thing and drops it once done; the CLI's signal handler runs what is left before
 * the process exits. Nothing here installs a signal handler: a library user's process
 * decides for itself (and may call undoInterrupted() from its own handler).
 */
import { setTimeout as sleep } from 'node:timers/promises';

export type Undo = () => void | Promise<void>;

const pending = new Set<Undo>();

/** Register `undo` until the returned function is called (the work finished or was undone). */
export function undoOnInterrupt(undo: Undo): () => void {
  pending.add(undo);
  return () => {
    pending.delete(undo);
  };
}

/** Run every registered undo step at once, waiting at most `timeoutMs` for the slow ones. */
export async function undoInterrupted(timeoutMs: number): Promise<void> {
  const steps = [...pending];
  pending.clear();
  const all = Promise.allSettled(steps.map(async (undo) => undo()));
  await Promise.race([all, sleep(timeoutMs, undefined, { ref: false })]);
}
