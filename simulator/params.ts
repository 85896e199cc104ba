/**
 * Request parameters as the API v3 front controller builds them (WIRE_FACTS §0.1): form bodies with
 * PHP bracket notation (`a[b]=c`) or the legacy `a:b=c` form, JSON bodies only when Content-Type is
 * exactly `application/json`, URL query and `/key/value` path pairs overriding the body.
 */
import { isRecord, phpUrldecode } from './util.js';

export type Params = Record<string, unknown>;

function keySegments(key: string): string[] {
  const open = key.indexOf('[');
  const head = open < 0 ? key : key.slice(0, open);
  const segments = head.split(':');
  if (open >= 0) {
    for (const match of key.slice(open).matchAll(/\[([^\]]*)\]/g)) segments.push(match[1] ?? '');
  }
  return segments;
}

function setPath(target: Params, segments: string[], value: unknown): void {
  let node: Params = target;
  for (let i = 0; i < segments.length; i++) {
    let seg = segments[i] ?? '';
    if (seg === '') seg = String(Object.keys(node).length);
    if (i === segments.length - 1) {
      node[seg] = value;
      return;
    }
    const next = node[seg];
    if (isRecord(next)) node = next;
    else {
      const created: Params = {};
      node[seg] = created;
      node = created;
    }
  }
}

/** `a=1&b[c]=2&1:service=x` into a nested object (values stay strings). */
export function parseUrlEncoded(text: string): Params {
  const out: Params = {};
  if (text === '') return out;
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = phpUrldecode(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? '' : phpUrldecode(pair.slice(eq + 1));
    if (key === '') continue;
    setPath(out, keySegments(key), value);
  }
  return out;
}

/** Object keys containing ':' (legacy form inside JSON) are expanded too, like the deserializer does. */
function expandColonKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(expandColonKeys);
  if (!isRecord(value)) return value;
  const out: Params = {};
  for (const [k, v] of Object.entries(value)) {
    if (k.includes(':')) setPath(out, k.split(':'), expandColonKeys(v));
    else out[k] = expandColonKeys(v);
  }
  return out;
}

/** `array_replace_recursive(base, override)`. */
export function mergeParams(base: Params, override: Params): Params {
  const out: Params = { ...base };
  for (const [k, v] of Object.entries(override)) {
    const existing = out[k];
    out[k] = isRecord(existing) && isRecord(v) ? mergeParams(existing, v) : v;
  }
  return out;
}

export interface ParsedRequest {
  params: Params;
  /** Body could not be parsed the way the server would (kept for the request log). */
  bodyIgnored: boolean;
}

export function parseRequestParams(options: { contentType: string | undefined; body: Buffer; query: string; pathPairs: Params }): ParsedRequest {
  const contentType = (options.contentType ?? '').toLowerCase();
  let bodyParams: Params = {};
  let bodyIgnored = false;
  const text = options.body.toString('utf8');
  if (contentType === 'application/json') {
    const trimmed = text.trim();
    if (trimmed.startsWith('{') && trimmed.endsWith('}')) {
      try {
        const parsed: unknown = JSON.parse(trimmed);
        if (isRecord(parsed)) bodyParams = expandColonKeys(parsed) as Params;
      } catch {
        bodyIgnored = true;
      }
    } else if (trimmed !== '') bodyIgnored = true;
  } else if (contentType.split(';')[0]?.trim() === 'application/x-www-form-urlencoded') {
    bodyParams = parseUrlEncoded(text);
  } else if (text !== '') {
    // e.g. 'application/json; charset=utf-8': PHP falls back to $_POST, which is empty.
    bodyIgnored = true;
  }
  const queryParams = parseUrlEncoded(options.query);
  return { params: mergeParams(mergeParams(bodyParams, options.pathPairs), queryParams), bodyIgnored };
}
