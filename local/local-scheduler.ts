/**
 * The local stand-in for EventBridge Scheduler: fires each configured schedule on time (five-field cron
 * in the schedule's IANA timezone, `shared/schedules/cron.ts`) while `kreports start` runs, and fans out
 * its jobs with the same `runSchedule` the scheduler Lambda uses.
 *
 * Missed runs: the last fire time per schedule is kept in `DATA_DIR/scheduler.json`. If the stack was
 * stopped over a fire time, the latest missed one runs once at the next start (job ids and S3 keys are
 * deterministic per period, so this can never duplicate a period's files). A first start fires nothing
 * retroactively.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ReportingConfig } from '../shared/config/schema.js';
import type { JobQueue } from '../shared/ports/job-queue.js';
import type { Logger } from '../shared/logging/logger.js';
import { nextFireTime, fireTimesBetween } from '../shared/schedules/cron.js';
import { runSchedule } from '../shared/schedules/run-schedule.js';
import { writeFileAtomic } from './local-dead-letter-sink.js';

export interface LocalSchedulerOptions {
  readonly config: ReportingConfig;
  readonly queue: JobQueue;
  readonly partnerId: number;
  readonly dataDir: string;
  readonly logger: Logger;
  readonly now?: () => Date;
  /** Called after a schedule fired (banner, tests). */
  readonly onFired?: (schedule: string, at: Date, jobs: number) => void;
}

export interface LocalScheduler {
  /** Next fire time per schedule. */
  next(): Record<string, string>;
  stop(): void;
}

/** setTimeout's limit; longer waits are re-armed. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export async function startLocalScheduler(options: LocalSchedulerOptions): Promise<LocalScheduler> {
  const now = options.now ?? (() => new Date());
  const statePath = join(options.dataDir, 'scheduler.json');
  let state: Record<string, string> = {};
  let hadState = false;
  try {
    state = JSON.parse(await readFile(statePath, 'utf8')) as Record<string, string>;
    hadState = true;
  } catch {
    state = {};
  }
  const timers = new Map<string, NodeJS.Timeout>();
  const nextAt = new Map<string, Date>();
  let stopped = false;
  let saving = Promise.resolve();

  const save = () => {
    saving = saving.then(() => writeFileAtomic(statePath, JSON.stringify(state, null, 2) + '\n')).catch((error) => options.logger.error('could not save the scheduler state', { error }));
    return saving;
  };

  const fire = async (name: string, at: Date) => {
    try {
      const result = await runSchedule({ config: options.config, queue: options.queue, partnerId: options.partnerId }, name, at);
      state[name] = at.toISOString();
      await save();
      options.logger.info('schedule fired', { schedule: name, at: at.toISOString(), jobs: result.messages.length });
      options.onFired?.(name, at, result.messages.length);
    } catch (error) {
      options.logger.error('schedule could not queue its jobs', { schedule: name, at: at.toISOString(), error });
    }
  };

  const arm = (name: string, cron: string, timezone: string, firedAt?: Date) => {
    if (stopped) return;
    // Never before the time just fired: the wall clock may lag the timer by a millisecond.
    const after = new Date(Math.max(now().getTime(), firedAt?.getTime() ?? 0));
    const next = nextFireTime(cron, after, timezone);
    nextAt.set(name, next);
    const wait = () => {
      const ms = next.getTime() - now().getTime();
      if (ms > MAX_TIMER_MS) {
        timers.set(name, setTimeout(wait, MAX_TIMER_MS));
        return;
      }
      timers.set(
        name,
        setTimeout(() => {
          void fire(name, next).finally(() => arm(name, cron, timezone, next));
        }, Math.max(0, ms)),
      );
    };
    wait();
  };

  for (const schedule of options.config.schedules) {
    const last = state[schedule.name];
    if (hadState && last) {
      const missed = fireTimesBetween(schedule.cron, new Date(last), now(), schedule.timezone, 1000);
      const latest = missed.at(-1);
      if (latest) {
        options.logger.info('running a schedule missed while the stack was stopped', { schedule: schedule.name, at: latest.toISOString() });
        await fire(schedule.name, latest);
      }
    } else if (!last) {
      // Remember "now" so a later restart knows which fire times it missed.
      state[schedule.name] = now().toISOString();
    }
    arm(schedule.name, schedule.cron, schedule.timezone);
  }
  await save();

  return {
    next: () => Object.fromEntries([...nextAt].map(([k, v]) => [k, v.toISOString()])),
    stop: () => {
      stopped = true;
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
    },
  };
}
