/**
 * KS v2 exactly as `kSessionBase` builds it (WIRE_FACTS §5.1):
 * base64url("v2|" + pid + "|" + AES-128-CBC(sha1(secret)[0..16], IV 0, zero padding)(sha1(R+F) + R + F)).
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { phpUrldecode, phpUrlencode } from './util.js';

export interface KsInfo {
  readonly partnerId: number;
  /** Absolute unix seconds. */
  readonly validUntil: number;
  /** 0 USER, 2 ADMIN. */
  readonly type: number;
  readonly userId: string;
  /** Privilege name -> value ('' when the privilege has no value). */
  readonly privileges: Readonly<Record<string, string>>;
}

export interface KsFields {
  readonly partnerId: number;
  readonly type: number;
  readonly userId?: string;
  readonly validUntil: number;
  /** Comma list as Kaltura takes it: `name:value`, `name`, `*`. */
  readonly privileges?: string;
}

function keyOf(secret: string): Buffer {
  return createHash('sha1').update(secret, 'utf8').digest().subarray(0, 16);
}

/** PHP `http_build_query` of the KS fields (privileges first, then _e, _t, _u). */
function buildFields(fields: KsFields): string {
  const pairs: Array<[string, string]> = [];
  for (const raw of (fields.privileges ?? '').split(',')) {
    const p = raw.trim();
    if (p === '') continue;
    if (p === '*') {
      pairs.push(['all', '*']);
      continue;
    }
    const colon = p.indexOf(':');
    pairs.push(colon < 0 ? [p, ''] : [p.slice(0, colon), p.slice(colon + 1)]);
  }
  pairs.push(['_e', String(fields.validUntil)], ['_t', String(fields.type)], ['_u', fields.userId ?? '']);
  return pairs.map(([k, v]) => `${phpUrlencode(k)}=${phpUrlencode(v)}`).join('&');
}

export function createKs(adminSecret: string, fields: KsFields): string {
  const random = randomBytes(16);
  const f = Buffer.from(buildFields(fields), 'utf8');
  const hash = createHash('sha1').update(random).update(f).digest();
  let plain = Buffer.concat([hash, random, f]);
  const pad = (16 - (plain.length % 16)) % 16;
  if (pad > 0) plain = Buffer.concat([plain, Buffer.alloc(pad)]);
  const cipher = createCipheriv('aes-128-cbc', keyOf(adminSecret), Buffer.alloc(16));
  cipher.setAutoPadding(false);
  const encrypted = Buffer.concat([cipher.update(plain), cipher.final()]);
  const whole = Buffer.concat([Buffer.from(`v2|${fields.partnerId}|`, 'latin1'), encrypted]);
  return whole.toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

/** Partner id readable without the secret; undefined when the string is not a KS v2. */
export function ksPartnerId(ks: string): number | undefined {
  const buf = Buffer.from(ks.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (buf.subarray(0, 3).toString('latin1') !== 'v2|') return undefined;
  const end = buf.indexOf(0x7c, 3);
  if (end < 0) return undefined;
  const pid = Number(buf.subarray(3, end).toString('latin1'));
  return Number.isInteger(pid) ? pid : undefined;
}

/** Decrypts and checks a KS; undefined when it is not a valid KS for this secret (does not check expiry). */
export function parseKs(ks: string, adminSecret: string): KsInfo | undefined {
  if (!/^[A-Za-z0-9_\-+/=]+$/.test(ks)) return undefined;
  const buf = Buffer.from(ks.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (buf.subarray(0, 3).toString('latin1') !== 'v2|') return undefined;
  const end = buf.indexOf(0x7c, 3);
  if (end < 0) return undefined;
  const partnerId = Number(buf.subarray(3, end).toString('latin1'));
  const encrypted = buf.subarray(end + 1);
  if (!Number.isInteger(partnerId) || encrypted.length === 0 || encrypted.length % 16 !== 0) return undefined;
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-128-cbc', keyOf(adminSecret), Buffer.alloc(16));
    decipher.setAutoPadding(false);
    plain = Buffer.concat([decipher.update(encrypted), decipher.final()]);
  } catch {
    return undefined;
  }
  let len = plain.length;
  while (len > 0 && plain[len - 1] === 0) len--;
  plain = plain.subarray(0, len);
  if (plain.length < 36) return undefined;
  const rest = plain.subarray(20);
  if (!createHash('sha1').update(rest).digest().equals(plain.subarray(0, 20))) return undefined;
  const query = rest.subarray(16).toString('utf8');
  const privileges: Record<string, string> = {};
  let validUntil = 0;
  let type = 0;
  let userId = '';
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const k = phpUrldecode(eq < 0 ? pair : pair.slice(0, eq));
    const v = eq < 0 ? '' : phpUrldecode(pair.slice(eq + 1));
    if (k === '_e') validUntil = Number(v);
    else if (k === '_t') type = Number(v);
    else if (k === '_u') userId = v;
    else if (k === '_m' || k === '_d') continue;
    else privileges[k] = v;
  }
  return { partnerId, validUntil, type, userId, privileges };
}

/** Privileges back to Kaltura's comma-list form. */
export function privilegesString(privileges: Readonly<Record<string, string>>): string {
  return Object.entries(privileges)
    .map(([k, v]) => (k === 'all' && v === '*' ? '*' : v === '' ? k : `${k}:${v}`))
    .join(',');
}
