/**
 * undici, loaded on first use instead of at module scope, and only the part the project uses.
 *
 * Cold start: the project calls undici's `request` through an `Agent`, nothing else. `import('undici')`
 * evaluates the whole package (fetch, WebSocket, EventSource, caches, mocks, interceptors: 523 KB
 * bundled); its first use cost 70–90 ms of CPU in a fresh Node 22 process. Loading the `Agent` and
 * the `request` API from their own files (286 KB) cost 25–30 ms (docs/aws.md, "Cold start").
 * Loading on the first HTTP call also keeps undici out of the Lambda init phase. esbuild turns these
 * `import()`s into lazily evaluated parts of the same bundle; under tsx/vitest they are plain
 * dynamic imports of the same CommonJS files `import('undici')` would load, so a dispatcher made with
 * `import { Agent } from 'undici'` (tests) and ours are the same classes.
 *
 * Only types may be imported from 'undici' at module scope (`import type`); everything else goes
 * through `loadUndici()`. The two file paths are undici internals (the package has no `exports`
 * map): `test/http/undici-lazy.test.ts` checks they still give the same `Agent` and `request`
 * behaviour as the package's index after an upgrade.
 */
import type { Agent, Dispatcher } from 'undici';

/** The options of undici's `request` the slim version passes on (the URL gives origin and path). */
export type SlimRequestOptions = Omit<Dispatcher.RequestOptions, 'origin' | 'path' | 'method'> & {
  readonly method?: Dispatcher.HttpMethod;
  readonly dispatcher?: Dispatcher;
};

/** What the project uses of undici. */
export interface Undici {
  readonly Agent: typeof Agent;
  /**
   * undici's `request(url, options)` for a full URL (a string or a `URL`, query included). Without
   * `options.dispatcher` it uses one keep-alive Agent of its own, not undici's global dispatcher
   * (`setGlobalDispatcher` does not apply).
   */
  readonly request: (url: string | URL, options?: SlimRequestOptions) => Promise<Dispatcher.ResponseData>;
}

type ApiRequest = (this: Dispatcher, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>;

let undici: Promise<Undici> | undefined;

/** undici's `Agent` and `request`, imported once per process (a failed import is retried on the next call). */
export function loadUndici(): Promise<Undici> {
  undici ??= Promise.all([import('undici/lib/dispatcher/agent.js'), import('undici/lib/api/api-request.js')])
    .then(([agentModule, requestModule]) => slimUndici(agentModule.default as typeof Agent, requestModule.default as unknown as ApiRequest))
    .catch((error: unknown) => {
      undici = undefined;
      throw error;
    });
  return undici;
}

/** `request` as undici's index builds it (`makeDispatcher(api.request)`), for the URL forms we use. */
function slimUndici(AgentClass: typeof Agent, apiRequest: ApiRequest): Undici {
  let shared: Dispatcher | undefined;
  const request: Undici['request'] = (url, options = {}) => {
    const { dispatcher, ...rest } = options;
    const target = typeof url === 'string' ? new URL(url) : url;
    return apiRequest.call(dispatcher ?? (shared ??= new AgentClass()), {
      ...rest,
      origin: target.origin,
      path: target.search ? `${target.pathname}${target.search}` : target.pathname,
      method: rest.method ?? (rest.body ? 'PUT' : 'GET'),
    });
  };
  return { Agent: AgentClass, request };
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
