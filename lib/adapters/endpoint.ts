/**
 * Where the store is, as the aws CLI reads it: the option first, then AWS_ENDPOINT_URL_S3,
 * then AWS_ENDPOINT_URL. Kept apart from the S3 client config so that choosing between a
 * `file://` store and S3 does not load the AWS SDK.
 */
export function resolveEndpoint(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = option ?? env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
  return value && value.trim() !== '' ? value.trim() : undefined;
}
