/**
 * Resolves a configuration `SecretRef` to its value: an environment variable, or an AWS Secrets
 * Manager secret (optionally a JSON field of it). Values are cached for the life of the process
 * (a Lambda execution environment) for `ttlMs`, so rotation is picked up without a redeploy.
 *
 * The Secrets Manager reader (secrets-manager.ts, `@aws-sdk/client-secrets-manager`) is imported
 * lazily: a process that only uses environment references never loads the SDK client.
 */
import type { SecretRef } from '../config/schema.js';
import { ReportingError } from '../errors/base-error.js';

export class SecretNotFoundError extends ReportingError {
  readonly retryable = false;
  constructor(what: string, options?: { cause?: unknown }) {
    super(`Secret ${what} is not set. Set it (environment variable or AWS Secrets Manager secret) and retry.`, options);
  }
}

/** Secrets Manager could not be asked right now (throttled, unreachable). Retryable. */
export class SecretUnavailableError extends ReportingError {
  readonly retryable = true;
  constructor(what: string, options?: { cause?: unknown }) {
    super(`Secret ${what} could not be read right now (Secrets Manager throttled or unreachable); it will be retried.`, options);
  }
}

const readers = new Map<string, () => Promise<string>>();

export function describeSecretRef(ref: SecretRef): string {
  return 'env' in ref ? `environment variable ${ref.env}` : `Secrets Manager "${ref.secret}"${ref.field ? ` field "${ref.field}"` : ''}`;
}

export async function resolveSecret(ref: SecretRef, options: { env?: NodeJS.ProcessEnv; ttlMs?: number } = {}): Promise<string> {
  const env = options.env ?? process.env;
  if ('env' in ref) {
    const value = env[ref.env];
    if (!value) throw new SecretNotFoundError(describeSecretRef(ref));
    return value;
  }
  let read = readers.get(ref.secret);
  if (!read) {
    const { cachedSecretString } = await import('./secrets-manager.js');
    read = cachedSecretString(ref.secret, options.ttlMs !== undefined ? { ttlMs: options.ttlMs } : {});
    readers.set(ref.secret, read);
  }
  let secretString: string;
  try {
    secretString = await read();
  } catch (cause) {
    if (cause instanceof SecretNotFoundError) throw cause;
    // A throttled or unreachable Secrets Manager is worth another go later; anything else is a missing secret or permission.
    const { isRetryableAwsError } = await import('../aws-clients/aws-errors.js');
    if (isRetryableAwsError(cause)) throw new SecretUnavailableError(describeSecretRef(ref), { cause });
    throw new SecretNotFoundError(describeSecretRef(ref), { cause });
  }
  if (!ref.field) return secretString;
  let value: unknown;
  try {
    value = (JSON.parse(secretString) as Record<string, unknown>)[ref.field];
  } catch {
    value = undefined;
  }
  if (typeof value !== 'string' || value === '') throw new SecretNotFoundError(describeSecretRef(ref));
  return value;
}
