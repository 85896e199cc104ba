/**
 * Kaltura sessions (KS) for the client, cached per privilege set until shortly before expiry.
 *
 * - App token configured (preferred, WIRE_FACTS §5.3-5.4): `session.startWidgetSession` with the
 *   partner's default widget `_<partnerId>` gives a widget KS; then `appToken.startSession` with
 *   that KS and `tokenHash = hex(hash(hashType, widgetKs + token))`.
 * - Otherwise `session.start` type 2 (ADMIN) with the admin secret.
 * Privileges (e.g. `virtualeventid:<id>`) are part of the cache key. Concurrent callers share one
 * in-flight session start. `invalidate(ks)` drops a KS the server rejected (INVALID_KS) so the
 * next `get` starts a fresh one.
 *
 * Nothing here logs a KS, a secret, a token or a tokenHash.
 */
import { createHash } from 'node:crypto';
import { z } from '../validation/zod.js';
import type { Logger } from '../logging/logger.js';
import { KalturaConfigError, KalturaResponseError } from './errors.js';

export type HashType = 'SHA1' | 'SHA256' | 'SHA512' | 'MD5';

export interface SessionOptions {
  readonly partnerId: number;
  readonly adminSecret?: string;
  readonly appToken?: { readonly id: string; readonly token: string; readonly hashType?: HashType };
  readonly userId?: string;
  readonly privileges?: ReadonlyArray<string>;
  /** Requested KS lifetime; default 86400 s (the server may clamp it). */
  readonly expirySeconds?: number;
  readonly logger?: Logger;
  readonly now?: () => number;
}

/** Calls an action without the session layer (no KS, or the given one). */
export type RawCall = (service: string, action: string, params: Record<string, unknown>, ks?: string) => Promise<unknown>;

interface CachedKs {
  readonly ks: string;
  /** ms epoch after which we start a new one. */
  readonly renewAt: number;
}

const WidgetSession = z.object({ ks: z.string().check(z.minLength(1)) });
const AppTokenSession = z.object({ ks: z.string().check(z.minLength(1)), expiry: z.optional(z.nullable(z.number())) });

export function tokenHash(hashType: HashType, widgetKs: string, token: string): string {
  const algo = { SHA1: 'sha1', SHA256: 'sha256', SHA512: 'sha512', MD5: 'md5' }[hashType];
  return createHash(algo).update(widgetKs + token).digest('hex');
}

export class SessionManager {
  private readonly cache = new Map<string, CachedKs>();
  private readonly inflight = new Map<string, Promise<string>>();
  /** Every KS this manager obtained (widget ones too), so errors and logs can strip them. */
  private readonly issued = new Set<string>();
  private readonly now: () => number;

  constructor(
    private readonly options: SessionOptions,
    private readonly rawCall: RawCall,
  ) {
    if (!options.appToken && !options.adminSecret) {
      throw new KalturaConfigError('The Kaltura client needs an admin secret (KALTURA_ADMIN_SECRET) or an app token (KALTURA_APP_TOKEN_ID + KALTURA_APP_TOKEN).');
    }
    this.now = options.now ?? Date.now;
  }

  private remember(ks: string): void {
    this.issued.add(ks);
    // Bounded: a long-lived process renews daily; keep the recent ones.
    if (this.issued.size > 64) this.issued.delete(this.issued.values().next().value as string);
  }

  get method(): 'appToken' | 'session.start' {
    return this.options.appToken ? 'appToken' : 'session.start';
  }

  /** Secrets and KS values to strip from anything we show. */
  knownSecrets(): string[] {
    return [...this.issued, ...(this.options.adminSecret ? [this.options.adminSecret] : []), ...(this.options.appToken ? [this.options.appToken.token] : [])];
  }

  private privilegeList(extra: ReadonlyArray<string> = []): string[] {
    return [...new Set([...(this.options.privileges ?? []), ...extra])].sort();
  }

  async get(extraPrivileges: ReadonlyArray<string> = []): Promise<string> {
    const privileges = this.privilegeList(extraPrivileges);
    const key = privileges.join(',');
    const cached = this.cache.get(key);
    if (cached && cached.renewAt > this.now()) return cached.ks;
    const pending = this.inflight.get(key);
    if (pending) return pending;
    const started = this.start(privileges)
      .then((entry) => {
        this.cache.set(key, entry);
        return entry.ks;
      })
      .finally(() => this.inflight.delete(key));
    this.inflight.set(key, started);
    return started;
  }

  /** Forget `ks` (the server said INVALID_KS); other cached sessions stay. */
  invalidate(ks: string): void {
    for (const [key, entry] of this.cache) if (entry.ks === ks) this.cache.delete(key);
  }

  private renewAt(expirySeconds: number): number {
    // Renew at 90 % of the lifetime, and at least 60 s before it ends.
    const lifetimeMs = expirySeconds * 1000;
    const margin = Math.max(60_000, lifetimeMs * 0.1);
    return this.now() + Math.max(0, lifetimeMs - margin);
  }

  private async start(privileges: string[]): Promise<CachedKs> {
    const expiry = this.options.expirySeconds ?? 86_400;
    const started = this.now();
    if (this.options.appToken) {
      const { id, token, hashType = 'SHA1' } = this.options.appToken;
      const widget = WidgetSession.safeParse(await this.rawCall('session', 'startWidgetSession', { widgetId: `_${this.options.partnerId}`, expiry }));
      if (!widget.success) throw new KalturaResponseError('Kaltura session.startWidgetSession answer has no ks; the server may be incompatible.');
      this.remember(widget.data.ks);
      const result = AppTokenSession.safeParse(
        await this.rawCall(
          'apptoken',
          'startSession',
          {
            id,
            tokenHash: tokenHash(hashType, widget.data.ks, token),
            ...(this.options.userId ? { userId: this.options.userId } : {}),
            expiry,
            ...(privileges.length ? { sessionPrivileges: privileges.join(',') } : {}),
          },
          widget.data.ks,
        ),
      );
      if (!result.success) throw new KalturaResponseError('Kaltura appToken.startSession answer has no ks; the server may be incompatible.');
      this.remember(result.data.ks);
      // `expiry` is absolute unix seconds; the token may grant less than we asked for.
      const granted = result.data.expiry ? Math.max(1, result.data.expiry - Math.floor(started / 1000)) : expiry;
      this.options.logger?.info('kaltura session started', { method: 'appToken', partnerId: this.options.partnerId, expirySeconds: Math.min(granted, expiry), privileges: privileges.length });
      return { ks: result.data.ks, renewAt: this.renewAt(Math.min(granted, expiry)) };
    }
    const ks = await this.rawCall('session', 'start', {
      secret: this.options.adminSecret,
      userId: this.options.userId ?? '',
      type: 2,
      partnerId: this.options.partnerId,
      expiry,
      ...(privileges.length ? { privileges: privileges.join(',') } : {}),
    });
    if (typeof ks !== 'string' || ks.length === 0) throw new KalturaResponseError('Kaltura session.start did not return a KS string; the server may be incompatible.');
    this.remember(ks);
    this.options.logger?.info('kaltura session started', { method: 'session.start', partnerId: this.options.partnerId, expirySeconds: expiry, privileges: privileges.length });
    return { ks, renewAt: this.renewAt(expiry) };
  }
}
