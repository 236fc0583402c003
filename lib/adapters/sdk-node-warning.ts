/**
 * The AWS SDK (via @aws-sdk/core's emitWarningIfUnsupportedVersion, called when a client is
 * constructed) prints a multi-line "NodeVersionSupportWarning ... upgrade to node >=22" on
 * Node 20. Our users cannot act on it and it pollutes CLI stderr, so we use the switch the
 * SDK itself checks: AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true. This is the one
 * place that sets it; every adapter calls it before building an SDK client. A value the user
 * set explicitly is left alone.
 */
const SWITCH = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';

export function silenceSdkNodeVersionWarning(): void {
  if (process.env[SWITCH] === undefined) process.env[SWITCH] = 'true';
}
