import { rmSync } from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  const state = (globalThis as Record<string, unknown>).__DG_S3RVER__ as
    | { server: { close(): Promise<void> }; directory: string }
    | undefined;
  if (!state) return;
  await state.server.close();
  rmSync(state.directory, { recursive: true, force: true });
}
