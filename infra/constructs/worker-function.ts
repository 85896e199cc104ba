/**
 * A job-kind worker: its own queue + dead-letter queue and a Lambda consuming it through an SQS
 * event source with partial batch responses (`ReportBatchItemFailures`) and a concurrency cap that
 * protects the Kaltura API.
 */
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Construct } from 'constructs';
import type { WorkerSettings } from '../job-kinds.js';
import { JobQueue } from './job-queue.js';
import { ReportingFunction, type ReportingFunctionProps } from './reporting-function.js';

export interface QueueWorkerProps extends Omit<ReportingFunctionProps, 'functionName' | 'timeout' | 'memorySize' | 'description'> {
  readonly settings: WorkerSettings;
  /** The queue, created by the stack beforehand (every function's environment names every queue). */
  readonly jobQueue: JobQueue;
}

export class QueueWorker extends Construct {
  readonly function: ReportingFunction;
  readonly jobQueue: JobQueue;

  constructor(scope: Construct, id: string, props: QueueWorkerProps) {
    super(scope, id);
    const { settings, jobQueue } = props;
    this.jobQueue = jobQueue;
    this.function = new ReportingFunction(this, 'Worker', {
      ...props,
      functionName: settings.functionName,
      description: `kaltura-reporting ${settings.kind} jobs: ${settings.why}`.slice(0, 256),
      timeout: settings.timeout,
      memorySize: settings.memorySize,
      allowRecursiveLoop: settings.repollsThroughQueue,
    });
    this.function.fn.addEventSource(
      new SqsEventSource(jobQueue.queue, {
        batchSize: settings.batchSize,
        maxBatchingWindow: settings.maxBatchingWindow.toSeconds() > 0 ? settings.maxBatchingWindow : undefined,
        maxConcurrency: settings.maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );
    // Permanent failures are moved to the dead-letter queue by the worker itself, with the reason.
    jobQueue.deadLetterQueue.grantSendMessages(this.function.fn);
  }
}
