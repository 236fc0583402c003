/** Every logical object under a prefix, page by page, through the service (internals hidden). */
import { isHiddenKey } from '../core/keys';
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
      if (!isHiddenKey(object.key)) yield object;
    }
    token = page.nextContinuationToken;
  } while (token);
}
