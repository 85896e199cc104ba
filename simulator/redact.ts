/** Request-log redaction: the log never holds a KS, secret, token hash or signature in clear. */
import type { SimConfig } from './context.js';
import { isRecord } from './util.js';

const SECRET_KEYS = new Set(['ks', 'secret', 'adminsecret', 'usersecret', 'token', 'tokenhash', 'kalsig', 'authorization', 'password', 'signature']);

export function redactParams(params: Record<string, unknown>, config: SimConfig): Record<string, unknown> {
  const secrets = [config.adminSecret, config.userSecret, config.appToken.token].filter((s) => s.length >= 8);
  const scrub = (value: unknown, depth: number): unknown => {
    if (depth > 8) return '[deep]';
    if (typeof value === 'string') {
      let out = value.replace(/djJ8[A-Za-z0-9_\-+/=]*/g, '[redacted]');
      for (const s of secrets) if (out.includes(s)) out = out.split(s).join('[redacted]');
      return out;
    }
    if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
    if (isRecord(value)) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEYS.has(k.toLowerCase().replace(/[-_]/g, '')) ? '[redacted]' : scrub(v, depth + 1);
      return out;
    }
    return value;
  };
  return scrub(params, 0) as Record<string, unknown>;
}
