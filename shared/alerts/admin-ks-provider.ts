/**
 * An ADMIN KS for the Kaltura Messaging destination (`Authorization: Bearer <KS>`), obtained with
 * `session.start` and the admin secret through the ordinary client, cached until shortly before it
 * expires. The Messaging API is not an API v3 service, so the client's own session layer cannot
 * attach the KS for us.
 *
 * With only an app token configured there is no admin secret here: the provider is then undefined
 * and a `kaltura-email` destination fails permanently with a message that says so.
 */
import type { KalturaApi } from '../kaltura/kaltura-api.js';
import { ReportingError } from '../errors/base-error.js';

export class KsProviderError extends ReportingError {
  readonly retryable = false;
}

export interface AdminKsProviderOptions {
  readonly adminSecret: string;
  readonly userId?: string;
  /** Requested lifetime, default 3600 s; renewed at 80 %. */
  readonly expirySeconds?: number;
  readonly now?: () => number;
}

export function createAdminKsProvider(api: KalturaApi, options: AdminKsProviderOptions): () => Promise<string> {
  const expiry = options.expirySeconds ?? 3600;
  const now = options.now ?? Date.now;
  let cached: { ks: string; renewAt: number } | undefined;
  let inflight: Promise<string> | undefined;
  return async () => {
    if (cached && cached.renewAt > now()) return cached.ks;
    inflight ??= (async () => {
      try {
        const ks = await api.call('session', 'start', { secret: options.adminSecret, partnerId: api.partnerId, type: 2, expiry, ...(options.userId ? { userId: options.userId } : {}) });
        if (typeof ks !== 'string' || ks === '') throw new KsProviderError('Kaltura session.start returned no KS for the Messaging destination; check the admin secret.');
        cached = { ks, renewAt: now() + expiry * 800 };
        return ks;
      } finally {
        inflight = undefined;
      }
    })();
    return inflight;
  };
}
