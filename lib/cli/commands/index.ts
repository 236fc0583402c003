/**
 * Every CLI command, registered explicitly (no commandDir). Each module exports a factory
 * taking the CliContext and returning a yargs CommandModule with an async handler that
 * returns (never exits).
 */
import type { CommandModule } from 'yargs';

import type { CliContext } from '../context';

export type CommandFactory = (ctx: CliContext) => CommandModule<any, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export const commands: CommandFactory[] = [];
