import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalJobQueue, type LocalQueueRecord } from '../../local/local-job-queue.js';
import { LocalDeadLetterSink } from '../../local/local-dead-letter-sink.js';
import { MAX_RECEIVE_COUNT, processJobBatch } from '../../shared/queues/job-batch-processor.js';
import { createMemoryLogger } from '../../shared/logging/logger.js';
import type { JobMessage } from '../../shared/jobs/job-message.js';
import type { BatchResponse } from '../../shared/queues/job-batch-processor.js';

function aJobMessage(overrides: Partial<JobMessage> = {}): JobMessage {
  return {
    version: 1,
    jobId: 'job-1',
    rule: 'entry-ready',
    trigger: { type: 'manual', requestedAt: '2026-11-20T00:00:00.000Z' },
    subject: { scope: 'entry', id: '1_abc' },
    window: { from: 1_700_000_000, to: 1_700_086_400, timezone: 'UTC', label: '2023-11-14_2023-11-15' },
    spec: { kind: 'export', name: 'performance', source: { type: 'table', reportType: 1 } },
    ...overrides,
  };
}

const dirs: string[] = [];
const queues: LocalJobQueue[] = [];
async function aDataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'kreports-queue-'));
  dirs.push(dir);
  return dir;
}
function aQueue(dataDir: string | undefined, extra: Partial<ConstructorParameters<typeof LocalJobQueue>[0]> = {}): LocalJobQueue {
  const queue = new LocalJobQueue({
    ...(dataDir ? { dataDir } : {}),
    deadLetters: new LocalDeadLetterSink(dataDir ?? join(tmpdir(), 'unused')),
    pollIntervalMs: 10,
    rescanIntervalMs: 50,
    settings: { export: { visibilityTimeoutSeconds: 0.2, maxReceiveCount: 3 } },
    ...extra,
  });
  queues.push(queue);
  return queue;
}
async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
const ok = (): BatchResponse => ({ batchItemFailures: [] });

