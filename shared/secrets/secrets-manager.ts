/**
 * Reads AWS Secrets Manager secret strings (`GetSecretValue`, `@aws-sdk/client-secrets-manager`)
 * with a cache, so a warm Lambda does not ask on every request and a rotated value is picked up
 * within `ttlMs`. Used by the receiver (webhook secrets), the workers (Kaltura credentials,
 * destination secrets) and the CLI (`{ secret }` references).
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { secretsManagerClient } from '../aws-clients/secrets-manager.js';
import { SecretNotFoundError } from './resolve-secret.js';

export interface CachedSecretOptions {
  /** Default: the execution environment's shared Secrets Manager client. */
  readonly client?: Pick<SecretsManagerClient, 'send'>;
  /** How long a value is used before it is read again. Default 5 minutes. */
  readonly ttlMs?: number;
  readonly now?: () => number;
}

/** A reader of one secret's string; concurrent first reads share one request. */
export function cachedSecretString(secretId: string, options: CachedSecretOptions = {}): () => Promise<string> {
  const ttl = options.ttlMs ?? 300_000;
  const now = options.now ?? Date.now;
  let cached: { value: string; at: number } | undefined;
  let inflight: Promise<string> | undefined;
  return async () => {
    if (cached && now() - cached.at < ttl) return cached.value;
    inflight ??= (options.client ?? secretsManagerClient())
      .send(new GetSecretValueCommand({ SecretId: secretId }))
      .then((out) => {
        if (!out.SecretString) throw new SecretNotFoundError(`Secrets Manager "${secretId}"`);
        cached = { value: out.SecretString, at: now() };
        return out.SecretString;
      })
      .finally(() => {
        inflight = undefined;
      });
    return inflight;
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
