/**
 * Reading an AWS SDK v3 error without importing any client: its service error code (`name`, e.g.
 * `ConditionalCheckFailedException`, `NoSuchKey`, `AccessDenied`), its HTTP status, and whether
 * trying again later can help. The SDK has already retried throttling, 5xx and network failures
 * `maxAttempts` times by the time an error reaches us; "retryable" here means the job should come
 * back later (SQS redelivery), not that the same call should be repeated now.
 */

interface SdkErrorShape {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly $fault?: unknown;
  readonly $retryable?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
}

/** The service's error code (`ConditionalCheckFailedException`), or a Node error code (`ECONNREFUSED`). */
export function awsErrorCode(error: unknown): string {
  const e = error as SdkErrorShape | undefined;
  if (typeof e?.name === 'string' && e.name !== 'Error') return e.name;
  if (typeof e?.code === 'string') return e.code;
  return typeof e?.name === 'string' ? e.name : 'Error';
}

export function awsHttpStatus(error: unknown): number | undefined {
  const status = (error as SdkErrorShape | undefined)?.$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

/** Codes that never get better by waiting: the resource or the permission is missing, or the request is wrong. */
const PERMANENT_CODES = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'AuthorizationError',
  'AuthorizationErrorException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'NoSuchBucket',
  'ResourceNotFoundException',
  'QueueDoesNotExist',
  'AWS.SimpleQueueService.NonExistentQueue',
  'NotFound',
  'NotFoundException',
  'ValidationException',
  'InvalidParameter',
  'InvalidParameterException',
  'InvalidParameterValue',
  'InvalidParameterValueException',
  'KMSDisabledException',
  'CredentialsProviderError',
]);

/** Whether the work should be tried again later: throttling, server faults, timeouts and network errors are; the rest not. */
export function isRetryableAwsError(error: unknown): boolean {
  const e = error as SdkErrorShape | undefined;
  const code = awsErrorCode(error);
  if (PERMANENT_CODES.has(code)) return false;
  if (e?.$retryable) return true;
  const status = awsHttpStatus(error);
  if (status !== undefined) return status >= 500 || status === 429 || status === 408 || /Throttl|SlowDown|RequestLimitExceeded|TooManyRequests|ProvisionedThroughputExceeded/.test(code);
  // No HTTP answer at all: a connection refused/reset or a timeout. Worth another go.
  return true;
}

/** One line for a log or an error message: `SendMessageBatch failed: AccessDenied (HTTP 403): <the service's message>`. */
export function describeAwsError(operation: string, error: unknown): string {
  const status = awsHttpStatus(error);
  const message = error instanceof Error && error.message && error.message !== awsErrorCode(error) ? `: ${error.message}` : '';
  return `${operation} failed: ${awsErrorCode(error)}${status ? ` (HTTP ${status})` : ''}${message}`;
}
