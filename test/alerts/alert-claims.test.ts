/**
 * A pending alert claimed by an evaluation that is still sending it, or that died while sending it
 * (a Lambda timeout, a SIGKILL of `kreports start`): what the other jobs that meet the claim do.
 * A check job is deferred until the claim runs out (alert-state.test.ts); these are the two places
 * that must not be deferred by it: a live watch (its own retry loop) and a check that is failing for
 * good (it must reach the dead-letter queue with its own reason).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFileStateStore } from '../../shared/state/file-state-store.js';
import type { StateStore } from '../../shared/ports/state-store.js';
import { createCheckJobHandler, createLiveHealthJobHandler } from '../../shared/alerts/create-alert-engine.js';
import { evaluateAlert, type AlertKey } from '../../shared/alerts/alert-state.js';
import type { AlertMessage } from '../../shared/alerts/alert-message.js';
import { ReportingError } from '../../shared/errors/base-error.js';
import { processJobBatch } from '../../shared/queues/job-batch-processor.js';
import { createMemoryLogger } from '../../shared/logging/logger.js';
import type { KalturaApi } from '../../shared/kaltura/kaltura-api.js';
import { alertConfig, checkSpec, jobFor, liveSpec, memoryDeadLetters, memoryQueue, record, secretsFrom, tempDir, useSimulatorWithClient } from './helpers.js';

const kaltura = useSimulatorWithClient();

/** Another evaluation decides "firing" for `key` at `at` and never finishes sending it: its claim stays live until it runs out. */
async function aStuckSender(store: StateStore, key: AlertKey, at: Date): Promise<void> {
  void evaluateAlert({
    store,
    key,
    observation: { status: 'firing', description: 'stuck', facts: [] },
    now: at,
    repeatIntervalMs: 3_600_000,
    destinations: ['local'],
    jobId: 'stuck',
    ownerId: 'stuck',
    buildMessage: ({ id, kind }) => ({ id, kind }) as unknown as AlertMessage,
    deliver: () => new Promise(() => undefined),
  });
  // Until its claim is written
  for (let i = 0; i < 100 && !(await store.get(`alert#${key.rule}#${key.job}#${key.subject.scope}:${key.subject.id}${key.aspect ? `#${key.aspect}` : ''}`)); i++) await new Promise((r) => setTimeout(r, 10));
}

class ForbiddenError extends ReportingError {
  readonly retryable = false;
}

describe('a claim held by another evaluation', () => {
  it('does not stop a live watch on its first poll: the watch keeps its lease and polls on', async () => {
    // Prepare
    const dir = await tempDir('claims-');
    const store = createFileStateStore({ directory: join(dir, 'state') });
    const logger = createMemoryLogger();
    const handler = createLiveHealthJobHandler({ api: kaltura.api, config: alertConfig(), stateStore: store, operator: { notify: async () => undefined }, localAlertsPath: join(dir, 'alerts.jsonl'), resolveSecret: secretsFrom({}), logger });
    const job = jobFor(liveSpec(), '1_unhealthy_live', { rule: 'live-stream', at: new Date() });
    await aStuckSender(store, { rule: job.rule, job: job.spec.name, subject: job.subject, aspect: 'health' }, new Date());
    const { queue, sent } = memoryQueue();
    // Act: the first poll, then the next one it queued
    const first = await processJobBatch([record(job)], { kind: 'live-health', handler, queue, deadLetters: memoryDeadLetters().sink, logger });
    const next = sent[0]!.messages[0]!;
    const second = await processJobBatch([record(next, 'm-2')], { kind: 'live-health', handler, queue, deadLetters: memoryDeadLetters().sink, logger });
    // Assess: each poll queued the next one as usual (10 s), with the watch's lease id; nothing deferred
    expect(first.batchItemFailures).toEqual([]);
    expect(second.batchItemFailures).toEqual([]);
    expect(sent.map((s) => s.delaySeconds)).toEqual([10, 10]);
    expect(sent[1]!.messages[0]!.progress).toMatchObject({ watchId: next.progress?.watchId, polls: 2 });
    expect(sent.every((s) => s.messages[0]!.backOff === undefined)).toBe(true);
  });

  it('does not keep a check that fails for good from the dead-letter queue with its own reason', async () => {
    // Prepare: Kaltura refuses the check's report for good
    const dir = await tempDir('claims-');
    const store = createFileStateStore({ directory: join(dir, 'state') });
    const logger = createMemoryLogger();
    const refusing = new Proxy({}, { get: (_t, p) => (p === 'then' ? undefined : async () => Promise.reject(new ForbiddenError('SERVICE_FORBIDDEN: report->getTotal'))) }) as KalturaApi;
    const handler = createCheckJobHandler({ api: refusing, config: alertConfig(), stateStore: store, operator: { notify: async () => undefined }, localAlertsPath: join(dir, 'alerts.jsonl'), resolveSecret: secretsFrom({}), logger });
    const job = jobFor(checkSpec(), '1_refused', { entryName: 'Refused' });
    await aStuckSender(store, { rule: job.rule, job: job.spec.name, subject: job.subject }, new Date());
    const { queue, sent } = memoryQueue();
    const dead = memoryDeadLetters();
    // Act
    const response = await processJobBatch([record(job)], { kind: 'check', handler, queue, deadLetters: dead.sink, logger, maxAttempts: 5 });
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(sent).toHaveLength(0);
    expect(dead.letters).toHaveLength(1);
    expect(dead.letters[0]!.reason).toContain('SERVICE_FORBIDDEN');
  });
});
