/**
 * Reads AWS Secrets Manager secret strings with a cache, so a warm Lambda does not ask on every
 * request and a rotated value is picked up within `ttlMs`: Powertools' `SecretsProvider` (cache
 * with a max age) on the project's Secrets Manager client (`@aws-sdk/client-secrets-manager`,
 * shared/aws-clients/). Used by the receiver (webhook secrets), the workers (Kaltura credentials,
 * destination secrets) and the CLI (`{ secret }` references).
 */
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { secretsManagerClient } from '../aws-clients/secrets-manager.js';
import { SecretNotFoundError } from './resolve-secret.js';

export interface CachedSecretOptions {
  /** Default: the execution environment's shared Secrets Manager client. */
  readonly client?: SecretsManagerClient;
  /** How long a value is used before it is read again. Default 5 minutes. */
  readonly ttlMs?: number;
}

/** A reader of one secret's string. A failure is the SDK's own error (Powertools' wrapper removed), so callers can classify it. */
export function cachedSecretString(secretId: string, options: CachedSecretOptions = {}): () => Promise<string> {
  const maxAge = Math.max(1, Math.round((options.ttlMs ?? 300_000) / 1000));
  let provider: SecretsProvider | undefined;
  return async () => {
    provider ??= new SecretsProvider({ awsSdkV3Client: options.client ?? secretsManagerClient() });
    let value: string | Uint8Array | undefined;
    try {
      value = await provider.get(secretId, { maxAge });
    } catch (error) {
      throw (error as { cause?: unknown }).cause ?? error;
    }
    if (typeof value !== 'string' || value === '') throw new SecretNotFoundError(`Secrets Manager "${secretId}"`);
    return value;
  };
}

/** The webhook secrets secret holds `{"secrets": ["current", "previous"]}`; a bare string or a comma list also works. */
export function parseWebhookSecrets(value: string): string[] {
  const text = value.trim();
  if (text.startsWith('{') || text.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // No cause and no JSON.parse message: V8 quotes the input (the secrets) in it.
      throw new SecretNotFoundError('webhook secrets (not valid JSON; expected {"secrets": ["current", "previous"]})');
    }
    const list = Array.isArray(parsed) ? parsed : (parsed as { secrets?: unknown } | null)?.secrets;
    if (!Array.isArray(list)) throw new SecretNotFoundError('webhook secrets (expected {"secrets": ["current", "previous"]})');
    return list.filter((s): s is string => typeof s === 'string' && s.trim() !== '').map((s) => s.trim());
  }
  return text.split(',').map((s) => s.trim()).filter((s) => s !== '');
}
