/** lib/client: DeltaGliderClient, the AWS-SDK-v3-shaped library API. */
import { DeltaGliderClient } from './client';
import type { DeltaGliderClientOptions } from './options';

export { DeltaGliderClient } from './client';
export type { BatchOptions, BatchOutcome, DeltaGliderPutObjectOutput, UploadOptions } from './client';
export type { DeltaGliderClientOptions } from './options';
export type { SdkBody, SdkStreamHelpers } from './sdk-body';
export type { SdkCompatibleError } from './sdk-errors';

/** A client to use where an S3Client was: same methods and `send()` commands, on logical keys. */
export function createClient(options: DeltaGliderClientOptions = {}): DeltaGliderClient {
  return new DeltaGliderClient(options);
}
