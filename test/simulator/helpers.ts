/** Plain-HTTP helpers for the simulator tests (no project client: these tests pin the wire format). */
import type { Simulator } from '../../simulator/index.js';

export type Form = Record<string, unknown>;

/** PHP bracket notation: {a: {b: 1}} -> a[b]=1. */
export function formEncode(params: Form): string {
  const pairs: string[] = [];
  const walk = (prefix: string, value: unknown): void => {
    if (value === undefined) return;
    if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) walk(prefix === '' ? k : `${prefix}[${k}]`, v);
      return;
    }
    pairs.push(`${encodeURIComponent(prefix)}=${encodeURIComponent(String(value ?? ''))}`);
  };
  walk('', params);
  return pairs.join('&');
}

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: () => unknown;
}

async function reply(response: Response): Promise<Reply> {
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) as unknown };
}

/** Form-encoded POST to `${serviceUrl}/service/<service>/action/<action>` (format=1 added unless given). */
export async function callForm(sim: Simulator, service: string, action: string, params: Form = {}): Promise<Reply> {
  const body = formEncode({ format: 1, ...params });
  const response = await fetch(`${sim.serviceUrl}/service/${service}/action/${action}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body,
  });
  return reply(response);
}

/** JSON POST exactly like the official client (Content-Type exactly application/json). */
export async function callJson(sim: Simulator, path: string, body: Record<string, unknown>, contentType = 'application/json'): Promise<Reply> {
  const response = await fetch(`${sim.serviceUrl}${path}`, { method: 'POST', headers: { 'Content-Type': contentType, Accept: 'application/json' }, body: JSON.stringify(body) });
  return reply(response);
}

export async function rawPost(url: string, body: string, contentType: string, headers: Record<string, string> = {}): Promise<Reply> {
  return reply(await fetch(url, { method: 'POST', headers: { 'Content-Type': contentType, ...headers }, body }));
}

export async function adminKs(sim: Simulator, extra: Form = {}): Promise<string> {
  const r = await callForm(sim, 'session', 'start', { secret: sim.adminSecret, partnerId: sim.partnerId, type: 2, ...extra });
  const ks = r.json();
  if (typeof ks !== 'string') throw new Error(`session.start failed: ${r.text}`);
  return ks;
}

/** A June 2025 week, as unix seconds. */
export const WEEK = { fromDate: 1748736000, toDate: 1749340799 } as const;

export function reportParams(ks: string, extra: Form = {}, filter: Form = {}): Form {
  return { ks, reportType: 1, reportInputFilter: { objectType: 'KalturaEndUserReportInputFilter', ...WEEK, ...filter }, ...extra };
}

/** Table `data` into rows of cells (trailing `;` per row). */
export function rowsOf(data: string, delimiter: string): string[][] {
  return data
    .split(';')
    .filter((r) => r !== '')
    .map((r) => r.split(delimiter));
}
