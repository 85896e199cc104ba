/**
 * API v3 request bodies as `application/x-www-form-urlencoded` with PHP bracket notation
 * (WIRE_FACTS §0.1): `filter[objectType]=KalturaBeaconFilter`, `objects[0][id]=…`.
 *
 * - `undefined` is dropped; `null` becomes `field__null=` (Kaltura's way to null a property).
 * - Booleans become `1`/`0`: PHP's `(bool)"0"` is false, and the deserializer also accepts
 *   `true`/`false`, but `1`/`0` is the one form every PHP path reads the same way.
 * - Empty arrays are dropped (PHP cannot express them in a form body).
 * - A multirequest prefixes each item's keys with `<n>:` (1-based), e.g. `1:reportInputFilter[fromDate]=…`.
 */
export type FormValue = string | number | boolean | null | undefined | FormValue[] | { readonly [key: string]: FormValue } | ReadonlyArray<FormValue>;

export function flattenParams(params: Readonly<Record<string, unknown>>, prefix = ''): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(params)) {
    const name = prefix ? `${prefix}[${key}]` : key;
    appendValue(out, name, value, prefix ? `${prefix}[${key}__null]` : `${key}__null`);
  }
  return out;
}

function appendValue(out: Array<[string, string]>, name: string, value: unknown, nullName: string): void {
  if (value === undefined) return;
  if (value === null) {
    out.push([nullName, '']);
    return;
  }
  if (typeof value === 'boolean') {
    out.push([name, value ? '1' : '0']);
    return;
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`Parameter ${name} is not a finite number`);
    out.push([name, String(value)]);
    return;
  }
  if (typeof value === 'bigint') {
    out.push([name, value.toString()]);
    return;
  }
  if (typeof value === 'string') {
    out.push([name, value]);
    return;
  }
  if (value instanceof Date) {
    out.push([name, String(Math.floor(value.getTime() / 1000))]);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, index) => appendValue(out, `${name}[${index}]`, item, `${name}[${index}]__null`));
    return;
  }
  if (typeof value === 'object') {
    out.push(...flattenParams(value as Record<string, unknown>, name));
    return;
  }
  throw new TypeError(`Parameter ${name} has an unsupported type ${typeof value}`);
}

/** `application/x-www-form-urlencoded` (spaces as `+`, brackets percent-encoded, as browsers and PHP expect). */
export function encodeForm(pairs: ReadonlyArray<readonly [string, string]>): string {
  return new URLSearchParams(pairs as Array<[string, string]>).toString();
}

/** The body of a single action call. `format=1` (JSON answers) is always added. */
export function encodeCall(params: Readonly<Record<string, unknown>>): string {
  return encodeForm([...flattenParams(params), ['format', '1']]);
}

/** The body of a multirequest: items numbered from 1 (`1:service=report`), common `ks` and `format=1` at the top level. */
export function encodeMultirequest(
  items: ReadonlyArray<{ service: string; action: string; params?: Readonly<Record<string, unknown>> }>,
  common: Readonly<Record<string, unknown>>,
): string {
  const pairs: Array<[string, string]> = [];
  items.forEach((item, i) => {
    const n = i + 1;
    pairs.push([`${n}:service`, item.service], [`${n}:action`, item.action]);
    for (const [key, value] of flattenParams(item.params ?? {})) pairs.push([`${n}:${key}`, value]);
  });
  pairs.push(...flattenParams(common), ['format', '1']);
  return encodeForm(pairs);
}
