/**
 * Durable "have we seen this key?" with a conditional write: DynamoDB in AWS, a file-backed store
 * under `DATA_DIR` locally. Used by the receiver (key = eventNotificationJobId) so that Kaltura's
 * retries, even a day later or concurrent, produce one set of jobs.
 */
export type ClaimResult =
  /** This caller owns the key now and must `complete` or `release` it. */
  | { readonly status: 'claimed' }
  /** Already completed earlier. */
  | { readonly status: 'completed' }
  /** Another caller holds it right now (concurrent delivery). */
  | { readonly status: 'in-progress' };

export interface IdempotencyStore {
  /** Claim `key`; an in-progress claim older than `lockSeconds` can be taken over (its owner died). */
  claim(key: string, options: { lockSeconds: number }): Promise<ClaimResult>;
  /** Mark done; remembered for `ttlSeconds`. */
  complete(key: string, options: { ttlSeconds: number }): Promise<void>;
  /** Give the key back (the work failed before it was durable) so a retry can claim it. */
  release(key: string): Promise<void>;
}
