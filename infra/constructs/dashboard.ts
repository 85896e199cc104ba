/**
 * One CloudWatch dashboard for the operator: webhook traffic and receiver outcomes, job queues and
 * dead letters, worker outcomes, function errors and durations. Metrics of the project itself come
 * from the functions' structured logs (embedded metric format, namespace `KalturaReporting`).
 */
import { Duration, Stack } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Dashboard, GraphWidget, Metric, TextWidget } from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { JOB_KINDS, type JobKind } from '../../shared/jobs/job-message.js';

export const METRICS_NAMESPACE = 'KalturaReporting';
const RECEIVER_OUTCOMES = ['accepted', 'duplicate', 'unmatched', 'rejected-signature', 'rejected-body', 'failed'] as const;

export interface ReportingDashboardProps {
  readonly api: HttpApi;
  readonly queues: Readonly<Record<JobKind, { queue: IQueue; deadLetterQueue: IQueue }>>;
  readonly schedulesDeadLetterQueue: IQueue;
  readonly functions: ReadonlyArray<{ label: string; fn: IFunction }>;
}

export class ReportingDashboard extends Construct {
  readonly dashboard: Dashboard;
  readonly url: string;

  constructor(scope: Construct, id: string, props: ReportingDashboardProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const period = Duration.minutes(5);
    const emf = (metricName: string, dimensions: Record<string, string>, label: string) =>
      new Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: dimensions, statistic: 'Sum', period, label });

    this.dashboard = new Dashboard(this, 'Dashboard', { dashboardName: stack.stackName, defaultInterval: Duration.hours(24) });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: `# ${stack.stackName}\nKaltura webhooks and schedules to checks, alerts and exports. Runbook: docs/deploy.md ("Operate").`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Webhook API: requests, 4xx, 5xx',
        width: 8,
        left: [props.api.metricCount({ period, label: 'requests' }), props.api.metricClientError({ period, label: '4xx' }), props.api.metricServerError({ period, label: '5xx' })],
      }),
      new GraphWidget({
        title: 'Receiver outcomes',
        width: 8,
        left: RECEIVER_OUTCOMES.map((outcome) => emf('Notifications', { service: 'receiver', outcome }, outcome)),
      }),
      new GraphWidget({
        title: 'Webhook latency (p99, ms)',
        width: 8,
        left: [props.api.metricLatency({ period, statistic: 'p99', label: 'API p99' }), props.api.metricIntegrationLatency({ period, statistic: 'p99', label: 'receiver p99' })],
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Jobs waiting (visible messages)',
        width: 8,
        left: JOB_KINDS.map((k) => props.queues[k].queue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum', label: k })),
      }),
      new GraphWidget({
        title: 'Oldest job (seconds)',
        width: 8,
        left: JOB_KINDS.map((k) => props.queues[k].queue.metricApproximateAgeOfOldestMessage({ period, statistic: 'Maximum', label: k })),
      }),
      new GraphWidget({
        title: 'Dead letters (should be 0)',
        width: 8,
        left: [
          ...JOB_KINDS.map((k) => props.queues[k].deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum', label: k })),
          props.schedulesDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum', label: 'schedules' }),
        ],
      }),
    );
    this.dashboard.addWidgets(
      ...(['JobSucceeded', 'JobRetried', 'JobDeadLettered'] as const).map(
        (metricName) =>
          new GraphWidget({
            title: { JobSucceeded: 'Jobs succeeded', JobRetried: 'Jobs retried', JobDeadLettered: 'Jobs dead-lettered' }[metricName],
            width: 8,
            left: JOB_KINDS.map((k) => emf(metricName, { service: `${k}-worker`, kind: k }, k)),
          }),
      ),
    );
    this.dashboard.addWidgets(
      new GraphWidget({ title: 'Function errors', width: 12, left: props.functions.map(({ label, fn }) => fn.metricErrors({ period, label })) }),
      new GraphWidget({ title: 'Function duration (p99, ms)', width: 12, left: props.functions.map(({ label, fn }) => fn.metricDuration({ period, statistic: 'p99', label })) }),
    );
    this.url = `https://${stack.region}.console.aws.amazon.com/cloudwatch/home?region=${stack.region}#dashboards:name=${stack.stackName}`;
  }
}
