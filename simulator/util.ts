/** Small deterministic helpers: hashing, PRNG, PHP-compatible encodings. */

/** FNV-1a 32-bit hash of a string (deterministic across runs and machines). */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Mixes two 32-bit integers into a well-spread 32-bit integer (murmur3 finaliser). */
export function mix(a: number, b: number): number {
  let h = (a ^ Math.imul(b + 0x9e3779b9, 0x85ebca6b)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A float in [0, 1) from a seed and a salt. */
export function unit(seed: number, salt: number): number {
  return mix(seed, salt) / 4294967296;
}

/** An integer in [min, max] from a seed and a salt. */
export function intIn(seed: number, salt: number, min: number, max: number): number {
  return min + Math.floor(unit(seed, salt) * (max - min + 1));
}

/** PHP `json_encode` with default flags: `/` escaped as `\/`, non-ASCII as `\uXXXX`. */
export function phpJson(value: unknown): string {
  const text = JSON.stringify(value) ?? 'null';
  return text.replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0')).replace(/\//g, '\\/');
}

/** PHP `urlencode`: space -> '+', everything but [A-Za-z0-9_.-] percent-encoded. */
export function phpUrlencode(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()*~]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())
    .replace(/%20/g, '+');
}

export function phpUrldecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text.replace(/\+/g, ' ');
  }
}

/** Scalar parameter value as a string (form values are strings, JSON values may be numbers/bools). */
export function str(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'boolean') return value ? '1' : '0';
  return undefined;
}

export function int(value: unknown): number | undefined {
  const s = str(value);
  if (s === undefined || s.trim() === '') return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? Math.trunc(n) : undefined;
}

export function bool(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  const s = str(value);
  if (s === undefined || s === '') return undefined;
  return s === '1' || s.toLowerCase() === 'true';
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** PHP `date('l, F j, Y', t)` in UTC, e.g. "Sunday, June 1, 2025". */
export function phpLongDate(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  return `${DAYS[d.getUTCDay()]}, ${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()}`;
}

const SHORT_DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
/** `Y-m-D-H` with H the half-day bucket (00 or 12), e.g. "2025-06-Mon-12". */
export function csvFileBucket(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}-${SHORT_DAYS[d.getUTCDay()]}-${d.getUTCHours() < 12 ? '00' : '12'}`;
}
