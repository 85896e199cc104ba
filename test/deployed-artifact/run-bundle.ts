/**
 * Runs a Lambda bundle in a child Node process through invoke-bundle.mjs, with exactly the
 * environment it is given (nothing inherited from the test process), and returns what each
 * invocation answered plus the child's log output.
 *
 * Asynchronous on purpose: the peers the bundle talks to (AWS stand-in, s3rver, dynalite, the
 * Kaltura simulator) run in the calling process, whose event loop must keep turning meanwhile.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const HARNESS = join(here, 'invoke-bundle.mjs');
const PROJECT_ROOT = join(here, '..', '..');

/** The Node 22 the project pins (the `node` devDependency), as Lambda's nodejs22.x; else this process's node. */
export function lambdaNodeBinary(): string {
  const pinned = join(PROJECT_ROOT, 'node_modules', '.bin', 'node');
  return existsSync(pinned) ? pinned : process.execPath;
}

export interface Invocation {
  readonly ok: boolean;
  readonly value?: unknown;
  readonly error?: { name: string; message: string };
  readonly cpuMs: number;
  readonly wallMs: number;
}

export interface BundleRun {
  readonly initError?: { name: string; message: string };
  readonly initCpuMs: number;
  readonly initWallMs: number;
  readonly invocations: Invocation[];
  /** Node's internal undici was loaded by the end of the run (a cold-start cost the bundles avoid). */
  readonly nodeBundledUndiciLoaded: boolean;
  /** What the function logged (stdout + stderr), for assertions on logs. */
  readonly logs: string;
  readonly exitCode: number | null;
}

export interface RunOptions {
  readonly bundleFile: string;
  readonly exportName: string;
  /** Working directory (Lambda: /var/task, the bundle directory). */
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly events: ReadonlyArray<unknown>;
  readonly functionName?: string;
  readonly memoryLimitInMB?: number;
  readonly timeoutSeconds?: number;
  /** Kill the child after this long (default 90 s: generous for a loaded 2-core machine). */
  readonly killAfterMs?: number;
  readonly node?: string;
}

export async function runBundle(options: RunOptions): Promise<BundleRun> {
  const dir = mkdtempSync(join(tmpdir(), 'kreports-invoke-'));
  try {
    const eventsFile = join(dir, 'events.json');
    const resultsFile = join(dir, 'results.json');
    writeFileSync(eventsFile, JSON.stringify({ events: options.events, functionName: options.functionName, memoryLimitInMB: options.memoryLimitInMB, timeoutSeconds: options.timeoutSeconds }));
    const { code, logs } = await new Promise<{ code: number | null; logs: string }>((resolve, reject) => {
      const child = spawn(options.node ?? lambdaNodeBinary(), [HARNESS, options.bundleFile, options.exportName, eventsFile, resultsFile], {
        cwd: options.cwd,
        env: { ...options.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
      child.stderr.on('data', (d: Buffer) => (out += d.toString('utf8')));
      const timer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 90_000);
      child.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.on('close', (exitCode) => {
        clearTimeout(timer);
        resolve({ code: exitCode, logs: out });
      });
    });
    if (!existsSync(resultsFile)) throw new Error(`the bundle ${options.bundleFile} ended (exit ${code}) without results; its output:\n${logs.slice(-3000)}`);
    const results = JSON.parse(readFileSync(resultsFile, 'utf8')) as Partial<Omit<BundleRun, 'logs' | 'exitCode'>>;
    return { ...results, initCpuMs: results.initCpuMs ?? 0, initWallMs: results.initWallMs ?? 0, invocations: results.invocations ?? [], nodeBundledUndiciLoaded: results.nodeBundledUndiciLoaded ?? true, logs, exitCode: code };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The variables the Lambda runtime itself sets (not in the template), for a function in `region`
 * with `credentials` (Lambda: the role's temporary credentials, with a session token), plus the
 * SDK's standard endpoint overrides (`AWS_ENDPOINT_URL_<SERVICE ID>`: `Secrets Manager` ->
 * `SECRETS_MANAGER`).
 */
export function lambdaRuntimeEnv(options: {
  functionName: string;
  taskRoot: string;
  memoryLimitInMB: number;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  endpoints: { sqs: string; sns: string; secretsManager: string; dynamodb: string; s3: string };
}): Record<string, string> {
  return {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    LAMBDA_TASK_ROOT: options.taskRoot,
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    AWS_LAMBDA_FUNCTION_NAME: options.functionName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(options.memoryLimitInMB),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${options.functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: 'local',
    AWS_REGION: options.region,
    AWS_DEFAULT_REGION: options.region,
    AWS_ACCESS_KEY_ID: options.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: options.credentials.secretAccessKey,
    ...(options.credentials.sessionToken ? { AWS_SESSION_TOKEN: options.credentials.sessionToken } : {}),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL_SQS: options.endpoints.sqs,
    AWS_ENDPOINT_URL_SNS: options.endpoints.sns,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: options.endpoints.secretsManager,
    AWS_ENDPOINT_URL_DYNAMODB: options.endpoints.dynamodb,
    AWS_ENDPOINT_URL_S3: options.endpoints.s3,
  };
}
