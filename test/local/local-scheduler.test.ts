import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startLocalScheduler, type LocalScheduler } from '../../local/local-scheduler.js';
import { validateConfig } from '../../shared/config/load-config.js';
import { createMemoryLogger } from '../../shared/logging/logger.js';
import type { JobKind, JobMessage } from '../../shared/jobs/job-message.js';
import type { JobQueue } from '../../shared/ports/job-queue.js';

function aConfig(cron: string, timezone = 'Europe/Paris') {
  return validateConfig(
    {
      version: 1,
      schedules: [{ name: 'weekly-exports', cron, timezone, window: 'previous-week', jobs: [{ kind: 'export', name: 'top', scope: 'partner', source: { type: 'table', reportType: 1 } }] }],
    },
    'test.yaml',
  );
}

function aRecordingQueue(): JobQueue & { sent: Array<{ kind: JobKind; message: JobMessage }> } {
  const sent: Array<{ kind: JobKind; message: JobMessage }> = [];
  return { sent, send: async (kind, messages) => void sent.push(...messages.map((message) => ({ kind, message }))) };
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});
async function aDataDir() {
  const dir = await mkdtemp(join(tmpdir(), 'kreports-sched-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
async function until(condition: () => boolean, timeoutMs = 3000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('local scheduler', () => {
  it('fires a schedule at its cron time in its timezone and queues that period\'s jobs', async () => {
    // Prepare: "now" is 1.5 s before Monday 06:00 in Paris
    const fireAt = Date.parse('2026-11-23T05:00:00Z'); // 06:00 CET
    const offset = fireAt - 1500 - Date.now();
    const queue = aRecordingQueue();
    const scheduler: LocalScheduler = await startLocalScheduler({ config: aConfig('0 6 * * 1'), queue, partnerId: 4242, dataDir: await aDataDir(), logger: createMemoryLogger(), now: () => new Date(Date.now() + offset) });
    cleanups.push(() => scheduler.stop());
    expect(scheduler.next()).toEqual({ 'weekly-exports': '2026-11-23T05:00:00.000Z' });
    // Act
    await until(() => queue.sent.length > 0);
    // Assess
    expect(queue.sent).toHaveLength(1);
    expect(queue.sent[0]!.kind).toBe('export');
    expect(queue.sent[0]!.message).toMatchObject({ rule: 'weekly-exports', trigger: { type: 'schedule', scheduledAt: '2026-11-23T05:00:00.000Z' }, window: { label: '2026-11-16_2026-11-23', timezone: 'Europe/Paris' } });
    await until(() => scheduler.next()['weekly-exports'] === '2026-11-30T05:00:00.000Z');
  });

  it('runs the latest fire time missed while the stack was stopped, once', async () => {
    const dataDir = await aDataDir();
    await writeFile(join(dataDir, 'scheduler.json'), JSON.stringify({ 'weekly-exports': '2026-11-01T00:00:00.000Z' }));
    const queue = aRecordingQueue();
    const scheduler = await startLocalScheduler({ config: aConfig('0 6 * * 1'), queue, partnerId: 4242, dataDir, logger: createMemoryLogger(), now: () => new Date('2026-11-25T12:00:00Z') });
    cleanups.push(() => scheduler.stop());
    expect(queue.sent.map((s) => s.message.trigger)).toEqual([{ type: 'schedule', schedule: 'weekly-exports', scheduledAt: '2026-11-23T05:00:00.000Z' }]);
    expect(JSON.parse(await readFile(join(dataDir, 'scheduler.json'), 'utf8'))).toEqual({ 'weekly-exports': '2026-11-23T05:00:00.000Z' });
  });

  it('fires nothing retroactively on a first start', async () => {
    const queue = aRecordingQueue();
    const scheduler = await startLocalScheduler({ config: aConfig('0 6 * * 1'), queue, partnerId: 4242, dataDir: await aDataDir(), logger: createMemoryLogger(), now: () => new Date('2026-11-25T12:00:00Z') });
    cleanups.push(() => scheduler.stop());
    expect(queue.sent).toEqual([]);
  });
});
