/**
 * Tells the operator (not the alert audience) that an alert destination is broken for good: a Slack
 * webhook answered 410, a Teams flow was deleted, an SNS topic does not exist. Reported once per
 * breakage (see `create-alert-engine.ts`), not on every alert, and never retried forever.
 *
 * In AWS: the stack's operator SNS topic (`OPERATOR_TOPIC_ARN`). Locally: an error log line plus a
 * JSON line in `DATA_DIR/operator.jsonl`.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '../logging/logger.js';
import { publishToSns, type SnsPublisher } from './destinations/sns.js';

export interface OperatorProblem {
  /** Destination name from the configuration. */
  readonly destination: string;
  readonly type: string;
  /** What went wrong and what to do (never a URL or secret). */
  readonly reason: string;
  readonly at: string;
  /** The alert that could not be delivered. */
  readonly alert?: { readonly rule: string; readonly job: string; readonly subjectId: string; readonly kind: string };
}

export interface OperatorNotifier {
  notify(problem: OperatorProblem): Promise<void>;
}

function text(problem: OperatorProblem): string {
  return [
    `Alert destination "${problem.destination}" (${problem.type}) failed permanently and will not be retried.`,
    problem.reason,
    ...(problem.alert ? [`Undelivered alert: ${problem.alert.kind} for rule ${problem.alert.rule}, job ${problem.alert.job}, subject ${problem.alert.subjectId}.`] : []),
    'Fix the destination (update its secret or configuration); you are told again only if it breaks again after working.',
  ].join('\n');
}

export function createLogOperatorNotifier(options: { logger: Logger; path?: string }): OperatorNotifier {
  return {
    async notify(problem) {
      options.logger.error('alert destination failed permanently', { destination: problem.destination, type: problem.type, reason: problem.reason, alert: problem.alert });
      if (options.path) {
        await mkdir(dirname(options.path), { recursive: true });
        await appendFile(options.path, `${JSON.stringify({ ...problem, message: text(problem) })}\n`);
      }
    },
  };
}

export function createSnsOperatorNotifier(options: { topicArn: string; logger: Logger; publish?: SnsPublisher }): OperatorNotifier {
  return {
    async notify(problem) {
      options.logger.error('alert destination failed permanently', { destination: problem.destination, type: problem.type, reason: problem.reason, alert: problem.alert });
      try {
        await (options.publish ?? publishToSns)({
          topicArn: options.topicArn,
          subject: `Kaltura reporting: destination ${problem.destination} is broken`,
          message: text(problem),
          attributes: { kind: 'destination-broken', destination: problem.destination },
        });
      } catch (error) {
        // The log line above is the fallback; never fail the job because the operator topic failed.
        options.logger.error('could not notify the operator topic', { error });
      }
    },
  };
}
