/**
 * What every command shares: where the configuration, DATA_DIR and the package live; a Kaltura API
 * (the configured account, or the built-in simulator when KALTURA_SERVICE_URL is unset); the blob
 * store (DATA_DIR/bucket, or S3 when BUCKET_NAME is set).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BlobStore } from '../shared/ports/blob-store.js';
import type { KalturaApi } from '../shared/kaltura/kaltura-api.js';
import type { Logger } from '../shared/logging/logger.js';
import type { ReportingConfig } from '../shared/config/schema.js';

export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const EXAMPLE_CONFIG = join(PACKAGE_ROOT, 'config', 'reporting.example.yaml');

export interface Io {
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  out(line: string): void;
  err(line: string): void;
  /** Raw stderr writes (progress bars). */
  readonly stderr: NodeJS.WriteStream;
  readonly stdout: NodeJS.WriteStream;
}

export function processIo(): Io {
  return {
    env: process.env,
    cwd: process.cwd(),
    out: (line) => process.stdout.write(line + '\n'),
    err: (line) => process.stderr.write(line + '\n'),
    stderr: process.stderr,
    stdout: process.stdout,
  };
}

export function configPath(env: NodeJS.ProcessEnv, cwd: string, file?: string): string {
  const chosen = file ?? (env.REPORTING_CONFIG || undefined);
  return chosen ? resolve(cwd, chosen) : EXAMPLE_CONFIG;
}

/** Relative to the current directory when inside it (messages read better), else absolute. */
export function displayPath(path: string, cwd: string): string {
  return path.startsWith(cwd + '/') ? path.slice(cwd.length + 1) : path;
}

export async function loadConfiguration(env: NodeJS.ProcessEnv, cwd: string, file?: string): Promise<{ config: ReportingConfig; path: string }> {
  const path = configPath(env, cwd, file);
  const { loadConfigFile } = await import('../shared/config/load-config.js');
  const config = await loadConfigFile(displayPath(path, cwd));
  return { config, path };
}

export function dataDirOf(env: NodeJS.ProcessEnv, cwd: string): string {
  return resolve(cwd, env.DATA_DIR || '.data');
}

export function isSimulated(env: NodeJS.ProcessEnv): boolean {
  return !env.KALTURA_SERVICE_URL;
}

export const LOCAL_BIG_ROWS = 10_000;

/** Simulator knobs for demos and tests (not part of the product contract). */
export function simulatorOptionsFromEnv(env: NodeJS.ProcessEnv): Record<string, number> {
  const num = (name: string) => {
    const v = env[name];
    return v !== undefined && v !== '' && Number.isFinite(Number(v)) ? Number(v) : undefined;
  };
  const out: Record<string, number> = {};
  const port = num('SIMULATOR_PORT');
  if (port !== undefined) out.port = port;
  // 10,000 by default here (the simulator's own default is 100,000): under report.getTable's 12,000-row
  // limit, so a `big` entry exports with the example configuration's table source out of the box.
  out.bigRowCount = num('SIMULATOR_BIG_ROWS') ?? LOCAL_BIG_ROWS;
  const ms = num('SIMULATOR_MICROSERVICE_MS');
  if (ms !== undefined) out.microserviceJobMs = ms;
  const partner = num('KALTURA_PARTNER_ID');
  if (partner !== undefined) out.partnerId = partner;
  return out;
}

export interface KalturaConnection {
  readonly api: KalturaApi;
  /** The API v3 base URL the client calls (KALTURA_SERVICE_URL normalised, or the simulator's). */
  readonly serviceUrl: string;
  /** Set when the built-in simulator was started for this process. */
  readonly simulator?: { readonly serviceUrl: string; readonly reportsUrl: string; readonly partnerId: number; readonly adminSecret: string };
  /** Secrets accepted on webhooks: KALTURA_WEBHOOK_SECRETS, else the admin secret. */
  readonly webhookSecrets: ReadonlyArray<string>;
  close(): Promise<void>;
}

/**
 * The configured Kaltura account, or (KALTURA_SERVICE_URL unset) a built-in simulator started in
 * this process. `SIMULATOR_PAGE_DELAY_MS` slows every report.getTable page (to watch progress, or to
 * stop the stack with an export in flight).
 */
