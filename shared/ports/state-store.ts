/**
 * Small versioned documents with compare-and-set: alert state per (rule, subject), check results.
 * DynamoDB in AWS (condition on `version`), files under `DATA_DIR` locally.
 */
export interface Versioned<T> {
  readonly value: T;
  /** Opaque; pass back to `put` as `expectedVersion`. */
  readonly version: number;
}

export interface StateStore {
  get<T>(key: string): Promise<Versioned<T> | undefined>;
  /**
   * Write `value` only if the stored version is still `expectedVersion` (`undefined` = must not exist).
   * Returns false when someone else wrote first — re-read and decide again.
   */
  put<T>(key: string, value: T, expectedVersion: number | undefined): Promise<boolean>;
}
