/**
 * `deltaglider config set|get|unset s3://bucket [NAME [VALUE]]` — settings a bucket pins for
 * every client that writes to it (lib/core/bucket-config.ts), e.g.
 * `deltaglider config set s3://releases delta-format vcdiff` keeps every object in the
 * bucket readable by the Python DeltaGlider, whatever each build agent's environment says.
 */
import type { Argv, CommandModule } from 'yargs';

import { BUCKET_SETTINGS, BucketConfigStore, parseDeltaFormat, type BucketConfig } from '../../core/bucket-config';
import { bucketArgument } from '../bucket-argument';
import { CliContext, usageError } from '../context';
import { GlobalArgs, openRuntime, withGlobalOptions } from '../runtime';

interface ConfigArgs extends GlobalArgs {
  action: string;
  bucket: string;
  name?: string;
  value?: string;
}

const ACTIONS = ['get', 'set', 'unset'] as const;

export function configCommand(ctx: CliContext): CommandModule<object, ConfigArgs> {
  const settings = Object.entries(BUCKET_SETTINGS).map(([name, s]) => `  ${name}: ${s.values.join(' | ')} — ${s.describe}`).join('\n');
  return {
    command: 'config <action> <bucket> [name] [value]',
    describe: 'Show or pin settings a bucket applies to every client (e.g. delta-format vcdiff)',
    builder: (y: Argv) =>
      withGlobalOptions(
        y
          .positional('action', { choices: ACTIONS, demandOption: true, describe: 'get, set or unset' })
          .positional('bucket', { type: 'string', demandOption: true, describe: 's3://bucket' })
          .positional('name', { type: 'string', describe: 'Setting name' })
          .positional('value', { type: 'string', describe: 'Value (set)' })
          .epilogue(`Settings:\n${settings}\n\nExamples:\n  deltaglider config set s3://releases delta-format vcdiff\n  deltaglider config get s3://releases`),
      ) as unknown as Argv<ConfigArgs>,
    handler: (args: ConfigArgs) => runConfig(ctx, args),
  };
}

async function runConfig(ctx: CliContext, args: ConfigArgs): Promise<void> {
  const bucket = bucketArgument(args.bucket);
  const name = args.name === undefined ? undefined : settingName(args.name);
  if (args.action !== 'get' && name === undefined) throw usageError(`config ${args.action} needs a setting name`);
  if (args.action === 'set' && args.value === undefined) throw usageError(`config set ${name} needs a value`);
  if (args.action !== 'set' && args.value !== undefined) throw usageError(`config ${args.action} takes no value`);
  if (args.value !== undefined && !BUCKET_SETTINGS[name!].values.includes(args.value)) {
    throw usageError(`${name} must be one of ${BUCKET_SETTINGS[name!].values.join(', ')} (got ${JSON.stringify(args.value)})`);
  }
  const runtime = openRuntime(args, ctx.io);
  try {
    const store = new BucketConfigStore(runtime.storage);
    let config: BucketConfig;
    if (args.action === 'get') config = await store.get(bucket);
    else config = await store.set(bucket, name!, args.action === 'set' ? parseDeltaFormat(args.value, `config set ${name}`) : undefined);
    const shown = name === undefined ? config : { [name]: config[name] };
    if (args.json) ctx.json({ bucket, config: shown });
    else if (!args.quiet) for (const key of name === undefined ? Object.keys(BUCKET_SETTINGS) : [name]) ctx.out(`${key}: ${config[key as keyof BucketConfig] ?? '(not set)'}`);
  } finally {
    await runtime.close();
  }
}

function settingName(name: string): keyof BucketConfig {
  if (name in BUCKET_SETTINGS) return name as keyof BucketConfig;
  throw usageError(`unknown setting ${JSON.stringify(name)} (known: ${Object.keys(BUCKET_SETTINGS).join(', ')})`);
}
