/**
 * Reads a Secrets Manager secret string (GetSecretValue, JSON 1.1) through the small signed client,
 * with a cache so a warm Lambda does not ask on every request and a rotated value is picked up
 * within `ttlMs`. Used by the receiver for its webhook secrets without the SDK at cold start.
 */
import { createAwsJsonClient, type AwsJsonClient } from './aws-json-client.js';
import type { AwsHttpOptions } from './aws-http.js';
import { SecretNotFoundError } from '../secrets/resolve-secret.js';

export function createSecretsManagerClient(options: Partial<AwsHttpOptions> & { endpoint?: string } = {}): AwsJsonClient {
  return createAwsJsonClient({ service: 'secretsmanager', targetPrefix: 'secretsmanager', jsonVersion: '1.1', ...options });
}

export function cachedSecretString(secretId: string, options: { client?: AwsJsonClient; ttlMs?: number; now?: () => number } = {}): () => Promise<string> {
  const client = options.client ?? createSecretsManagerClient();
  const ttl = options.ttlMs ?? 300_000;
  const now = options.now ?? Date.now;
  let cached: { value: string; at: number } | undefined;
  let inflight: Promise<string> | undefined;
  return async () => {
    if (cached && now() - cached.at < ttl) return cached.value;
    inflight ??= client
      .call<{ SecretString?: string }>('GetSecretValue', { SecretId: secretId })
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
