/**
 * One watch per live stream. Kaltura sends several live-stream notifications while a stream runs
 * (status changes, explicit pushes), and each would start a watch polling every 10 s. A lease in the
 * state store (`watch#<rule>#<job>#<entry>`) lets the first watch keep polling; another one for the
 * same stream stops at once while the holder is alive, and takes over when the holder has not polled
 * for `staleAfterSeconds` (its job died or ended).
 */
import type { StateStore } from '../ports/state-store.js';

export interface WatchLease {
  readonly watchId: string;
  /** Unix seconds of the holder's last poll. */
  readonly lastPollAt: number;
}

/** True when `watchId` holds (or just took) the lease; false when another live watch holds it. */
export async function holdWatchLease(store: StateStore, key: string, watchId: string, nowSeconds: number, staleAfterSeconds: number): Promise<boolean> {
  for (let i = 0; i < 5; i++) {
    const current = await store.get<WatchLease>(key);
    if (current && current.value.watchId !== watchId && nowSeconds - current.value.lastPollAt < staleAfterSeconds) return false;
    if (await store.put<WatchLease>(key, { watchId, lastPollAt: nowSeconds }, current?.version)) return true;
  }
  return false;
}
