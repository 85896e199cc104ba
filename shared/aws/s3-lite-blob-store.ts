/**
 * A small S3 `BlobStore` for the receiver's notification archive: single-request PutObject and
 * GetObject, signed with SigV4, no SDK (the receiver's cold start budget).
 *
 * For small objects only (a notification is a few KB; the receiver limits bodies to 256 KiB):
 * `putStream` buffers. Exports use the multipart `shared/storage` adapter instead.
 * PutObject is atomic in S3: the object is visible whole or not at all.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { BlobStore, PutResult } from '../ports/blob-store.js';
import { AwsServiceError, regionFromEnv, sendAws, type AwsHttpOptions, type AwsHttpResponse } from './aws-http.js';
import { uriEncode } from './sigv4.js';

export interface S3LiteOptions extends Partial<AwsHttpOptions> {
  readonly bucket: string;
  /** e.g. `http://127.0.0.1:4569` for tests; path-style addressing is used with an endpoint. */
  readonly endpoint?: string;
  /** Largest object accepted, default 5 MiB. */
  readonly maxBytes?: number;
}

function parseXmlError(res: AwsHttpResponse): { code: string; message: string; details: Record<string, unknown> } {
  const text = res.body.toString('utf8');
  const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? `HTTP${res.status}`;
  const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1] ?? '';
  return { code, message, details: {} };
}

export function createS3LiteBlobStore(options: S3LiteOptions): BlobStore {
  const region = options.region ?? regionFromEnv();
  const http: AwsHttpOptions = { ...options, service: 's3', region };
  const explicit = options.endpoint ?? process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
  const maxBytes = options.maxBytes ?? 5 * 1024 * 1024;
  const objectUrl = (key: string): URL => {
    const path = key.split('/').map(uriEncode).join('/');
    if (explicit) return new URL(`${explicit.replace(/\/$/, '')}/${options.bucket}/${path}`);
    return new URL(`https://${options.bucket}.s3.${region}.amazonaws.com/${path}`);
  };

  const putBytes = async (key: string, body: Uint8Array | string, putOptions: { contentType: string; metadata?: Record<string, string> }): Promise<PutResult> => {
    const bytes = Buffer.from(body);
    if (bytes.length > maxBytes) throw new AwsServiceError('s3', 'PutObject', 'EntityTooLargeForLiteClient', 0, `object of ${bytes.length} bytes; this adapter is for small objects`);
    const digest = createHash('sha256').update(bytes).digest();
    const headers: Record<string, string> = {
      'content-type': putOptions.contentType,
      'x-amz-checksum-sha256': digest.toString('base64'),
    };
    for (const [k, v] of Object.entries(putOptions.metadata ?? {})) headers[`x-amz-meta-${k.toLowerCase()}`] = encodeURIComponent(v);
    await sendAws(http, { method: 'PUT', url: objectUrl(key), headers, body: bytes, operation: 'PutObject', s3: true }, parseXmlError);
    return { key, bytes: bytes.length, sha256: digest.toString('hex') };
  };

  return {
    putBytes,
    async putStream(key, body: Readable | AsyncIterable<Uint8Array | string>, putOptions) {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of body as AsyncIterable<Uint8Array | string>) {
        const b = Buffer.from(chunk);
        size += b.length;
        if (size > maxBytes) throw new AwsServiceError('s3', 'PutObject', 'EntityTooLargeForLiteClient', 0, 'stream larger than this adapter accepts');
        chunks.push(b);
      }
      return putBytes(key, Buffer.concat(chunks), putOptions);
    },
    async getBytes(key) {
      try {
        const res = await sendAws(http, { method: 'GET', url: objectUrl(key), headers: {}, body: '', operation: 'GetObject', s3: true }, parseXmlError);
        return res.body;
      } catch (error) {
        if (error instanceof AwsServiceError && (error.statusCode === 404 || error.code === 'NoSuchKey')) return undefined;
        throw error;
      }
    },
  };
}
