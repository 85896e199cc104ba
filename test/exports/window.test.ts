/**
 * Reporting windows (shared/jobs/window.ts) across daylight-saving changes and year ends, in three
 * timezones (two northern, one southern hemisphere). Expected instants are written out in UTC.
 */
import { describe, expect, it } from 'vitest';
import { computeWindow, kalturaTimeZoneOffset, previousWindow } from '../../shared/jobs/window.js';

const iso = (unix: number) => new Date(unix * 1000).toISOString().replace('.000', '');
const span = (w: { from: number; to: number }) => [iso(w.from), iso(w.to)];
const hours = (w: { from: number; to: number }) => (w.to - w.from) / 3600;

describe('previous-week across daylight-saving changes', () => {
  it('New York, spring forward (8 March 2026): Monday to Monday local, 167 hours', () => {
    const w = computeWindow('previous-week', new Date('2026-03-09T10:00:00Z'), 'America/New_York'); // Mon 06:00 EDT
    expect(span(w)).toEqual(['2026-03-02T05:00:00Z', '2026-03-09T04:00:00Z']);
    expect(hours(w)).toBe(167);
    expect(w.label).toBe('2026-03-02_2026-03-09');
  });

  it('New York, fall back (1 November 2026): 169 hours', () => {
    const w = computeWindow('previous-week', new Date('2026-11-02T11:00:00Z'), 'America/New_York'); // Mon 06:00 EST
    expect(span(w)).toEqual(['2026-10-26T04:00:00Z', '2026-11-02T05:00:00Z']);
    expect(hours(w)).toBe(169);
  });

  it('London, BST starts (29 March 2026): 167 hours', () => {
    const w = computeWindow('previous-week', new Date('2026-03-30T05:00:00Z'), 'Europe/London'); // Mon 06:00 BST
    expect(span(w)).toEqual(['2026-03-23T00:00:00Z', '2026-03-29T23:00:00Z']);
    expect(w.label).toBe('2026-03-23_2026-03-30');
  });

  it('London, BST ends (25 October 2026): 169 hours', () => {
    const w = computeWindow('previous-week', new Date('2026-10-26T06:00:00Z'), 'Europe/London'); // Mon 06:00 GMT
    expect(span(w)).toEqual(['2026-10-18T23:00:00Z', '2026-10-26T00:00:00Z']);
    expect(hours(w)).toBe(169);
  });

  it('Sydney, daylight saving ends (5 April 2026, southern autumn): 169 hours', () => {
    const w = computeWindow('previous-week', new Date('2026-04-05T20:00:00Z'), 'Australia/Sydney'); // Mon 6 Apr 06:00 AEST
    expect(span(w)).toEqual(['2026-03-29T13:00:00Z', '2026-04-05T14:00:00Z']);
    expect(hours(w)).toBe(169);
    expect(w.label).toBe('2026-03-30_2026-04-06');
  });

  it('Sydney, daylight saving starts (4 October 2026, southern spring): 167 hours', () => {
    const w = computeWindow('previous-week', new Date('2026-10-04T19:00:00Z'), 'Australia/Sydney'); // Mon 5 Oct 06:00 AEDT
    expect(span(w)).toEqual(['2026-09-27T14:00:00Z', '2026-10-04T13:00:00Z']);
    expect(hours(w)).toBe(167);
  });

  it('is the same week whenever during the Monday it is computed (deterministic keys)', () => {
    const early = computeWindow('previous-week', new Date('2026-03-09T04:00:00Z'), 'America/New_York'); // Mon 00:00 EDT
    const late = computeWindow('previous-week', new Date('2026-03-10T03:59:00Z'), 'America/New_York'); // Mon 23:59 EDT
    expect(late).toEqual(early);
  });
});

