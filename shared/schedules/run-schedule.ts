/**
 * Weekly (or any cron) schedules: turning "schedule NAME fired at T" into job messages.
 *
 * The window is computed in the schedule's timezone at T (default `previous-week`: the ISO week,
 * Monday 00:00 to Monday 00:00 local time, 7 calendar days even across a daylight-saving change
 * or a year end). Each job of the schedule becomes one message per subject (`subjects`), or one for
 * the partner. Job ids and S3 keys are deterministic in (schedule, job, subject, period), so
 * running a period again — EventBridge retrying, or `kreports schedule run NAME --at T` as a
 * backfill — replaces that period's files instead of adding new ones.
 */
import type { ReportingConfig, Schedule } from '../config/schema.js';
import type { JobKind, JobMessage } from '../jobs/job-message.js';
import type { JobQueue } from '../ports/job-queue.js';
import { createJobMessage } from '../jobs/create-job-message.js';
import { ReportingError } from '../errors/base-error.js';

export class ScheduleNotFoundError extends ReportingError {
  readonly retryable = false;
  constructor(name: string, known: ReadonlyArray<string>) {
    super(`No schedule named "${name}" in the configuration; defined: ${known.join(', ') || 'none'}.`);
  }
}

export function findSchedule(config: ReportingConfig, name: string): Schedule {
  const schedule = config.schedules.find((s) => s.name === name);
  if (!schedule) throw new ScheduleNotFoundError(name, config.schedules.map((s) => s.name));
  return schedule;
}

/** The job messages schedule `scheduleName` produces when it fires at `at` (or is backfilled as of `at`). */
export function planScheduleJobs(config: ReportingConfig, scheduleName: string, at: Date, options: { partnerId: number }): JobMessage[] {
  const schedule = findSchedule(config, scheduleName);
  const trigger = { type: 'schedule' as const, schedule: schedule.name, scheduledAt: at.toISOString() };
  const subjects: ReadonlyArray<string | undefined> = schedule.subjects && schedule.subjects.length > 0 ? schedule.subjects : [undefined];
  const messages: JobMessage[] = [];
  for (const spec of schedule.jobs) {
    for (const subjectId of subjects) {
      messages.push(
        createJobMessage(spec, {
          rule: schedule.name,
          trigger,
          at,
          timezone: schedule.timezone,
          partnerId: options.partnerId,
          defaultWindow: schedule.window ?? 'previous-week',
          // Subjects listed without a job scope are taken as entry ids; set `scope` on the job otherwise.
          defaultScope: subjectId === undefined ? 'partner' : 'entry',
          ...(subjectId !== undefined ? { subjectId } : {}),
        }),
      );
    }
  }
  return messages;
}

export interface ScheduleRunResult {
  readonly schedule: string;
  readonly at: string;
  /** Messages sent per job kind. */
  readonly queued: Partial<Record<JobKind, number>>;
  readonly messages: ReadonlyArray<JobMessage>;
}

/** Plans and sends: one `send` per job kind (each kind has its own queue). */
export async function runSchedule(deps: { config: ReportingConfig; queue: JobQueue; partnerId: number }, scheduleName: string, at: Date): Promise<ScheduleRunResult> {
  const messages = planScheduleJobs(deps.config, scheduleName, at, { partnerId: deps.partnerId });
  const byKind = new Map<JobKind, JobMessage[]>();
  for (const m of messages) {
    const list = byKind.get(m.spec.kind) ?? [];
    list.push(m);
    byKind.set(m.spec.kind, list);
  }
  const queued: Partial<Record<JobKind, number>> = {};
  for (const [kind, list] of byKind) {
    await deps.queue.send(kind, list);
    queued[kind] = list.length;
  }
  return { schedule: scheduleName, at: at.toISOString(), queued, messages };
}
