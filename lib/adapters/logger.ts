/**
 * The default Logger: one line per event on stderr (stdout is for command output), e.g.
 *   deltaglider DEBUG uploaded delta key=releases/1.2/app.zip ratio=0.031
 * Level from the option, else DG_LOG_LEVEL, else warn.
 */
import { DeltaGliderError } from '../errors';
import type { Logger, LogLevel } from '../ports/logger';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface LoggerOptions {
  level?: LogLevel;
  stream?: NodeJS.WritableStream;
  env?: NodeJS.ProcessEnv;
}

export function parseLogLevel(text: string): LogLevel {
  const level = text.trim().toLowerCase();
  if (level in RANK) return level as LogLevel;
  throw new DeltaGliderError('ERR_DG_USAGE', `log level must be one of ${Object.keys(RANK).join(', ')}; got ${JSON.stringify(text)}`);
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const env = options.env ?? process.env;
  const level = options.level ?? (env.DG_LOG_LEVEL ? parseLogLevel(env.DG_LOG_LEVEL) : 'warn');
  const stream = options.stream ?? process.stderr;
  const threshold = RANK[level];
  const emit = (at: Exclude<LogLevel, 'silent'>) => (message: string, fields?: Record<string, unknown>) => {
    if (RANK[at] < threshold) return;
    stream.write(formatLine(at, message, fields) + '\n');
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

export function formatLine(level: string, message: string, fields?: Record<string, unknown>): string {
  let line = `deltaglider ${level.toUpperCase()} ${message}`;
  for (const [key, value] of Object.entries(fields ?? {})) {
    if (value === undefined) continue;
    line += ` ${key}=${formatValue(value)}`;
  }
  return line;
}

function formatValue(value: unknown): string {
  if (value instanceof Error) return quoteIfNeeded((value as { code?: string }).code ? `${(value as { code?: string }).code}: ${value.message}` : value.message);
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string') return quoteIfNeeded(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === null) return 'null';
  try {
    return JSON.stringify(value);
  } catch {
    return quoteIfNeeded(String(value));
  }
}

/** Quote values with spaces, quotes, '=' or control characters, so lines stay parseable. */
function quoteIfNeeded(text: string): string {
  return /^[^\s"=\\\u0000-\u001f]*$/.test(text) && text !== '' ? text : JSON.stringify(text);
}
