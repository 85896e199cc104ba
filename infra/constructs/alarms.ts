/**
 * CloudWatch alarms an operator acts on, all sent (alarm and recovery) to the operator SNS topic:
 * - a dead-letter queue holds any message (work failed permanently: read the reason, fix, replay);
 * - a job queue's oldest message is older than its kind allows (workers stuck, throttled or failing);
 * - a function reported errors (crashes, timeouts: partial batch failures are not errors);
 * - the webhook API answered 5xx (Kaltura will retry, but something is broken).
 */
import { Duration } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Alarm, ComparisonOperator, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface MonitoredQueue {
  readonly label: string;
  readonly queue: IQueue;
  /** Alarm when the oldest message is older than this. */
  readonly maxAge: Duration;
}

export interface ReportingAlarmsProps {
  readonly topic: ITopic;
  readonly deadLetterQueues: ReadonlyArray<{ label: string; queue: IQueue }>;
  readonly queues: ReadonlyArray<MonitoredQueue>;
  readonly functions: ReadonlyArray<{ label: string; fn: IFunction }>;
  readonly api: HttpApi;
}

export class ReportingAlarms extends Construct {
  readonly alarms: Alarm[] = [];
  private readonly action: SnsAction;

  constructor(scope: Construct, id: string, props: ReportingAlarmsProps) {
    super(scope, id);
    this.action = new SnsAction(props.topic);

    for (const { label, queue } of props.deadLetterQueues) {
      this.add(`DeadLetters-${label}`, {
        metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
        threshold: 1,
        description: `${label}: jobs failed permanently and wait in the dead-letter queue. Read their reason (docs/deploy.md "Dead letters"), fix the cause, then replay them.`,
      });
    }
    for (const { label, queue, maxAge } of props.queues) {
      this.add(`OldestMessage-${label}`, {
        metric: queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: 'Maximum' }),
        threshold: maxAge.toSeconds(),
        description: `${label}: a job has waited more than ${maxAge.toHumanString()}. Workers may be failing, throttled or stuck; check the worker's logs and errors.`,
      });
    }
    for (const { label, fn } of props.functions) {
      this.add(`Errors-${label}`, {
        metric: fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
        threshold: 1,
        description: `${label}: the function failed (crash, timeout or misconfiguration). See its log group.`,
      });
    }
    this.add('Api5xx', {
      metric: props.api.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      description: 'Webhook API answered 5xx: Kaltura notifications are being retried and may be lost after its retries. See the receiver logs.',
    });
  }

  private add(id: string, props: { metric: IMetric; threshold: number; description: string }): void {
    const alarm = new Alarm(this, id, {
      metric: props.metric,
      threshold: props.threshold,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: props.description,
    });
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    this.alarms.push(alarm);
  }
}
