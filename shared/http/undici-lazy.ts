/**
 * undici, loaded on first use instead of at module scope.
 *
 * Cold start: undici is about 0.5 MB of bundled CommonJS; evaluating it at module scope made the
 * check and live-health workers' initialisation 4x an empty handler (bench/bundles.bench.ts).
 * Importing it here, on the first HTTP call, moves that cost out of the Lambda init phase into the
 * first request of an execution environment (the benchmark reports it as "deferred to first use").
 * esbuild turns `import('undici')` into a lazily evaluated part of the same bundle, so nothing is
 * fetched from disk at that point; under tsx/vitest it is a plain dynamic import.
 *
 * Only types may be imported from 'undici' at module scope (`import type`); everything else goes
 * through `loadUndici()`.
 */
import type { Agent, Dispatcher } from 'undici';

export type Undici = typeof import('undici');

let undici: Promise<Undici> | undefined;

/** The undici module, imported once per process (a failed import is retried on the next call). */
export function loadUndici(): Promise<Undici> {
  undici ??= import('undici').catch((error: unknown) => {
    undici = undefined;
    throw error;
  });
  return undici;
}

/**
 * A dispatcher created on first use and cached: `given` when the caller passed one (tests, custom
 * pools), otherwise `create(undici)` (e.g. a keep-alive `Agent`). `owned` says whether `close()`
 * should close it: a dispatcher the caller passed stays the caller's.
 */
export class LazyDispatcher {
  private created: Promise<Dispatcher> | undefined;

  constructor(
    private readonly given: Dispatcher | undefined,
    private readonly create: (u: Undici) => Dispatcher,
  ) {}

  /** Whether `close()` closes the dispatcher (true when it was created here). */
  get owned(): boolean {
    return !this.given;
  }

  get(): Promise<Dispatcher> {
    if (this.given) return Promise.resolve(this.given);
    this.created ??= loadUndici().then(this.create, (error: unknown) => {
      this.created = undefined;
      throw error;
    });
    return this.created;
  }

  /** Closes a dispatcher created here (if one was); a given one is left open. */
  async close(): Promise<void> {
    if (this.given || !this.created) return;
    const dispatcher = await this.created.catch(() => undefined);
    await dispatcher?.close();
  }
}

/** The keep-alive Agent options the Kaltura transport uses. */
export const KEEP_ALIVE_AGENT = { keepAliveTimeout: 10_000, connections: 32 } as const satisfies ConstructorParameters<typeof Agent>[0];
