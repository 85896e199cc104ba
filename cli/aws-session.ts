/**
 * How the `--aws` commands reach AWS: the SDK v3 clients with the SDK's standard region and
 * credential chains, so operators use what they already have — `AWS_PROFILE` (shared config and
 * credentials files, IAM Identity Center/SSO, `credential_process`, assumed roles), environment
 * keys, or an instance/container role. `--region` wins over `AWS_REGION` and the profile's region.
 *
 * Credentials are resolved once, before the first request, so that a missing profile, an expired
 * SSO session or no credentials at all is one line that says what to run (exit 2), not a stack of
 * SDK text half way through the work.
 */
import { UsageError, WorkFailedError } from './errors.js';
import type { AwsClientOptions } from '../shared/aws-clients/client-options.js';

/** `--region` or nothing (the SDK's chain: `AWS_REGION`, then the profile's `region`). */
export function awsOptionsFromCli(region: string | undefined): AwsClientOptions {
  if (region === undefined) return {};
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) throw new UsageError(`--region takes an AWS region such as eu-west-1, got '${region}'`);
  return { region };
}

const profileName = (env: NodeJS.ProcessEnv): string => env.AWS_PROFILE || env.AWS_DEFAULT_PROFILE || 'default';

/** The SDK's credential and region failures, said as what to run. */
export function explainAwsSetupError(error: unknown, env: NodeJS.ProcessEnv): Error | undefined {
  const name = (error as { name?: string } | undefined)?.name ?? '';
  const message = error instanceof Error ? error.message : String(error);
  const profile = profileName(env);
  const named = env.AWS_PROFILE || env.AWS_DEFAULT_PROFILE;
  if (/SSO session .*expired|token is expired|Token is expired|sso.*refresh|The SSO session/i.test(message)) {
    return new UsageError(`the AWS SSO session of profile '${profile}' has expired: run aws sso login --profile ${profile}`, [], { cause: error });
  }
  if (/Profile .* (could not be found|not found)|could not be found or parsed/i.test(message)) {
    return new UsageError(`AWS profile '${profile}' is not in the shared config or credentials file (~/.aws/config, ~/.aws/credentials, or AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE): check AWS_PROFILE, or run aws configure --profile ${profile}`, [], { cause: error });
  }
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(message)) {
    return new UsageError(
      named
        ? `no AWS credentials for profile '${profile}': run aws sso login --profile ${profile} (IAM Identity Center) or aws configure --profile ${profile}`
        : 'no AWS credentials found: set AWS_PROFILE to a profile of ~/.aws/config (aws configure, or aws sso login --profile NAME), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
      [],
      { cause: error },
    );
  }
  if (/Region is missing|region.*not.*(set|configured)/i.test(message)) {
    return new UsageError(`no AWS region: pass --region, set AWS_REGION, or give profile '${profile}' a region (aws configure set region eu-west-1 --profile ${profile})`, [], { cause: error });
  }
  if (['ExpiredToken', 'ExpiredTokenException', 'RequestExpired', 'TokenRefreshRequired'].includes(name)) {
    return new WorkFailedError(`the AWS credentials have expired: ${named ? `run aws sso login --profile ${profile}, or refresh the profile's credentials` : 'get new temporary credentials (or use a profile: AWS_PROFILE)'}`, { cause: error });
  }
  if (['InvalidClientTokenId', 'UnrecognizedClientException', 'InvalidAccessKeyId', 'SignatureDoesNotMatch'].includes(name)) {
    return new WorkFailedError(`AWS refused the credentials (${name}): check the access key and secret of ${named ? `profile '${profile}'` : 'AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY'}`, { cause: error });
  }
  return undefined;
}

/** A client whose credentials (and region) the command checks before any request. */
interface SdkClient {
  readonly config: { credentials: () => Promise<unknown>; region: () => Promise<string> };
}

/**
 * Whether the named profile is in the shared config or credentials file. The SDK's chain only says
 * "Could not load credentials from any providers" for a misspelt AWS_PROFILE; the files say which.
 */
async function profileIsKnown(profile: string): Promise<boolean> {
  const { loadSharedConfigFiles } = await import('@smithy/core/config');
  const files = await loadSharedConfigFiles({ ignoreCache: true });
  return profile in files.configFile || profile in files.credentialsFile;
}

/** Resolves the client's region and credentials now; a failure becomes `explainAwsSetupError`'s line. */
export async function checkAwsSetup(client: SdkClient, env: NodeJS.ProcessEnv): Promise<{ region: string }> {
  try {
    const region = await client.config.region();
    await client.config.credentials();
    return { region };
  } catch (error) {
    const named = env.AWS_PROFILE || env.AWS_DEFAULT_PROFILE;
    if (named && !(await profileIsKnown(named).catch(() => true))) {
      throw new UsageError(`AWS profile '${named}' is not in the shared config or credentials file (~/.aws/config, ~/.aws/credentials, or AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE): check AWS_PROFILE, or run aws configure --profile ${named}`, [], { cause: error });
    }
    throw explainAwsSetupError(error, env) ?? error;
  }
}
