/**
 * A counting semaphore: at most `max` holders at once, the others wait in FIFO order. The Kaltura
 * client's per-partner budget (`maxConcurrentRequests`): the real server throttles a partner that
 * opens too many requests at once, so workers queue here rather than there.
 */
export class ConcurrencyLimit {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`maxConcurrentRequests must be a whole number >= 1 (got ${max}).`);
  }

  /** Requests in flight right now. */
  get inFlight(): number {
    return this.active;
  }

  /** Resolves with a release function once a slot is free. Releasing twice is harmless. */
  async acquire(): Promise<() => void> {
    if (this.active < this.max) this.active++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve)); // the releaser hands its slot over
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    };
  }
}
