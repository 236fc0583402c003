/** Every logical object under a prefix, page by page, through the service (internals hidden). */
import type { DeltaServiceApi, LogicalObject } from '../core/types';

export async function* listLogicalObjects(
  service: DeltaServiceApi,
  bucket: string,
  prefix: string,
): AsyncGenerator<LogicalObject> {
  let token: string | undefined;
  do {
    const page = await service.list(bucket, { prefix, continuationToken: token });
    for (const object of page.objects) {
      if (!isInternalKey(object.key)) yield object;
    }
    token = page.nextContinuationToken;
  } while (token);
}

/** reference.bin and .deltaglider/ are DeltaGlider's own; users never see them. */
export function isInternalKey(key: string): boolean {
  return key === 'reference.bin' || key.endsWith('/reference.bin') || key === '.deltaglider/' || key.startsWith('.deltaglider/');
}
