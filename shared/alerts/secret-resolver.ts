/**
 * Resolves destination secrets (`SecretRef`) without the AWS SDK: `{ env }` from the environment,
 * `{ secret, field? }` from Secrets Manager through the small signed client (`shared/aws/`), cached
 * for `ttlMs` so a rotated URL is picked up without a redeploy. Same semantics and errors as
 * `shared/secrets/resolve-secret.ts`, which uses the SDK (full credential chain) and stays the choice
 * of the CLI; the workers use this one to keep the SDK out of their bundles.
 *
 * Note: Secrets Manager credentials come from the environment (as in Lambda). Locally, `{ env }`
 * references are the simple choice; `{ secret }` needs AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
 */
import type { SecretRef } from '../config/schema.js';
import { SecretNotFoundError, describeSecretRef } from '../secrets/resolve-secret.js';
import { cachedSecretString } from '../aws/secrets-manager-lite.js';

export function createSecretResolver(options: { env?: NodeJS.ProcessEnv; ttlMs?: number } = {}): (ref: SecretRef) => Promise<string> {
  const readers = new Map<string, () => Promise<string>>();
  return async (ref) => {
    if ('env' in ref) {
      const value = (options.env ?? process.env)[ref.env];
      if (!value) throw new SecretNotFoundError(describeSecretRef(ref));
      return value;
    }
    let read = readers.get(ref.secret);
    if (!read) {
      read = cachedSecretString(ref.secret, { ...(options.ttlMs !== undefined ? { ttlMs: options.ttlMs } : {}) });
      readers.set(ref.secret, read);
    }
    let text: string;
    try {
      text = await read();
    } catch (cause) {
      if (cause instanceof SecretNotFoundError) throw cause;
      const retryable = (cause as { retryable?: boolean })?.retryable === true;
      if (retryable) throw cause;
      throw new SecretNotFoundError(describeSecretRef(ref), { cause });
    }
    if (!ref.field) return text;
    let value: unknown;
    try {
      value = (JSON.parse(text) as Record<string, unknown>)[ref.field];
    } catch {
      value = undefined;
    }
    if (typeof value !== 'string' || value === '') throw new SecretNotFoundError(describeSecretRef(ref));
    return value;
  };
}
