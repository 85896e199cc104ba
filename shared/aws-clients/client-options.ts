/**
 * What every AWS SDK v3 client of the project is built with. Region and credentials come from the
 * SDK's own default chains unless given: in Lambda the runtime's `AWS_REGION` and role credentials;
 * for the CLI `AWS_REGION`/`--region`, `AWS_PROFILE` (shared config and credentials files, SSO,
 * `credential_process`, assumed roles), environment keys, or an instance/container role. Endpoints
 * follow the SDK's standard overrides (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>`), which is
 * how tests point the very same code at loopback peers.
 */
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';

export interface AwsClientOptions {
  /** Default: the SDK's region chain (`AWS_REGION`, then the profile's `region`). */
  readonly region?: string;
  /** Default: the SDK's credential chain. Tests and the CLI's up-front check pass their own. */
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Default: the SDK's `AWS_ENDPOINT_URL_<SERVICE>` / `AWS_ENDPOINT_URL`, else the service's public endpoint. */
  readonly endpoint?: string;
  /** SDK attempts per call (standard retry mode, with backoff). Default 3. */
  readonly maxAttempts?: number;
  /** Milliseconds a request may take once sent before it is abandoned (and retried). */
  readonly requestTimeoutMs?: number;
}

/**
 * The SDK configuration for `options`. The SDK has no request timeout by default: a stalled
 * connection would hold a receiver request (and Kaltura's sender) until the Lambda times out, so
 * every client gets one.
 */
export function sdkClientConfig(options: AwsClientOptions, defaults: { requestTimeoutMs: number }) {
  return {
    ...(options.region ? { region: options.region } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    maxAttempts: options.maxAttempts ?? 3,
    // Without throwOnRequestTimeout the handler only logs a warning when the timeout passes, and waits on.
    requestHandler: { connectionTimeout: 3_000, requestTimeout: options.requestTimeoutMs ?? defaults.requestTimeoutMs, throwOnRequestTimeout: true },
  };
}

/**
 * One client per execution environment for the default options (a Lambda reuses its connections
 * and resolved credentials across invocations); a new one whenever options are given.
 */
export function onePerEnvironment<C>(create: (options: AwsClientOptions) => C): (options?: AwsClientOptions) => C {
  let shared: C | undefined;
  return (options) => {
    if (options && Object.keys(options).length > 0) return create(options);
    shared ??= create({});
    return shared;
  };
}
