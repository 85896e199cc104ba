/**
 * `BlobStore` on S3: a streamed multipart upload with a fixed pool of part buffers, SHA-256
 * computed while the bytes stream (returned, and written into the manifest by the caller), content
 * type and user metadata on the object.
 *
 * Why not `@aws-sdk/lib-storage`'s `Upload`: it gathers each part from the incoming chunks and then
 * copies them into a fresh part buffer, so a long export leaves tens of MB of dead buffers for the
 * garbage collector at any moment (measured: +60 MB of ArrayBuffers at 1M rows). Here the bytes are
 * copied once into one of `queueSize + 1` reusable buffers of `partSize`: memory is
 * (queueSize + 1) x partSize, whatever the size of the file (bench/exports.bench.ts).
 *
 * Nothing partial is ever visible:
 * - a body that fits in one part is sent as one PutObject, only after it has been read whole, so a
 *   source that fails before its end never reaches S3;
 * - a larger body becomes an object only at CompleteMultipartUpload; on any error (the source fails
 *   half way, a part upload fails) the multipart upload is aborted, which deletes its parts. The
 *   bucket should also abort incomplete uploads by lifecycle rule (a Lambda killed mid-upload
 *   cannot abort): infra/ sets one.
 *
 * The S3 client is given by the caller as a module loader, so that this file references no SDK:
 * `createS3BlobStore` (s3-blob-store.ts) runs it on `@aws-sdk/client-s3`, `createLiteS3BlobStore`
 * (s3-blob-store-lite.ts, the Lambda workers) on the SDK-shaped small client of
 * shared/aws/s3-lite-sdk.ts, which keeps the AWS SDK out of the bundle (cold start:
 * bench/bundles.bench.ts). Either is imported on first use, not at module scope.
 */
import type * as LiteS3 from '../aws/s3-lite-sdk.js';
import type { BlobStore, PutResult } from '../ports/blob-store.js';
import { HashingCounter, hashed } from './hashing.js';
import { BlobWriteError, checkKey } from './storage-errors.js';

/** The client and commands the store uses, with the shapes of `@aws-sdk/client-s3` (the lite client mirrors them). */
export type S3Module = Pick<typeof LiteS3, 'S3Client' | 'PutObjectCommand' | 'GetObjectCommand' | 'CreateMultipartUploadCommand' | 'UploadPartCommand' | 'CompleteMultipartUploadCommand' | 'AbortMultipartUploadCommand'>;
type S3Client = Pick<LiteS3.S3Client, 'send'>;

export interface S3MultipartStoreOptions {
  readonly bucket: string;
  /** A ready client (tests: path-style endpoint on loopback); default `new S3Client({})` of the loaded module. */
  readonly client?: S3Client;
  /** Part size in bytes (>= 5 MiB, S3's minimum for all parts but the last). Default 5 MiB (up to 48 GiB per object). */
  readonly partSize?: number;
  /** Parts uploading at once while the next one fills. Default 2. */
  readonly queueSize?: number;
}

const MiB = 1024 * 1024;

