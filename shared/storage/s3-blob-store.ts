/**
 * `BlobStore` on S3 with `@aws-sdk/client-s3` (imported on first use, only the commands it uses:
 * s3-sdk.ts). The upload logic (streamed multipart with pooled part buffers, SHA-256, nothing
 * partial ever visible) is in s3-multipart-store.ts; the Lambda workers run the same logic on the
 * small client without the SDK (s3-blob-store-lite.ts).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { BlobStore } from '../ports/blob-store.js';
import { createS3MultipartStore, type S3Module, type S3MultipartStoreOptions } from './s3-multipart-store.js';

export interface S3BlobStoreOptions extends Omit<S3MultipartStoreOptions, 'client'> {
  /** A ready client (tests: path-style endpoint on loopback); default a client from the environment. */
  readonly client?: S3Client;
}

export function createS3BlobStore(options: S3BlobStoreOptions): BlobStore {
  // The SDK's client and commands have the shapes S3Module describes (the lite client mirrors them);
  // their generic `send` overloads do not unify with it structurally, hence the casts.
  return createS3MultipartStore(options as unknown as S3MultipartStoreOptions, () => import('./s3-sdk.js') as unknown as Promise<S3Module>);
}
