/** `deltaglider-node/<version>` for dg-tool, from package.json (found from source or dist/). */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

let cached: string | undefined;

export function packageVersion(): string {
  if (cached !== undefined) return cached;
  cached = '0.0.0';
  // lib/core -> ../../package.json; dist/lib/core -> ../../../package.json
  for (const up of ['../..', '../../..']) {
    const path = join(__dirname, up, 'package.json');
    if (!existsSync(path)) continue;
    try {
      const pkg = JSON.parse(readFileSync(path, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'deltaglider' && typeof pkg.version === 'string') {
        cached = pkg.version;
        break;
      }
    } catch {
      // not ours or unreadable: try the next candidate
    }
  }
  return cached;
}

export function defaultToolName(): string {
  return `deltaglider-node/${packageVersion()}`;
}
