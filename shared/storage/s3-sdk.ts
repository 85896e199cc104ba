/**
 * The parts of `@aws-sdk/client-s3` the S3 blob store uses, imported by name so that the bundler
 * keeps only these commands (a dynamic `import('@aws-sdk/client-s3')` would keep all of them).
 * Loaded lazily by s3-blob-store.ts on first use.
 */
export {
  S3Client,
  PutObjectCommand,
  GetObjectCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  CompleteMultipartUploadCommand,
  AbortMultipartUploadCommand,
} from '@aws-sdk/client-s3';
