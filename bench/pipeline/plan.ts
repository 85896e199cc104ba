/** The burst plan shared by the orchestrator (harness.ts) and the load process (load.ts). */
export type PlannedKind = 'unmatched' | 'export' | 'check' | 'check-firing';

export interface PlannedNotification {
  readonly eventId: number;
  readonly entryId: string;
  /** The entry status: 2 matches the export rule, 7 the check rule, 1 nothing. */
  readonly status: number;
  readonly kind: PlannedKind;
  /** 2 for an exact duplicate sent concurrently, else 1. */
  readonly copies: number;
}

export interface LoadPlan {
  readonly webhookUrl: string;
  readonly partnerId: number;
  readonly secret: string;
  readonly concurrency: number;
  /** How long one notification is retried before it counts as not accepted. */
  readonly deadlineMs: number;
  readonly items: ReadonlyArray<PlannedNotification>;
}

export interface LoadResult {
  readonly eventId: number;
  readonly entryId: string;
  readonly kind: PlannedKind;
  readonly copy: number;
  readonly firstSentAt: number;
  readonly acceptedAt?: number;
  /** 200 accepted; 0 never answered 200 before the deadline; else the final refusal. */
  readonly status: number;
  readonly attempts: number;
  readonly statuses: ReadonlyArray<number | string>;
  readonly duplicate: boolean;
}

/**
 * `total` POSTs: 10 % are the second copy of a notification (sent at the same time as the first); of
 * the distinct notifications 15 % export, 15 % check (a third of those on `quiet` entries, which fire
 * an alert), the rest match no rule. Ids are unique per `runId`.
 */
export function planBurst(total: number, runId: string, firstEventId = 700_000_000): PlannedNotification[] {
  const duplicates = Math.round(total * 0.1);
  const distinct = total - duplicates;
  const dupEvery = duplicates > 0 ? distinct / duplicates : Infinity;
  const items: PlannedNotification[] = [];
  let duplicated = 0;
  for (let i = 0; i < distinct; i++) {
    const slot = i % 20;
    const kind: PlannedKind = slot < 3 ? 'export' : slot === 3 ? 'check-firing' : slot < 6 ? 'check' : 'unmatched';
    const status = kind === 'export' ? 2 : kind === 'unmatched' ? 1 : 7;
    const entryId = kind === 'check-firing' ? `1_quiet_${runId}_${i}` : `1_${runId}_${i}`;
    // Spread the duplicates evenly over the burst.
    const copies = duplicated < duplicates && Math.floor(i / dupEvery) !== Math.floor((i + 1) / dupEvery) ? 2 : 1;
    if (copies === 2) duplicated++;
    items.push({ eventId: firstEventId + i, entryId, status, kind, copies });
  }
  return items;
}
