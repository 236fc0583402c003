/**
 * Progress bars on stderr, only when stderr is a terminal and the user did not ask for
 * silence (--quiet, --only-show-errors, --no-progress, --json). Piped output and CI logs
 * never get bar noise; the API is the same either way so commands do not branch.
 */
import { MultiBar, Presets } from 'cli-progress';

import type { CliIO } from './context';
import { humanSize } from './format';

export interface ProgressBar {
  /** Bytes done so far (and the total, when it becomes known). */
  update(bytes: number, total?: number): void;
  done(): void;
}

export interface Progress {
  bar(label: string, total: number): ProgressBar;
  /**
   * Print a finished-transfer line. While bars are drawn, a line written straight to the
   * terminal would be overdrawn, so it goes above the bars instead; otherwise `write` it.
   */
  print(line: string, write: (line: string) => void): void;
  stop(): void;
}

const silentBar: ProgressBar = { update() {}, done() {} };
const silentProgress: Progress = { bar: () => silentBar, print: (line, write) => write(line), stop() {} };

export interface ProgressOptions {
  quiet?: boolean;
  noProgress?: boolean;
  json?: boolean;
}

export function createProgress(io: CliIO, options: ProgressOptions): Progress {
  if (!io.stderrIsTTY || options.quiet || options.noProgress || options.json) return silentProgress;
  const multi = new MultiBar(
    {
      stream: io.stderr,
      format: '{bar} {percentage}% | {done} / {size} | {label}',
      hideCursor: true,
      clearOnComplete: true,
      stopOnComplete: false,
      autopadding: true,
    },
    Presets.shades_classic,
  );
  return {
    bar(label, total) {
      const size = Math.max(total, 1);
      const bar = multi.create(size, 0, { label, done: humanSize(0), size: humanSize(total) });
      return {
        update(bytes, newTotal) {
          if (newTotal !== undefined && newTotal > 0) bar.setTotal(newTotal);
          bar.update(bytes, { done: humanSize(bytes), size: humanSize(newTotal ?? total) });
        },
        done() {
          multi.remove(bar);
        },
      };
    },
    print(line, write) {
      // Only when stdout is the same terminal; redirected output must stay on stdout.
      if (io.stdoutIsTTY) multi.log(line + '\n');
      else write(line);
    },
    stop() {
      multi.stop();
    },
  };
}
