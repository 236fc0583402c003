/**
 * BucketAclPort on an S3Client: PutBucketAcl / GetBucketAcl passed through, with S3's
 * errors turned into DeltaGliderError codes. Stores without ACLs (s3rver, MinIO, many
 * gateways) answer NotImplemented or similar; that becomes ERR_DG_NOT_IMPLEMENTED with a
 * message naming the store's reply, so the CLI can say so plainly.
 */
import { GetBucketAclCommand, PutBucketAclCommand, type S3Client } from '@aws-sdk/client-s3';

import { DeltaGliderError } from '../errors';
import type { AccessControlPolicy, BucketAclPort, PutBucketAclInput } from '../ports/bucket-acl';
import type { StoragePort } from '../ports/storage';
import { mapS3Error } from './s3-errors';
import { S3Storage } from './s3-storage';

export class S3BucketAcl implements BucketAclPort {
  constructor(private readonly client: S3Client) {}

  async putBucketAcl(input: PutBucketAclInput): Promise<void> {
    const hasGrant = [input.grantRead, input.grantWrite, input.grantReadAcp, input.grantWriteAcp, input.grantFullControl]
      .some((g) => g !== undefined);
    if (!input.acl && !hasGrant && !input.accessControlPolicy) {
      throw new DeltaGliderError('ERR_DG_USAGE', 'put-bucket-acl needs --acl, a --grant-* option or --access-control-policy');
    }
    try {
      await this.client.send(
        new PutBucketAclCommand({
          Bucket: input.bucket,
          ACL: input.acl,
          GrantRead: input.grantRead,
          GrantWrite: input.grantWrite,
          GrantReadACP: input.grantReadAcp,
          GrantWriteACP: input.grantWriteAcp,
          GrantFullControl: input.grantFullControl,
          AccessControlPolicy: input.accessControlPolicy,
        }),
      );
    } catch (err) {
      throw aclError(err, 'PutBucketAcl', input.bucket);
    }
  }

  async getBucketAcl(bucket: string): Promise<AccessControlPolicy> {
    let out;
    try {
      out = await this.client.send(new GetBucketAclCommand({ Bucket: bucket }));
    } catch (err) {
      throw aclError(err, 'GetBucketAcl', bucket);
    }
    // A store that ignores ?acl may answer 200 with some other document: no Grants array
    // and no Owner means it did not understand the request.
    if (!out.Owner && !out.Grants) {
      throw new DeltaGliderError('ERR_DG_NOT_IMPLEMENTED', `GetBucketAcl on ${bucket}: the store returned no ACL (bucket ACLs are not supported by this store)`);
    }
    return { Owner: out.Owner, Grants: out.Grants } as AccessControlPolicy;
  }
}

function aclError(err: unknown, operation: string, bucket: string): DeltaGliderError {
  const mapped = mapS3Error(err, `${operation} s3://${bucket}`);
  const s3Code = (err as { name?: string } | null)?.name;
  if (mapped.code === 'ERR_DG_NOT_IMPLEMENTED' || s3Code === 'AccessControlListNotSupported') {
    const why = s3Code === 'AccessControlListNotSupported'
      ? 'the bucket has ACLs disabled (Object Ownership "bucket owner enforced")'
      : 'this store does not support bucket ACLs';
    return new DeltaGliderError('ERR_DG_NOT_IMPLEMENTED', `${mapped.message} — ${why}`, { cause: err });
  }
  return mapped;
}

/** Bucket ACLs for a store: S3 has them, a file:// store does not (undefined). */
export function bucketAclFor(storage: StoragePort): BucketAclPort | undefined {
  return storage instanceof S3Storage ? new S3BucketAcl(storage.client) : undefined;
}

/** bucketAclFor, or ERR_DG_NOT_IMPLEMENTED naming the store. */
export function requireBucketAcl(storage: StoragePort): BucketAclPort {
  const port = bucketAclFor(storage);
  if (!port) throw new DeltaGliderError('ERR_DG_NOT_IMPLEMENTED', `bucket ACLs are not supported by ${storage.description}`);
  return port;
}
