/**
 * One EventBridge Scheduler schedule per configuration schedule: the five-field cron converted to
 * `cron(m h dom mon dow year)` and evaluated in the schedule's IANA timezone (so "Mondays 06:00
 * New York" stays 06:00 across daylight-saving changes), invoking the scheduler Lambda with
 * `{"schedule":"<name>","scheduledTime":"<aws.scheduler.scheduled-time>"}`. Delivery is retried and what still fails lands in a dead-letter queue.
 */
import { createHash } from 'node:crypto';
import { Duration, Stack, TimeZone } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { ContextAttribute, Schedule, ScheduleExpression, ScheduleTargetInput, TimeWindow } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Schedule as ScheduleConfig } from '../../shared/config/schema.js';
import { toEventBridgeCron } from '../cron.js';

export interface ReportingSchedulesProps {
  readonly schedules: ReadonlyArray<ScheduleConfig>;
  readonly scheduler: IFunction;
  /** Where invocations that could not be delivered go (shared with the scheduler's failed runs). */
  readonly deadLetterQueue: IQueue;
  /** Start the schedules enabled. Default true. */
  readonly enabled?: boolean;
}

/** Delivery attempts after the first one, and how long an undelivered run is still worth doing. */
export const SCHEDULE_RETRY_ATTEMPTS = 3;
export const SCHEDULE_MAX_EVENT_AGE = Duration.hours(6);

/** `<stack>-<schedule>`; EventBridge allows 64 characters, so longer names end in a short hash instead (still unique). */
export function scheduleName(stackName: string, schedule: string): string {
  const full = `${stackName}-${schedule}`;
  if (full.length <= 64) return full;
  return `${full.slice(0, 55)}-${createHash('sha256').update(full).digest('hex').slice(0, 8)}`;
}

export class ReportingSchedules extends Construct {
  readonly schedules: Schedule[] = [];

  constructor(scope: Construct, id: string, props: ReportingSchedulesProps) {
    super(scope, id);
    if (props.schedules.length === 0) return;
    const stack = Stack.of(this);
    const role = new Role(this, 'InvokeRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: 'EventBridge Scheduler: invoke the kaltura-reporting scheduler Lambda',
    });
    for (const config of props.schedules) {
      const target = new LambdaInvoke(props.scheduler, {
        role,
        // The fire time rides along, so a run delivered late or retried still covers its own period.
        input: ScheduleTargetInput.fromObject({ schedule: config.name, scheduledTime: ContextAttribute.scheduledTime }),
        retryAttempts: SCHEDULE_RETRY_ATTEMPTS,
        maxEventAge: SCHEDULE_MAX_EVENT_AGE,
        deadLetterQueue: props.deadLetterQueue,
      });
      this.schedules.push(
        new Schedule(this, `Schedule-${config.name}`, {
          scheduleName: scheduleName(stack.stackName, config.name),
          description: (config.description ?? `kaltura-reporting schedule ${config.name}`).slice(0, 512),
          schedule: ScheduleExpression.expression(toEventBridgeCron(config.cron), TimeZone.of(config.timezone)),
          target,
          timeWindow: TimeWindow.off(),
          enabled: props.enabled ?? true,
        }),
      );
    }
  }
}
