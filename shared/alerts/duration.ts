/** Configuration durations (`90s`, `10m`, `1h`, `2d`) in milliseconds. */
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export function parseDurationMs(value: string | undefined, fallback: string): number {
  const text = value ?? fallback;
  const match = /^(\d+)(s|m|h|d)$/.exec(text);
  if (!match) throw new Error(`Invalid duration "${text}" (expected e.g. 90s, 10m, 1h, 2d)`);
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}
