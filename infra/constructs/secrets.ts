/**
 * Secrets Manager secrets the functions read at run time. The stack either creates them with a
 * generated placeholder (never a real value: the template holds only the JSON skeleton) for the
 * operator to fill with `aws secretsmanager put-secret-value`, or imports existing ones by name.
 *
 * - Kaltura credentials (JSON): `{"adminSecret": "..."}` or
 *   `{"appTokenId": "...", "appToken": "...", "appTokenHashType": "SHA256"}`.
 * - Webhook secrets (JSON): `{"secrets": ["current", "previous"]}` — the values accepted for
 *   `X-KALTURA-SIGNATURE` (several during a rotation). The placeholder holds an empty list, so an
 *   unfilled deployment rejects every notification (401) instead of accepting forged ones.
 */
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';

export interface ReportingSecretsProps {
  /** Use this existing secret (name) instead of creating one. */
  readonly kalturaCredentialsSecretName?: string;
  /** Use this existing secret (name) instead of creating one. */
  readonly webhookSecretsSecretName?: string;
}

export interface SecretHandle {
  readonly secret: ISecret;
  /** What the functions get in their environment: the secret's name (never its value). */
  readonly name: string;
  readonly created: boolean;
}

export class ReportingSecrets extends Construct {
  readonly kalturaCredentials: SecretHandle;
  readonly webhookSecrets: SecretHandle;

  constructor(scope: Construct, id: string, props: ReportingSecretsProps = {}) {
    super(scope, id);
    const stackName = Stack.of(this).stackName;
    this.kalturaCredentials = this.secret('KalturaCredentials', props.kalturaCredentialsSecretName, {
      name: `${stackName}/kaltura-credentials`,
      description: 'Kaltura credentials (JSON): {"adminSecret": "..."} or {"appTokenId": "...", "appToken": "...", "appTokenHashType": "SHA256"}. Fill with aws secretsmanager put-secret-value (docs/deploy.md).',
      template: {},
    });
    this.webhookSecrets = this.secret('WebhookSecrets', props.webhookSecretsSecretName, {
      name: `${stackName}/webhook-secrets`,
      description: 'Secrets accepted for X-KALTURA-SIGNATURE (JSON): {"secrets": ["current", "previous"]}. Usually the partner admin secret. Fill with aws secretsmanager put-secret-value (docs/deploy.md).',
      template: { secrets: [] },
    });
  }

  private secret(id: string, existingName: string | undefined, create: { name: string; description: string; template: Record<string, unknown> }): SecretHandle {
    if (existingName) return { secret: Secret.fromSecretNameV2(this, id, existingName), name: existingName, created: false };
    const secret = new Secret(this, id, {
      secretName: create.name,
      description: create.description,
      // Only a random, meaningless placeholder is generated; the template never holds a secret value.
      generateSecretString: {
        secretStringTemplate: JSON.stringify(create.template),
        generateStringKey: 'placeholder',
        excludePunctuation: true,
        passwordLength: 32,
      },
    });
    return { secret, name: create.name, created: true };
  }
}
