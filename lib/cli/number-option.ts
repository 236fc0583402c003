/**
 * Numeric options, parsed strictly and bounded: yargs' own `number` type turns '' into 0 and
 * takes `1e7` for a concurrency, so every numeric flag is declared here instead. A value out
 * of range or not a number is a usage error before anything runs.
 */
import { usageError } from './context';

export interface NumberRule {
  min: number;
  max: number;
  integer?: boolean;
}

/** `--flag`'s value as a number within the rule; undefined when the flag was not given. */
export function parseNumberOption(flag: string, raw: unknown, rule: NumberRule): number | undefined {
  if (raw === undefined) return undefined;
  const text = String(raw).trim();
  const value = text === '' ? NaN : Number(text);
  if (!Number.isFinite(value) || (rule.integer === true && !Number.isInteger(value)) || value < rule.min || value > rule.max) {
    const kind = rule.integer ? 'a whole number' : 'a number';
    throw usageError(`--${flag} must be ${kind} from ${rule.min} to ${rule.max} (got ${JSON.stringify(String(raw))})`);
  }
  return value;
}

/** A yargs option for a bounded number (the parsed value reaches the handler as a number). */
export function numberOption(flag: string, rule: NumberRule, spec: { describe: string; default?: number }) {
  return {
    ...spec,
    type: 'string' as const,
    coerce: (raw: unknown) => parseNumberOption(flag, raw, rule),
  };
}

/** Transfers or objects in flight: enough for any link, not enough to exhaust memory. */
export const CONCURRENCY: NumberRule = { min: 1, max: 1024, integer: true };
export const MAX_RATIO: NumberRule = { min: 0, max: 1 };
