import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../shared/config/load-config.js';
import { planScheduleJobs, runSchedule, ScheduleNotFoundError } from '../../shared/schedules/run-schedule.js';
import { outputKeys } from '../../shared/exports/output-keys.js';
import { handleSchedulerEvent } from '../../shared/schedules/lambda-scheduler.js';
import { RecordingQueue } from './helpers.js';

function config(overrides: Record<string, unknown> = {}) {
  return validateConfig(
    {
      version: 1,
      schedules: [
        {
          name: 'weekly-exports',
          cron: '0 6 * * 1',
          timezone: 'America/New_York',
          jobs: [
            { kind: 'export', name: 'top-content', scope: 'partner', source: { type: 'table', reportType: 1 } },
            { kind: 'microservice', name: 'registrations', reportName: 'registration', reportParameters: { from_date_id: '{window.fromDay}', to_date_id: '{window.toDay}' } },
          ],
        },
        {
          name: 'per-entry',
          cron: '0 7 * * 1',
          timezone: 'Australia/Sydney',
          window: 'previous-week',
          subjects: ['1_aaa', '1_bbb', '1_ccc'],
          jobs: [{ kind: 'export', name: 'performance', source: { type: 'table', reportType: 1 } }],
        },
      ],
      ...overrides,
    },
    'test.yaml',
  );
}

describe('planScheduleJobs', () => {
  it('computes the previous week in the schedule timezone and resolves window placeholders', () => {
    // Act: the Monday 06:00 EST fire after the fall-back change.
    const messages = planScheduleJobs(config(), 'weekly-exports', new Date('2026-11-02T11:00:00Z'), { partnerId: 4242 });
    // Assess
    expect(messages).toHaveLength(2);
    const [exportJob, microservice] = messages;
    expect(exportJob!.window).toMatchObject({ label: '2026-10-26_2026-11-02', timezone: 'America/New_York', from: Date.parse('2026-10-26T04:00:00Z') / 1000, to: Date.parse('2026-11-02T05:00:00Z') / 1000 });
    expect(exportJob!.subject).toEqual({ scope: 'partner', id: '4242' });
    expect(exportJob!.trigger).toEqual({ type: 'schedule', schedule: 'weekly-exports', scheduledAt: '2026-11-02T11:00:00.000Z' });
    expect(microservice!.spec).toMatchObject({ kind: 'microservice', reportParameters: { from_date_id: '2026-10-26', to_date_id: '2026-11-01' } });
  });

  it('fans out one job per subject, each with its own key', () => {
    const messages = planScheduleJobs(config(), 'per-entry', new Date('2026-04-05T21:00:00Z'), { partnerId: 4242 });
    expect(messages.map((m) => m.subject)).toEqual([
      { scope: 'entry', id: '1_aaa' },
      { scope: 'entry', id: '1_bbb' },
      { scope: 'entry', id: '1_ccc' },
    ]);
    expect(messages.map((m) => outputKeys('reports/', m).data)).toEqual([
      'reports/per-entry/performance/1_aaa/2026-03-30_2026-04-06.csv',
      'reports/per-entry/performance/1_bbb/2026-03-30_2026-04-06.csv',
      'reports/per-entry/performance/1_ccc/2026-03-30_2026-04-06.csv',
    ]);
  });

  it('a backfill of a past period gives the same job ids and keys as the original run (re-runs replace)', () => {
    // Prepare: the real fire time, and a backfill asked for later in the same Monday and on the Sunday after.
    const original = planScheduleJobs(config(), 'weekly-exports', new Date('2027-01-04T11:00:00Z'), { partnerId: 4242 });
    // Act
    const backfill = planScheduleJobs(config(), 'weekly-exports', new Date('2027-01-10T20:00:00Z'), { partnerId: 4242 });
    // Assess
    expect(backfill.map((m) => m.jobId)).toEqual(original.map((m) => m.jobId));
    expect(backfill.map((m) => outputKeys('reports/', m).data)).toEqual(['reports/weekly-exports/top-content/4242/2026-12-28_2027-01-04.csv', 'reports/weekly-exports/registrations/4242/2026-12-28_2027-01-04.csv']);
    // A different week is a different job.
    const nextWeek = planScheduleJobs(config(), 'weekly-exports', new Date('2027-01-11T11:00:00Z'), { partnerId: 4242 });
    expect(nextWeek[0]!.jobId).not.toBe(original[0]!.jobId);
  });

  it('an unknown schedule name is a permanent error listing the defined ones', () => {
    expect(() => planScheduleJobs(config(), 'monthly', new Date(), { partnerId: 1 })).toThrow(ScheduleNotFoundError);
    expect(() => planScheduleJobs(config(), 'monthly', new Date(), { partnerId: 1 })).toThrow('defined: weekly-exports, per-entry');
  });
});

describe('runSchedule', () => {
  it('sends each job to the queue of its kind', async () => {
    // Prepare
    const queue = new RecordingQueue();
    // Act
    const result = await runSchedule({ config: config(), queue, partnerId: 4242 }, 'weekly-exports', new Date('2026-11-23T11:00:00Z'));
    // Assess
    expect(result.queued).toEqual({ export: 1, microservice: 1 });
    expect(queue.sent.map((s) => [s.kind, s.message.spec.name, s.delaySeconds])).toEqual([
      ['export', 'top-content', 0],
      ['microservice', 'registrations', 0],
    ]);
  });
});

describe('scheduler Lambda event', () => {
  it('fans out the named schedule at the EventBridge scheduled time', async () => {
    // Prepare
    const queue = new RecordingQueue();
    // Act
    const result = await handleSchedulerEvent({ config: config(), queue, partnerId: 4242 }, { schedule: 'per-entry', scheduledTime: '2026-10-04T20:00:00Z' }, new Date('2026-10-05T09:00:00Z'));
    // Assess: the window comes from the scheduled time (Monday 5 Oct 07:00 AEDT), not the invocation time.
    expect(result).toEqual({ schedule: 'per-entry', at: '2026-10-04T20:00:00.000Z', queued: { export: 3 }, jobs: 3 });
    expect(queue.sent[0]!.message.window.label).toBe('2026-09-28_2026-10-05');
  });

  it('uses the invocation time without a scheduledTime, and refuses an event without a schedule name', async () => {
    const queue = new RecordingQueue();
    const result = await handleSchedulerEvent({ config: config(), queue, partnerId: 4242 }, { schedule: 'weekly-exports' }, new Date('2026-11-23T11:00:05Z'));
    expect(result.at).toBe('2026-11-23T11:00:05.000Z');
    await expect(handleSchedulerEvent({ config: config(), queue, partnerId: 4242 }, { name: 'weekly-exports' })).rejects.toThrow(/scheduler event: schedule: /);
    await expect(handleSchedulerEvent({ config: config(), queue, partnerId: 4242 }, { schedule: 'nope' })).rejects.toThrow(/No schedule named "nope"/);
  });
});
