/**
 * The in-process job queue of the local runtime (`kreports start`), with the SQS semantics the worker
 * Lambdas rely on, so the same `processJobBatch` code behaves the same here and in AWS:
 *
 * - one queue per job kind, each with its own visibility timeout, batch size and `maxReceiveCount`;
 * - `send` resolves only once every message is on disk (one JSON file per message under
 *   `DATA_DIR/queues/<kind>/`, written to a temporary file then renamed, so a crash never leaves half a message);
 * - `delaySeconds` (0..900) hides a message until then (how handlers poll without sleeping);
 * - a received message is invisible for the visibility timeout and carries `ApproximateReceiveCount`;
 *   the consumer answers with `batchItemFailures` (Lambda's SQS partial batch response): the others are
 *   deleted, the failed ones come back once their visibility timeout has passed;
 * - a message received `maxReceiveCount` times without success goes to the dead-letter sink with a reason
 *   (SQS redrive; `processJobBatch` dead-letters earlier with the real error, this is the safety net for a
 *   job that crashes or hangs the worker);
 * - persisted: stopping the process with work in flight and starting it again finishes that work. Messages
 *   that were in flight when the process died are made visible at the next `start()`.
 *
 * Local difference, on purpose: a message is never redelivered while its handler is still running in this
 * process (as if the visibility timeout were extended while the worker lives), so a long export is not run twice.
 *
 * Other processes (e.g. `kreports replay` while `kreports start` runs) may `send` into the same DATA_DIR:
 * a running consumer picks their files up within `rescanIntervalMs`. Only one process may consume a
 * DATA_DIR at a time (`kreports start` takes a lock).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { JOB_KINDS, type JobKind, type JobMessage } from '../shared/jobs/job-message.js';
import type { JobQueue } from '../shared/ports/job-queue.js';
import type { DeadLetterSink } from '../shared/ports/dead-letter-sink.js';
import type { BatchResponse, QueueRecord } from '../shared/queues/job-batch-processor.js';
import { MAX_DELAY_SECONDS, MAX_RECEIVE_COUNT } from '../shared/queues/job-batch-processor.js';
import type { Logger } from '../shared/logging/logger.js';
import { writeFileAtomic } from './local-dead-letter-sink.js';

export interface LocalQueueSettings {
  /** Seconds a received message stays invisible; a failed one comes back after it. */
  readonly visibilityTimeoutSeconds: number;
  /** Receives before the message is dead-lettered (SQS redrive policy). */
  readonly maxReceiveCount: number;
  /** Records per consumer call. */
  readonly batchSize: number;
  /** Consumer calls of this kind running at once (Lambda maxConcurrency). */
  readonly maxConcurrentBatches: number;
}

/**
 * Defaults mirror the stack's per-kind choices (infra/job-kinds.ts: batch sizes, maxReceiveCount,
 * concurrency) with visibility timeouts short enough for a developer's loop.
 */
export const DEFAULT_LOCAL_QUEUE_SETTINGS: Readonly<Record<JobKind, LocalQueueSettings>> = {
  check: { visibilityTimeoutSeconds: 30, maxReceiveCount: MAX_RECEIVE_COUNT.check, batchSize: 10, maxConcurrentBatches: 2 },
  'live-health': { visibilityTimeoutSeconds: 30, maxReceiveCount: MAX_RECEIVE_COUNT['live-health'], batchSize: 10, maxConcurrentBatches: 2 },
  export: { visibilityTimeoutSeconds: 60, maxReceiveCount: MAX_RECEIVE_COUNT.export, batchSize: 1, maxConcurrentBatches: 2 },
  microservice: { visibilityTimeoutSeconds: 60, maxReceiveCount: MAX_RECEIVE_COUNT.microservice, batchSize: 1, maxConcurrentBatches: 2 },
};

/** A record as the consumer sees it: the SQS event record fields the workers use. */
export interface LocalQueueRecord extends QueueRecord {
  readonly attributes: {
    readonly ApproximateReceiveCount: string;
    readonly SentTimestamp: string;
    readonly ApproximateFirstReceiveTimestamp: string;
  };
  readonly eventSource: 'kreports:local-queue';
  readonly kind: JobKind;
}

/** Called like Lambda's SQS event source calls a worker. Throwing fails the whole batch. */
export type BatchConsumer = (records: ReadonlyArray<LocalQueueRecord>) => Promise<BatchResponse>;

/** What is on disk for one message. */
interface StoredMessage {
  readonly id: string;
  readonly kind: JobKind;
  readonly body: string;
  readonly sentAt: number;
  visibleAt: number;
  receiveCount: number;
  firstReceivedAt?: number;
}

