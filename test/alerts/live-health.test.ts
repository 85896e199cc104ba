/**
 * Live health watches against the simulator: beacons (primary/backup), viewers, rescheduling through
 * the batch processor's `{ message, delaySeconds }`, and stopping.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { createFileStateStore } from '../../shared/state/file-state-store.js';
import { createLiveHealthJobHandler, type JobHandlerDeps } from '../../shared/alerts/create-alert-engine.js';
import { processJobBatch } from '../../shared/queues/job-batch-processor.js';
import { createMemoryLogger } from '../../shared/logging/logger.js';
import type { JobMessage } from '../../shared/jobs/job-message.js';
import type { LiveWatchProgress } from '../../shared/live-health/watch-live-stream.js';
import type { KalturaApi } from '../../shared/kaltura/kaltura-api.js';
import { alertConfig, jobFor, liveSpec, memoryDeadLetters, memoryQueue, readJsonLines, record, secretsFrom, tempDir, useSimulatorWithClient } from './helpers.js';

const kaltura = useSimulatorWithClient();

/** The simulator's beacons follow the real clock; the test clock starts at real time and is moved by hand. */
function realClock() {
  let offset = 0;
  return { now: () => new Date(Date.now() + offset), advance: (ms: number) => void (offset += ms) };
}

async function liveHarness(options: { api?: KalturaApi; idleStopMs?: number } = {}) {
  const dir = await tempDir('live-');
  const clock = realClock();
  const logger = createMemoryLogger();
  const deps: JobHandlerDeps & { idleStopMs?: number } = {
    api: options.api ?? kaltura.api,
    config: alertConfig(),
    stateStore: createFileStateStore({ directory: join(dir, 'state') }),
    operator: { notify: async () => undefined },
    localAlertsPath: join(dir, 'alerts.jsonl'),
    resolveSecret: secretsFrom({}),
    now: clock.now,
    logger,
    ...(options.idleStopMs !== undefined ? { idleStopMs: options.idleStopMs } : {}),
  };
  const handler = createLiveHealthJobHandler(deps);
  const dead = memoryDeadLetters();
  const queue = memoryQueue();
  /** One delivery through the batch processor; returns the rescheduled message, if any. */
  const poll = async (message: JobMessage) => {
    const before = queue.sent.length;
    const response = await processJobBatch([record(message)], { kind: 'live-health', handler, queue: queue.queue, deadLetters: dead.sink, logger });
    expect(response.batchItemFailures).toEqual([]);
    return queue.sent.slice(before)[0];
  };
  return { alertsPath: join(dir, 'alerts.jsonl'), clock, poll, dead, logger };
}

function liveJob(entryId: string, overrides: Parameters<typeof liveSpec>[0] = {}) {
  return jobFor(liveSpec(overrides), entryId, { rule: 'live-stream', at: new Date() });
}

