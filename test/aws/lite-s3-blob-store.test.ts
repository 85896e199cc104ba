/**
 * The export blob store on the small S3 client (what the Lambda workers run, without the AWS SDK)
 * against s3rver on loopback: small and multipart streams stored whole with content type, metadata
 * and SHA-256; a source failing half way leaves nothing; a missing bucket is a permanent
 * BlobWriteError; a missing key reads as undefined.
 */
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Client } from '../../shared/aws/s3-lite-sdk.js';
import { createLiteS3BlobStore } from '../../shared/storage/s3-blob-store-lite.js';
import { BlobWriteError } from '../../shared/storage/storage-errors.js';
import { failingAfter, sha256, startS3, type S3Peer } from '../exports/helpers.js';

const MiB = 1024 * 1024;
let peer: S3Peer;
let client: S3Client;

beforeAll(async () => {
  peer = await startS3('lite-store-test');
  client = new S3Client({ endpoint: peer.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
});
afterAll(async () => {
  await peer.close();
});

async function* chunks(total: number, size: number): AsyncGenerator<Buffer> {
  for (let sent = 0, i = 0; sent < total; sent += size, i++) yield Buffer.alloc(Math.min(size, total - sent), 65 + (i % 26));
}

describe('lite S3 blob store (no AWS SDK)', () => {
  it('stores a small stream with its content type and metadata, and returns its SHA-256', async () => {
    // Prepare
    const store = createLiteS3BlobStore({ bucket: peer.bucket, client });
    // Act
    const result = await store.putStream('reports/small.csv', (async function* () {
      yield 'a,b\r\n';
      yield Buffer.from('1,"x, y"\r\n');
    })(), { contentType: 'text/csv; charset=utf-8', metadata: { 'job-id': 'abc', subject: 'Café 1_abc' } });
    // Assess
    const stored = await peer.read('reports/small.csv');
    expect(stored?.toString()).toBe('a,b\r\n1,"x, y"\r\n');
    expect(result).toEqual({ key: 'reports/small.csv', bytes: stored!.length, sha256: sha256(stored!) });
    const head = await peer.client.send(new HeadObjectCommand({ Bucket: peer.bucket, Key: 'reports/small.csv' }));
    expect(head.ContentType).toBe('text/csv; charset=utf-8');
    expect(head.Metadata?.['job-id']).toBe('abc');
    expect(decodeURIComponent(head.Metadata?.subject ?? '')).toBe('Café 1_abc');
  });

  it('streams a large body as a multipart upload, stored whole and in order', async () => {
    const store = createLiteS3BlobStore({ bucket: peer.bucket, client, partSize: 5 * MiB, queueSize: 2 });
    const result = await store.putStream('big/file.csv', chunks(12 * MiB + 123, 64 * 1024), { contentType: 'text/csv' });
    const stored = await peer.read('big/file.csv');
    expect(stored?.length).toBe(12 * MiB + 123);
    expect(result.sha256).toBe(sha256(stored!));
    expect((await store.getBytes('big/file.csv'))?.equals(stored!)).toBe(true);
  });

  it('leaves nothing when the source fails after a part was uploaded, and reports the source error', async () => {
    const store = createLiteS3BlobStore({ bucket: peer.bucket, client, partSize: 5 * MiB, queueSize: 1 });
    const source = failingAfter([Buffer.alloc(6 * MiB, 1)], Object.assign(new Error('download cut'), { retryable: true }));
    await expect(store.putStream('broken/big.csv', source, { contentType: 'text/csv' })).rejects.toThrow('download cut');
    expect(await peer.list('broken/')).toEqual([]);
  });

  it('fails permanently for a missing bucket, and reads a missing key as undefined', async () => {
    const missing = createLiteS3BlobStore({ bucket: 'no-such-bucket', client });
    const error = await missing.putBytes('k.json', '{}', { contentType: 'application/json' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BlobWriteError);
    expect((error as BlobWriteError).retryable).toBe(false);
    expect(await createLiteS3BlobStore({ bucket: peer.bucket, client }).getBytes('nothing/here.json')).toBeUndefined();
  });
});
