/** Response serializers: JSON (format=1, PHP json_encode style) and XML (format=2, the default). */
import { SimApiError, serializeError } from './errors.js';
import { isRecord, phpJson } from './util.js';

export function toWire(value: unknown): unknown {
  if (value instanceof SimApiError) return serializeError(value);
  if (Array.isArray(value)) return value.map(toWire);
  if (isRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== null && v !== undefined) out[k] = toWire(v);
    return out;
  }
  return value;
}

export function jsonBody(value: unknown): string {
  return phpJson(toWire(value));
}

function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function xmlValue(value: unknown): string {
  if (value instanceof SimApiError) {
    const args = Object.entries(value.args)
      .map(([name, v]) => `<item><objectType>KalturaApiExceptionArg</objectType><name>${xmlEscape(name)}</name><value>${xmlEscape(v)}</value></item>`)
      .join('');
    return `<error><objectType>KalturaAPIException</objectType><code>${xmlEscape(value.code)}</code><message>${xmlEscape(value.message)}</message><args>${args}</args></error>`;
  }
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map((v) => `<item>${xmlValue(v)}</item>`).join('');
  if (isRecord(value)) {
    const { objectType, ...rest } = value;
    let out = objectType !== undefined ? `<objectType>${xmlEscape(String(objectType))}</objectType>` : '';
    for (const [k, v] of Object.entries(rest)) if (v !== null && v !== undefined) out += `<${k}>${xmlValue(v)}</${k}>`;
    return out;
  }
  if (typeof value === 'boolean') return value ? '1' : '0';
  return xmlEscape(String(value));
}

export function xmlBody(value: unknown): string {
  return `<?xml version="1.0" encoding="utf-8"?><xml><result>${xmlValue(value)}</result><executionTime>0.001</executionTime></xml>`;
}
