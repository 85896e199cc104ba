/**
 * Kaltura protected: the client's concurrency budget as the simulator counts it, 429/503 + Retry-After
 * turned into a typed back-off, and the batch processor deferring such a job through the queue
 * (an SQS delay) instead of spending one of its receive attempts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { KalturaThrottledError, KalturaTransportError } from '../../shared/kaltura/errors.js';
import { BackOffError, backOffSecondsOf, parseRetryAfter } from '../../shared/errors/back-off.js';
import { MAX_BACK_OFF_SECONDS, processJobBatch } from '../../shared/queues/job-batch-processor.js';
import { createMemoryLogger } from '../../shared/logging/logger.js';
import { checkSpec, jobFor, memoryDeadLetters, memoryQueue, record } from '../alerts/helpers.js';
import { countCalls, JUNE_2025, simulatorWithClient } from './helpers/simulator-client.js';

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

async function setup(clientOptions: Parameters<typeof simulatorWithClient>[1] = {}) {
  const made = await simulatorWithClient({}, clientOptions);
  close = made.close;
  return made;
}

describe('per-partner concurrency budget', () => {
  it('never has more requests in flight at the simulator than maxConcurrentRequests', async () => {
    // Prepare: slow answers so that 12 concurrent calls would overlap without the budget
    const { sim, client } = await setup({ maxConcurrentRequests: 3 });
    sim.injectFault({ kind: 'delay', ms: 150, times: 12, match: { action: 'getTotal' } });
    // Act
    await Promise.all(Array.from({ length: 12 }, () => client.getTotal({ reportType: 1, filter: JUNE_2025 })));
    // Assess: session.start + 12 getTotal, never more than 3 at once, and the budget was used
    const counts = sim.concurrency()[String(sim.partnerId)]!;
    expect(counts.peak).toBe(3);
    expect(counts.inFlight).toBe(0);
    expect(countCalls(sim, 'report', 'getTotal')).toBe(12);
  });

  it('serves the counts over HTTP and takes faults there (for a simulator in another process)', async () => {
    // Prepare
    const { sim, client } = await setup();
    const admin = new URL('/__simulator/', sim.reportsUrl);
    // Act
    const injected = await fetch(new URL('faults', admin), { method: 'POST', body: JSON.stringify({ kind: 'reject-for', status: 503, seconds: 60 }) });
    const error = await client.getTotal({ reportType: 1, filter: JUNE_2025 }).catch((e: unknown) => e);
    const counts = (await (await fetch(new URL('concurrency', admin))).json()) as { partners: Record<string, { peak: number; total: number }> };
    // Assess
    expect(injected.status).toBe(200);
    expect(error).toBeInstanceOf(KalturaThrottledError);
    expect(counts.partners[String(sim.partnerId)]).toMatchObject({ peak: 1 });
    expect(counts.partners[String(sim.partnerId)]!.total).toBeGreaterThanOrEqual(1);
    expect((await fetch(new URL('faults', admin), { method: 'POST', body: '{' })).status).toBe(400);
  });
});

describe('per-partner concurrency budget and streamed downloads', () => {
  it('gives the slot back when the reader of a download stops early (its upload failed), so the next call is not starved', async () => {
    // Prepare: a server that streams forever; a budget of one slot.
    const { createServer } = await import('node:http');
    const { Transport } = await import('../../shared/kaltura/transport.js');
    const { toCsvDownload } = await import('../../shared/kaltura/csv-downloads.js');
    const server = createServer((req, res) => {
      if (req.url !== '/big') return void res.end('{}');
      res.writeHead(200, { 'content-type': 'text/csv' });
      const chunk = Buffer.alloc(64 * 1024, 'a');
      const pump = () => {
        while (res.write(chunk));
      };
      res.on('drain', pump);
      req.on('close', () => res.destroy());
      pump();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const transport = new Transport({ timeoutMs: 5000, maxRetries: 0, retryBaseDelayMs: 10, maxConcurrentRequests: 1 });
    try {
      const download = toCsvDownload(await transport.stream({ url: `${base}/big`, call: 'report.serve' }), 'report.serve', 5000);
      // Act: read one chunk and give up, as an export whose S3 upload failed does.
      for await (const _chunk of download.body) break;
      const next = await Promise.race([
        transport.text({ url: `${base}/json`, call: 'system.ping' }).then(() => 'answered'),
        new Promise((r) => setTimeout(() => r('still waiting for a slot'), 10_000)),
      ]);
      // Assess
      expect(next).toBe('answered');
    } finally {
      await transport.close().catch(() => undefined);
      server.closeAllConnections();
      server.close();
    }
  });
});

describe('429 / 503 with Retry-After', () => {
  it('gives a back-off error at once when Kaltura rejects for longer than the client would wait', async () => {
    // Prepare
    const { sim, client } = await setup();
    await client.getTotal({ reportType: 1, filter: JUNE_2025 }); // a session first
    sim.injectFault({ kind: 'reject-for', status: 429, seconds: 30 });
    // Act
    const error = await client.getTotal({ reportType: 1, filter: JUNE_2025 }).catch((e: unknown) => e);
    // Assess: one request, not four; the wait comes from Retry-After
    expect(error).toBeInstanceOf(KalturaThrottledError);
    expect(error).toBeInstanceOf(KalturaTransportError);
    const seconds = backOffSecondsOf(error);
    expect(seconds).toBeGreaterThanOrEqual(28);
    expect(seconds).toBeLessThanOrEqual(30);
    expect(countCalls(sim, 'report', 'getTotal')).toBe(2);
    expect(sim.requests.at(-1)).toMatchObject({ httpStatus: 429 });
  });

  it('keeps a bare 503 an ordinary retryable error (no back-off)', async () => {
    // Prepare
    const { sim, client } = await setup();
    sim.injectFault({ kind: 'http-status', status: 503, times: 10, match: { action: 'getTotal' } });
    // Act
    const error = await client.getTotal({ reportType: 1, filter: JUNE_2025 }).catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(KalturaTransportError);
    expect(error).not.toBeInstanceOf(KalturaThrottledError);
    expect(backOffSecondsOf(error)).toBeUndefined();
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('17')).toBe(17);
    expect(parseRetryAfter(new Date(Date.UTC(2026, 0, 1, 0, 0, 30)).toUTCString(), Date.UTC(2026, 0, 1))).toBe(30);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});

describe('the batch processor defers a backed-off job', () => {
  const message = jobFor(checkSpec(), '1_throttled');
  const options = (handler: Parameters<typeof processJobBatch>[1]['handler']) => {
    const dead = memoryDeadLetters();
    const { queue, sent } = memoryQueue();
    return { dead, sent, options: { kind: 'check' as const, handler, queue, deadLetters: dead.sink, logger: createMemoryLogger(), maxAttempts: 3 } };
  };

  it('re-sends the job with the asked delay, even on its last attempt, and nothing is dead-lettered', async () => {
    // Prepare
    const { dead, sent, options: opts } = options(async () => {
      throw new BackOffError('Kaltura is busy', 30);
    });
    // Act: the last allowed receive
    const response = await processJobBatch([record(message, 'm-1', 3)], opts);
    // Assess: the received copy is deleted (no failure), a delayed copy carries the deferral count
    expect(response.batchItemFailures).toEqual([]);
    expect(dead.letters).toEqual([]);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.delaySeconds).toBeGreaterThanOrEqual(30);
    expect(sent[0]!.delaySeconds).toBeLessThanOrEqual(36);
    expect(sent[0]!.messages[0]).toMatchObject({ jobId: message.jobId, backOff: { count: 1 } });
  });

  it('counts the failures as attempts again once the job has backed off for MAX_BACK_OFF_SECONDS', async () => {
    // Prepare: a job deferred since longer than the limit
    const old = { ...message, backOff: { count: 40, since: new Date(Date.now() - (MAX_BACK_OFF_SECONDS + 60) * 1000).toISOString() } };
    const { dead, sent, options: opts } = options(async () => {
      throw new BackOffError('Kaltura is busy', 30);
    });
    // Act
    const early = await processJobBatch([record(old, 'm-1', 1)], opts);
    const last = await processJobBatch([record(old, 'm-1', 3)], opts);
    // Assess
    expect(early.batchItemFailures).toEqual([{ itemIdentifier: 'm-1' }]);
    expect(last.batchItemFailures).toEqual([]);
    expect(sent).toEqual([]);
    expect(dead.letters).toHaveLength(1);
    expect(dead.letters[0]!.reason).toContain('Gave up after 3 attempts');
  });

  it('ends the back-off episode when a step succeeds: a polling job rescheduled after a deferral no longer carries it', async () => {
    // Prepare: a job that was deferred hours ago, and whose next step (a poll) succeeds and reschedules itself.
    const deferredLongAgo = { ...message, backOff: { count: 1, since: new Date(Date.now() - (MAX_BACK_OFF_SECONDS + 3600) * 1000).toISOString() } };
    const { sent, options: opts } = options(async (m) => ({ message: m, delaySeconds: 60 }));
    // Act
    await processJobBatch([record(deferredLongAgo, 'm-1', 1)], opts);
    // Assess: a later 429 starts a new episode instead of counting as an attempt at once
    expect(sent).toHaveLength(1);
    expect(sent[0]!.messages[0]!.backOff).toBeUndefined();
  });

  it('defers a job whose own error wraps Kaltura\'s 429 (a domain error with the throttle as its cause)', async () => {
    // Prepare: as the weekly summary wraps a failed getTotal (found in review).
    const { SummaryReportError } = await import('../../shared/exports/summary.js');
    const { dead, sent, options: opts } = options(async () => {
      throw new SummaryReportError('report 38 getTotal for the previous period', new KalturaThrottledError('report.getTotal', 429, 60, true));
    });
    // Act: the last allowed receive
    const response = await processJobBatch([record(message, 'm-1', 3)], opts);
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(dead.letters).toEqual([]);
    expect(sent[0]!.delaySeconds).toBeGreaterThanOrEqual(60);
  });
});