describe('live health watch', () => {
  it('alerts once for an unhealthy stream, naming the primary stream, and re-polls every 10 s', async () => {
    const h = await liveHarness();
    // Act: first poll
    const next = await h.poll(liveJob('1_unhealthy_live'));
    // Assess: one alert that names the primary stream and the entry
    let alerts = await readJsonLines(h.alertsPath);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ kind: 'firing', severity: 'critical', metric: 'maxSeverity', value: 4, subject: { id: '1_unhealthy_live' } });
    expect(String(alerts[0]!.description)).toMatch(/primary stream severity 4/);
    expect(String(alerts[0]!.description)).not.toMatch(/backup stream severity/);
    expect(String(alerts[0]!.title)).toContain('1_unhealthy_live');
    expect(String(alerts[0]!.link)).toBe('https://kmc.example.com/index.php/kmcng/content/entries/entry/1_unhealthy_live/live');
    // The period looked at is shown in the partner timezone.
    expect((alerts[0]!.window as { timezone: string; text: string }).text).toContain('America/New_York');
    // The entry name was looked up for the alert (the notification had none).
    expect((alerts[0]!.subject as { name?: string }).name).toContain('safety training');
    // Rescheduled through the queue with the health interval and progress.
    expect(next).toBeDefined();
    expect(next!.delaySeconds).toBe(10);
    const progress = next!.messages[0]!.progress as LiveWatchProgress;
    expect(progress.polls).toBe(1);
    expect(progress.viewers).toBeGreaterThan(0);
    // Act: the next poll 10 s later still sees the problem: no second alert (repeat interval 15m).
    h.clock.advance(10_000);
    const after = await h.poll(next!.messages[0]!);
    alerts = await readJsonLines(h.alertsPath);
    expect(alerts).toHaveLength(1);
    expect((after!.messages[0]!.progress as LiveWatchProgress).polls).toBe(2);
  });

  it('stays silent for a healthy live stream and keeps watching', async () => {
    const h = await liveHarness();
    const next = await h.poll(liveJob('1_healthy_live'));
    expect(await readJsonLines(h.alertsPath)).toEqual([]);
    expect(next?.delaySeconds).toBe(10);
  });

  it('polls viewers every 30 s and alerts below minViewers', async () => {
    const h = await liveHarness();
    kaltura.sim.clearRequests();
    const first = await h.poll(liveJob('1_fewviewers_live', { minViewers: 100_000, name: 'audience' }));
    h.clock.advance(10_000);
    const second = await h.poll(first!.messages[0]!);
    h.clock.advance(10_000);
    const third = await h.poll(second!.messages[0]!);
    h.clock.advance(10_000);
    await h.poll(third!.messages[0]!);
    // Four health polls, two viewer polls (at 0 s and 30 s).
    expect(kaltura.sim.requests.filter((r) => r.service.toLowerCase() === 'livereports')).toHaveLength(2);
    expect(kaltura.sim.requests.filter((r) => r.service.toLowerCase().includes('beacon'))).toHaveLength(4);
    const alerts = await readJsonLines(h.alertsPath);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ kind: 'firing', metric: 'concurrent viewers', condition: '< 100000' });
  });

  it('runs one watch per stream: a second notification for the same stream does not start a second poller', async () => {
    const h = await liveHarness();
    const first = await h.poll(liveJob('1_twice_live'));
    // Kaltura notifies again for the same stream: the new watch stops at once.
    const duplicate = await h.poll(liveJob('1_twice_live'));
    expect(duplicate).toBeUndefined();
    expect(h.logger.lines.some((l) => l.includes('another watch is already polling'))).toBe(true);
    // The first watch carries on.
    h.clock.advance(10_000);
    expect(await h.poll(first!.messages[0]!)).toBeDefined();
    // Once the first watch has been silent for a minute (its job died), a new one takes over.
    h.clock.advance(61_000);
    expect(await h.poll(liveJob('1_twice_live'))).toBeDefined();
    // ...and the old one, if it comes back, stops.
    expect(await h.poll(first!.messages[0]!)).toBeUndefined();
  });

  it('stops after maxDuration', async () => {
    const h = await liveHarness();
    const message = liveJob('1_long_live', { maxDuration: '1m' });
    const next = await h.poll(message);
    h.clock.advance(61_000);
    const last = await h.poll(next!.messages[0]!);
    expect(last).toBeUndefined();
    expect(h.logger.lines.some((l) => l.includes('maximum duration'))).toBe(true);
  });

  it('stops when the stream shows neither beacons nor viewers for a while', async () => {
    // A Kaltura whose stream has ended: no beacons, no audience.
    const ended: KalturaApi = { ...kaltura.api, partnerId: kaltura.api.partnerId, getEntry: (id) => kaltura.api.getEntry(id), listHealthBeacons: async () => [], getLiveAudience: async () => [] };
    const h = await liveHarness({ api: ended, idleStopMs: 60_000 });
    const next = await h.poll(liveJob('1_ended_live'));
    expect(next).toBeDefined();
    h.clock.advance(61_000);
    expect(await h.poll(next!.messages[0]!)).toBeUndefined();
    expect(h.logger.lines.some((l) => l.includes('stream ended'))).toBe(true);
  });

  it('says so with an error alert when the watch cannot run (permission), then dead-letters it', async () => {
    const h = await liveHarness();
    kaltura.sim.injectFault({ kind: 'api-error', code: 'SERVICE_FORBIDDEN', args: { SERVICE: 'beacon_beacon->list' }, times: 5, match: { action: 'list' } });
    const response = await processJobBatch([record(liveJob('1_forbidden_live'))], {
      kind: 'live-health',
      handler: createLiveHealthJobHandler({ api: kaltura.api, config: alertConfig(), stateStore: createFileStateStore({ directory: join(await tempDir('live-'), 'state') }), localAlertsPath: h.alertsPath, now: () => new Date() }),
      queue: memoryQueue().queue,
      deadLetters: h.dead.sink,
      logger: h.logger,
    });
    kaltura.sim.clearFaults();
    expect(response.batchItemFailures).toEqual([]);
    expect(h.dead.letters[0]!.reason).toContain('SERVICE_FORBIDDEN');
    const alerts = await readJsonLines(h.alertsPath);
    expect(alerts).toMatchObject([{ kind: 'error', subject: { id: '1_forbidden_live' } }]);
    expect(String(alerts[0]!.description)).toContain('The live watch stopped');
  });

  it('stops at once when the entry does not exist', async () => {
    const h = await liveHarness();
    const next = await h.poll(liveJob('1_missing_live'));
    expect(next).toBeUndefined();
    expect(h.dead.letters).toEqual([]);
  });
});