export interface LocalJobQueueOptions {
  /** Messages live under `<dataDir>/queues/<kind>/`. Without it the queue is in memory only (CLI one-shot runs, tests). */
  readonly dataDir?: string;
  /** Where messages go after `maxReceiveCount` receives. */
  readonly deadLetters: DeadLetterSink;
  readonly settings?: Partial<Record<JobKind, Partial<LocalQueueSettings>>>;
  /** How often consumers look for visible messages. Default 100 ms (a `send` wakes them at once). */
  readonly pollIntervalMs?: number;
  /** How often a consumer looks for files written by other processes. Default 1000 ms. */
  readonly rescanIntervalMs?: number;
  readonly logger?: Logger;
  readonly now?: () => number;
}

export interface QueueCounts {
  /** Ready to be received now. */
  readonly visible: number;
  /** Waiting for `delaySeconds` or for a visibility timeout to pass. */
  readonly delayed: number;
  /** Being processed by a consumer of this process right now. */
  readonly inFlight: number;
}

function newMessageId(now: number): string {
  return `${now.toString().padStart(14, '0')}-${randomBytes(6).toString('hex')}`;
}

export class LocalJobQueue implements JobQueue {
  private readonly messages = new Map<JobKind, Map<string, StoredMessage>>();
  /** Every id ever indexed, so a rescan never resurrects a message deleted meanwhile. */
  private readonly known = new Set<string>();
  private readonly inFlight = new Set<string>();
  private readonly activeBatches = new Map<JobKind, number>();
  private readonly running = new Set<Promise<void>>();
  private readonly settings: Record<JobKind, LocalQueueSettings>;
  private consumers: Partial<Record<JobKind, BatchConsumer>> = {};
  private timer: NodeJS.Timeout | undefined;
  private lastRescan = 0;
  private started = false;
  private stopping = false;
  private ticking = false;
  private tickAgain = false;
  private readonly now: () => number;

  constructor(private readonly options: LocalJobQueueOptions) {
    this.now = options.now ?? Date.now;
    const settings = {} as Record<JobKind, LocalQueueSettings>;
    for (const kind of JOB_KINDS) {
      settings[kind] = { ...DEFAULT_LOCAL_QUEUE_SETTINGS[kind], ...options.settings?.[kind] };
      this.messages.set(kind, new Map());
      this.activeBatches.set(kind, 0);
    }
    this.settings = settings;
  }

  /** Where the messages of `kind` are stored, or undefined in memory mode. */
  queueDir(kind: JobKind): string | undefined {
    return this.options.dataDir ? join(this.options.dataDir, 'queues', kind) : undefined;
  }

  settingsFor(kind: JobKind): LocalQueueSettings {
    return this.settings[kind];
  }

  async send(kind: JobKind, messages: ReadonlyArray<JobMessage>, options?: { delaySeconds?: number }): Promise<void> {
    await this.sendRaw(kind, messages.map((m) => JSON.stringify(m)), options);
  }

