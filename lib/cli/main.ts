/**
 * The CLI entry point. `main(argv, io)` parses, runs one command and returns the exit
 * code; bin/deltaglider calls it with process.argv and sets process.exitCode. Tests call
 * it directly with captured streams.
 */
import yargs from 'yargs';

import { DeltaGliderError, isDeltaGliderError } from '../errors';
import { CliContext, CliIO, EXIT_FAILURE, EXIT_USAGE, processIO } from './context';
import { commands } from './commands';
import { failure } from './transfer-report';
import { packageVersion } from '../core/tool-version';

// Not require('../../package.json'): from dist/lib/cli that path misses the package root.
const version = packageVersion();

export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  const ctx = new CliContext(io);
  ctx.argv = argv;
  const parser = yargs()
    .scriptName('deltaglider')
    .usage('$0 <command> [options]\n\nStore build artifacts in S3 as binary deltas; get them back byte-exact.')
    .option('debug', { type: 'boolean', describe: 'Log debug detail to stderr' })
    .strict()
    .demandCommand(1, 'Give a command; see --help.')
    .recommendCommands()
    .version(version)
    .help()
    .alias('h', 'help')
    .wrap(Math.min(100, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((message, error) => {
      // yargs calls this for its own validation errors (message, or a YError: it wraps what
      // an option's coerce throws) and for errors thrown by handlers (error). Rethrow so one
      // place below decides the exit code.
      if (error?.name === 'YError') throw new DeltaGliderError('ERR_DG_USAGE', error.message);
      throw error ?? new DeltaGliderError('ERR_DG_USAGE', message);
    });
  for (const factory of commands) parser.command(factory(ctx));

  try {
    await parser.parseAsync(argv, {}, (_err, _args, output) => {
      // --help / --version text: yargs hands it here instead of printing to the console.
      if (output) ctx.text(output);
    });
  } catch (err) {
    report(ctx, err, argv);
  }
  return ctx.exitCode;
}

function report(ctx: CliContext, err: unknown, argv: string[]): void {
  const usage = isDeltaGliderError(err, 'ERR_DG_USAGE');
  const message = err instanceof Error ? err.message : String(err);
  if (usage) {
    ctx.err(`deltaglider: ${message}`);
    ctx.err('Run `deltaglider --help` (or `deltaglider <command> --help`) for usage.');
  } else if (isDeltaGliderError(err)) {
    ctx.err(`deltaglider: error: ${message} (${err.code})`);
  } else {
    ctx.err(`deltaglider: error: ${message}`);
  }
  if (argv.includes('--debug') && err instanceof Error && err.stack) ctx.io.stderr.write(`${err.stack}\n`);
  // A script reading --json output gets the failure as JSON too (the text stays on stderr),
  // shaped like a failed transfer's `error`.
  if (argv.includes('--json')) ctx.json({ error: failure(err) });
  ctx.fail(usage ? EXIT_USAGE : EXIT_FAILURE);
}
