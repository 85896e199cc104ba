/**
 * `BlobStore` on S3 without the AWS SDK: the upload logic of s3-multipart-store.ts on the
 * SDK-shaped small client (shared/aws/s3-lite-sdk.ts, SigV4 over node:https), imported on first use.
 * The Lambda export and microservice workers use it: any SDK client in their bundle brings the SDK
 * core, which kept their cold start above 3x an empty handler (bench/bundles.bench.ts).
 */
import type { S3Client } from '../aws/s3-lite-sdk.js';
import type { BlobStore } from '../ports/blob-store.js';
import { createS3MultipartStore, type S3MultipartStoreOptions } from './s3-multipart-store.js';

export interface LiteS3BlobStoreOptions extends Omit<S3MultipartStoreOptions, 'client'> {
  /** A ready client (tests: `new S3Client({ endpoint })` on loopback); default one from the Lambda environment. */
  readonly client?: S3Client;
}

export function createLiteS3BlobStore(options: LiteS3BlobStoreOptions): BlobStore {
  return createS3MultipartStore(options, () => import('../aws/s3-lite-sdk.js'));
}
