/**
 * A summary job that names destinations makes the export worker send its headline: the stack lets
 * the export worker read those destinations' secrets (and only then).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Template } from 'aws-cdk-lib/assertions';
import { buildStack, logicalIdOf, removeTempDirs, tempDir } from './helpers.js';

afterAll(() => removeTempDirs());

function configWith(summaryDestinations: string): string {
  const file = join(tempDir('kreports-summary-config-'), 'config.yaml');
  writeFileSync(
    file,
    `version: 1
destinations:
  team-slack: { type: slack, url: { secret: kreports/summary-slack } }
schedules:
  - name: weekly
    cron: '0 6 * * 1'
    timezone: UTC
    jobs:
      - { kind: export, name: summary, scope: partner, source: { type: summary, destinations: ${summaryDestinations} } }
`,
  );
  return file;
}

async function exportWorkerPolicies(configFile: string): Promise<string> {
  const { stack } = await buildStack({ configFile });
  const role = logicalIdOf(stack, stack.workers.export.function.role);
  const resources = Template.fromStack(stack).toJSON().Resources as Record<string, { Type: string; Properties: { Roles?: Array<{ Ref: string }>; PolicyDocument?: unknown } }>;
  return JSON.stringify(Object.values(resources).filter((r) => r.Type === 'AWS::IAM::Policy' && (r.Properties.Roles ?? []).some((x) => x.Ref === role)));
}

describe('summary destinations in AWS', () => {
  it('lets the export worker read the secret of a destination a summary job names', async () => {
    const policies = await exportWorkerPolicies(configWith('[team-slack]'));
    expect(policies).toContain('secret:kreports/summary-slack-??????');
  }, 60_000);

  it('does not when the summary names no destination', async () => {
    const policies = await exportWorkerPolicies(configWith('[]'));
    expect(policies).not.toContain('kreports/summary-slack');
  }, 60_000);
});
