/**
 * Reports Microservice jobs through the job batch processor: the handler never sleeps; it hands the
 * message back with an SQS delay and its progress, and the test plays the queue (delivering the
 * rescheduled message again, with a clock advanced by the delay).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../simulator/index.js';
import { createKalturaClient, type KalturaClient } from '../../shared/kaltura/kaltura-client.js';
import { createS3BlobStore } from '../../shared/storage/s3-blob-store.js';
import { createMicroserviceJobHandler, invocationsFor, pollDelaySeconds } from '../../shared/exports/run-microservice-job.js';
import { processJobBatch } from '../../shared/queues/job-batch-processor.js';
import { createMemoryLogger } from '../../shared/logging/logger.js';
import type { ExportManifest } from '../../shared/exports/manifest.js';
import type { JobMessage } from '../../shared/jobs/job-message.js';
import type { MicroserviceJob } from '../../shared/config/schema.js';
import { makeMessage, parseCsv, RecordingDeadLetters, RecordingQueue, sha256, startS3, type S3Peer } from './helpers.js';

let sim: Simulator;
let client: KalturaClient;
let s3: S3Peer;

beforeAll(async () => {
  [sim, s3] = await Promise.all([startSimulator({ microserviceJobMs: 500 }), startS3()]);
  client = createKalturaClient({ serviceUrl: sim.serviceUrl, reportsUrl: sim.reportsUrl, partnerId: sim.partnerId, adminSecret: sim.adminSecret, retryBaseDelayMs: 5, timeoutMs: 5000 });
});
afterAll(async () => {
  await client?.close();
  await Promise.all([sim?.close(), s3?.close()]);
});
beforeEach(() => {
  sim.clearFaults();
  sim.clearRequests();
});

function microservice(overrides: Partial<MicroserviceJob> = {}): JobMessage {
  return makeMessage(
    {
      kind: 'microservice',
      name: 'chat-activity',
      scope: 'virtual-event',
      reportName: 'chatUserActivity',
      reportParameters: { virtual_event_ids: ['{object.id}'], from_date_id: '{window.fromDay}', to_date_id: '{window.toDay}' },
      privileges: ['virtualeventid:{object.id}'],
      pollInterval: '30s',
      maxWait: '2h',
      ...overrides,
    },
    { rule: 'virtual-event', notification: { object: { id: 've42' } } },
  );
}

/**
 * Plays SQS: delivers the message, then each rescheduled message, advancing the handler's clock by
 * the requested delay (and waiting `realWaitMs` of real time so the simulator's job moves on).
 */
async function runToEnd(first: JobMessage, options: { realWaitMs: number; maxInvocations?: number }) {
  let clock = Date.parse('2026-11-20T10:00:00Z');
  const handler = createMicroserviceJobHandler({ api: client, blobStore: createS3BlobStore({ bucket: s3.bucket, client: s3.client }), prefix: 'reports/', now: () => new Date(clock) });
  const deadLetters = new RecordingDeadLetters();
  const logger = createMemoryLogger();
  const delays: number[] = [];
  let message: JobMessage | undefined = first;
  let invocations = 0;
  while (message && invocations < (options.maxInvocations ?? 50)) {
    const queue = new RecordingQueue();
    invocations++;
    const response = await processJobBatch([{ messageId: `m${invocations}`, body: JSON.stringify(message), attributes: { ApproximateReceiveCount: '1' } }], { kind: 'microservice', handler, queue, deadLetters, logger });
    expect(response.batchItemFailures).toEqual([]);
    const next = queue.sent[0];
    message = next?.message;
    if (next) {
      expect(next.kind).toBe('microservice');
      delays.push(next.delaySeconds);
      clock += next.delaySeconds * 1000;
      await new Promise((r) => setTimeout(r, options.realWaitMs));
    }
  }
  return { invocations, delays, deadLetters, logger };
}

describe('Reports Microservice jobs', () => {
  it('generates, polls several times with backoff (no sleeping), then stores the CSV and its manifest', async () => {
    // Prepare
    const message = microservice();
    // Act
    const { invocations, delays, deadLetters } = await runToEnd(message, { realWaitMs: 150 });
    // Assess
    expect(deadLetters.letters).toEqual([]);
    expect(invocations).toBeGreaterThanOrEqual(4); // generate + at least 3 status polls
    expect(delays.slice(0, 4)).toEqual([30, 60, 120, 240].slice(0, delays.length));
    const statusCalls = sim.requests.filter((r) => r.action === 'serve' && (r.params as { statusOnly?: unknown }).statusOnly === true);
    expect(statusCalls.length).toBe(invocations - 1);
    const key = `reports/virtual-event/chat-activity/ve42/${message.window.label}`;
    const manifest = JSON.parse((await s3.read(`${key}.manifest.json`))!.toString()) as ExportManifest;
    const csv = (await s3.read(`${key}.csv`))!;
    expect(sha256(csv)).toBe(manifest.sha256);
    expect(manifest.bytes).toBe(csv.length);
    const rows = parseCsv(csv.toString('utf8'));
    expect(rows[0]).toEqual(['user_id', 'email', 'messages_sent', 'reactions', 'questions_asked']);
    expect(manifest.rows).toBe(rows.length - 1);
    expect(manifest.source).toMatchObject({ type: 'microservice', reportName: 'chatUserActivity', reportParameters: { virtual_event_ids: ['ve42'] } });
  });

  it('a job the microservice reports as failed is dead-lettered at once with the microservice reason', async () => {
    // Prepare
    sim.injectFault({ kind: 'microservice-fail', reason: 'Registration data unavailable for appGuid' });
    // Act
    const { deadLetters, invocations } = await runToEnd(microservice({ name: 'fails' }), { realWaitMs: 200 });
    // Assess
    expect(deadLetters.letters).toHaveLength(1);
    expect(deadLetters.letters[0]!.reason).toContain('Registration data unavailable for appGuid');
    expect(deadLetters.letters[0]!.attempts).toBe(1);
    expect(invocations).toBeGreaterThanOrEqual(2);
    expect(await s3.list('reports/virtual-event/fails/')).toEqual([]);
  });

  it('a job that never finishes is dead-lettered once maxWait has passed, polling at most up to the deadline', async () => {
    // Prepare
    sim.injectFault({ kind: 'microservice-stuck' });
    // Act
    const { deadLetters, delays, invocations } = await runToEnd(microservice({ name: 'stuck', pollInterval: '60s', maxWait: '30m' }), { realWaitMs: 0 });
    // Assess
    expect(deadLetters.letters).toHaveLength(1);
    expect(deadLetters.letters[0]!.reason).toMatch(/did not finish within maxWait \(waited 30 min over \d+ status polls, last status "(pending|in_progress)"\)/);
    expect(delays).toEqual([60, 120, 240, 480, 900]); // 1800 s in all: the last delay ends exactly at the deadline
    expect(invocations).toBe(6);
    expect(await s3.list('reports/virtual-event/stuck/')).toEqual([]);
  });
});

describe('polling cost', () => {
  it('a 30-minute job costs at most 15 worker invocations at the default interval', () => {
    expect(pollDelaySeconds(60, 1)).toBe(60);
    expect(pollDelaySeconds(60, 10)).toBe(900);
    expect(invocationsFor(30 * 60)).toBeLessThanOrEqual(15);
    expect(invocationsFor(30 * 60, 30)).toBeLessThanOrEqual(15);
  });
});
