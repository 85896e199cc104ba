/**
 * CDK app entry (`cdk.json`: `npx tsx infra/app.ts`). Run through `npm run synth` / `npm run deploy`.
 *
 * Inputs (context `-c key=value` first, then environment):
 * - configuration file: env `REPORTING_CONFIG` (default `config/reporting.example.yaml`);
 *   validated here — a bad file stops synth with the same lines as `kreports validate-config`;
 * - stack name: context `stackName` / env `KREPORTS_STACK_NAME` (default `KalturaReporting`);
 * - Kaltura endpoint: `kalturaServiceUrl` / `KALTURA_SERVICE_URL` (default https://www.kaltura.com/api_v3),
 *   `kalturaPartnerId` / `KALTURA_PARTNER_ID` (without it the template gets a required
 *   `KalturaPartnerId` parameter: `npm run deploy -- --parameters KalturaPartnerId=123`),
 *   `kalturaReportsUrl` / `KALTURA_REPORTS_URL`;
 * - existing secrets instead of created placeholders: `kalturaCredentialsSecretName`,
 *   `webhookSecretsSecretName`;
 * - `operatorEmail` / `KREPORTS_OPERATOR_EMAIL`: subscribed to the alarm topic;
 * - `functionsDir` / `KREPORTS_FUNCTIONS_DIR`: where `<name>/index.ts` entry points live (default `functions/`).
 */
import { resolve } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError } from '../shared/config/config-error.js';
import { loadDeployConfig } from './deploy-config.js';
import { StackSettingError } from './constructs/reporting-function.js';
import { PROJECT_ROOT, ReportingStack } from './reporting-stack.js';

const app = new App();
const setting = (contextKey: string, envKey: string): string | undefined => {
  const value = (app.node.tryGetContext(contextKey) as string | undefined) ?? process.env[envKey];
  return value === undefined || value === '' ? undefined : String(value);
};

const configFile = process.env.REPORTING_CONFIG || resolve(PROJECT_ROOT, 'config/reporting.example.yaml');
let config;
try {
  config = await loadDeployConfig(configFile);
} catch (error) {
  if (error instanceof ConfigError) {
    for (const line of error.details) process.stderr.write(`${line}\n`);
    process.stderr.write(`Synth stopped: fix the configuration (check it with npx kreports validate-config ${configFile}).\n`);
    process.exit(2);
  }
  throw error;
}

const stackName = setting('stackName', 'KREPORTS_STACK_NAME') ?? 'KalturaReporting';
const functionsDir = setting('functionsDir', 'KREPORTS_FUNCTIONS_DIR');
try {
  new ReportingStack(app, stackName, {
    stackName,
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
    config,
    kaltura: {
      serviceUrl: setting('kalturaServiceUrl', 'KALTURA_SERVICE_URL'),
      partnerId: setting('kalturaPartnerId', 'KALTURA_PARTNER_ID'),
      reportsUrl: setting('kalturaReportsUrl', 'KALTURA_REPORTS_URL'),
    },
    kalturaCredentialsSecretName: setting('kalturaCredentialsSecretName', 'KREPORTS_KALTURA_CREDENTIALS_SECRET_NAME'),
    webhookSecretsSecretName: setting('webhookSecretsSecretName', 'KREPORTS_WEBHOOK_SECRETS_SECRET_NAME'),
    operatorEmail: setting('operatorEmail', 'KREPORTS_OPERATOR_EMAIL'),
    functionsDir: functionsDir ? resolve(functionsDir) : undefined,
  });
} catch (error) {
  if (error instanceof StackSettingError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  throw error;
}

// cdk-nag: the same AwsSolutions rules the tests enforce, reported on every synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
