/**
 * cdk-nag (AwsSolutions) findings that are deliberate, each acknowledged on the construct it is
 * about, with the reason. Everything else must pass: test/infra/nag.test.ts fails on any
 * unacknowledged error, and `npm run synth` reports the same checks.
 */
import { Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { ReportingStack } from './reporting-stack.js';
import { JOB_KINDS } from '../shared/jobs/job-message.js';
import { ARCHIVE_PREFIX } from './constructs/report-bucket.js';

function logicalId(construct: IConstruct): string {
  return Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);
}

const ack = (scope: IConstruct, id: string, reason: string) => Validations.of(scope).acknowledge({ id, reason });

export function acknowledgeNagFindings(stack: ReportingStack, outputPrefix: string): void {
  const functions = [stack.receiver, stack.scheduler, ...JOB_KINDS.map((k) => stack.workers[k].function)];
  for (const f of functions) {
    ack(
      f.fn,
      'AwsSolutions-L1',
      'Node.js 22 on purpose: bundles target node22 and the project (local runtime, tests, benchmarks) runs on the same Node major via the `node` devDependency. Move runtime and toolchain together.',
    );
  }

  for (const handle of [stack.secrets.kalturaCredentials, stack.secrets.webhookSecrets]) {
    if (!handle.created) continue;
    ack(
      handle.secret,
      'AwsSolutions-SMG4',
      'The values are issued by Kaltura (partner admin secret, app token) and rotated in the KMC; a Lambda rotation function cannot rotate them. Operators update the secret with put-secret-value (docs/deploy.md); functions re-read it within 5 minutes.',
    );
  }

  ack(
    stack.schedulesDeadLetterQueue,
    'AwsSolutions-SQS3',
    'This queue IS a dead-letter queue: EventBridge Scheduler target DLQ and the scheduler Lambda async on-failure destination (cdk-nag only recognises SQS redrive policies).',
  );

  ack(
    stack.webhookApi.api.node.findChild('POST--webhooks--kaltura'),
    'AwsSolutions-APIG4',
    'Kaltura HTTP notifications cannot carry API Gateway credentials. Every request is authenticated by the receiver: X-KALTURA-SIGNATURE over the exact body, constant-time, before anything is queued (SPEC §4); the stage is throttled.',
  );

  // --- IAM wildcards that the CDK grants generate, scoped as tightly as S3/KMS/Lambda allow ---
  const bucketArn = `<${logicalId(stack.reportBucket.bucket)}.Arn>`;
  ack(
    stack.receiver.role,
    `AwsSolutions-IAM5[Resource::${bucketArn}/${ARCHIVE_PREFIX}*]`,
    'The receiver writes one object per notification under archive/ (keys unknown in advance); it can write nowhere else.',
  );
  ack(stack.receiver.role, 'AwsSolutions-IAM5[Action::s3:Abort*]', 'Part of bucket.grantPut: lets a failed archive upload be aborted; limited to archive/.');

  for (const kind of ['export', 'microservice'] as const) {
    const role = stack.workers[kind].function.role;
    ack(role, `AwsSolutions-IAM5[Resource::${bucketArn}/${outputPrefix}*]`, `The ${kind} worker writes CSV files and manifests under the configured output prefix (${outputPrefix}) with keys derived from rule, subject and period; nothing outside it.`);
    for (const action of ['s3:Abort*', 's3:GetObject*', 's3:GetBucket*', 's3:List*']) {
      ack(role, `AwsSolutions-IAM5[Action::${action}]`, `From bucket.grantPut + grantRead limited to ${outputPrefix}*: multipart upload and abort, reading back what the worker wrote (manifests, downloads); no delete.`);
    }
  }

  for (const kind of ['check', 'live-health'] as const) {
    ack(
      stack.workers[kind].function.role,
      'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      'From topic.grantPublish on the KMS-encrypted operator topic: publishing needs a data key; limited to that one key.',
    );
  }

  ack(
    stack.node.findChild('Schedules'),
    `AwsSolutions-IAM5[Resource::<${logicalId(stack.scheduler.fn)}.Arn>:*]`,
    'EventBridge Scheduler may invoke the scheduler function and its versions/aliases (the aws-scheduler-targets LambdaInvoke grant); no other function.',
  );
}