afterEach(async () => {
  for (const q of queues.splice(0)) await q.stop(100);
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('LocalJobQueue', () => {
  it('delivers a sent message to the consumer of its kind and deletes its file once processed', async () => {
    // Prepare
    const dataDir = await aDataDir();
    const queue = aQueue(dataDir);
    const seen: LocalQueueRecord[] = [];
    await queue.start({ export: async (records) => (seen.push(...records), ok()) });
    // Act
    await queue.send('export', [aJobMessage()]);
    await until(() => queue.isIdle() && seen.length === 1);
    // Assess
    expect(JSON.parse(seen[0]!.body)).toMatchObject({ jobId: 'job-1' });
    expect(seen[0]!.attributes.ApproximateReceiveCount).toBe('1');
    expect(await readdir(join(dataDir, 'queues', 'export'))).toEqual([]);
  });

  it('keeps a message on disk as soon as send resolves', async () => {
    const dataDir = await aDataDir();
    const queue = aQueue(dataDir);
    await queue.send('check', [aJobMessage()]);
    const files = await readdir(join(dataDir, 'queues', 'check'));
    expect(files).toHaveLength(1);
    expect(JSON.parse(await readFile(join(dataDir, 'queues', 'check', files[0]!), 'utf8'))).toMatchObject({ receiveCount: 0 });
  });

  it('redelivers only the batch item failures, after the visibility timeout, with a higher receive count', async () => {
    const dataDir = await aDataDir();
    const queue = aQueue(dataDir, { settings: { check: { visibilityTimeoutSeconds: 0.3, batchSize: 10 } } });
    const deliveries: Array<{ jobId: string; count: string; at: number }> = [];
    await queue.start({
      check: async (records) => {
        for (const r of records) deliveries.push({ jobId: JSON.parse(r.body).jobId, count: r.attributes.ApproximateReceiveCount, at: Date.now() });
        const failing = records.filter((r) => JSON.parse(r.body).jobId === 'fails-once' && r.attributes.ApproximateReceiveCount === '1');
        return { batchItemFailures: failing.map((r) => ({ itemIdentifier: r.messageId })) };
      },
    });
    await queue.send('check', [aJobMessage({ jobId: 'succeeds' }), aJobMessage({ jobId: 'fails-once' })]);
    await until(() => queue.isIdle());
    expect(deliveries.filter((d) => d.jobId === 'succeeds')).toHaveLength(1);
    const retried = deliveries.filter((d) => d.jobId === 'fails-once');
    expect(retried.map((d) => d.count)).toEqual(['1', '2']);
    expect(retried[1]!.at - retried[0]!.at).toBeGreaterThanOrEqual(250);
  });

  it('dead-letters a message received maxReceiveCount times, with the reason', async () => {
    const dataDir = await aDataDir();
    const queue = aQueue(dataDir, { settings: { export: { visibilityTimeoutSeconds: 0.05, maxReceiveCount: 2 } } });
    let calls = 0;
    await queue.start({ export: async () => { calls++; throw new Error('worker crashed'); } });
    await queue.send('export', [aJobMessage({ jobId: 'poison' })]);
    await until(() => queue.isIdle());
    const letters = await new LocalDeadLetterSink(dataDir).list('export');
    expect(calls).toBe(2);
    expect(letters).toHaveLength(1);
    expect(letters[0]!.reason).toMatch(/maxReceiveCount 2/);
    expect(JSON.parse(letters[0]!.body).jobId).toBe('poison');
    expect(await readdir(join(dataDir, 'dead-letters', 'export'))).toEqual([`${letters[0]!.id}.json`]);
  });

  it('hides a delayed message until its delay has passed', async () => {
    let skew = 0;
    const queue = aQueue(undefined, { now: () => Date.now() + skew });
    const seen: string[] = [];
    await queue.start({ microservice: async (records) => (seen.push(...records.map((r) => r.messageId)), ok()) });
    await queue.send('microservice', [aJobMessage()], { delaySeconds: 60 });
    await new Promise((r) => setTimeout(r, 100));
    expect(seen).toEqual([]);
    expect(queue.counts().microservice).toEqual({ visible: 0, delayed: 1, inFlight: 0 });
    skew = 61_000;
    await until(() => seen.length === 1);
  });

  it('finishes work that was in flight when the process stopped, once, after a restart', async () => {
    const dataDir = await aDataDir();
    const first = aQueue(dataDir, { settings: { export: { visibilityTimeoutSeconds: 600 } } });
    let started = false;
    await first.start({ export: () => { started = true; return new Promise<BatchResponse>(() => {}); } });
    await first.send('export', [aJobMessage({ jobId: 'big' })]);
    await until(() => started);
    // The process "dies" with the export in flight: no stop, its consumer never answers.

    const second = aQueue(dataDir);
    const seen: LocalQueueRecord[] = [];
    await second.start({ export: async (records) => (seen.push(...records), ok()) });
    await until(() => second.isIdle() && seen.length > 0);
    expect(seen.map((r) => [JSON.parse(r.body).jobId, r.attributes.ApproximateReceiveCount])).toEqual([['big', '2']]);
    expect(await readdir(join(dataDir, 'queues', 'export'))).toEqual([]);
  });

  it('does not count a receive for a job interrupted by a graceful stop', async () => {
    const dataDir = await aDataDir();
    const first = aQueue(dataDir, { settings: { export: { visibilityTimeoutSeconds: 600, maxReceiveCount: 1 } } });
    let started = false;
    await first.start({ export: () => { started = true; return new Promise<BatchResponse>(() => {}); } });
    await first.send('export', [aJobMessage({ jobId: 'long' })]);
    await until(() => started);
    expect(await first.stop(10)).toBe(1);

    const second = aQueue(dataDir, { settings: { export: { maxReceiveCount: 1 } } });
    const seen: LocalQueueRecord[] = [];
    await second.start({ export: async (records) => (seen.push(...records), ok()) });
    await until(() => second.isIdle() && seen.length > 0);
    expect(seen.map((r) => r.attributes.ApproximateReceiveCount)).toEqual(['1']);
    expect(await new LocalDeadLetterSink(dataDir).list()).toEqual([]);
  });

  it('picks up messages another process wrote into the same DATA_DIR', async () => {
    const dataDir = await aDataDir();
    const consumer = aQueue(dataDir);
    const seen: string[] = [];
    await consumer.start({ check: async (records) => (seen.push(...records.map((r) => JSON.parse(r.body).jobId)), ok()) });
    const other = aQueue(dataDir); // e.g. `kreports replay`
    await other.send('check', [aJobMessage({ jobId: 'from-replay' })]);
    await until(() => seen.includes('from-replay'));
  });

  it('runs the same processJobBatch as the Lambdas: a rescheduled job comes back, a permanent error is dead-lettered', async () => {
    const dataDir = await aDataDir();
    const deadLetters = new LocalDeadLetterSink(dataDir);
    const queue = aQueue(dataDir, { deadLetters });
    const calls: Array<number | undefined> = [];
    const logger = createMemoryLogger();
    await queue.start({
      microservice: (records) =>
        processJobBatch(records, {
          kind: 'microservice',
          queue,
          deadLetters,
          logger,
          handler: async (message) => {
            calls.push(message.progress?.polls);
            if (!message.progress) return { message: { ...message, progress: { polls: 1, startedAt: 'x' } }, delaySeconds: 0 };
            return undefined;
          },
        }),
    });
    await queue.send('microservice', [aJobMessage()]);
    await queue.sendRaw('microservice', ['not json']);
    await until(() => queue.isIdle() && calls.length === 2);
    expect(calls).toEqual([undefined, 1]);
    const letters = await deadLetters.list('microservice');
    expect(letters.map((l) => l.reason)).toEqual(['Job message is not JSON']);
  });
  it('dead-letters a job that keeps failing with a retryable error on its last receive, with the real error as the reason', async () => {
    // Prepare: the workers (local and Lambda) pass the queue's maxReceiveCount as maxAttempts.
    const dataDir = await aDataDir();
    const deadLetters = new LocalDeadLetterSink(dataDir);
    const queue = aQueue(dataDir, { deadLetters, settings: { export: { visibilityTimeoutSeconds: 0.05, maxReceiveCount: MAX_RECEIVE_COUNT.export } } });
    let calls = 0;
    await queue.start({
      export: (records) =>
        processJobBatch(records, {
          kind: 'export',
          queue,
          deadLetters,
          logger: createMemoryLogger(),
          maxAttempts: MAX_RECEIVE_COUNT.export,
          handler: async () => {
            calls++;
            throw new Error('Kaltura report.getTable timed out');
          },
        }),
    });
    // Act
    await queue.send('export', [aJobMessage({ jobId: 'flaky' })]);
    await until(() => queue.isIdle());
    // Assess
    const letters = await deadLetters.list('export');
    expect(calls).toBe(MAX_RECEIVE_COUNT.export);
    expect(letters).toHaveLength(1);
    expect(letters[0]!.reason).toBe(`Gave up after ${MAX_RECEIVE_COUNT.export} attempts: Kaltura report.getTable timed out`);
    expect(letters[0]!.attempts).toBe(MAX_RECEIVE_COUNT.export);
    expect(JSON.parse(letters[0]!.body).jobId).toBe('flaky');
  });
});
