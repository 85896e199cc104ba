/**
 * `BlobStore` on S3: streamed multipart upload (`@aws-sdk/lib-storage` `Upload`), SHA-256 computed
 * while the bytes stream (returned, and written into the manifest by the caller), content type and
 * user metadata on the object.
 *
 * Nothing partial is ever visible: a multipart upload becomes an object only at
 * CompleteMultipartUpload, and on any error (the source stream fails half way, a part upload fails)
 * the upload is aborted (`leavePartsOnError: false`), so its parts are deleted too. A body smaller
 * than one part is sent as one PutObject once it has been read whole, so a source that fails before
 * its end never reaches S3 at all. The bucket should still carry a lifecycle rule that aborts
 * incomplete multipart uploads (in case the Lambda itself is killed mid-upload): infra/ sets one.
 *
 * Cold start: `@aws-sdk/client-s3` and `@aws-sdk/lib-storage` are imported on first use, not at
 * module scope, so a worker's initialisation does not pay for them (docs/exports.md).
 */
import { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import type { BlobStore, PutResult } from '../ports/blob-store.js';
import { HashingCounter, hashed } from './hashing.js';
import { BlobWriteError, checkKey } from './storage-errors.js';

export interface S3BlobStoreOptions {
  readonly bucket: string;
  /** A ready client (tests: path-style endpoint on loopback); default a client from the environment. */
  readonly client?: S3Client;
  /** Part size in bytes (>= 5 MiB, S3's minimum). Default 8 MiB. */
  readonly partSize?: number;
  /** Parts uploaded at once; memory is about partSize x queueSize. Default 4. */
  readonly queueSize?: number;
}

const MiB = 1024 * 1024;

export function createS3BlobStore(options: S3BlobStoreOptions): BlobStore {
  let clientPromise: Promise<S3Client> | undefined;
  const client = () => {
    clientPromise ??= options.client
      ? Promise.resolve(options.client)
      : import('@aws-sdk/client-s3').then((m) => new m.S3Client({}));
    return clientPromise;
  };
  const partSize = Math.max(5 * MiB, options.partSize ?? 8 * MiB);
  const queueSize = Math.max(1, options.queueSize ?? 4);

  const put = async (key: string, body: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>, meta: { contentType: string; metadata?: Record<string, string> }): Promise<PutResult> => {
    checkKey(key);
    const counter = new HashingCounter();
    let sourceError: unknown;
    const [s3, { Upload }] = await Promise.all([client(), import('@aws-sdk/lib-storage')]);
    const upload = new Upload({
      client: s3,
      partSize,
      queueSize,
      leavePartsOnError: false,
      params: {
        Bucket: options.bucket,
        Key: key,
        Body: Readable.from(recordFailure(hashed(body, counter), (e) => (sourceError ??= e)), { objectMode: false }),
        ContentType: meta.contentType,
        ...(meta.metadata ? { Metadata: asciiMetadata(meta.metadata) } : {}),
      },
    });
    try {
      await upload.done();
    } catch (error) {
      // The source's own failure (download cut, Kaltura error) is the reason, even when the abort that
      // followed failed too (lib-storage then throws the abort's error).
      const reason = sourceError ?? error;
      if (reason instanceof Error && 'retryable' in reason) throw reason;
      if (sourceError !== undefined) {
        throw new BlobWriteError(`Uploading s3://${options.bucket}/${key} failed: its source failed (${(sourceError as Error).message ?? String(sourceError)}); nothing was written, it will be retried.`, { cause: sourceError });
      }
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      const name = error instanceof Error ? error.name : 'Error';
      // 4xx other than throttling/timeouts will not get better by retrying (bucket missing, access denied).
      const retryable = status === undefined || status >= 500 || status === 429 || status === 408;
      throw new BlobWriteError(`Uploading s3://${options.bucket}/${key} failed (${name}${status ? ` HTTP ${status}` : ''}); nothing was written${retryable ? ', it will be retried' : ': check the bucket name and the function\'s permissions'}.`, { cause: error, retryable });
    }
    return { key, ...counter.digest() };
  };

  return {
    putStream: (key, body, meta) => put(key, body, meta),
    putBytes: (key, body, meta) => put(key, [body], meta),
    async getBytes(key) {
      checkKey(key);
      const s3 = await client();
      const { GetObjectCommand } = await import('@aws-sdk/client-s3');
      try {
        const res = await s3.send(new GetObjectCommand({ Bucket: options.bucket, Key: key }));
        if (!res.Body) return Buffer.alloc(0);
        return Buffer.from(await res.Body.transformToByteArray());
      } catch (error) {
        const name = (error as Error).name;
        if (name === 'NoSuchKey' || name === 'NotFound' || (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return undefined;
        throw error;
      }
    },
  };
}

async function* recordFailure<T>(source: AsyncIterable<T>, onError: (error: unknown) => void): AsyncGenerator<T> {
  try {
    yield* source;
  } catch (error) {
    onError(error);
    throw error;
  }
}

/** S3 user metadata travels in HTTP headers: keep keys lowercase-safe and values printable ASCII. */
function asciiMetadata(metadata: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(metadata)) {
    const key = k.toLowerCase().replace(/[^a-z0-9-]/g, '-');
    out[key] = v.replace(/[^\x20-\x7e]/gu, (c) => encodeURIComponent(c)).slice(0, 512);
  }
  return out;
}
