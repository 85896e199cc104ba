/** Test doubles and factories for the receiver tests. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type { JobKind, JobMessage } from '../../shared/jobs/job-message.js';
import type { JobQueue } from '../../shared/ports/job-queue.js';
import type { BlobStore, PutResult } from '../../shared/ports/blob-store.js';
import type { IdempotencyStore } from '../../shared/ports/idempotency-store.js';
import { validateConfig } from '../../shared/config/load-config.js';
import type { ReportingConfig } from '../../shared/config/schema.js';
import { createMemoryLogger } from '../../shared/logging/logger.js';
import { createReceiver, type ReceiverDeps } from '../../shared/webhook/receiver.js';
import { startReceiverServer, type ReceiverServer } from '../../shared/webhook/receiver-http-server.js';
import { createFileIdempotencyStore } from '../../shared/idempotency/file-idempotency-store.js';
import { signNotification, type HashAlgorithm } from '../../shared/webhook/signature.js';

/** In-memory JobQueue that records what was sent and can be told to fail the next N sends. */
export class RecordingJobQueue implements JobQueue {
  readonly sent: Array<{ kind: JobKind; message: JobMessage }> = [];
  failNext = 0;
  delayMs = 0;
  async send(kind: JobKind, messages: ReadonlyArray<JobMessage>): Promise<void> {
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.failNext > 0) {
      this.failNext--;
      throw Object.assign(new Error('simulated queue outage'), { retryable: true });
    }
    for (const message of messages) this.sent.push({ kind, message: structuredClone(message) });
  }
  jobIds(): string[] {
    return this.sent.map((s) => s.message.jobId);
  }
}

export class MemoryBlobStore implements BlobStore {
  readonly objects = new Map<string, { body: Buffer; contentType: string; metadata?: Record<string, string> }>();
  failNext = 0;
  async putBytes(key: string, body: Uint8Array | string, options: { contentType: string; metadata?: Record<string, string> }): Promise<PutResult> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('simulated blob store outage');
    }
    const bytes = Buffer.from(body);
    this.objects.set(key, { body: bytes, contentType: options.contentType, ...(options.metadata ? { metadata: options.metadata } : {}) });
    return { key, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
  }
  async putStream(key: string, body: AsyncIterable<Uint8Array | string>, options: { contentType: string; metadata?: Record<string, string> }): Promise<PutResult> {
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(Buffer.from(c));
    return this.putBytes(key, Buffer.concat(chunks), options);
  }
  async getBytes(key: string): Promise<Buffer | undefined> {
    return this.objects.get(key)?.body;
  }
}

export const TEST_CONFIG_RAW = {
  version: 1,
  kaltura: { timezone: 'America/New_York' },
  destinations: { local: { type: 'local' } },
  rules: [
    {
      name: 'entry-ready',
      when: { eventType: 'OBJECT_CHANGED', eventObjectType: 'ENTRY', object: { status: 2 } },
      jobs: [
        { kind: 'export', name: 'performance', source: { type: 'table', reportType: 1 } },
        { kind: 'check', name: 'low-engagement', reportType: 1, metric: 'count_plays', condition: { op: '<', value: 1 }, destinations: ['local'] },
      ],
    },
    {
      name: 'live-stream',
      when: { eventObjectType: 'LIVE_STREAM' },
      jobs: [{ kind: 'live-health', name: 'stream-health', destinations: ['local'] }],
    },
    {
      name: 'category-tagged',
      when: { templateSystemName: 'CATEGORY_TAGGED' },
      jobs: [
        { kind: 'export', name: 'needs-category', scope: 'category', subject: '{object.categoryId}', source: { type: 'table', reportType: 1 } },
        { kind: 'export', name: 'partner-wide', source: { type: 'table', reportType: 1 } },
      ],
    },
  ],
};

export function testConfig(): ReportingConfig {
  return validateConfig(structuredClone(TEST_CONFIG_RAW), 'test-config.json');
}

export const SECRET = '5a1e0c3b9d7f4e2a8c6b0d1f3e5a7c9b';
export const PREVIOUS_SECRET = '0f9e8d7c6b5a49382716f5e4d3c2b1a0';

