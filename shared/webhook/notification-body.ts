/**
 * Turns the bytes Kaltura POSTs into a plain value for the notification schema (WIRE_FACTS §6.2):
 * - raw JSON (every template created or cloned since 2016) — PHP `json_encode` output, so `\/` and
 *   `\uXXXX` escapes, which `JSON.parse` handles;
 * - legacy `data=<urlencode(JSON)>` (labelled `application/json` all the same; PHP `urlencode`, so
 *   `+` is a space);
 * - XML `data=<notification>…</notification>` (format 2, not URL-encoded): the element tree becomes
 *   objects, `<item>` lists become arrays, empty elements (nulls) are dropped.
 * The content type is not trusted: the body's own shape decides.
 */
import { isUtf8 } from 'node:buffer';

export type BodyFormat = 'json' | 'legacy-form' | 'xml';
export type ParsedBody =
  /** `text`: the whole body decoded (byte-exact: the BOM, if any, is kept). */
  | { readonly ok: true; readonly format: BodyFormat; readonly value: unknown; readonly text: string }
  | { readonly ok: false; readonly reason: string };

export function parseNotificationBody(body: Uint8Array): ParsedBody {
  // isUtf8 + toString: both native and fast; TextDecoder({fatal}) was ~3x slower on 3 KB bodies.
  if (!isUtf8(body)) return { ok: false, reason: 'the body is not UTF-8 text' };
  const whole = (Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength)).toString('utf8');
  const parsed = parseText(whole.trim());
  return parsed.ok ? { ok: true, format: parsed.format, value: parsed.value, text: whole } : parsed;
}

type Parsed = { readonly ok: true; readonly format: BodyFormat; readonly value: unknown } | { readonly ok: false; readonly reason: string };

function parseText(text: string): Parsed {
  if (text === '') return { ok: false, reason: 'the body is empty (configure the notification template with a JSON object payload)' };
  if (text.startsWith('{')) return parseJson(text, 'json');
  if (text.startsWith('<')) return parseXml(text);
  if (text.startsWith('data=')) {
    const rest = text.slice(5);
    if (rest.startsWith('<')) return parseXml(rest);
    // URL-encoded: a raw `&` separates further parameters (the JSON's own `&` are encoded as %26).
    const data = rest.split('&', 1)[0]!;
    let decoded: string;
    try {
      decoded = decodeURIComponent(data.replace(/\+/g, ' '));
    } catch {
      return { ok: false, reason: 'the data= parameter is not valid URL encoding' };
    }
    decoded = decoded.trim();
    if (decoded.startsWith('<')) return parseXml(decoded);
    if (decoded === '') return { ok: false, reason: 'the data= parameter is empty (the notification template has no payload format)' };
    return parseJson(decoded, 'legacy-form');
  }
  return { ok: false, reason: 'the body is neither JSON, data=<url-encoded JSON> nor data=<notification> XML' };
}

function parseJson(text: string, format: BodyFormat): Parsed {
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, reason: 'the JSON body is not an object' };
    return { ok: true, format, value };
  } catch {
    // JSON.parse's message quotes the input: never echo it.
    return { ok: false, reason: 'the body is not valid JSON (truncated?)' };
  }
}

// ---------------------------------------------------------------------------------------------
// A deliberately small XML reader for what KalturaXmlSerializer writes: elements and text, no
// attributes that matter, entities and CDATA decoded. Anything else is rejected, not guessed.
// ---------------------------------------------------------------------------------------------

class XmlError extends Error {}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-zA-Z]+);/g, (whole, name: string) => {
    if (name.startsWith('#x')) return safeCodePoint(parseInt(name.slice(2), 16), whole);
    if (name.startsWith('#')) return safeCodePoint(parseInt(name.slice(1), 10), whole);
    return ENTITIES[name] ?? whole;
  });
}

function safeCodePoint(n: number, fallback: string): string {
  return Number.isFinite(n) && n >= 0 && n <= 0x10ffff ? String.fromCodePoint(n) : fallback;
}

type XmlNode = { name: string; children: XmlNode[]; text: string };

const MAX_DEPTH = 32;

function parseXmlTree(text: string): XmlNode {
  let i = 0;
  const skipMisc = () => {
    for (;;) {
      while (i < text.length && /\s/.test(text[i]!)) i++;
      if (text.startsWith('<?', i)) {
        const end = text.indexOf('?>', i);
        if (end < 0) throw new XmlError('unterminated declaration');
        i = end + 2;
      } else if (text.startsWith('<!--', i)) {
        const end = text.indexOf('-->', i);
        if (end < 0) throw new XmlError('unterminated comment');
        i = end + 3;
      } else return;
    }
  };
  const readElement = (depth: number): XmlNode => {
    if (depth > MAX_DEPTH) throw new XmlError('nested too deeply');
    if (text[i] !== '<') throw new XmlError('expected an element');
    const close = text.indexOf('>', i);
    if (close < 0) throw new XmlError('unterminated tag');
    let tag = text.slice(i + 1, close);
    i = close + 1;
    const selfClosing = tag.endsWith('/');
    if (selfClosing) tag = tag.slice(0, -1);
    const name = tag.trim().split(/\s/, 1)[0]!;
    if (!/^[A-Za-z_][\w.-]*$/.test(name)) throw new XmlError('bad element name');
    const node: XmlNode = { name, children: [], text: '' };
    if (selfClosing) return node;
    for (;;) {
      if (i >= text.length) throw new XmlError('unterminated element');
      if (text.startsWith('</', i)) {
        const end = text.indexOf('>', i);
        if (end < 0 || text.slice(i + 2, end).trim() !== name) throw new XmlError('mismatched closing tag');
        i = end + 1;
        return node;
      }
      if (text.startsWith('<![CDATA[', i)) {
        const end = text.indexOf(']]>', i);
        if (end < 0) throw new XmlError('unterminated CDATA');
        node.text += text.slice(i + 9, end);
        i = end + 3;
      } else if (text.startsWith('<!--', i)) {
        const end = text.indexOf('-->', i);
        if (end < 0) throw new XmlError('unterminated comment');
        i = end + 3;
      } else if (text[i] === '<') {
        node.children.push(readElement(depth + 1));
      } else {
        const next = text.indexOf('<', i);
        const end = next < 0 ? text.length : next;
        node.text += decodeEntities(text.slice(i, end));
        i = end;
      }
    }
  };
  skipMisc();
  const root = readElement(0);
  skipMisc();
  if (i !== text.length) throw new XmlError('content after the root element');
  return root;
}

function toValue(node: XmlNode): unknown {
  if (node.children.length === 0) return node.text;
  if (node.children.every((c) => c.name === 'item')) return node.children.map(toValue);
  const out: Record<string, unknown> = {};
  for (const child of node.children) {
    const value = toValue(child);
    if (value === '') continue; // a null property serialised as an empty element
    out[child.name] = value;
  }
  return out;
}

function parseXml(text: string): Parsed {
  try {
    const root = parseXmlTree(text);
    // `<notification>…</notification>`, possibly wrapped as an API response `<xml><result>…`.
    let node = root;
    if (node.name === 'xml') node = node.children.find((c) => c.name === 'result') ?? node;
    const value = toValue(node);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, reason: 'the XML body has no notification fields' };
    return { ok: true, format: 'xml', value };
  } catch {
    return { ok: false, reason: 'the body is not well-formed notification XML (truncated?)' };
  }
}