  /** Send bodies as they are (replaying a dead letter sends its body byte for byte). Returns the message ids. */
  async sendRaw(kind: JobKind, bodies: ReadonlyArray<string>, options?: { delaySeconds?: number }): Promise<string[]> {
    if (!JOB_KINDS.includes(kind)) throw new Error(`Unknown job kind "${kind}"; expected one of ${JOB_KINDS.join(', ')}.`);
    const delay = Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.round(options?.delaySeconds ?? 0)));
    const dir = this.queueDir(kind);
    if (dir) await mkdir(dir, { recursive: true });
    const ids: string[] = [];
    const stored: StoredMessage[] = [];
    for (const body of bodies) {
      const now = this.now();
      const message: StoredMessage = { id: newMessageId(now), kind, body, sentAt: now, visibleAt: now + delay * 1000, receiveCount: 0 };
      if (dir) await writeFileAtomic(join(dir, `${message.id}.json`), JSON.stringify(message));
      stored.push(message);
      ids.push(message.id);
    }
    for (const message of stored) this.index(message);
    if (delay === 0) this.wake();
    return ids;
  }

  /**
   * Starts consuming. Loads what is on disk; messages that were in flight when a previous process died
   * become visible now (their consumer is gone). Stale temporary files are removed.
   */
  async start(consumers: Partial<Record<JobKind, BatchConsumer>>): Promise<void> {
    if (this.started) throw new Error('LocalJobQueue already started');
    this.started = true;
    this.stopping = false;
    this.consumers = consumers;
    const now = this.now();
    for (const kind of JOB_KINDS) {
      const loaded = await this.loadFromDisk(kind, true);
      for (const message of loaded) {
        if (message.receiveCount > 0 && message.visibleAt > now) {
          message.visibleAt = now;
          await this.persist(message);
          this.options.logger?.info('recovered a job that was in flight when the previous process stopped', { kind, messageId: message.id, receiveCount: message.receiveCount });
        }
      }
    }
    this.lastRescan = this.now();
    this.schedule(0);
  }

  /**
   * Stops receiving; waits up to `graceMs` for running batches. Messages still running after that were
   * interrupted on purpose, not by a crash: they are made visible again without counting the receive, so the
   * next start runs them at once and a few Ctrl-Cs never push a long export to the dead letters.
   * Returns how many were still running.
   */
  async stop(graceMs = 10_000): Promise<number> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const pending = [...this.running];
    if (pending.length > 0) {
      let timeout: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled(pending), new Promise<void>((resolve) => (timeout = setTimeout(resolve, graceMs)))]);
      if (timeout) clearTimeout(timeout);
    }
    const interrupted = JOB_KINDS.flatMap((kind) => [...this.messages.get(kind)!.values()].filter((m) => this.inFlight.has(m.id)));
    for (const message of interrupted) {
      message.receiveCount = Math.max(0, message.receiveCount - 1);
      message.visibleAt = this.now();
      try {
        await this.persist(message);
      } catch (error) {
        this.options.logger?.warn('could not release an interrupted job; it resumes after its visibility timeout', { kind: message.kind, messageId: message.id, error });
      }
    }
    this.started = false;
    return this.running.size;
  }

  counts(): Record<JobKind, QueueCounts> {
    const now = this.now();
    const out = {} as Record<JobKind, QueueCounts>;
    for (const kind of JOB_KINDS) {
      let visible = 0;
      let delayed = 0;
      let inFlight = 0;
      for (const m of this.messages.get(kind)!.values()) {
        if (this.inFlight.has(m.id)) inFlight++;
        else if (m.visibleAt <= now) visible++;
        else delayed++;
      }
      out[kind] = { visible, delayed, inFlight };
    }
    return out;
  }

  /** True when every queue is empty and no batch runs. */
  isIdle(): boolean {
    return this.running.size === 0 && JOB_KINDS.every((k) => this.messages.get(k)!.size === 0);
  }

  /** Resolves when every queue is empty and nothing runs (delayed messages included), or rejects after `timeoutMs`. */
  async waitUntilIdle(timeoutMs = 600_000): Promise<void> {
    const deadline = this.now() + timeoutMs;
    while (!this.isIdle()) {
      if (this.now() > deadline) throw new Error(`Jobs still queued after ${Math.round(timeoutMs / 1000)} s`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  // -------------------------------------------------------------------------------------------

  private index(message: StoredMessage): void {
    if (this.known.has(message.id)) return;
    this.known.add(message.id);
    this.messages.get(message.kind)!.set(message.id, message);
  }

  private async loadFromDisk(kind: JobKind, cleanTemp: boolean): Promise<StoredMessage[]> {
    const dir = this.queueDir(kind);
    if (!dir) return [];
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return [];
    }
    const loaded: StoredMessage[] = [];
    for (const name of names.sort()) {
      if (name.endsWith('.tmp')) {
        if (cleanTemp) await rm(join(dir, name), { force: true });
        continue;
      }
      if (!name.endsWith('.json')) continue;
      const id = name.slice(0, -'.json'.length);
      if (this.known.has(id)) continue;
      try {
        const raw = JSON.parse(await readFile(join(dir, name), 'utf8')) as Partial<StoredMessage>;
        if (typeof raw.body !== 'string') throw new Error('no body');
        const message: StoredMessage = {
          id,
          kind,
          body: raw.body,
          sentAt: Number(raw.sentAt) || this.now(),
          visibleAt: Number(raw.visibleAt) || 0,
          receiveCount: Number(raw.receiveCount) || 0,
          ...(raw.firstReceivedAt ? { firstReceivedAt: Number(raw.firstReceivedAt) } : {}),
        };
        this.index(message);
        loaded.push(message);
      } catch (error) {
        // Deleted meanwhile (ENOENT) or not ours: leave it, say so once.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
          this.known.add(id);
          this.options.logger?.warn('ignoring an unreadable queue file', { kind, file: name });
        }
      }
    }
    return loaded;
  }

  private async persist(message: StoredMessage): Promise<void> {
    const dir = this.queueDir(message.kind);
    if (dir) await writeFileAtomic(join(dir, `${message.id}.json`), JSON.stringify(message));
  }

  private async remove(message: StoredMessage): Promise<void> {
    const dir = this.queueDir(message.kind);
    if (dir) await rm(join(dir, `${message.id}.json`), { force: true });
    this.messages.get(message.kind)!.delete(message.id);
  }

  private wake(): void {
    if (this.started && !this.stopping) this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopping) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    if (this.stopping) return;
    if (this.ticking) {
      this.tickAgain = true;
      return;
    }
    this.ticking = true;
    try {
      if (this.options.dataDir && this.now() - this.lastRescan >= (this.options.rescanIntervalMs ?? 1000)) {
        this.lastRescan = this.now();
        for (const kind of JOB_KINDS) await this.loadFromDisk(kind, false);
      }
      for (const kind of JOB_KINDS) await this.dispatch(kind);
    } catch (error) {
      this.options.logger?.error('local queue poll failed', { error });
    } finally {
      this.ticking = false;
    }
    if (this.tickAgain) {
      this.tickAgain = false;
      this.schedule(0);
    } else this.schedule(this.options.pollIntervalMs ?? 100);
  }

  private async dispatch(kind: JobKind): Promise<void> {
    const consumer = this.consumers[kind];
    if (!consumer) return;
    const settings = this.settings[kind];
    while (!this.stopping && this.activeBatches.get(kind)! < settings.maxConcurrentBatches) {
      const now = this.now();
      const batch: StoredMessage[] = [];
      for (const message of this.messages.get(kind)!.values()) {
        if (batch.length >= settings.batchSize) break;
        if (this.inFlight.has(message.id) || message.visibleAt > now) continue;
        if (message.receiveCount >= settings.maxReceiveCount) {
          await this.redrive(message, settings);
          continue;
        }
        batch.push(message);
      }
      if (batch.length === 0) return;
      for (const message of batch) {
        this.inFlight.add(message.id);
        message.receiveCount += 1;
        message.firstReceivedAt ??= now;
        message.visibleAt = now + settings.visibilityTimeoutSeconds * 1000;
      }
      // The receive is durable before the consumer runs: a crash counts as a receive (poison messages end up dead-lettered).
      try {
        await Promise.all(batch.map((m) => this.persist(m)));
      } catch (error) {
        for (const message of batch) this.inFlight.delete(message.id);
        throw error;
      }
      this.activeBatches.set(kind, this.activeBatches.get(kind)! + 1);
      const run = this.runBatch(kind, consumer, batch).finally(() => {
        this.activeBatches.set(kind, this.activeBatches.get(kind)! - 1);
        this.running.delete(run);
        this.wake();
      });
      this.running.add(run);
    }
  }

  private async runBatch(kind: JobKind, consumer: BatchConsumer, batch: StoredMessage[]): Promise<void> {
    const records: LocalQueueRecord[] = batch.map((m) => ({
      messageId: m.id,
      body: m.body,
      attributes: {
        ApproximateReceiveCount: String(m.receiveCount),
        SentTimestamp: String(m.sentAt),
        ApproximateFirstReceiveTimestamp: String(m.firstReceivedAt ?? m.sentAt),
      },
      eventSource: 'kreports:local-queue',
      kind,
    }));
    let failed: Set<string>;
    try {
      const response = await consumer(records);
      const ids = new Set(batch.map((m) => m.id));
      const reported = (response?.batchItemFailures ?? []).map((f) => f.itemIdentifier);
      // As Lambda does: an unknown or empty identifier fails the whole batch.
      failed = reported.some((id) => !id || !ids.has(id)) ? ids : new Set(reported);
    } catch (error) {
      this.options.logger?.error('worker failed the whole batch; its messages will be redelivered', { kind, error, messages: batch.length });
      failed = new Set(batch.map((m) => m.id));
    }
    for (const message of batch) {
      try {
        if (!failed.has(message.id)) await this.remove(message);
      } catch (error) {
        this.options.logger?.error('could not delete a processed queue message', { kind, messageId: message.id, error });
      } finally {
        this.inFlight.delete(message.id);
      }
    }
  }

  private async redrive(message: StoredMessage, settings: LocalQueueSettings): Promise<void> {
    const reason = `Received ${message.receiveCount} times without success (maxReceiveCount ${settings.maxReceiveCount}): the worker crashed, hung or was stopped while processing it. Check the logs for this job, then replay it with kreports replay.`;
    await this.options.deadLetters.send({ kind: message.kind, body: message.body, reason, errorName: 'MaxReceiveCountExceeded', failedAt: new Date(this.now()).toISOString(), attempts: message.receiveCount });
    this.options.logger?.warn('message moved to the dead letters after maxReceiveCount', { kind: message.kind, messageId: message.id, receiveCount: message.receiveCount });
    await this.remove(message);
  }
}
