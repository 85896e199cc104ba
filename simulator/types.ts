/** Public types of the simulator (contract: /work/briefs/common.md, "The Kaltura simulator"). */
export interface SimulatorOptions {
  host?: string;
  port?: number;
  partnerId?: number;
  adminSecret?: string;
  userSecret?: string;
  ksMaxExpirySeconds?: number;
  bigRowCount?: number;
  microserviceJobMs?: number;
}

export interface SimulatorRequest {
  service: string;
  action: string;
  params: Record<string, unknown>;
  httpStatus: number;
  at: number;
}

export interface Simulator {
  readonly serviceUrl: string;
  readonly reportsUrl: string;
  readonly partnerId: number;
  readonly adminSecret: string;
  readonly userSecret: string;
  readonly appToken: { id: string; token: string; hashType: 'SHA1' | 'SHA256' | 'SHA512' | 'MD5' };
  readonly requests: ReadonlyArray<SimulatorRequest>;
  clearRequests(): void;
  injectFault(fault: SimulatorFault): void;
  clearFaults(): void;
  /**
   * Concurrent in-flight HTTP requests per partner (from the request's KS, else its `partnerId`, else
   * the simulator's partner): `inFlight` now, `peak` since start or the last `resetConcurrency()`,
   * `total` requests counted. Also served at `GET /__simulator/concurrency`.
   */
  concurrency(): Record<string, PartnerConcurrency>;
  resetConcurrency(): void;
  buildNotification(options: NotificationOptions): { body: Buffer; headers: Record<string, string> };
  sendNotification(url: string, options: NotificationOptions): Promise<{ status: number; body: string }>;
  close(): Promise<void>;
}

export interface PartnerConcurrency {
  inFlight: number;
  peak: number;
  total: number;
}

export type SimulatorFault =
  | { kind: 'reject-for'; status: 429 | 503; seconds: number; match?: FaultMatch }
  | { kind: 'http-status'; status: number; times?: number; match?: FaultMatch }
  | { kind: 'delay'; ms: number; times?: number; match?: FaultMatch }
  | { kind: 'drop-connection'; times?: number; match?: FaultMatch }
  | { kind: 'api-error'; code: string; args?: Record<string, string>; times?: number; match?: FaultMatch }
  | { kind: 'invalid-ks-after'; calls: number; /** Every KS issued later dies too (credentials revoked, partner blocked): renewing does not help. */ later?: boolean }
  | { kind: 'truncate-download'; times?: number; /** No Content-Length: a chunked body that stops half way (the socket closes before the last chunk). */ chunked?: boolean }
  /** An HTML page instead of JSON (a proxy, load balancer or maintenance page), HTTP `status` (default 200). */
  | { kind: 'html-page'; status?: number; title?: string; times?: number; match?: FaultMatch }
  /** HTTP 200 with an empty body and no `X-Kaltura` header (PHP died before writing). */
  | { kind: 'empty-body'; times?: number; match?: FaultMatch }
  /** The JSON answer cut half way, with a Content-Length that matches the cut (a complete, malformed response). */
  | { kind: 'truncated-json'; times?: number; match?: FaultMatch }
  /** The action answers JSON `null`, as getUrlForReportAsCsv does when the server swallows a report failure (WIRE_FACTS §2.1). Per action, like api-error. */
  | { kind: 'null-result'; times?: number; match?: FaultMatch }
  | { kind: 'microservice-fail'; reason: string; times?: number }
  | { kind: 'microservice-stuck'; times?: number };

export type FaultMatch = { service?: string; action?: string; path?: string };

export interface NotificationOptions {
  entryId: string;
  entryName?: string;
  eventType?: number;
  eventObjectType?: number | string;
  templateSystemName?: string;
  status?: number;
  objectType?: string;
  eventNotificationJobId?: number;
  algo?: 'sha1' | 'sha256' | 'sha512';
  omitAlgoHeader?: boolean;
  legacy?: boolean;
  secret?: string;
  object?: Record<string, unknown>;
}
