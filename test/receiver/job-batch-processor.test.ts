/**
 * processJobBatch, the SQS batch loop every worker (Lambda and local) runs: partial batch failures,
 * dead letters with their reason, and what happens when the dead-letter queue itself is unavailable.
 */
import { describe, expect, it } from 'vitest';
import { processJobBatch, type QueueRecord } from '../../shared/queues/job-batch-processor.js';
import { createJobMessage } from '../../shared/jobs/create-job-message.js';
import type { DeadLetter, DeadLetterSink } from '../../shared/ports/dead-letter-sink.js';
import { createMemoryLogger } from '../../shared/logging/logger.js';
import { KalturaThrottledError } from '../../shared/kaltura/errors.js';
import { RecordingJobQueue } from './helpers.js';

function aRecord(messageId: string, body: string, receiveCount = 1): QueueRecord {
  return { messageId, body, attributes: { ApproximateReceiveCount: String(receiveCount) } };
}

function aValidBody(name = 'performance'): string {
  const message = createJobMessage(
    { kind: 'export', name, source: { type: 'table', reportType: 1 } },
    { rule: 'r', trigger: { type: 'manual', requestedAt: '2026-11-27T00:00:00Z' }, at: new Date('2026-11-27T00:00:00Z'), timezone: 'UTC', partnerId: 1, defaultWindow: { lastDays: 1 }, defaultScope: 'partner' },
  );
  return JSON.stringify(message);
}

function aSink(options: { failing?: boolean } = {}): DeadLetterSink & { letters: DeadLetter[] } {
  const letters: DeadLetter[] = [];
  return {
    letters,
    async send(letter) {
      if (options.failing) throw new Error('SQS SendMessageBatch failed (HTTP 500)');
      letters.push(letter);
    },
  };
}

describe('processJobBatch', () => {
  it('dead-letters an invalid and a non-JSON message with their reasons, and runs the valid one', async () => {
    // Prepare
    const sink = aSink();
    const handled: string[] = [];
    // Act
    const response = await processJobBatch([aRecord('a', 'not json'), aRecord('b', '{"version":1}'), aRecord('c', aValidBody())], {
      kind: 'export',
      queue: new RecordingJobQueue(),
      deadLetters: sink,
      logger: createMemoryLogger(),
      handler: async (message) => void handled.push(message.spec.name),
    });
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(handled).toEqual(['performance']);
    expect(sink.letters.map((l) => [l.body, l.errorName])).toEqual([
      ['not json', 'ValidationError'],
      ['{"version":1}', 'ValidationError'],
    ]);
    expect(sink.letters[0]!.reason).toBe('Job message is not JSON');
    expect(sink.letters[1]!.reason).toMatch(/^Invalid job message: job message: /);
  });

  it('when the dead-letter queue is unavailable, leaves the invalid messages to SQS and still answers for the rest of the batch', async () => {
    // Prepare
    const handled: string[] = [];
    // Act: a throw here would fail the whole batch, and SQS would run the valid job again
    const response = await processJobBatch([aRecord('a', 'not json'), aRecord('b', '{"version":1}'), aRecord('c', aValidBody())], {
      kind: 'export',
      queue: new RecordingJobQueue(),
      deadLetters: aSink({ failing: true }),
      logger: createMemoryLogger(),
      handler: async (message) => void handled.push(message.spec.name),
    });
    // Assess
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['a', 'b']);
    expect(handled).toEqual(['performance']);
  });

  it.each([
    ['an earlier attempt', 2, { failures: ['t'], letters: 0 }],
    ['the last attempt', 5, { failures: [], letters: 1 }],
  ])('when Kaltura asks to back off and the deferral cannot be sent, on %s, the job is retried or dead-lettered with the reason, never dropped', async (_label, receiveCount, expected) => {
    // Prepare: the queue refuses the deferred copy
    const queue = new RecordingJobQueue();
    queue.failNext = 1;
    const sink = aSink();
    // Act
    const response = await processJobBatch([aRecord('t', aValidBody(), receiveCount)], {
      kind: 'export',
      queue,
      deadLetters: sink,
      logger: createMemoryLogger(),
      maxAttempts: 5,
      handler: async () => {
        throw new KalturaThrottledError('report.getTable', 429, 60, true);
      },
    });
    // Assess: either SQS keeps it (batch item failure) or the dead-letter queue has it with why
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(expected.failures);
    expect(sink.letters).toHaveLength(expected.letters);
    if (expected.letters) expect(sink.letters[0]!.reason).toMatch(/^Gave up after 5 attempts: .*429/);
    expect(queue.sent).toHaveLength(0);
  });
});
