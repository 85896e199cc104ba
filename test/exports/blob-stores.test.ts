import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { createS3BlobStore } from '../../shared/storage/s3-blob-store.js';
import { createFileBlobStore } from '../../shared/storage/file-blob-store.js';
import { failingAfter, sha256, startS3, type S3Peer } from './helpers.js';

const MiB = 1024 * 1024;

/** Deterministic pseudo-random bytes (incompressible, so parts are real sizes). */
function bytes(size: number, seed = 1): Buffer {
  const out = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.writeUInt32LE(x >>> 0, Math.min(i, size - 4));
  }
  return out;
}

function chunks(data: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) out.push(data.subarray(i, i + size));
  return out;
}

describe('S3 blob store (real @aws-sdk/client-s3 against s3rver on loopback)', () => {
  let s3: S3Peer;
  beforeAll(async () => {
    s3 = await startS3();
  });
  afterAll(async () => {
    await s3.close();
  });

  it('stores a small stream with its content type and metadata, and returns the SHA-256 of the stored bytes', async () => {
    // Prepare
    const store = createS3BlobStore({ bucket: s3.bucket, client: s3.client });
    const body = 'a,b\r\n1,"x, y"\r\n';
    // Act
    const result = await store.putStream('reports/r/j/1_abc/2026-11-13_2026-11-20.csv', (async function* () {
      yield body.slice(0, 5);
      yield Buffer.from(body.slice(5));
    })(), { contentType: 'text/csv; charset=utf-8', metadata: { 'job-id': 'abc', subject: 'Café 1_abc' } });
    // Assess
    const stored = await s3.read(result.key);
    expect(stored?.toString('utf8')).toBe(body);
    expect(result.sha256).toBe(sha256(stored!));
    expect(result.bytes).toBe(Buffer.byteLength(body));
    const head = await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: result.key }));
    expect(head.ContentType).toBe('text/csv; charset=utf-8');
    expect(head.Metadata?.['job-id']).toBe('abc');
    expect(decodeURIComponent(head.Metadata?.subject ?? '')).toBe('Café 1_abc');
  });

  it('uploads a large stream in several multipart parts and the object reads back byte for byte', async () => {
    // Prepare
    const store = createS3BlobStore({ bucket: s3.bucket, client: s3.client, partSize: 5 * MiB, queueSize: 2 });
    const data = bytes(12 * MiB + 12345, 7);
    const parts: number[] = [];
    s3.client.middlewareStack.add((next, ctx) => async (args) => {
      if (ctx.commandName === 'UploadPartCommand') parts.push((args.input as { PartNumber: number }).PartNumber);
      return next(args);
    }, { step: 'initialize', name: 'countParts' });
    try {
      // Act
      const result = await store.putStream('big/file.csv', Readable.from(chunks(data, 64 * 1024)), { contentType: 'text/csv' });
      // Assess
      expect(parts.sort()).toEqual([1, 2, 3]);
      const stored = await s3.read('big/file.csv');
      expect(stored?.length).toBe(data.length);
      expect(sha256(stored!)).toBe(sha256(data));
      expect(result.sha256).toBe(sha256(data));
    } finally {
      s3.client.middlewareStack.remove('countParts');
    }
  });

  it('creates the multipart upload with the checksum algorithm the SDK checksums parts with, and completes with each part\'s checksum', async () => {
    // Prepare: s3rver returns no part checksums; S3 does, and then wants each one back at completion.
    const seen: Array<{ command: string; input: Record<string, unknown> }> = [];
    s3.client.middlewareStack.add((next, ctx) => async (args) => {
      seen.push({ command: String(ctx.commandName), input: args.input as Record<string, unknown> });
      const out = await next(args);
      if (ctx.commandName === 'UploadPartCommand') (out.output as { ChecksumCRC32?: string }).ChecksumCRC32 = `crc-${(args.input as { PartNumber: number }).PartNumber}`;
      return out;
    }, { step: 'initialize', name: 'checksums' });
    const store = createS3BlobStore({ bucket: s3.bucket, client: s3.client, partSize: 5 * MiB, queueSize: 2 });
    try {
      // Act
      await store.putStream('big/checksummed.csv', Readable.from(chunks(bytes(11 * MiB, 3), 256 * 1024)), { contentType: 'text/csv' });
      // Assess
      expect(seen.find((c) => c.command === 'CreateMultipartUploadCommand')?.input.ChecksumAlgorithm).toBe('CRC32');
      const complete = seen.find((c) => c.command === 'CompleteMultipartUploadCommand')?.input as { MultipartUpload: { Parts: Array<{ PartNumber: number; ChecksumCRC32?: string }> } };
      expect(complete.MultipartUpload.Parts.map((p) => [p.PartNumber, p.ChecksumCRC32])).toEqual([[1, 'crc-1'], [2, 'crc-2'], [3, 'crc-3']]);
    } finally {
      s3.client.middlewareStack.remove('checksums');
    }
  });

  it.each([
    ['exactly one part', 5 * MiB],
    ['exactly two parts', 10 * MiB],
    ['one byte over a part', 5 * MiB + 1],
    ['empty', 0],
  ])('stores a body of %s intact', async (_name, size) => {
    const store = createS3BlobStore({ bucket: s3.bucket, client: s3.client, partSize: 5 * MiB });
    const data = bytes(size, 11);
    const key = `edges/${size}.bin`;
    const result = await store.putStream(key, Readable.from(chunks(data, 100_000)), { contentType: 'application/octet-stream' });
    const stored = await s3.read(key);
    expect(stored?.length).toBe(size);
    expect(sha256(stored!)).toBe(sha256(data));
    expect(result).toEqual({ key, bytes: size, sha256: sha256(data) });
  });

  it('leaves no object when the source fails half way through a multipart upload, and aborts the upload', async () => {
    // Prepare
    const store = createS3BlobStore({ bucket: s3.bucket, client: s3.client, partSize: 5 * MiB, queueSize: 1 });
    const data = bytes(11 * MiB, 3);
    const commands: string[] = [];
    s3.client.middlewareStack.add((next, ctx) => async (args) => {
      commands.push(String(ctx.commandName));
      return next(args);
    }, { step: 'initialize', name: 'recordCommands' });
    try {
      // Act
      const attempt = store.putStream('broken/multipart.csv', failingAfter(chunks(data, 256 * 1024), new Error('socket hang up')), { contentType: 'text/csv' });
      // Assess
      await expect(attempt).rejects.toThrow(/its source failed \(socket hang up\)/);
      expect(commands).toContain('UploadPartCommand');
      // s3rver answers AbortMultipartUpload with 405 (not implemented); real S3 deletes the parts. We show it was asked.
      expect(commands).toContain('AbortMultipartUploadCommand');
      expect(commands).not.toContain('CompleteMultipartUploadCommand');
      expect(await s3.list('broken/')).toEqual([]);
    } finally {
      s3.client.middlewareStack.remove('recordCommands');
    }
  });

  it('leaves no object when a small source fails before its end', async () => {
    // Prepare
    const store = createS3BlobStore({ bucket: s3.bucket, client: s3.client });
    // Act
    const attempt = store.putStream('broken/small.csv', failingAfter([Buffer.from('a,b\r\n1,2\r\n')], new Error('truncated')), { contentType: 'text/csv' });
    // Assess
    await expect(attempt).rejects.toThrow();
    expect(await s3.list('broken/')).toEqual([]);
  });

  it('puts a small in-memory body as one PutObject carrying its SHA-256 for S3 to check', async () => {
    // Prepare: count what the client sends (the receiver archives a 3 KB notification this way).
    const sent: Array<{ name: string; input: Record<string, unknown> }> = [];
    const client = { send: (command: { input: Record<string, unknown> }) => (sent.push({ name: command.constructor.name, input: command.input }), s3.client.send(command as never)) };
    const store = createS3BlobStore({ bucket: s3.bucket, client: client as never });
    const body = JSON.stringify({ version: 2, notification: { eventNotificationJobId: 42 } });
    // Act
    const result = await store.putBytes('archive/notifications/2026/12/03/42.json', body, { contentType: 'application/json' });
    // Assess
    expect(sent.map((c) => c.name)).toEqual(['PutObjectCommand']);
    expect(sent[0]!.input.ChecksumSHA256).toBe(Buffer.from(sha256(Buffer.from(body)), 'hex').toString('base64'));
    expect(result).toEqual({ key: 'archive/notifications/2026/12/03/42.json', bytes: Buffer.byteLength(body), sha256: sha256(Buffer.from(body)) });
    expect((await store.getBytes(result.key))?.toString('utf8')).toBe(body);
  });

  it('fails permanently for a bucket that does not exist, and reads a missing key as undefined', async () => {
    // Prepare
    const missing = createS3BlobStore({ bucket: 'no-such-bucket', client: s3.client });
    const store = createS3BlobStore({ bucket: s3.bucket, client: s3.client });
    // Act
    const error = await missing.putBytes('a/b.csv', 'x', { contentType: 'text/csv' }).catch((e: unknown) => e);
    // Assess
    expect(error).toMatchObject({ name: 'BlobWriteError', retryable: false });
    expect(String((error as Error).message)).toMatch(/NoSuchBucket.*check the bucket name/);
    expect(await store.getBytes('nothing/here.json')).toBeUndefined();
  });

  it('replaces an object at the same key (re-runs overwrite, never duplicate)', async () => {
    // Prepare
    const store = createS3BlobStore({ bucket: s3.bucket, client: s3.client });
    await store.putBytes('same/key.csv', 'first\r\n', { contentType: 'text/csv' });
    // Act
    await store.putBytes('same/key.csv', 'second\r\n', { contentType: 'text/csv' });
    // Assess
    expect(await s3.list('same/')).toEqual(['same/key.csv']);
    expect((await store.getBytes('same/key.csv'))?.toString()).toBe('second\r\n');
    expect(await store.getBytes('same/missing.csv')).toBeUndefined();
  });
});

