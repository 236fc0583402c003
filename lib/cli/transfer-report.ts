/**
 * The outcome of one transfer and how it is printed: aws-style lines (`upload: a to s3://b/a`)
 * plus how DeltaGlider stored it, or one JSON record per transfer with --json.
 */
import { isDeltaGliderError } from '../errors';
import type { ServicePutResult } from '../core/types';
import { humanSize, savedPercent } from './format';

export type Operation = 'upload' | 'download' | 'copy' | 'delete';

export interface TransferResult {
  operation: Operation;
  source: string;
  destination?: string;
  status: 'ok' | 'failed' | 'dryrun';
  /** Uploads and copies: how the object was stored. */
  storedAs?: ServicePutResult['storedAs'];
  directReason?: string;
  /** Downloads: how the object was stored. */
  kind?: 'delta' | 'direct';
  size?: number;
  storedSize?: number;
  sha256?: string;
  referenceKey?: string;
  error?: { code: string; message: string };
}

export function putOutcome(put: ServicePutResult): Partial<TransferResult> {
  return {
    storedAs: put.storedAs,
    size: put.originalSize,
    storedSize: put.storedSize,
    sha256: put.sha256,
    ...(put.directReason ? { directReason: put.directReason } : {}),
    ...(put.referenceKey ? { referenceKey: put.referenceKey } : {}),
  };
}

export function failure(err: unknown): TransferResult['error'] {
  if (isDeltaGliderError(err)) return { code: err.code, message: err.message };
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const message = err instanceof Error ? err.message : String(err);
  return { code: typeof code === 'string' ? code : 'ERROR', message };
}

const DIRECT_REASONS: Record<string, string> = {
  'not-a-candidate': 'not a delta candidate',
  ratio: 'delta above max-ratio',
  'no-delta': '--no-delta',
  empty: 'empty file',
};

/** `(delta, 1.2 MiB -> 3.4 KiB, 99.7% saved)`, `(reference)`, `(direct: not a delta candidate)`. */
export function storageNote(result: TransferResult): string {
  switch (result.storedAs) {
    case 'delta':
      return ` (delta, ${humanSize(result.size ?? 0)} -> ${humanSize(result.storedSize ?? 0)}, ${savedPercent(
        result.size ?? 0,
        result.storedSize ?? 0,
      )})`;
    case 'reference':
      return ' (reference)';
    case 'direct':
      return ` (direct: ${DIRECT_REASONS[result.directReason ?? ''] ?? result.directReason ?? 'stored as is'})`;
    default:
      return '';
  }
}

export function resultLine(result: TransferResult): string {
  const target = result.destination === undefined ? result.source : `${result.source} to ${result.destination}`;
  if (result.status === 'dryrun') return `(dryrun) ${result.operation}: ${target}`;
  if (result.status === 'failed') {
    return `${result.operation} failed: ${target} An error occurred (${result.error?.code}): ${result.error?.message}`;
  }
  return `${result.operation}: ${target}${storageNote(result)}`;
}
