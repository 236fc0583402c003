/**
 * What a command handler gets besides its parsed arguments: the process's streams (or a
 * test's captured ones), output helpers, and the exit code it wants. Handlers never call
 * process.exit; main() returns ctx.exitCode.
 */
import { DeltaGliderError } from '../errors';
import { escapeControl } from './format';

export interface CliIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  /** True when stdout / stderr are terminals (progress bars only then). */
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export function processIO(): CliIO {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    env: process.env,
    cwd: process.cwd(),
  };
}

/** Exit codes, as `aws s3` uses them. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export class CliContext {
  exitCode = EXIT_OK;
  /**
   * The raw arguments main() parses. Commands read option ORDER from it where yargs loses it
   * (--include/--exclude: the last matching filter wins).
   */
  argv: readonly string[] = [];

  constructor(readonly io: CliIO) {}

  /**
   * A line of normal output on stdout. Control characters in it (from object keys, file
   * names, messages) are shown escaped, so a key cannot move the cursor, recolour the
   * terminal or fake another line.
   */
  out(line: string): void {
    this.io.stdout.write(escapeControl(line) + '\n');
  }

  /** A line of diagnostics on stderr, escaped like out(). */
  err(line: string): void {
    this.io.stderr.write(escapeControl(line) + '\n');
  }

  /** Text of our own, several lines long (help), written as it is. */
  text(text: string): void {
    this.io.stdout.write(text + '\n');
  }

  /** Machine-readable output: one JSON document on stdout. */
  json(value: unknown): void {
    this.io.stdout.write(JSON.stringify(value, null, 2) + '\n');
  }

  /** Record a failure without stopping (e.g. one file of many failed); the worst code wins. */
  fail(code: number = EXIT_FAILURE): void {
    this.exitCode = Math.max(this.exitCode, code);
  }
}

/** A bad command line: printed with a hint, exit code 2. */
export function usageError(message: string): DeltaGliderError {
  return new DeltaGliderError('ERR_DG_USAGE', message);
}
