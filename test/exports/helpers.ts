/** Test peers and factories for the exports tests: an S3-compatible server on loopback, job messages, a recording queue. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import S3rver from 's3rver';
import { S3Client, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createJobMessage, type JobOrigin } from '../../shared/jobs/create-job-message.js';
import type { JobSpec } from '../../shared/config/schema.js';
import type { JobKind, JobMessage } from '../../shared/jobs/job-message.js';
import type { JobQueue } from '../../shared/ports/job-queue.js';
import type { DeadLetter, DeadLetterSink } from '../../shared/ports/dead-letter-sink.js';

export interface S3Peer {
  readonly client: S3Client;
  readonly bucket: string;
  readonly endpoint: string;
  list(prefix?: string): Promise<string[]>;
  read(key: string): Promise<Buffer | undefined>;
  close(): Promise<void>;
}

export async function startS3(bucket = 'exports-test'): Promise<S3Peer> {
  const directory = await mkdtemp(join(tmpdir(), 's3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket, configs: [] }] });
  const info = (await server.run()) as { address: string; port: number };
  const endpoint = `http://127.0.0.1:${info.port}`;
  const client = new S3Client({ endpoint, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  return {
    client,
    bucket,
    endpoint,
    async list(prefix = '') {
      const res = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
      return (res.Contents ?? []).map((o) => o.Key!).sort();
    },
    async read(key) {
      try {
        const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return Buffer.from(await res.Body!.transformToByteArray());
      } catch (error) {
        if ((error as Error).name === 'NoSuchKey') return undefined;
        throw error;
      }
    },
    async close() {
      client.destroy();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function makeMessage(spec: JobSpec, origin: Partial<JobOrigin> = {}): JobMessage {
  return createJobMessage(spec, {
    rule: 'entry-ready',
    trigger: { type: 'notification', eventNotificationJobId: '101', receivedAt: '2026-11-20T10:00:00.000Z' },
    at: new Date('2026-11-20T10:00:00Z'),
    timezone: 'America/New_York',
    partnerId: 4242,
    defaultWindow: { lastDays: 7 },
    defaultScope: 'entry',
    notification: { object: { id: '1_abc123', name: 'Quarterly, "All-Hands"', status: 2 } },
    ...origin,
  });
}

/** A JobQueue that records what it is given (the tests then deliver by hand). */
export class RecordingQueue implements JobQueue {
  readonly sent: Array<{ kind: JobKind; message: JobMessage; delaySeconds: number }> = [];
  async send(kind: JobKind, messages: ReadonlyArray<JobMessage>, options?: { delaySeconds?: number }): Promise<void> {
    for (const message of messages) this.sent.push({ kind, message, delaySeconds: options?.delaySeconds ?? 0 });
  }
}

export class RecordingDeadLetters implements DeadLetterSink {
  readonly letters: DeadLetter[] = [];
  async send(letter: DeadLetter): Promise<void> {
    this.letters.push(letter);
  }
}

/** An async iterable that yields `chunks` then fails, like a socket reset half way through a download. */
export async function* failingAfter(chunks: ReadonlyArray<Buffer>, error: Error): AsyncGenerator<Buffer> {
  for (const c of chunks) {
    yield c;
    await new Promise((r) => setImmediate(r));
  }
  throw error;
}

/** Parses an RFC 4180 CSV (quoted cells, doubled quotes, CRLF or LF) for assertions. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  if (cell !== '' || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}
