import type { Readable } from 'node:stream';

export interface PutResult {
  readonly key: string;
  readonly bytes: number;
  /** Lowercase hex SHA-256 of the stored bytes. */
  readonly sha256: string;
}

/**
 * Object storage: S3 in AWS, files under `DATA_DIR/bucket/` locally. Same keys in both.
 * A put is atomic: until it resolves nothing is visible at `key`; a failed put leaves nothing.
 */
export interface BlobStore {
  putStream(key: string, body: Readable | AsyncIterable<Uint8Array | string>, options: { contentType: string; metadata?: Record<string, string> }): Promise<PutResult>;
  putBytes(key: string, body: Uint8Array | string, options: { contentType: string; metadata?: Record<string, string> }): Promise<PutResult>;
  /** `undefined` when there is no object at `key`. */
  getBytes(key: string): Promise<Buffer | undefined>;
}
