import { describe, expect, it } from 'vitest';
import { fireTimesBetween, nextFireTime, parseCron, toEventBridgeCron } from '../../shared/schedules/cron.js';
import { validateConfig } from '../../shared/config/load-config.js';
import { ConfigError } from '../../shared/config/config-error.js';

const next = (cron: string, after: string, tz: string) => nextFireTime(cron, new Date(after), tz).toISOString();

describe('cron: next fire time in a timezone', () => {
  it('fires Mondays 06:00 New York time', () => {
    expect(next('0 6 * * 1', '2026-11-20T10:00:00Z', 'America/New_York')).toBe('2026-11-23T11:00:00.000Z');
    expect(next('0 6 * * MON', '2026-07-01T00:00:00Z', 'America/New_York')).toBe('2026-07-06T10:00:00.000Z');
  });

  it('keeps 06:00 local across London and Sydney daylight-saving changes', () => {
    expect(next('0 6 * * 1', '2026-03-24T00:00:00Z', 'Europe/London')).toBe('2026-03-30T05:00:00.000Z');
    expect(next('0 6 * * 1', '2026-03-31T00:00:00Z', 'Europe/London')).toBe('2026-04-06T05:00:00.000Z');
    expect(next('0 6 * * 1', '2026-04-01T00:00:00Z', 'Australia/Sydney')).toBe('2026-04-05T20:00:00.000Z');
    expect(next('0 6 * * 1', '2026-03-25T00:00:00Z', 'Australia/Sydney')).toBe('2026-03-29T19:00:00.000Z');
  });

  it('a time skipped by spring forward fires once, moved forward by the gap', () => {
    expect(next('30 2 * * *', '2026-03-07T12:00:00Z', 'America/New_York')).toBe('2026-03-08T07:30:00.000Z'); // 03:30 EDT
    expect(next('0 2 * * *', '2026-03-07T12:00:00Z', 'America/New_York')).toBe('2026-03-08T07:00:00.000Z'); // 03:00 EDT
    expect(next('30 2 * * *', '2026-03-08T07:30:00Z', 'America/New_York')).toBe('2026-03-09T06:30:00.000Z');
    // Two skipped times that land on the same instant fire once.
    expect(fireTimesBetween('0,30 2-3 * * *', new Date('2026-03-08T06:00:00Z'), new Date('2026-03-08T08:00:00Z'), 'America/New_York').map((d) => d.toISOString())).toEqual([
      '2026-03-08T07:00:00.000Z',
      '2026-03-08T07:30:00.000Z',
    ]);
  });

  it('a time repeated by fall back fires once, at its first occurrence', () => {
    expect(next('30 1 * * *', '2026-10-31T12:00:00Z', 'America/New_York')).toBe('2026-11-01T05:30:00.000Z'); // 01:30 EDT
    expect(next('30 1 * * *', '2026-11-01T05:30:00Z', 'America/New_York')).toBe('2026-11-02T06:30:00.000Z'); // not 01:30 EST the same night
    const times = fireTimesBetween('0 * * * *', new Date('2026-11-01T04:30:00Z'), new Date('2026-11-01T08:00:00Z'), 'America/New_York').map((d) => d.toISOString());
    expect(times).toEqual(['2026-11-01T05:00:00.000Z', '2026-11-01T07:00:00.000Z', '2026-11-01T08:00:00.000Z']);
  });

  it('crosses year ends and finds 29 February', () => {
    expect(next('0 6 * * 1', '2026-12-31T12:00:00Z', 'America/New_York')).toBe('2027-01-04T11:00:00.000Z');
    expect(next('0 0 1 1 *', '2026-06-01T00:00:00Z', 'Australia/Sydney')).toBe('2026-12-31T13:00:00.000Z');
    expect(next('0 0 29 2 *', '2026-01-01T00:00:00Z', 'UTC')).toBe('2028-02-29T00:00:00.000Z');
  });

  it('supports lists, ranges, steps and names', () => {
    const times = fireTimesBetween('*/20 9-10 * JAN-MAR MON-FRI', new Date('2026-01-02T13:59:00Z'), new Date('2026-01-02T16:00:00Z'), 'America/New_York').map((d) => d.toISOString());
    expect(times).toEqual(['2026-01-02T14:00:00.000Z', '2026-01-02T14:20:00.000Z', '2026-01-02T14:40:00.000Z', '2026-01-02T15:00:00.000Z', '2026-01-02T15:20:00.000Z', '2026-01-02T15:40:00.000Z']);
    expect([...parseCron('0 0 * * 7').daysOfWeek]).toEqual([0]);
  });
});

describe('cron: validation', () => {
  it.each([
    ['0 6 * *', /has 4 fields; expected 5/],
    ['61 6 * * 1', /minute 61 is out of range 0-59/],
    ['0 24 * * 1', /hour 24 is out of range/],
    ['0 6 * * FUNDAY', /day-of-week "FUNDAY" is not a number or a name/],
    ['0 6 1 * 1', /restricts both day-of-month and day-of-week/],
    ['0 6 31 2 *', /never fires/],
    ['0 6 * * 5-1', /goes backwards/],
    ['*/0 * * * *', /step "0"/],
  ])('%s is refused with the reason', (cron, reason) => {
    expect(() => parseCron(cron)).toThrow(reason);
  });

  it('a bad cron in the configuration names schedules[i].cron', () => {
    // Prepare
    const raw = {
      version: 1,
      schedules: [
        { name: 'ok', cron: '0 6 * * 1', timezone: 'UTC', jobs: [{ kind: 'export', name: 'a', source: { type: 'table', reportType: 1 } }] },
        { name: 'bad', cron: '0 25 * * 1', timezone: 'UTC', jobs: [{ kind: 'export', name: 'a', source: { type: 'table', reportType: 1 } }] },
      ],
    };
    // Act
    let error: unknown;
    try {
      validateConfig(raw, 'reporting.yaml');
    } catch (e) {
      error = e;
    }
    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).details).toEqual(['reporting.yaml: schedules[1].cron: invalid cron expression: hour 25 is out of range 0-23']);
  });
});

describe('cron: EventBridge Scheduler form', () => {
  it('translates weekdays to 1-7 (SUN=1) and puts ? in the free day field', () => {
    expect(toEventBridgeCron('0 6 * * 1')).toBe('cron(0 6 ? * 2 *)');
    expect(toEventBridgeCron('0 6 * * MON-FRI')).toBe('cron(0 6 ? * 2,3,4,5,6 *)');
    expect(toEventBridgeCron('0 6 * * 0,7')).toBe('cron(0 6 ? * 1 *)');
    expect(toEventBridgeCron('15 4 1 * *')).toBe('cron(15 4 1 * ? *)');
    expect(toEventBridgeCron('*/30 * * * *')).toBe('cron(*/30 * * * ? *)');
  });
});
