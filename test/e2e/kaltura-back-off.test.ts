/**
 * Kaltura protected under load: `kreports start` (child process) pointed at a simulator in this process
 * with a per-partner budget of 2; Kaltura answers every request 429 for 30 s. The workers must stay within
 * the budget, back off through queue delays instead of burning receive attempts (the queues' visibility
 * timeout is 2 s here, so failures counted as attempts would dead-letter exports within seconds), and
 * finish every job once Kaltura answers again.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../simulator/index.js';
import { postNotification } from '../../simulator/notifications.js';
import { freePort, stackEnv, waitForDrain, walk } from '../../bench/pipeline/harness.js';
import { startStack, tempDir, type RunningStack } from '../cli/helpers.js';

const BUDGET = 2;

describe('Kaltura under load (local stack, end to end)', () => {
  let sim: Simulator | undefined;
  let stack: RunningStack | undefined;
  let data: { path: string; remove: () => Promise<void> } | undefined;
  afterEach(async () => {
    await stack?.stop('SIGKILL');
    await sim?.close();
    await data?.remove();
    stack = sim = data = undefined;
  });

  it('keeps to the budget and backs off a 30 s run of 429s without dead-lettering anything', async () => {
    // Prepare: slow report answers (so requests would overlap without the budget), then 429 for 30 s
    sim = await startSimulator();
    data = await tempDir('kreports-backoff-');
    stack = await startStack(stackEnv(sim, data.path, await freePort(), BUDGET, { VISIBILITY_TIMEOUT_SECONDS: '2', LOG_LEVEL: 'warn' }), { timeoutMs: 60_000 });
    sim.injectFault({ kind: 'delay', ms: 100, times: 100_000, match: { service: 'report' } });
    sim.injectFault({ kind: 'reject-for', status: 429, seconds: 30 });
    const entries = Array.from({ length: 24 }, (_, i) => ({ entryId: i % 6 === 1 ? `1_quiet_bo${i}` : `1_bo${i}`, status: i % 2 === 0 ? 2 : 7 }));

    // Act
    const answers = await Promise.all(entries.map((e, i) => postNotification(stack!.webhookUrl, sim!.buildNotification({ entryId: e.entryId, status: e.status, eventNotificationJobId: 810_000 + i }))));
    await waitForDrain(data.path, 180_000);

    // Assess: Kaltura did reject, the workers deferred, nothing was dead-lettered, everything got done
    expect(answers.map((a) => a.status)).toEqual(entries.map(() => 200));
    const rejected = sim.requests.filter((r) => r.httpStatus === 429).length;
    expect(rejected).toBeGreaterThan(0);
    expect(rejected).toBeLessThanOrEqual(2 * entries.length); // backed off, not hammering
    expect(stack.stderr()).toMatch(/Kaltura asked to back off; job deferred without using an attempt/);
    expect(await walk(join(data.path, 'dead-letters'))).toEqual([]);
    const bucket = join(data.path, 'bucket');
    const manifests = (await walk(bucket, 'reports')).filter((f) => f.endsWith('.manifest.json'));
    expect(manifests).toHaveLength(entries.filter((e) => e.status === 2).length);
    const alerts = (await readFile(join(data.path, 'alerts.jsonl'), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { kind: string; subject: { id: string } });
    const quietChecks = entries.filter((e) => e.status === 7 && e.entryId.includes('quiet')).map((e) => e.entryId);
    expect(alerts.map((a) => `${a.kind} ${a.subject.id}`).sort()).toEqual(quietChecks.map((id) => `firing ${id}`).sort());
    // The budget held, and the load was enough to reach it.
    const counts = sim.concurrency()[String(sim.partnerId)]!;
    expect(counts.peak).toBeLessThanOrEqual(BUDGET);
    expect(counts.peak).toBe(BUDGET);
  }, 300_000);
});
