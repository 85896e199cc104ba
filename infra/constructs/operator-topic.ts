/**
 * The operator SNS topic: CloudWatch alarms and the workers' "needs a human" notices (a
 * destination that rejects alerts permanently, ...). Subscribe e-mail, chat or the alert
 * destinations to it. Encrypted with a customer-managed KMS key (CloudWatch alarms cannot publish
 * to a topic encrypted with the AWS-managed SNS key), TLS-only.
 */
import { Duration } from 'aws-cdk-lib';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Subscription, SubscriptionProtocol, Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

export interface OperatorTopicProps {
  /** Optional e-mail address subscribed to the topic (confirmation mail on first deploy). */
  readonly email?: string;
}

export class OperatorTopic extends Construct {
  readonly topic: Topic;
  readonly key: Key;

  constructor(scope: Construct, id: string, props: OperatorTopicProps = {}) {
    super(scope, id);
    this.key = new Key(this, 'Key', {
      description: 'kaltura-reporting operator topic encryption',
      enableKeyRotation: true,
      pendingWindow: Duration.days(7),
    });
    // CloudWatch alarm actions publish as the cloudwatch service principal.
    this.key.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    this.topic = new Topic(this, 'Topic', {
      displayName: 'kaltura-reporting operator',
      masterKey: this.key,
      enforceSSL: true,
    });
    if (props.email) {
      new Subscription(this, 'Email', { topic: this.topic, protocol: SubscriptionProtocol.EMAIL, endpoint: props.email });
    }
  }
}
