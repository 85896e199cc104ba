/**
 * `BlobStore` on S3, through `@aws-sdk/client-s3` (shared/aws-clients/s3.ts): the one S3 store of
 * the project — exports and manifests (workers, CLI), the receiver's notification archive, the
 * CLI's reads of the archive.
 *
 * Small bodies (`putBytes`, or a stream that ends within one part) are one PutObject carrying their
 * SHA-256 (`ChecksumSHA256`): S3 refuses the object if the bytes it got differ. Larger streams are a
 * multipart upload with a fixed pool of part buffers, SHA-256 computed while the bytes stream
 * (returned, and written into the manifest by the caller), content type and user metadata on the
 * object.
 *
 * Why not `@aws-sdk/lib-storage`'s `Upload`: it gathers each part from the incoming chunks and then
 * copies them into a fresh part buffer, so a long export leaves tens of MB of dead buffers for the
 * garbage collector at any moment. Here the bytes are copied once into one of `queueSize + 1`
 * reusable buffers of `partSize`: memory is (queueSize + 1) x partSize, whatever the size of the
 * file. `npm run bench -- exports` measures both (docs/exports.md, "Why not lib-storage").
 *
 * Nothing partial is ever visible:
 * - a body that fits in one part is sent as one PutObject, only after it has been read whole, so a
 *   source that fails before its end never reaches S3;
 * - a larger body becomes an object only at CompleteMultipartUpload; on any error (the source fails
 *   half way, a part upload fails) the multipart upload is aborted, which deletes its parts. The
 *   bucket also aborts incomplete uploads by lifecycle rule (a Lambda killed mid-upload cannot
 *   abort): infra/ sets one.
 */
import { createHash } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { BlobStore, PutResult } from '../ports/blob-store.js';
import { s3Client } from '../aws-clients/s3.js';
import { awsErrorCode, awsHttpStatus, isRetryableAwsError } from '../aws-clients/aws-errors.js';
import { HashingCounter, hashed } from './hashing.js';
import { BlobWriteError, checkKey } from './storage-errors.js';

export interface S3BlobStoreOptions {
  readonly bucket: string;
  /** Default: the execution environment's shared S3 client (tests: one for a loopback endpoint). */
  readonly client?: Pick<S3Client, 'send'>;
  /** Part size in bytes (>= 5 MiB, S3's minimum for all parts but the last). Default 5 MiB (up to 48 GiB per object). */
  readonly partSize?: number;
  /** Parts uploading at once while the next one fills. Default 2. */
  readonly queueSize?: number;
}

const MiB = 1024 * 1024;

