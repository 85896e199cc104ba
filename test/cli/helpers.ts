/** Runs `kreports` as a user would: `node bin/kreports.js …` in a child process, with a clean environment. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const BIN = join(ROOT, 'bin', 'kreports.js');

/** The parent's environment without anything that would point the CLI at a real account or another DATA_DIR. */
/** The parent's environment without the project's variables, plus `extra`; a `null` in `extra` removes that variable. */
export function cleanEnv(extra: Record<string, string | undefined | null> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(KALTURA_|SIMULATOR_|BUCKET_NAME|PORT$|DATA_DIR$|REPORTING_CONFIG$|LOG_LEVEL$|STOP_GRACE_MS$|KREPORTS_)/.test(k)) continue;
    env[k] = v;
  }
  for (const [k, v] of Object.entries(extra)) {
    if (v === null) delete env[k];
    else if (v !== undefined) env[k] = v;
  }
  return env;
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runCli(args: ReadonlyArray<string>, env: Record<string, string | undefined | null> = {}, options: { cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd ?? ROOT, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

export async function tempDir(prefix = 'kreports-'): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export interface RunningStack {
  readonly child: ChildProcess;
  readonly webhookUrl: string;
  readonly healthUrl: string;
  stdout(): string;
  stderr(): string;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** `node bin/kreports.js start` with PORT=0; resolves once it printed its webhook URL. */
export function startStack(env: Record<string, string | undefined>, options: { timeoutMs?: number } = {}): Promise<RunningStack> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, 'start'], { cwd: ROOT, env: cleanEnv({ PORT: '0', ...env }), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kreports start did not become ready:\n${stdout}\n${stderr.slice(-2000)}`));
    }, options.timeoutMs ?? 30_000);
    child.stdout!.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
      const m = /Webhook URL:\s+(http:\/\/\S+\/webhooks\/kaltura)\s+\(health: (\S+)\)/.exec(stdout);
      // Ready means the whole banner: a pipe may deliver it in more than one chunk.
      if (m && stdout.includes('Stop with Ctrl-C.')) {
        clearTimeout(timer);
        resolvePromise({
          child,
          webhookUrl: m[1]!,
          healthUrl: m[2]!.replace(/\)$/, ''),
          stdout: () => stdout,
          stderr: () => stderr,
          stop: (signal = 'SIGTERM') => {
            if (child.exitCode !== null || child.signalCode !== null) return exited;
            child.kill(signal);
            return exited;
          },
        });
      }
    });
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`kreports start exited with ${code} before it was ready:\n${stdout}\n${stderr.slice(-2000)}`));
    });
  });
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
