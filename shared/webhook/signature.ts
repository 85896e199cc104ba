/**
 * Kaltura webhook signature (SPEC §4, WIRE_FACTS §6.1):
 * `X-KALTURA-SIGNATURE` = lowercase hex of `hash(secret + rawBody)` — plain concatenation, not an
 * HMAC — with `hash` named by `X-KALTURA-HASH-ALGO` (`sha1`, `sha256`, `sha512`; absent = `sha1`).
 *
 * Verified over the exact received bytes, in constant time, against every configured secret
 * (several = rotation). An unknown algorithm is a failed verification, never a fallback.
 */
import { createHash, timingSafeEqual, type Hash } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-kaltura-signature';
export const HASH_ALGO_HEADER = 'x-kaltura-hash-algo';
export const HASH_ALGORITHMS = ['sha1', 'sha256', 'sha512'] as const;
export type HashAlgorithm = (typeof HASH_ALGORITHMS)[number];

const HEX_LENGTH: Record<HashAlgorithm, number> = { sha1: 40, sha256: 64, sha512: 128 };
const HEX = /^[0-9a-fA-F]+$/;

export type HeaderValue = string | ReadonlyArray<string> | undefined;
export type Headers = Readonly<Record<string, HeaderValue>>;

/**
 * A header's value whatever the case of its name; the first value when repeated. When an object
 * holds the name in several casings (only hand-made ones can), the lowercase one wins.
 */
export function headerValue(headers: Headers, name: string): string | undefined {
  const wanted = name.toLowerCase();
  // node:http and API Gateway (payload 2.0) both give lowercase names: look that up before scanning.
  const direct = headers[wanted];
  if (typeof direct === 'string') return direct;
  if (Array.isArray(direct)) return (direct as ReadonlyArray<string>)[0];
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() !== wanted) continue;
    const value = headers[key];
    if (typeof value === 'string') return value;
    if (Array.isArray(value)) return (value as ReadonlyArray<string>)[0];
  }
  return undefined;
}

/** `sha1` when the header is absent; `undefined` for any value Kaltura never sends. */
export function hashAlgorithmOf(headers: Headers): HashAlgorithm | undefined {
  const raw = headerValue(headers, HASH_ALGO_HEADER);
  if (raw === undefined) return 'sha1';
  const algo = raw.trim().toLowerCase();
  return (HASH_ALGORITHMS as ReadonlyArray<string>).includes(algo) ? (algo as HashAlgorithm) : undefined;
}

/** What Kaltura sends: hex(hash(secret + body)). Used by tests, the CLI and the simulator alike. */
export function signNotification(secret: string, body: Uint8Array | string, algo: HashAlgorithm = 'sha1'): string {
  return createHash(algo).update(secret, 'utf8').update(body).digest('hex');
}

/**
 * `hash(secret)` per (algorithm, secret), copied for each request: `copy()` then `update(body)` skips
 * making a Hash and hashing the secret again (~20 % of a 3 KB verification). Bounded: secrets change
 * only on rotation.
 */
const seeded = new Map<string, Hash>();
function seededHash(algo: HashAlgorithm, secret: string): Hash {
  const key = `${algo}\u0000${secret}`;
  let hash = seeded.get(key);
  if (!hash) {
    if (seeded.size >= 32) seeded.clear();
    hash = createHash(algo).update(secret, 'utf8');
    seeded.set(key, hash);
  }
  return hash.copy();
}

export type SignatureCheck =
  | { readonly ok: true; readonly algo: HashAlgorithm; /** Index of the secret that matched (0 = current). */ readonly secretIndex: number }
  | { readonly ok: false; readonly reason: 'missing-signature' | 'unknown-algorithm' | 'malformed-signature' | 'mismatch' | 'no-secrets' };

/**
 * Checks the signature of `body` against every secret. Every secret is hashed and compared even
 * after a match, so the time taken does not tell which secret (or whether any) matched.
 */
export function verifySignature(headers: Headers, body: Uint8Array, secrets: ReadonlyArray<string>): SignatureCheck {
  if (secrets.length === 0) return { ok: false, reason: 'no-secrets' };
  const algo = hashAlgorithmOf(headers);
  if (!algo) return { ok: false, reason: 'unknown-algorithm' };
  const given = headerValue(headers, SIGNATURE_HEADER)?.trim();
  if (!given) return { ok: false, reason: 'missing-signature' };
  // Kaltura sends lowercase hex; accept uppercase too (hex is case-insensitive) but nothing else. The
  // regex is needed: Buffer.from(…, 'hex') reads only the low byte of each character, so 'İ' (U+0130) decodes as '0'.
  if (given.length !== HEX_LENGTH[algo] || !HEX.test(given)) return { ok: false, reason: 'malformed-signature' };
  const givenBytes = Buffer.from(given, 'hex');
  let matched = -1;
  for (let i = 0; i < secrets.length; i++) {
    const expected = seededHash(algo, secrets[i]!).update(body).digest();
    if (timingSafeEqual(expected, givenBytes) && matched < 0) matched = i;
  }
  return matched >= 0 ? { ok: true, algo, secretIndex: matched } : { ok: false, reason: 'mismatch' };
}