export function createS3BlobStore(options: S3BlobStoreOptions): BlobStore {
  let client = options.client;
  const s3 = () => (client ??= s3Client());
  const partSize = Math.max(5 * MiB, options.partSize ?? 5 * MiB);
  const queueSize = Math.max(1, options.queueSize ?? 2);

  const put = async (key: string, body: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>, meta: { contentType: string; metadata?: Record<string, string> }, inMemory?: Uint8Array | string): Promise<PutResult> => {
    checkKey(key);
    const counter = new HashingCounter();
    const objectParams = {
      Bucket: options.bucket,
      Key: key,
      ContentType: meta.contentType,
      ...(meta.metadata ? { Metadata: asciiMetadata(meta.metadata) } : {}),
    };
    /** One request for the whole object, with its SHA-256 for S3 to check. */
    const putObject = async (bytes: Uint8Array, sha256Hex: string) => {
      await s3().send(new PutObjectCommand({ ...objectParams, Body: bytes, ContentLength: bytes.length, ChecksumSHA256: Buffer.from(sha256Hex, 'hex').toString('base64') }));
    };
    const free: Buffer[] = [];
    const inFlight = new Set<Promise<void>>();
    const parts: Array<{ PartNumber: number; ETag: string; ChecksumCRC32?: string }> = [];
    let uploadId: string | undefined;
    let uploadError: unknown;
    let current: Buffer | undefined;
    let filled = 0;
    let partNumber = 0;
    let stage: 'source' | 'upload' = 'source';

    const takeBuffer = () => free.pop() ?? Buffer.allocUnsafe(partSize);
    const sendPart = async (buffer: Buffer, length: number) => {
      // The SDK checksums every part (CRC32, its default integrity protection); S3 accepts part checksums
      // only for an upload created with that algorithm, and then wants each one back at completion.
      uploadId ??= (await s3().send(new CreateMultipartUploadCommand({ ...objectParams, ChecksumAlgorithm: 'CRC32' }))).UploadId;
      if (!uploadId) throw new Error('CreateMultipartUpload returned no UploadId');
      const number = ++partNumber;
      const task = s3()
        .send(new UploadPartCommand({ Bucket: options.bucket, Key: key, UploadId: uploadId, PartNumber: number, Body: buffer.subarray(0, length), ContentLength: length, ChecksumAlgorithm: 'CRC32' }))
        .then((res) => {
          parts.push({ PartNumber: number, ETag: res.ETag ?? '', ...(res.ChecksumCRC32 ? { ChecksumCRC32: res.ChecksumCRC32 } : {}) });
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
      if (inMemory !== undefined) {
        // A body already in memory and within one part: no part buffer from the pool.
        stage = 'upload';
        const bytes = typeof inMemory === 'string' ? Buffer.from(inMemory, 'utf8') : inMemory;
        const sha256 = createHash('sha256').update(bytes).digest('hex');
        await putObject(bytes, sha256);
        return { key, bytes: bytes.byteLength, sha256 };
      }
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
        const digest = counter.digest();
        await putObject(bytes, digest.sha256);
        return { key, ...digest };
      } else {
        if (current && filled > 0) await sendPart(current, filled);
        await Promise.all(inFlight);
        if (uploadError !== undefined) throw uploadError;
        parts.sort((a, b) => a.PartNumber - b.PartNumber);
        await s3().send(new CompleteMultipartUploadCommand({ Bucket: options.bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
        uploadId = undefined;
      }
    } catch (error) {
      await Promise.allSettled(inFlight);
      if (uploadId !== undefined) {
        const id = uploadId;
        await s3().send(new AbortMultipartUploadCommand({ Bucket: options.bucket, Key: key, UploadId: id })).catch(() => undefined);
      }
      // The source's own failure (download cut, Kaltura error) is the reason to report.
      if (error instanceof Error && 'retryable' in error) throw error;
      if (stage === 'source') {
        throw new BlobWriteError(`Uploading s3://${options.bucket}/${key} failed: its source failed (${(error as Error)?.message ?? String(error)}); nothing was written, it will be retried.`, { cause: error });
      }
      const status = awsHttpStatus(error);
      const name = awsErrorCode(error);
      // 4xx other than throttling/timeouts will not get better by retrying (bucket missing, access denied).
      const retryable = isRetryableAwsError(error);
      throw new BlobWriteError(`Uploading s3://${options.bucket}/${key} failed (${name}${status ? ` HTTP ${status}` : ''}); nothing was written${retryable ? ', it will be retried' : ": check the bucket name and the function's permissions"}.`, { cause: error, retryable });
    }
    return { key, ...counter.digest() };
  };

  return {
    putStream: (key, body, meta) => put(key, body, meta),
    // A 3 KB notification must not cost a 5 MiB part buffer: within a part, it is sent as it is.
    putBytes: (key, body, meta) => (Buffer.byteLength(body) <= partSize ? put(key, [], meta, body) : put(key, [body], meta)),
    async getBytes(key) {
      checkKey(key);
      try {
        const res = await s3().send(new GetObjectCommand({ Bucket: options.bucket, Key: key }));
        if (!res.Body) return Buffer.alloc(0);
        return Buffer.from(await res.Body.transformToByteArray());
      } catch (error) {
        const name = awsErrorCode(error);
        if (name === 'NoSuchKey' || name === 'NotFound' || awsHttpStatus(error) === 404) return undefined;
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
