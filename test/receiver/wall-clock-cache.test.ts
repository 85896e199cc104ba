/**
 * The receiver made `wallClockAt` (shared/jobs/window.ts) cache UTC offsets per 15-minute bucket
 * (it was most of the CPU per notification), and `computeWindow` caches windows per 15-minute bucket.
 * Both must give what they gave before, at every instant.
 */
import { describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { computeWindow, wallClockAt } from '../../shared/jobs/window.js';
import type { WindowSpec } from '../../shared/config/schema.js';

const ZONES = ['UTC', 'America/New_York', 'Europe/London', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'America/St_Johns', 'Pacific/Chatham', 'Asia/Jerusalem', 'America/Santiago'];

function fromIntl(ms: number, timeZone: string) {
  const f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
  const parts: Record<string, number> = {};
  for (const p of f.formatToParts(new Date(ms))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return { year: parts.year, month: parts.month, day: parts.day, hour: parts.hour! % 24, minute: parts.minute, second: parts.second };
}

describe('wallClockAt with cached offsets', () => {
  it('agrees with Intl for any instant 1990-2060 in zones with odd offsets and DST rules', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2060, 0, 1) }), fc.constantFrom(...ZONES), (ms, zone) => {
        expect(wallClockAt(ms, zone)).toEqual(fromIntl(ms, zone));
      }),
      { numRuns: 3000 },
    );
  });

  it('agrees with Intl on every minute around DST transitions', () => {
    // 2026-03-08 07:00Z (New York spring forward), 2026-11-01 06:00Z (fall back), 2026-04-05 Lord Howe (30 min).
    for (const [zone, at] of [['America/New_York', Date.UTC(2026, 2, 8, 7)], ['America/New_York', Date.UTC(2026, 10, 1, 6)], ['Australia/Lord_Howe', Date.UTC(2026, 3, 4, 15)]] as const) {
      for (let m = -90; m <= 90; m++) expect(wallClockAt(at + m * 60_000 + 59_999, zone)).toEqual(fromIntl(at + m * 60_000 + 59_999, zone));
    }
  });
});

describe('computeWindow with its 15-minute cache', () => {
  it('gives for any instant what a fresh computation gives, whichever instant of its bucket came first', async () => {
    const fresh = async () => {
      vi.resetModules();
      return (await import('../../shared/jobs/window.js')).computeWindow;
    };
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: Date.UTC(2000, 0, 1) / 900_000, max: Date.UTC(2050, 0, 1) / 900_000 }),
        fc.integer({ min: 0, max: 899_999 }),
        fc.integer({ min: -3 * 3600_000, max: 3 * 3600_000 }),
        fc.constantFrom(...ZONES),
        fc.constantFrom<WindowSpec>({ lastDays: 1, includeCurrent: true }, { lastDays: 7 }, { lastHours: 1, includeCurrent: true }, { lastHours: 6 }, 'previous-day', 'previous-week', 'previous-month', 'week-to-date'),
        async (bucket, first, second, zone, spec) => {
          // b: the same bucket as a, or a nearby one (across local hour and day boundaries).
          const a = new Date(bucket * 900_000 + first);
          const b = new Date(second % 2 === 0 ? bucket * 900_000 + (Math.abs(second) % 900_000) : a.getTime() + second);
          const cached = await fresh();
          cached(spec, a, zone);
          const uncached = await fresh();
          expect(cached(spec, b, zone)).toEqual(uncached(spec, b, zone));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('returns a copy: changing a returned window does not change the next one', () => {
    const at = new Date('2026-11-27T12:00:00Z');
    const w = computeWindow({ lastDays: 7 }, at, 'UTC');
    (w as { from: number }).from = 0;
    expect(computeWindow({ lastDays: 7 }, at, 'UTC').from).not.toBe(0);
  });
});
