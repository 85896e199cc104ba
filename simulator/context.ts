/** Shared state and types of the simulator's action handlers. */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKs, type KsFields, type KsInfo } from './ks.js';
import type { Params } from './params.js';
import type { FaultMatch, PartnerConcurrency, SimulatorFault, SimulatorRequest } from './types.js';

export interface SimConfig {
  readonly partnerId: number;
  readonly adminSecret: string;
  readonly userSecret: string;
  readonly ksMaxExpirySeconds: number;
  readonly bigRowCount: number;
  readonly microserviceJobMs: number;
  readonly appToken: { readonly id: string; readonly token: string; readonly hashType: 'SHA1' | 'SHA256' | 'SHA512' | 'MD5' };
}

/** A `file` action result: raw bytes with their own Content-Type, whatever `format` says. */
export class FileResult {
  constructor(
    readonly contentType: string,
    readonly headers: Record<string, string>,
    /**
     * The body: a generator (called twice: once to count bytes for Content-Length, once to send)
     * or a file already written to disk.
     */
    readonly body: (() => Iterable<string>) | { readonly path: string; readonly size: number },
    /** Downloads that the 'truncate-download' fault applies to. */
    readonly download: boolean,
  ) {}
}

/** `report.serve`-style failure: `KExternalErrors::dieError`, no JSON body, an `X-Kaltura` header. */
export class DieError {
  constructor(readonly code: string, readonly description: string) {}
}

export interface CallContext {
  readonly service: string;
  readonly action: string;
  readonly params: Params;
  readonly ks: KsInfo | undefined;
  readonly ksString: string | undefined;
  /** e.g. http://127.0.0.1:PORT */
  readonly origin: string;
  readonly state: SimState;
  /** The server's KS check (signature, partner, expiry, revocation); throws INVALID_KS. */
  readonly validateKs: (ks: string) => KsInfo;
}

export interface ActionDef {
  /** `@ksIgnored`: works without a KS. */
  readonly ksIgnored?: boolean;
  /** Allowed with a widget KS (privilege widget:1). */
  readonly widgetAllowed?: boolean;
  readonly handler: (ctx: CallContext) => unknown;
}

export interface ActiveFault {
  readonly fault: SimulatorFault;
  remaining: number;
}

export interface CsvFileSpec {
  readonly id: string;
  readonly path: string;
  readonly size: number;
  readonly createdAt: number;
}

export interface MicroserviceJob {
  readonly sessionId: string;
  readonly partnerId: number;
  readonly reportName: string;
  readonly reportParameters: Record<string, unknown>;
  readonly createdAt: number;
  readonly outcome: { kind: 'ok' } | { kind: 'fail'; reason: string } | { kind: 'stuck' };
}

export class SimState {
  readonly requests: SimulatorRequest[] = [];
  readonly faults: ActiveFault[] = [];
  /** KS string -> issue sequence number. */
  private readonly issued = new Map<string, number>();
  private ksSeq = 0;
  /** 'invalid-ks-after': KS issued before `beforeSeq` die once `remaining` authenticated calls have passed. */
  revoke: { beforeSeq: number; remaining: number; active: boolean } | undefined;
  readonly csvFiles = new Map<string, CsvFileSpec>();
  readonly jobs = new Map<string, MicroserviceJob>();
  readonly templates = new Map<number, Record<string, unknown>>();
  nextTemplateId = 30001;
  /** 'reject-for': every matching request until `until` (ms) gets `status` with Retry-After. */
  rejection: { until: number; status: 429 | 503; match?: FaultMatch } | undefined;
  /** Per partner id: requests in flight now, the most seen at once, how many in all. */
  readonly concurrency = new Map<string, PartnerConcurrency>();

  /** Counts a request in flight for `partner`; call the returned function once when its answer is done. */
  enterRequest(partner: string): () => void {
    let entry = this.concurrency.get(partner);
    if (!entry) this.concurrency.set(partner, (entry = { inFlight: 0, peak: 0, total: 0 }));
    const counted = entry;
    counted.inFlight++;
    counted.total++;
    if (counted.inFlight > counted.peak) counted.peak = counted.inFlight;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      counted.inFlight--;
    };
  }

  private filesDir: string | undefined;

  constructor(readonly config: SimConfig) {}

  /** Directory for getUrlForReportAsCsv files (like /content/reports/<pid>/), removed on close. */
  reportsDir(): string {
    this.filesDir ??= mkdtempSync(join(tmpdir(), 'kaltura-sim-reports-'));
    return this.filesDir;
  }

  removeFiles(): void {
    if (this.filesDir) rmSync(this.filesDir, { recursive: true, force: true });
    this.filesDir = undefined;
    this.csvFiles.clear();
  }

  issueKs(fields: Omit<KsFields, 'partnerId'>): string {
    const ks = createKs(this.config.adminSecret, { ...fields, partnerId: this.config.partnerId });
    this.issued.set(ks, ++this.ksSeq);
    if (this.issued.size > 10000) {
      const first = this.issued.keys().next().value;
      if (first !== undefined) this.issued.delete(first);
    }
    return ks;
  }

  /** Whether this KS was revoked by an 'invalid-ks-after' fault. */
  isRevoked(ks: string): boolean {
    if (!this.revoke?.active) return false;
    return (this.issued.get(ks) ?? 0) <= this.revoke.beforeSeq;
  }

  revokeAfter(calls: number, later = false): void {
    this.revoke = { beforeSeq: later ? Number.POSITIVE_INFINITY : this.ksSeq, remaining: Math.max(0, calls), active: calls <= 0 };
  }

  /** Counts one authenticated HTTP call towards an 'invalid-ks-after' fault. */
  countAuthenticatedCall(): void {
    if (!this.revoke || this.revoke.active) return;
    if (this.revoke.remaining > 0) this.revoke.remaining--;
    else this.revoke.active = true;
  }

  /** Consumes the first fault of `kinds` that `predicate` accepts. */
  takeFault<K extends SimulatorFault['kind']>(kinds: ReadonlyArray<K>, predicate: (fault: Extract<SimulatorFault, { kind: K }>) => boolean): Extract<SimulatorFault, { kind: K }> | undefined {
    for (let i = 0; i < this.faults.length; i++) {
      const active = this.faults[i];
      if (!active || !(kinds as ReadonlyArray<string>).includes(active.fault.kind)) continue;
      const fault = active.fault as Extract<SimulatorFault, { kind: K }>;
      if (!predicate(fault)) continue;
      active.remaining--;
      if (active.remaining <= 0) this.faults.splice(i, 1);
      return fault;
    }
    return undefined;
  }
}

export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}