export async function connectKaltura(env: NodeJS.ProcessEnv, logger?: Logger): Promise<KalturaConnection> {
  const { createKalturaClient, kalturaClientOptionsFromEnv } = await import('../shared/kaltura/kaltura-client.js');
  const webhookSecretsFromEnv = (env.KALTURA_WEBHOOK_SECRETS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (!isSimulated(env)) {
    const options = kalturaClientOptionsFromEnv(env, logger);
    const client = createKalturaClient(options);
    const webhookSecrets = webhookSecretsFromEnv.length > 0 ? webhookSecretsFromEnv : options.adminSecret ? [options.adminSecret] : [];
    return { api: client, serviceUrl: options.serviceUrl, webhookSecrets, close: () => client.close() };
  }
  const { startSimulator } = await import('../simulator/index.js');
  // The simulator takes KALTURA_PARTNER_ID and KALTURA_ADMIN_SECRET when set (SPEC §3: they default to the
  // simulator's), so send-test-webhook, which signs with KALTURA_ADMIN_SECRET, matches what the receiver accepts.
  const simulator = await startSimulator({ ...simulatorOptionsFromEnv(env), ...(env.KALTURA_ADMIN_SECRET ? { adminSecret: env.KALTURA_ADMIN_SECRET } : {}) });
  const pageDelay = Number(env.SIMULATOR_PAGE_DELAY_MS ?? 0);
  if (pageDelay > 0) simulator.injectFault({ kind: 'delay', ms: pageDelay, times: 1_000_000_000, match: { service: 'report', action: 'getTable' } });
  const budget = env.KALTURA_MAX_CONCURRENT_REQUESTS ? kalturaClientOptionsFromEnv({ KALTURA_SERVICE_URL: simulator.serviceUrl, KALTURA_PARTNER_ID: String(simulator.partnerId), KALTURA_ADMIN_SECRET: simulator.adminSecret, KALTURA_MAX_CONCURRENT_REQUESTS: env.KALTURA_MAX_CONCURRENT_REQUESTS }).maxConcurrentRequests : undefined;
  const client = createKalturaClient({
    ...(budget !== undefined ? { maxConcurrentRequests: budget } : {}),
    serviceUrl: simulator.serviceUrl,
    reportsUrl: simulator.reportsUrl,
    partnerId: simulator.partnerId,
    adminSecret: simulator.adminSecret,
    ...(logger ? { logger } : {}),
  });
  const webhookSecrets = webhookSecretsFromEnv.length > 0 ? webhookSecretsFromEnv : [simulator.adminSecret];
  return {
    api: client,
    serviceUrl: simulator.serviceUrl,
    simulator: { serviceUrl: simulator.serviceUrl, reportsUrl: simulator.reportsUrl, partnerId: simulator.partnerId, adminSecret: simulator.adminSecret },
    webhookSecrets,
    close: async () => {
      await client.close();
      await simulator.close();
    },
  };
}

/**
 * DATA_DIR/bucket, or the S3 bucket named by BUCKET_NAME (credentials and region from the usual AWS chain).
 * `AWS_ENDPOINT_URL_S3` points at an S3-compatible server instead (MinIO, s3rver...), path-style.
 */
export async function openBlobStore(env: NodeJS.ProcessEnv, dataDir: string): Promise<{ store: BlobStore; where: string }> {
  if (env.BUCKET_NAME) {
    const [{ createS3BlobStore }, { s3Client }] = await Promise.all([import('../shared/storage/s3-blob-store.js'), import('../shared/aws-clients/s3.js')]);
    const endpoint = env.AWS_ENDPOINT_URL_S3;
    const client = endpoint ? s3Client({ endpoint, forcePathStyle: true, region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1' }) : undefined;
    return { store: createS3BlobStore({ bucket: env.BUCKET_NAME, ...(client ? { client } : {}) }), where: `s3://${env.BUCKET_NAME}/` };
  }
  const { createFileBlobStore } = await import('../shared/storage/file-blob-store.js');
  const root = join(dataDir, 'bucket');
  return { store: createFileBlobStore({ root }), where: root + '/' };
}

/** What a running `kreports start` writes to DATA_DIR/local-stack.json (also its lock). */
export interface LocalStackInfo {
  readonly pid: number;
  readonly webhookUrl: string;
  readonly healthUrl: string;
  readonly partnerId: number;
  readonly startedAt: string;
}

export function localStackInfoPath(dataDir: string): string {
  return join(dataDir, 'local-stack.json');
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** On Linux, a pid reused by another program (after a crash and a reboot) is not taken for our stack. */
function looksLikeKreports(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('kreports');
  } catch {
    return true; // no /proc (macOS...): trust the pid
  }
}

/** The running local stack of this DATA_DIR, if any. */
export function readLocalStackInfo(dataDir: string): LocalStackInfo | undefined {
  const path = localStackInfoPath(dataDir);
  if (!existsSync(path)) return undefined;
  try {
    const info = JSON.parse(readFileSync(path, 'utf8')) as LocalStackInfo;
    return typeof info.pid === 'number' && isProcessAlive(info.pid) && looksLikeKreports(info.pid) ? info : undefined;
  } catch {
    return undefined;
  }
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
