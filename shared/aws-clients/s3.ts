/** The `@aws-sdk/client-s3` client, built as every AWS client of the project is (client-options.ts). */
import { S3Client } from '@aws-sdk/client-s3';
import { onePerEnvironment, sdkClientConfig, type AwsClientOptions } from './client-options.js';

export const S3_REQUEST_TIMEOUT_MS = 30000;

export interface S3ClientOptions extends AwsClientOptions {
  /** Path-style addressing (`<endpoint>/<bucket>/<key>`), what S3-compatible servers (MinIO, s3rver) expect. Default: the SDK's choice. */
  readonly forcePathStyle?: boolean;
}

/** The execution environment's shared client with no options; a new client with options (tests, the CLI's regions). */
export const s3Client: (options?: S3ClientOptions) => S3Client = onePerEnvironment(
  (options: S3ClientOptions) => new S3Client({ ...sdkClientConfig(options, { requestTimeoutMs: S3_REQUEST_TIMEOUT_MS }), ...(options.forcePathStyle ? { forcePathStyle: true } : {}) }),
);
