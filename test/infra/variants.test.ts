/**
 * Stack options and synth-time validation: imported secrets, the partner id parameter, the
 * configuration checks that stop synth, and `npm run synth` itself (offline, no credentials).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDeployConfig } from '../../infra/deploy-config.js';
import { MissingFunctionError } from '../../infra/constructs/reporting-function.js';
import { PROJECT_ROOT } from '../../infra/reporting-stack.js';
import { ConfigError } from '../../shared/config/config-error.js';
import { loadConfigFile } from '../../shared/config/load-config.js';
import { buildStack, FIXTURES, logicalIdOf, removeTempDirs, STUB_FUNCTIONS_DIR, tempDir } from './helpers.js';

const BAD_CONFIG = join(FIXTURES, 'bad-config.yaml');
const BAD_CRON_CONFIG = join(FIXTURES, 'bad-cron-config.yaml');

async function configErrorLines(load: () => Promise<unknown>): Promise<string[]> {
  try {
    await load();
  } catch (error) {
    if (error instanceof ConfigError) return [...error.details];
    throw error;
  }
  throw new Error('expected a ConfigError');
}

/** `npm run synth` as a user runs it, without any AWS credentials or region in the environment. */
function runSynth(args: string[], env: Record<string, string> = {}) {
  // No AWS credentials or region, and none of the developer's own Kaltura/kreports settings.
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(AWS_|CDK_|KALTURA_|KREPORTS_|REPORTING_CONFIG)/.test(k)));
  return spawnSync(process.execPath, [join(PROJECT_ROOT, 'bin', 'synth.js'), ...args], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    env: { ...clean, ...env },
    timeout: 120_000,
  });
}

afterAll(() => removeTempDirs());

describe('secrets and Kaltura endpoint options', () => {
  it('imports existing secrets by name instead of creating placeholders', async () => {
    const { stack } = await buildStack({ kalturaCredentialsSecretName: 'prod/kaltura', webhookSecretsSecretName: 'prod/webhooks' });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    const receiver = template.toJSON().Resources[logicalIdOf(stack, stack.receiver.fn)].Properties;
    expect(receiver.Environment.Variables).toMatchObject({ KALTURA_CREDENTIALS_SECRET: 'prod/kaltura', WEBHOOK_SECRETS_SECRET: 'prod/webhooks' });
    const receiverPolicy = JSON.stringify(
      Object.values(template.findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify(p).includes(logicalIdOf(stack, stack.receiver.role))),
    );
    expect(receiverPolicy).toContain('secret:prod/webhooks-??????');
    expect(receiverPolicy).not.toContain('secret:prod/kaltura-');
    const outputs = template.toJSON().Outputs;
    expect(outputs.WebhookSecretsSecretName.Value).toBe('prod/webhooks');
  });

  it('asks for the partner id as a required, digits-only parameter when synth was not told it', async () => {
    const { stack } = await buildStack({ kaltura: {} });
    const template = Template.fromStack(stack);
    template.hasParameter('KalturaPartnerId', { Type: 'String', AllowedPattern: '^\\d+$', Default: Match.absent() });
    const env = template.toJSON().Resources[logicalIdOf(stack, stack.scheduler.fn)].Properties.Environment.Variables;
    expect(env.KALTURA_PARTNER_ID).toEqual({ Ref: 'KalturaPartnerId' });
  });

  it('passes a custom service URL and the Reports Microservice URL to the functions', async () => {
    const { stack } = await buildStack({ kaltura: { partnerId: '102', serviceUrl: 'https://api.eu.kaltura.com/api_v3', reportsUrl: 'https://analytics.eu.kaltura.com' } });
    const env = Template.fromStack(stack).toJSON().Resources[logicalIdOf(stack, stack.workers.microservice.function.fn)].Properties.Environment.Variables;
    expect(env).toMatchObject({ KALTURA_PARTNER_ID: '102', KALTURA_SERVICE_URL: 'https://api.eu.kaltura.com/api_v3', KALTURA_REPORTS_URL: 'https://analytics.eu.kaltura.com' });
  });

  it('refuses a partner id that is not a number', async () => {
    await expect(buildStack({ kaltura: { partnerId: 'abc' } })).rejects.toThrow(/partner id "abc" must be digits only/);
  });

  it('refuses a Kaltura URL on this machine (a simulator URL left in the shell): Lambdas cannot reach it', async () => {
    await expect(buildStack({ kaltura: { partnerId: 1, serviceUrl: 'http://127.0.0.1:4010/api_v3' } })).rejects.toThrow(/is on this machine .*Lambdas cannot reach it/);
    await expect(buildStack({ kaltura: { partnerId: 1, serviceUrl: 'kaltura.com' } })).rejects.toThrow(/is not an absolute URL/);
  });

  it('warns at synth when a destination reads its secret from an environment variable', async () => {
    const { stack } = await buildStack();
    Annotations.fromStack(stack).hasWarning('*', Match.stringLikeRegexp('destination "dev-only" \\(not used by any job\\) reads its secret from environment variable DEV_SLACK_URL'));
  });

  it('warns at synth when jobs alert to the local sink, which exists only under npm start', async () => {
    const { stack } = await buildStack({ configFile: join(PROJECT_ROOT, 'config', 'reporting.example.yaml') });
    Annotations.fromStack(stack).hasWarning('*', Match.stringLikeRegexp('destination "local" \\(used by entry-ready/low-engagement, live-stream/stream-health, weekly-exports/summary\\) is the local alert sink'));
  });

  it('builds the real handlers from functions/ by default', async () => {
    const { stack } = await buildStack({ functionsDir: undefined });
    const entries = [stack.receiver, stack.scheduler, ...Object.values(stack.workers).map((w) => w.function)].map((f) => f.entry);
    expect(entries.map((e) => relative(PROJECT_ROOT, e)).sort()).toEqual(
      ['check-worker', 'export-worker', 'live-health-worker', 'microservice-worker', 'receiver', 'scheduler'].map((n) => join('functions', n, 'index.ts')),
    );
  });

  it('names the missing entry point when a function does not exist yet', async () => {
    await expect(buildStack({ functionsDir: join(FIXTURES, 'no-such-dir') })).rejects.toThrow(MissingFunctionError);
    await expect(buildStack({ functionsDir: join(FIXTURES, 'no-such-dir') })).rejects.toThrow(/receiver\/index\.ts is missing/);
  });
});