describe('windows across a year boundary', () => {
  it('previous-week on Monday 4 January 2027 covers 28 December 2026 to 4 January 2027', () => {
    const w = computeWindow('previous-week', new Date('2027-01-04T11:00:00Z'), 'America/New_York');
    expect(span(w)).toEqual(['2026-12-28T05:00:00Z', '2027-01-04T05:00:00Z']);
    expect(w.label).toBe('2026-12-28_2027-01-04');
  });

  it('previous-week on Friday 1 January 2027 is the ISO week 21-28 December', () => {
    const w = computeWindow('previous-week', new Date('2027-01-01T12:00:00Z'), 'Europe/London');
    expect(w.label).toBe('2026-12-21_2026-12-28');
  });

  it('previous-month in January is December of the previous year', () => {
    const w = computeWindow('previous-month', new Date('2027-01-15T12:00:00Z'), 'Europe/London');
    expect(span(w)).toEqual(['2026-12-01T00:00:00Z', '2027-01-01T00:00:00Z']);
  });

  it('previous-day just after midnight on 1 January in Sydney is 31 December local', () => {
    const w = computeWindow('previous-day', new Date('2026-12-31T13:30:00Z'), 'Australia/Sydney'); // 1 Jan 00:30 AEDT
    expect(span(w)).toEqual(['2026-12-30T13:00:00Z', '2026-12-31T13:00:00Z']);
    expect(w.label).toBe('2026-12-31_2027-01-01');
  });

  it('lastDays crossing the year end stays whole local days', () => {
    const w = computeWindow({ lastDays: 7 }, new Date('2027-01-03T15:00:00Z'), 'America/New_York');
    expect(span(w)).toEqual(['2026-12-27T05:00:00Z', '2027-01-03T05:00:00Z']);
  });
});

describe('hourly and day windows on the change days themselves', () => {
  it('lastHours counts elapsed hours across spring forward (wall clock shows 4 hours)', () => {
    const w = computeWindow({ lastHours: 3 }, new Date('2026-03-08T08:30:00Z'), 'America/New_York'); // 04:30 EDT
    expect(span(w)).toEqual(['2026-03-08T05:00:00Z', '2026-03-08T08:00:00Z']);
    expect(w.label).toBe('2026-03-08T0000_2026-03-08T0400');
  });

  it('previous-day of a fall-back day is 25 hours long', () => {
    const w = computeWindow('previous-day', new Date('2026-11-02T12:00:00Z'), 'America/New_York');
    expect(span(w)).toEqual(['2026-11-01T04:00:00Z', '2026-11-02T05:00:00Z']);
    expect(hours(w)).toBe(25);
  });

  it('a day whose midnight does not exist (Santiago, DST starts at 00:00) starts at 01:00', () => {
    const w = computeWindow('previous-day', new Date('2026-09-07T15:00:00Z'), 'America/Santiago');
    expect(span(w)).toEqual(['2026-09-06T04:00:00Z', '2026-09-07T03:00:00Z']);
    expect(hours(w)).toBe(23);
  });

  it('previousWindow is the same length immediately before', () => {
    const w = computeWindow('previous-week', new Date('2026-11-02T11:00:00Z'), 'America/New_York');
    const p = previousWindow(w);
    expect(p.to).toBe(w.from);
    expect(p.to - p.from).toBe(w.to - w.from);
  });
});

describe('Kaltura timeZoneOffset (minutes, UTC minus local)', () => {
  it('follows the offset at the start of the window', () => {
    expect(kalturaTimeZoneOffset(computeWindow('previous-week', new Date('2026-01-12T12:00:00Z'), 'America/New_York'))).toBe(300);
    expect(kalturaTimeZoneOffset(computeWindow('previous-week', new Date('2026-07-13T12:00:00Z'), 'America/New_York'))).toBe(240);
    expect(kalturaTimeZoneOffset(computeWindow('previous-week', new Date('2026-07-13T12:00:00Z'), 'Europe/London'))).toBe(-60);
    expect(kalturaTimeZoneOffset(computeWindow('previous-week', new Date('2026-01-12T12:00:00Z'), 'Australia/Sydney'))).toBe(-660);
    expect(kalturaTimeZoneOffset(computeWindow('previous-week', new Date('2026-01-12T12:00:00Z'), 'UTC'))).toBe(0);
  });

  it('travels in the job window, and a job from before the field is computed the same', () => {
    // Prepare: a window whose start is in winter time and end in summer time (New York, March 2026)
    const w = computeWindow({ lastDays: 14 }, new Date('2026-03-15T12:00:00Z'), 'America/New_York');
    const { timeZoneOffset, ...older } = w;
    // Act + Assess: the worker reads the carried value; an older job's window gives the same
    expect(timeZoneOffset).toBe(300);
    expect(kalturaTimeZoneOffset(older)).toBe(300);
    expect(kalturaTimeZoneOffset({ ...w, timeZoneOffset: 240 })).toBe(240);
    expect(previousWindow(w).timeZoneOffset ?? kalturaTimeZoneOffset(previousWindow(w))).toBe(300);
  });
});