export function createS3MultipartStore(options: S3MultipartStoreOptions, loadModule: () => Promise<S3Module>): BlobStore {
  let sdk: Promise<{ s3: S3Client; m: S3Module }> | undefined;
  const load = () => {
    sdk ??= loadModule().then((m) => ({ m, s3: options.client ?? new m.S3Client({}) }));
    return sdk;
  };
  const partSize = Math.max(5 * MiB, options.partSize ?? 5 * MiB);
  const queueSize = Math.max(1, options.queueSize ?? 2);

  const put = async (key: string, body: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>, meta: { contentType: string; metadata?: Record<string, string> }): Promise<PutResult> => {
    checkKey(key);
    const { s3, m } = await load();
    const counter = new HashingCounter();
    const objectParams = {
      Bucket: options.bucket,
      Key: key,
      ContentType: meta.contentType,
      ...(meta.metadata ? { Metadata: asciiMetadata(meta.metadata) } : {}),
    };
    const free: Buffer[] = [];
    const inFlight = new Set<Promise<void>>();
    const parts: Array<{ PartNumber: number; ETag: string }> = [];
    let uploadId: string | undefined;
    let uploadError: unknown;
    let current: Buffer | undefined;
    let filled = 0;
    let partNumber = 0;
    let stage: 'source' | 'upload' = 'source';

    const takeBuffer = () => free.pop() ?? Buffer.allocUnsafe(partSize);
    const sendPart = async (buffer: Buffer, length: number) => {
      uploadId ??= (await s3.send(new m.CreateMultipartUploadCommand(objectParams))).UploadId;
      if (!uploadId) throw new Error('CreateMultipartUpload returned no UploadId');
      const number = ++partNumber;
      const task = s3
        .send(new m.UploadPartCommand({ Bucket: options.bucket, Key: key, UploadId: uploadId, PartNumber: number, Body: buffer.subarray(0, length), ContentLength: length }))
        .then((res) => {
          parts.push({ PartNumber: number, ETag: res.ETag ?? '' });
          free.push(buffer);
        })
        .catch((error: unknown) => {
          uploadError ??= error;
        })
        .finally(() => inFlight.delete(task));
      inFlight.add(task);
      // Keep at most `queueSize` parts uploading; the next part fills meanwhile.
      while (inFlight.size >= queueSize) await Promise.race(inFlight);
      if (uploadError !== undefined) throw uploadError;
    };

    try {
      for await (const chunk of hashed(body, counter)) {
        let offset = 0;
        while (offset < chunk.length) {
          current ??= takeBuffer();
          const n = Math.min(chunk.length - offset, partSize - filled);
          chunk.copy(current, filled, offset, offset + n);
          filled += n;
          offset += n;
          if (filled === partSize) {
            // A full part: upload it only once more bytes exist (the last part may be this one).
            stage = 'upload';
            const full = current;
            current = undefined;
            filled = 0;
            await sendPart(full, partSize);
            stage = 'source';
          }
        }
      }
      stage = 'upload';
      if (uploadId === undefined && partNumber === 0) {
        // Everything fits in one part: a single PutObject.
        const bytes = current ? current.subarray(0, filled) : Buffer.alloc(0);
        await s3.send(new m.PutObjectCommand({ ...objectParams, Body: bytes, ContentLength: bytes.length }));
      } else {
        if (current && filled > 0) await sendPart(current, filled);
        await Promise.all(inFlight);
        if (uploadError !== undefined) throw uploadError;
        parts.sort((a, b) => a.PartNumber - b.PartNumber);
        await s3.send(new m.CompleteMultipartUploadCommand({ Bucket: options.bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
        uploadId = undefined;
      }
    } catch (error) {
      await Promise.allSettled(inFlight);
      if (uploadId !== undefined) {
        const id = uploadId;
        await s3.send(new m.AbortMultipartUploadCommand({ Bucket: options.bucket, Key: key, UploadId: id })).catch(() => undefined);
      }
      // The source's own failure (download cut, Kaltura error) is the reason to report.
      if (error instanceof Error && 'retryable' in error) throw error;
      if (stage === 'source') {
        throw new BlobWriteError(`Uploading s3://${options.bucket}/${key} failed: its source failed (${(error as Error)?.message ?? String(error)}); nothing was written, it will be retried.`, { cause: error });
      }
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      const name = error instanceof Error ? error.name : 'Error';
      // 4xx other than throttling/timeouts will not get better by retrying (bucket missing, access denied).
      const retryable = status === undefined || status >= 500 || status === 429 || status === 408;
      throw new BlobWriteError(`Uploading s3://${options.bucket}/${key} failed (${name}${status ? ` HTTP ${status}` : ''}); nothing was written${retryable ? ', it will be retried' : ": check the bucket name and the function's permissions"}.`, { cause: error, retryable });
    }
    return { key, ...counter.digest() };
  };

  return {
    putStream: (key, body, meta) => put(key, body, meta),
    putBytes: (key, body, meta) => put(key, [body], meta),
    async getBytes(key) {
      checkKey(key);
      const { s3, m } = await load();
      try {
        const res = await s3.send(new m.GetObjectCommand({ Bucket: options.bucket, Key: key }));
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

/** S3 user metadata travels in HTTP headers: keep keys lowercase-safe and values printable ASCII. */
function asciiMetadata(metadata: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(metadata)) {
    const key = k.toLowerCase().replace(/[^a-z0-9-]/g, '-');
    out[key] = v.replace(/[^\x20-\x7e]/gu, (c) => encodeURIComponent(c)).slice(0, 512);
  }
  return out;
}
