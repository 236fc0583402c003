/**
 * BucketAclPort: bucket ACLs, kept apart from StoragePort because only real S3 has them
 * (FsStorage and s3rver do not). Shapes follow S3's PutBucketAcl / GetBucketAcl, without
 * AWS types, so the CLI's passthrough commands stay free of the SDK.
 */
export type CannedBucketAcl = 'private' | 'public-read' | 'public-read-write' | 'authenticated-read';

export type AclPermission = 'FULL_CONTROL' | 'WRITE' | 'WRITE_ACP' | 'READ' | 'READ_ACP';

export interface AclGrantee {
  Type: 'CanonicalUser' | 'AmazonCustomerByEmail' | 'Group';
  ID?: string;
  DisplayName?: string;
  EmailAddress?: string;
  URI?: string;
}

export interface AclGrant {
  Grantee?: AclGrantee;
  Permission?: AclPermission;
}

export interface AclOwner {
  ID?: string;
  DisplayName?: string;
}

/** The JSON document `aws s3api get-bucket-acl` prints and `--access-control-policy` takes. */
export interface AccessControlPolicy {
  Owner?: AclOwner;
  Grants?: AclGrant[];
}

export interface PutBucketAclInput {
  bucket: string;
  acl?: CannedBucketAcl;
  /** Grant headers as S3 takes them, e.g. `id=abc,uri="http://acs.amazonaws.com/groups/global/AllUsers"`. */
  grantRead?: string;
  grantWrite?: string;
  grantReadAcp?: string;
  grantWriteAcp?: string;
  grantFullControl?: string;
  accessControlPolicy?: AccessControlPolicy;
}

export interface BucketAclPort {
  putBucketAcl(input: PutBucketAclInput): Promise<void>;
  getBucketAcl(bucket: string): Promise<AccessControlPolicy>;
}
