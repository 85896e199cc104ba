/**
 * One DynamoDB table for idempotency keys (receiver: one set of jobs per eventNotificationJobId)
 * and alert state (per rule and subject; conditional writes so concurrent workers send one alert).
 * Key `pk` (string), items expire through the TTL attribute `expiresAt` (epoch seconds).
 * On-demand capacity (webhook bursts are spiky), point-in-time recovery, encryption at rest with a DynamoDB-owned key (no KMS request charges).
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, Billing, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';

export const STATE_TABLE_KEY = 'pk';
export const STATE_TABLE_TTL_ATTRIBUTE = 'expiresAt';

export class StateTable extends Construct {
  readonly table: TableV2;

  constructor(scope: Construct, id: string, props: { removalPolicy?: RemovalPolicy } = {}) {
    super(scope, id);
    this.table = new TableV2(this, 'Table', {
      partitionKey: { name: STATE_TABLE_KEY, type: AttributeType.STRING },
      timeToLiveAttribute: STATE_TABLE_TTL_ATTRIBUTE,
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryptionV2.dynamoOwnedKey(),
      deletionProtection: false,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
  }
}
