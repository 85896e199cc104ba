/**
 * cdk-nag AwsSolutions checks on the whole stack: zero unacknowledged errors, and every
 * acknowledgement carries a reason. (Built without bundling: nag reads the construct tree.)
 */
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, describe, expect, it } from 'vitest';
import { buildStack, FIXTURES, removeTempDirs } from './helpers.js';
import { join } from 'node:path';

function errorsOf(scope: IConstruct): string[] {
  const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(scope);
  return report.violations
    .filter((v) => v.severity === 'error')
    .flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}: ${v.description.slice(0, 160)}`));
}

function acknowledgements(scope: IConstruct): Array<{ path: string; id: string; reason: string }> {
  const found: Array<{ path: string; id: string; reason: string }> = [];
  for (const node of scope.node.findAll()) {
    for (const entry of node.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, unknown>)) {
        found.push({ path: node.node.path, id: id.replace(/^annotation::/i, ''), reason: typeof reason === 'string' ? reason : JSON.stringify(reason) });
      }
    }
  }
  return found;
}

afterAll(() => removeTempDirs());

describe('cdk-nag AwsSolutions', () => {
  it.each([
    ['the test configuration (all destinations, three schedules)', {}],
    ['the example configuration with imported secrets', { configFile: join(FIXTURES, '..', '..', '..', 'config', 'reporting.example.yaml'), kalturaCredentialsSecretName: 'prod/kaltura', webhookSecretsSecretName: 'prod/webhooks' }],
    ['a configuration without schedules or destinations', { configFile: join(FIXTURES, 'minimal-config.yaml') }],
  ])('reports no unacknowledged error for %s', async (_label, options) => {
    const { stack } = await buildStack(options);
    expect(errorsOf(stack)).toEqual([]);
  });

  it('gives every acknowledgement a reason a reviewer can check', async () => {
    const { stack } = await buildStack();
    const acks = acknowledgements(stack);
    expect(acks.length).toBeGreaterThan(5);
    for (const a of acks) {
      expect(a.id, a.path).toMatch(/^AwsSolutions-[A-Z]+\d+/);
      expect(a.reason.length, `${a.id} at ${a.path}`).toBeGreaterThan(40);
    }
  });

  it('is really checking: a queue without a dead-letter queue or TLS policy is reported', () => {
    const stack = new Stack(new App(), 'NagControl');
    new Queue(stack, 'Careless');
    const errors = errorsOf(stack);
    expect(errors.some((e) => e.startsWith('AwsSolutions-SQS3'))).toBe(true);
    expect(errors.some((e) => e.startsWith('AwsSolutions-SQS4'))).toBe(true);
  });
});
