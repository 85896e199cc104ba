/**
 * Resolving a function's template environment to local stand-ins: what it knows resolves, what it
 * does not know fails loudly (the deployed-artifact test relies on this to catch wiring mistakes).
 */
import { describe, expect, it } from 'vitest';
import { allows, allowStatementsOf, iamPatternMatches, resolveEnvironment, resolveValue, UnresolvedWiringError, type CfnTemplate, type DeployedFunction, type ResolveContext } from './deployed-stack.js';

const ctx: ResolveContext = {
  resources: {
    JobsQueue: { ref: 'http://127.0.0.1:1/111122223333/JobsQueue', attributes: { Arn: 'arn:aws:sqs:eu-west-1:111122223333:JobsQueue' } },
    Bucket: { ref: 'bucket' },
  },
  parameters: { KalturaPartnerId: '4242', 'AWS::Region': 'eu-west-1' },
};

function fnWith(environment: DeployedFunction['environment']): DeployedFunction {
  return { logicalId: 'Fn1', constructPath: 'Stack/Fn/Function/Resource', assetDir: '/tmp/asset.abc', handler: 'index.handler', runtime: 'nodejs22.x', memorySize: 512, timeoutSeconds: 10, environment };
}

describe('resolveValue', () => {
  it('resolves Ref to a resource or a parameter, Fn::GetAtt, Fn::Join and Fn::Sub', () => {
    // Act / Assess
    expect(resolveValue({ Ref: 'JobsQueue' }, ctx, 'X')).toBe('http://127.0.0.1:1/111122223333/JobsQueue');
    expect(resolveValue({ Ref: 'KalturaPartnerId' }, ctx, 'X')).toBe('4242');
    expect(resolveValue({ 'Fn::GetAtt': ['JobsQueue', 'Arn'] }, ctx, 'X')).toBe('arn:aws:sqs:eu-west-1:111122223333:JobsQueue');
    expect(resolveValue({ 'Fn::Join': ['/', ['s3:', { Ref: 'Bucket' }, 'x']] }, ctx, 'X')).toBe('s3:/bucket/x');
    expect(resolveValue({ 'Fn::Sub': 'arn:${AWS::Region}:${Bucket}' }, ctx, 'X')).toBe('arn:eu-west-1:bucket');
  });

  it('refuses a Ref to a resource without a stand-in, an unknown attribute and an unknown intrinsic, naming the variable', () => {
    // Act / Assess
    expect(() => resolveValue({ Ref: 'SomeOtherQueue' }, ctx, 'Fn1 EXPORT_QUEUE_URL')).toThrow(UnresolvedWiringError);
    expect(() => resolveValue({ Ref: 'SomeOtherQueue' }, ctx, 'Fn1 EXPORT_QUEUE_URL')).toThrow(/Fn1 EXPORT_QUEUE_URL: Ref to "SomeOtherQueue"/);
    expect(() => resolveValue({ 'Fn::GetAtt': ['JobsQueue', 'QueueName'] }, ctx, 'X')).toThrow(/Fn::GetAtt JobsQueue\.QueueName/);
    expect(() => resolveValue({ 'Fn::ImportValue': 'shared-bucket' }, ctx, 'X')).toThrow(/intrinsic Fn::ImportValue is not understood/);
  });
});

describe('resolveEnvironment', () => {
  it('maps paths under /var/task into the bundle directory and applies overrides of variables the template sets', () => {
    // Prepare
    const fn = fnWith({ REPORTING_CONFIG_PATH: '/var/task/reporting-config.json', QUEUE: { Ref: 'JobsQueue' }, KALTURA_SERVICE_URL: 'https://www.kaltura.com/api_v3' });
    // Act
    const env = resolveEnvironment(fn, ctx, { KALTURA_SERVICE_URL: 'http://127.0.0.1:2/api_v3' });
    // Assess
    expect(env).toEqual({ REPORTING_CONFIG_PATH: '/tmp/asset.abc/reporting-config.json', QUEUE: 'http://127.0.0.1:1/111122223333/JobsQueue', KALTURA_SERVICE_URL: 'http://127.0.0.1:2/api_v3' });
  });

  it('refuses an override of a variable the template no longer sets', () => {
    // Act / Assess
    expect(() => resolveEnvironment(fnWith({}), ctx, { KALTURA_SERVICE_URL: 'http://x' })).toThrow(/sets no KALTURA_SERVICE_URL/);
  });
});

describe('IAM policies from the template', () => {
  const template: CfnTemplate = {
    Resources: {
      Role: { Type: 'AWS::IAM::Role', Properties: { Policies: [{ PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/webhooks-??????' }] } }] } },
      RolePolicy: {
        Type: 'AWS::IAM::Policy',
        Properties: {
          Roles: [{ Ref: 'Role' }],
          PolicyDocument: {
            Statement: [
              { Effect: 'Allow', Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes'], Resource: { 'Fn::GetAtt': ['JobsQueue', 'Arn'] } },
              { Effect: 'Allow', Action: 'logs:PutLogEvents', Resource: { 'Fn::GetAtt': ['LogGroup', 'Arn'] } },
              { Effect: 'Deny', Action: 'sqs:*', Resource: '*' },
            ],
          },
        },
      },
      OtherPolicy: { Type: 'AWS::IAM::Policy', Properties: { Roles: [{ Ref: 'OtherRole' }], PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'sns:Publish', Resource: '*' }] } } },
    },
  };

  it('collects the Allow statements of the policies attached to a role and its inline policies', () => {
    // Act
    const statements = allowStatementsOf(template, 'Role', ctx);
    // Assess: the log group has no stand-in, so that statement keeps no resource; Deny is not modelled.
    expect(statements).toEqual([
      { actions: ['sqs:SendMessage', 'sqs:GetQueueAttributes'], resources: ['arn:aws:sqs:eu-west-1:111122223333:JobsQueue'] },
      { actions: ['logs:PutLogEvents'], resources: [] },
      { actions: ['secretsmanager:GetSecretValue'], resources: ['arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/webhooks-??????'] },
    ]);
  });

  it('allows an action on a resource only when a statement matches both, with IAM wildcards', () => {
    // Prepare
    const statements = allowStatementsOf(template, 'Role', ctx);
    // Act / Assess
    expect(allows(statements, 'sqs:SendMessage', 'arn:aws:sqs:eu-west-1:111122223333:JobsQueue')).toBe(true);
    expect(allows(statements, 'SQS:sendmessage', 'arn:aws:sqs:eu-west-1:111122223333:JobsQueue')).toBe(true); // actions are case-insensitive
    expect(allows(statements, 'sqs:ReceiveMessage', 'arn:aws:sqs:eu-west-1:111122223333:JobsQueue')).toBe(false);
    expect(allows(statements, 'sqs:SendMessage', 'arn:aws:sqs:eu-west-1:111122223333:OtherQueue')).toBe(false);
    expect(allows(statements, 'secretsmanager:GetSecretValue', 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/webhooks-AbC123')).toBe(true);
    expect(allows(statements, 'secretsmanager:GetSecretValue', 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/webhooks-old-AbC123')).toBe(false);
    expect(allows(statements, 'sns:Publish', 'arn:aws:sns:eu-west-1:111122223333:topic')).toBe(false);
    expect(iamPatternMatches('arn:aws:s3:::bucket/reports/*', 'arn:aws:s3:::bucket/reports/a.b+c.csv')).toBe(true);
  });
});