/** A notification as WIRE_FACTS §6.3 shows it (for tests that need bodies the simulator does not build). */
export function notificationJson(overrides: { jobId?: number | string; entryId?: string; eventType?: number | string; eventObjectType?: number | string; status?: number | string; templateSystemName?: string; object?: Record<string, unknown> } = {}): Record<string, unknown> {
  return {
    object: { id: overrides.entryId ?? '0_abc123', name: 'Entry', partnerId: 4242, status: overrides.status ?? 2, ...overrides.object, objectType: 'KalturaMediaEntry' },
    eventObjectType: overrides.eventObjectType ?? 1,
    eventNotificationJobId: overrides.jobId ?? 33578094492,
    templateId: 26970222,
    templateName: 'Entry Status Equals',
    templateSystemName: overrides.templateSystemName ?? 'HTTP_ENTRY_STATUS_EQUALS',
    eventType: overrides.eventType ?? 3,
    objectType: 'KalturaHttpNotification',
  };
}

export function signedRequest(body: Buffer | string, options: { secret?: string; algo?: HashAlgorithm; omitAlgo?: boolean; contentType?: string } = {}): { body: Buffer; headers: Record<string, string> } {
  const bytes = Buffer.from(body);
  const algo = options.algo ?? 'sha256';
  const headers: Record<string, string> = {
    'Content-Type': options.contentType ?? 'application/json',
    'X-KALTURA-SIGNATURE': signNotification(options.secret ?? SECRET, bytes, algo),
  };
  if (!options.omitAlgo) headers['X-KALTURA-HASH-ALGO'] = algo;
  return { body: bytes, headers };
}

export interface Stack {
  readonly queue: RecordingJobQueue;
  readonly archive: MemoryBlobStore;
  readonly idempotency: IdempotencyStore;
  readonly logger: ReturnType<typeof createMemoryLogger>;
  readonly server: ReceiverServer;
  readonly dataDir: string;
  close(): Promise<void>;
}

/** The receiver behind the local HTTP server, with the file idempotency store in a temp dir. */
export async function startStack(overrides: Partial<ReceiverDeps> = {}): Promise<Stack> {
  const dataDir = await mkdtemp(join(tmpdir(), 'receiver-test-'));
  const queue = new RecordingJobQueue();
  const archive = new MemoryBlobStore();
  const idempotency = createFileIdempotencyStore({ directory: join(dataDir, 'idempotency') });
  const logger = createMemoryLogger('receiver');
  const receiver = createReceiver({ config: testConfig(), partnerId: 4242, secrets: [SECRET, PREVIOUS_SECRET], queue, archive, idempotency, logger, ...overrides });
  const server = await startReceiverServer({ receiver });
  return {
    queue,
    archive,
    idempotency,
    logger,
    server,
    dataDir,
    async close() {
      await server.close();
      await rm(dataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
    },
  };
}

/** POST with the undici-free node client so tests control every byte and header. */
export async function post(url: string, request: { body: Buffer; headers: Record<string, string> }): Promise<{ status: number; body: string; json: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', headers: request.headers, body: request.body });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON
  }
  return { status: res.status, body: text, json };
}

/** Metric lines (EMF) with their outcome dimension. */
export function outcomes(lines: ReadonlyArray<string>): string[] {
  return lines
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l._aws && 'Notifications' in l)
    .map((l) => String(l.outcome));
}

/** In-memory IdempotencyStore (same semantics as the adapters) for tests that call the receiver directly. */
export function memoryIdempotencyStore(now: () => number = Date.now): IdempotencyStore {
  const records = new Map<string, { status: 'in-progress' | 'completed'; until: number }>();
  return {
    async claim(key, { lockSeconds }) {
      const r = records.get(key);
      if (r && r.until > now()) return { status: r.status };
      records.set(key, { status: 'in-progress', until: now() + lockSeconds * 1000 });
      return { status: 'claimed' };
    },
    async complete(key, { ttlSeconds }) {
      records.set(key, { status: 'completed', until: now() + ttlSeconds * 1000 });
    },
    async release(key) {
      if (records.get(key)?.status === 'in-progress') records.delete(key);
    },
  };
}


export { rawLogger } from '../helpers/raw-logger.js';
