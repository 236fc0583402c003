import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  const state = (globalThis as Record<string, unknown>).__DG_S3RVER__ as
    | { child: ChildProcess; directory: string }
    | undefined;
  if (!state) return;
  await new Promise<void>((resolve) => {
    state.child.once('exit', () => resolve());
    state.child.kill('SIGTERM');
  });
  rmSync(state.directory, { recursive: true, force: true });
}
