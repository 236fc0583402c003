/**
 * Every CLI command, registered explicitly (no commandDir). Each module exports a factory
 * taking the CliContext and returning a yargs CommandModule with an async handler that
 * returns (never exits).
 */
import type { CommandModule } from 'yargs';

import type { CliContext } from '../context';
import { cpCommand } from './cp';
import { deltaCommand } from './delta';
import { lsCommand } from './ls';
import { rmCommand } from './rm';
import { verifyCommand } from './verify';
import { syncCommand } from './sync';
import { statsCommand } from './stats';
import { migrateCommand } from './migrate';
import { presignCommand } from './presign';
import { purgeCommand } from './purge';
import { mbCommand } from './mb';
import { rbCommand } from './rb';
import { putBucketAclCommand } from './put-bucket-acl';
import { getBucketAclCommand } from './get-bucket-acl';
import { configCommand } from './config';

export type CommandFactory = (ctx: CliContext) => CommandModule<any, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export const commands: CommandFactory[] = [cpCommand, lsCommand, rmCommand, verifyCommand, deltaCommand,
  syncCommand, statsCommand, migrateCommand, presignCommand, purgeCommand, mbCommand, rbCommand,
  putBucketAclCommand, getBucketAclCommand, configCommand,
];
