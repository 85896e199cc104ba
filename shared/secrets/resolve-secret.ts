/**
 * Resolves a configuration `SecretRef` to its value: an environment variable, or an AWS Secrets
 * Manager secret (optionally a JSON field of it). Values are cached for the life of the process
 * (a Lambda execution environment) for `ttlMs`, so rotation is picked up without a redeploy.
 *
 * The Secrets Manager client is imported lazily: functions that only use environment references
 * never pay for it at cold start.
 */
import type { SecretRef } from '../config/schema.js';
import { ReportingError } from '../errors/base-error.js';

export class SecretNotFoundError extends ReportingError {
  readonly retryable = false;
  constructor(what: string, options?: { cause?: unknown }) {
    super(`Secret ${what} is not set. Set it (environment variable or AWS Secrets Manager secret) and retry.`, options);
  }
}

const cache = new Map<string, { value: string; at: number }>();

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
  const cacheKey = `${ref.secret}#${ref.field ?? ''}`;
  const cached = cache.get(cacheKey);
  if (cached && Date.now() - cached.at < (options.ttlMs ?? 300_000)) return cached.value;
  const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  let secretString: string | undefined;
  try {
    const out = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: ref.secret }));
    secretString = out.SecretString;
  } catch (cause) {
    throw new SecretNotFoundError(describeSecretRef(ref), { cause });
  }
  let value = secretString;
  if (ref.field && secretString) {
    try {
      const parsed = JSON.parse(secretString) as Record<string, unknown>;
      value = typeof parsed[ref.field] === 'string' ? (parsed[ref.field] as string) : undefined;
    } catch {
      value = undefined;
    }
  }
  if (!value) throw new SecretNotFoundError(describeSecretRef(ref));
  cache.set(cacheKey, { value, at: Date.now() });
  return value;
}
