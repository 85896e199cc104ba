/**
 * Resolves destination secrets (`SecretRef`) for the alert engine: `{ env }` from the environment,
 * `{ secret, field? }` from Secrets Manager, cached for `ttlMs` so a rotated URL is picked up without
 * a redeploy. One implementation for the Lambdas, the local runtime and the CLI
 * (`shared/secrets/resolve-secret.ts`); this only binds its options.
 */
import type { SecretRef } from '../config/schema.js';
import { resolveSecret } from '../secrets/resolve-secret.js';

export function createSecretResolver(options: { env?: NodeJS.ProcessEnv; ttlMs?: number } = {}): (ref: SecretRef) => Promise<string> {
  return (ref) => resolveSecret(ref, options);
}
