/** `90s`, `10m`, `1h`, `2d` (config DurationSchema) in seconds. */
export function durationSeconds(text: string): number {
  const m = /^(\d+)(s|m|h|d)$/.exec(text.trim());
  if (!m) throw new RangeError(`not a duration: ${text}`);
  const n = Number(m[1]);
  return n * { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as 's' | 'm' | 'h' | 'd'];
}
