/**
 * Resolving a function's template environment to local stand-ins: what it knows resolves, what it
 * does not know fails loudly (the deployed-artifact test relies on this to catch wiring mistakes).
 */
import { describe, expect, it } from 'vitest';
import { resolveEnvironment, resolveValue, UnresolvedWiringError, type DeployedFunction, type ResolveContext } from './deployed-stack.js';

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