describe('configuration validated at synth', () => {
  it('gives exactly the lines kreports validate-config gives for a bad file', async () => {
    const validateConfigLines = await configErrorLines(() => loadConfigFile(BAD_CONFIG));
    expect(validateConfigLines.length).toBe(2);
    expect(await configErrorLines(() => loadDeployConfig(BAD_CONFIG))).toEqual(validateConfigLines);
  });

  it('refuses a cron EventBridge Scheduler cannot express, naming the field', async () => {
    const lines = await configErrorLines(() => loadDeployConfig(BAD_CRON_CONFIG));
    expect(lines).toEqual([expect.stringMatching(/bad-cron-config\.yaml: schedules\[0\]\.cron: .*day-of-month.*day-of-week/)]);
    // Same words as validate-config (the configuration loader refuses it too).
    expect(lines).toEqual(await configErrorLines(() => loadConfigFile(BAD_CRON_CONFIG)));
  });

  it('refuses an output prefix inside archive/, where objects expire', async () => {
    expect(await configErrorLines(() => loadDeployConfig(join(FIXTURES, 'archive-prefix-config.yaml')))).toEqual([
      expect.stringMatching(/archive-prefix-config\.yaml: output\.prefix: "archive\/exports\/" is inside archive\/, where the bucket expires archived notifications/),
    ]);
  });

  it('npm run synth stops on a bad configuration and prints the validate-config lines', async () => {
    const expected = await configErrorLines(() => loadConfigFile(relative(PROJECT_ROOT, BAD_CONFIG)));
    const outdir = tempDir('kreports-synth-bad-');
    const result = runSynth(['-o', outdir], { REPORTING_CONFIG: relative(PROJECT_ROOT, BAD_CONFIG) });
    expect(result.status).not.toBe(0);
    for (const line of expected) expect(result.stderr).toContain(line);
    expect(existsSync(join(outdir, 'manifest.json'))).toBe(false);
  }, 60_000);

  it('npm run synth works offline without AWS credentials and says where the template is', () => {
    const outdir = tempDir('kreports-synth-ok-');
    const adminSecret = 'synthEnvAdminSecretSentinel0123456789';
    const result = runSynth(['-o', outdir, '-c', `functionsDir=${relative(PROJECT_ROOT, STUB_FUNCTIONS_DIR)}`, '-c', 'kalturaPartnerId=4242'], {
      KALTURA_ADMIN_SECRET: adminSecret,
      KALTURA_WEBHOOK_SECRETS: adminSecret,
    });
    expect(result.stderr + result.stdout).not.toMatch(/AwsSolutions-/);
    expect(result.status).toBe(0);
    const templateFile = join(outdir, 'KalturaReporting.template.json');
    expect(result.stdout).toContain(`Synthesized stack KalturaReporting`);
    expect(result.stdout).toContain(relative(PROJECT_ROOT, templateFile));
    const templateText = readFileSync(templateFile, 'utf8');
    expect(templateText).not.toContain(adminSecret);
    const template = JSON.parse(templateText);
    expect(Object.values(template.Resources as Record<string, { Type: string }>).filter((r) => r.Type === 'AWS::Lambda::Function')).toHaveLength(6);
  }, 150_000); // a real synth: ~10 s on an idle 2-core machine, much more when it is busy
});
