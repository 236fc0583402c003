/**
 * --include / --exclude with `aws s3` semantics: every file is included to begin with, the
 * filters are applied in the order given on the command line and the LAST one that matches
 * decides. Patterns are globs (`*` any run of characters, '/' included, as aws does; `?` one
 * character; `[...]` a character class, `[!...]` its negation) matched against the path
 * relative to the source root, with '/' as separator.
 */
import { usageError } from './context';

export interface FilterRule {
  kind: 'include' | 'exclude';
  pattern: string;
}

export class PathFilter {
  private readonly compiled: { kind: FilterRule['kind']; regex: RegExp }[];

  constructor(readonly rules: readonly FilterRule[]) {
    this.compiled = rules.map((rule) => ({ kind: rule.kind, regex: globToRegExp(rule.pattern) }));
  }

  get isEmpty(): boolean {
    return this.rules.length === 0;
  }

  /** Whether the transfer should touch `relativePath`. */
  includes(relativePath: string): boolean {
    let included = true;
    for (const rule of this.compiled) {
      if (rule.regex.test(relativePath)) included = rule.kind === 'include';
    }
    return included;
  }
}

/**
 * The filter rules in command-line order. yargs keeps --include and --exclude in two separate
 * arrays and so loses their relative order, which decides the outcome; the raw argv keeps it.
 */
export function filterRulesFromArgv(argv: readonly string[]): FilterRule[] {
  const rules: FilterRule[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') break;
    const match = /^--(include|exclude)(?:=(.*))?$/s.exec(arg);
    if (!match) continue;
    const kind = match[1] as FilterRule['kind'];
    const pattern = match[2] ?? argv[++i];
    if (pattern === undefined) throw usageError(`--${kind} needs a pattern`);
    rules.push({ kind, pattern });
  }
  return rules;
}

/**
 * Rules from the parsed option arrays, used when the raw argv is not available: excludes
 * first, then includes, which is right for the common `--exclude '*' --include '*.zip'`.
 */
export function filterRulesFromOptions(include: readonly string[] = [], exclude: readonly string[] = []): FilterRule[] {
  return [
    ...exclude.map((pattern) => ({ kind: 'exclude' as const, pattern })),
    ...include.map((pattern) => ({ kind: 'include' as const, pattern })),
  ];
}

/**
 * The filter of a command: rules from the raw argv when it holds exactly the filters yargs
 * parsed (the normal case), else from the parsed arrays.
 */
export function filterFromArgs(rawArgv: readonly string[], include: readonly string[] = [], exclude: readonly string[] = []): PathFilter {
  const ordered = filterRulesFromArgv(rawArgv);
  return new PathFilter(ordered.length === include.length + exclude.length ? ordered : filterRulesFromOptions(include, exclude));
}

export function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '*') source += '.*';
    else if (ch === '?') source += '.';
    else if (ch === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) {
        source += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, end);
      const negate = body.startsWith('!');
      if (negate) body = body.slice(1);
      source += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      i = end;
    } else source += ch.replace(/[.+^${}()|\\/\]]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's');
}
