/**
 * The public front door: an API Gateway HTTP API with exactly one route, `POST /webhooks/kaltura`,
 * to the receiver Lambda (payload format 2.0). The `$default` stage is throttled (a flood cannot
 * run up the Lambda and SQS bill or starve other functions) and writes JSON access logs.
 *
 * No API Gateway authorizer: Kaltura cannot send credentials other than its body signature, and
 * the receiver verifies `X-KALTURA-SIGNATURE` over the exact bytes before anything is queued.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export const WEBHOOK_PATH = '/webhooks/kaltura';

export interface WebhookApiProps {
  readonly receiver: IFunction;
  /** Steady-state requests per second for the stage. */
  readonly rateLimit: number;
  /** Burst bucket size. */
  readonly burstLimit: number;
  readonly logRetention: RetentionDays;
}

export class WebhookApi extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly accessLogs: LogGroup;
  /** Full URL of the webhook route, for `kreports setup-webhook --url`. */
  readonly webhookUrl: string;

  constructor(scope: Construct, id: string, props: WebhookApiProps) {
    super(scope, id);
    this.api = new HttpApi(this, 'Api', {
      description: 'Kaltura HTTP event notifications (POST /webhooks/kaltura)',
      createDefaultStage: false,
    });
    this.api.addRoutes({
      path: WEBHOOK_PATH,
      methods: [HttpMethod.POST],
      integration: new HttpLambdaIntegration('Receiver', props.receiver, {
        timeout: Duration.seconds(29),
      }),
    });
    this.accessLogs = new LogGroup(this, 'AccessLogs', { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      // Per-route 4xx/5xx/latency metrics (one route: same cost, clearer dashboards).
      detailedMetricsEnabled: true,
      throttle: { rateLimit: props.rateLimit, burstLimit: props.burstLimit },
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        // No headers, no body, no query string: nothing here can carry a signature or a secret.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            time: '$context.requestTime',
            ip: '$context.identity.sourceIp',
            userAgent: '$context.identity.userAgent',
            method: '$context.httpMethod',
            path: '$context.path',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLength: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            integrationStatus: '$context.integrationStatus',
            integrationLatencyMs: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
            error: '$context.error.message',
          }),
        ),
      },
    });
    this.webhookUrl = `${this.api.apiEndpoint}${WEBHOOK_PATH}`;
  }
}
