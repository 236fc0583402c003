/**
 * How S3Storage finds its endpoint, region and credentials: the same places the aws CLI
 * looks (options first, then AWS_* environment variables), so `deltaglider` and `aws s3`
 * talk to the same store with the same setup.
 */
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { fromIni } from '@aws-sdk/credential-providers';
import { resolveEndpoint } from './endpoint';
import { silenceSdkNodeVersionWarning } from './sdk-node-warning';

export interface S3ConnectionOptions {
  /** Custom endpoint (MinIO, Ceph, R2, s3rver...). Default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL. */
  endpointUrl?: string;
  /** Default: AWS_REGION, AWS_DEFAULT_REGION, else us-east-1. */
  region?: string;
  /** Named profile from ~/.aws/config and ~/.aws/credentials. */
  profile?: string;
  /** Path-style URLs (default: true when a custom endpoint is used). */
  forcePathStyle?: boolean;
  /** Attempts per request including the first (SDK standard retry strategy). Default 5. */
  maxAttempts?: number;
}

export const DEFAULT_MAX_ATTEMPTS = 5;

export function resolveRegion(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return option || env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1';
}

/** Every S3Client we build starts from here, so this also silences the SDK's Node-version warning. */
export function buildS3ClientConfig(options: S3ConnectionOptions, env: NodeJS.ProcessEnv = process.env): S3ClientConfig {
  silenceSdkNodeVersionWarning();
  const endpoint = resolveEndpoint(options.endpointUrl, env);
  return {
    region: resolveRegion(options.region, env),
    ...(endpoint ? { endpoint } : {}),
    forcePathStyle: options.forcePathStyle ?? endpoint !== undefined,
    // Since SDK 3.729 the default is to send CRC checksums on every upload, which many
    // S3-compatible stores reject; only send them where the API requires them.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // The standard retry strategy backs off exponentially (with jitter) on throttling,
    // 5xx and transient network errors.
    maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    retryMode: 'standard',
    // No profile: the SDK's default chain (env, SSO, ini default profile, IMDS/ECS...).
    ...(options.profile ? { credentials: fromIni({ profile: options.profile }) } : {}),
  };
}