describe('file blob store (DATA_DIR/bucket)', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'bucket-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes the object at the same key as S3 would, with its SHA-256', async () => {
    // Prepare
    const store = createFileBlobStore({ root });
    // Act
    const result = await store.putStream('reports/rule/job/1_abc/w.csv', Readable.from([Buffer.from('h\r\n'), Buffer.from('v\r\n')]), { contentType: 'text/csv' });
    // Assess
    const text = await readFile(join(root, 'reports', 'rule', 'job', '1_abc', 'w.csv'), 'utf8');
    expect(text).toBe('h\r\nv\r\n');
    expect(result).toEqual({ key: 'reports/rule/job/1_abc/w.csv', bytes: 6, sha256: sha256('h\r\nv\r\n') });
  });

  it('keeps the previous file and leaves no temporary file when a write fails half way', async () => {
    // Prepare
    const store = createFileBlobStore({ root });
    await store.putBytes('atomic/x.csv', 'old\r\n', { contentType: 'text/csv' });
    // Act
    const attempt = store.putStream('atomic/x.csv', failingAfter([Buffer.from('new,partial')], new Error('download interrupted')), { contentType: 'text/csv' });
    // Assess
    await expect(attempt).rejects.toThrow('download interrupted');
    expect(await readFile(join(root, 'atomic', 'x.csv'), 'utf8')).toBe('old\r\n');
    expect(await readdir(join(root, 'atomic'))).toEqual(['x.csv']);
  });

  it('a failed first write leaves nothing at the key', async () => {
    // Prepare
    const store = createFileBlobStore({ root });
    // Act
    await expect(store.putStream('fresh/y.csv', failingAfter([Buffer.from('a')], new Error('boom')), { contentType: 'text/csv' })).rejects.toThrow('boom');
    // Assess
    expect(await store.getBytes('fresh/y.csv')).toBeUndefined();
    expect(await readdir(join(root, 'fresh'))).toEqual([]);
  });

  it('refuses keys that would escape the bucket directory', async () => {
    const store = createFileBlobStore({ root });
    await expect(store.putBytes('../outside.csv', 'x', { contentType: 'text/csv' })).rejects.toThrow(/Invalid object key/);
    await expect(store.putBytes('/abs.csv', 'x', { contentType: 'text/csv' })).rejects.toThrow(/Invalid object key/);
  });
});
