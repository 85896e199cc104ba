/**
 * The SDK-shaped small S3 client against s3rver on loopback: what it writes is what the real SDK
 * reads back (content type, metadata, bytes), multipart uploads assemble in order, a missing key is
 * a `NoSuchKey` error with HTTP 404 as the SDK reports it, and S3 errors carry no `retryable`.
 */
import { createHash } from 'node:crypto';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '../../shared/aws/s3-lite-sdk.js';
import { startS3, type S3Peer } from '../exports/helpers.js';

const MiB = 1024 * 1024;
let peer: S3Peer;
let client: S3Client;

beforeAll(async () => {
  peer = await startS3('lite-test');
  client = new S3Client({ endpoint: peer.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
});
afterAll(async () => {
  await peer.close();
});

const filled = (size: number, seed: number) => Buffer.alloc(size, seed);

describe('S3 lite client', () => {
  it('puts an object the SDK reads back with its content type and metadata', async () => {
    // Act
    await client.send(new PutObjectCommand({ Bucket: peer.bucket, Key: 'a/b c/é.csv', Body: 'x,y\n1,2\n', ContentType: 'text/csv; charset=utf-8', Metadata: { 'row-count': '1' } }));
    // Assess
    expect((await peer.read('a/b c/é.csv'))?.toString()).toBe('x,y\n1,2\n');
    const head = await peer.client.send(new HeadObjectCommand({ Bucket: peer.bucket, Key: 'a/b c/é.csv' }));
    expect(head.ContentType).toBe('text/csv; charset=utf-8');
    expect(head.Metadata).toEqual({ 'row-count': '1' });
  });

  it('gets an object, and reports a missing key as NoSuchKey with HTTP 404', async () => {
    await client.send(new PutObjectCommand({ Bucket: peer.bucket, Key: 'get/me.json', Body: '{"ok":true}', ContentType: 'application/json' }));
    const got = await client.send(new GetObjectCommand({ Bucket: peer.bucket, Key: 'get/me.json' }));
    expect(Buffer.from(await got.Body.transformToByteArray()).toString()).toBe('{"ok":true}');
    const missing = await client.send(new GetObjectCommand({ Bucket: peer.bucket, Key: 'get/none.json' })).catch((e: unknown) => e);
    expect(missing).toMatchObject({ name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
    expect(missing).not.toHaveProperty('retryable');
  });

  it('assembles a multipart upload in part order', async () => {
    // Prepare
    const parts = [filled(5 * MiB, 1), filled(5 * MiB, 2), filled(1234, 3)];
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: peer.bucket, Key: 'big/file.csv', ContentType: 'text/csv' }));
    expect(UploadId).toBeTruthy();
    // Act: parts uploaded out of order, completed in order
    const etags = new Map<number, string>();
    await Promise.all(
      [3, 1, 2].map(async (n) => {
        const res = await client.send(new UploadPartCommand({ Bucket: peer.bucket, Key: 'big/file.csv', UploadId: UploadId!, PartNumber: n, Body: parts[n - 1]! }));
        etags.set(n, res.ETag!);
      }),
    );
    expect(await peer.read('big/file.csv')).toBeUndefined(); // nothing visible before completion
    await client.send(new CompleteMultipartUploadCommand({ Bucket: peer.bucket, Key: 'big/file.csv', UploadId: UploadId!, MultipartUpload: { Parts: [1, 2, 3].map((n) => ({ PartNumber: n, ETag: etags.get(n)! })) } }));
    // Assess
    const stored = await peer.read('big/file.csv');
    const expected = Buffer.concat(parts);
    expect(stored?.length).toBe(expected.length);
    expect(createHash('sha256').update(stored!).digest('hex')).toBe(createHash('sha256').update(expected).digest('hex'));
  });

  it('asks S3 to abort a multipart upload (s3rver answers 405: an S3ServiceException with the status)', async () => {
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: peer.bucket, Key: 'broken/file.csv' }));
    const result = await client.send(new AbortMultipartUploadCommand({ Bucket: peer.bucket, Key: 'broken/file.csv', UploadId: UploadId! })).then(
      () => 'aborted',
      (e: unknown) => e,
    );
    if (result !== 'aborted') expect(result).toMatchObject({ $metadata: { httpStatusCode: 405 } });
    expect(await peer.list('broken/')).toEqual([]);
  });

  it('reports a missing bucket with its S3 code and status, not retryable by the store', async () => {
    const error = await client.send(new PutObjectCommand({ Bucket: 'no-such-bucket', Key: 'k', Body: 'x' })).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'NoSuchBucket', $metadata: { httpStatusCode: 404 } });
  });
});
