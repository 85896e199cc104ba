import { describe, expect, it } from 'vitest';
import { CronConversionError, toEventBridgeCron } from '../../infra/cron.js';

describe('five-field cron to EventBridge Scheduler cron()', () => {
  it.each([
    ['0 6 * * 1', 'cron(0 6 ? * MON *)'], // Mondays 06:00: day-of-month becomes ?
    ['30 2 1 * *', 'cron(30 2 1 * ? *)'], // first of the month: day-of-week becomes ?
    ['0 0 * * *', 'cron(0 0 * * ? *)'], // every day
    ['*/15 8-17 * * 1-5', 'cron(0/15 8-17 ? * MON,TUE,WED,THU,FRI *)'], // step form AWS documents
    ['0 6 * * 0', 'cron(0 6 ? * SUN *)'], // cron Sunday is 0 ...
    ['0 6 * * 7', 'cron(0 6 ? * SUN *)'], // ... and 7; EventBridge Sunday is 1, so names are emitted
    ['0 6 * * 5-7', 'cron(0 6 ? * SUN,FRI,SAT *)'],
    ['0 6 * * sat,sun', 'cron(0 6 ? * SUN,SAT *)'],
    ['0 6 * * MON-FRI', 'cron(0 6 ? * MON,TUE,WED,THU,FRI *)'],
    ['0 6 * * */2', 'cron(0 6 ? * SUN,TUE,THU,SAT *)'],
    ['0 9 */2 jan-mar *', 'cron(0 9 1/2 1-3 ? *)'],
    ['5,35 0,12 10-20 6 ?', 'cron(5,35 0,12 10-20 6 ? *)'],
    ['  0   6 * *   1 ', 'cron(0 6 ? * MON *)'],
  ])('%s -> %s', (input, expected) => {
    expect(toEventBridgeCron(input)).toBe(expected);
  });

  it.each([
    ['0 6 1 * 1', /day-of-month "1" and day-of-week "1" are both set/],
    ['60 6 * * 1', /minute value 60 is outside 0-59/],
    ['0 24 * * *', /hour value 24 is outside 0-23/],
    ['0 6 0 * *', /day-of-month value 0 is outside 1-31/],
    ['0 6 * 13 *', /month value 13 is outside 1-12/],
    ['0 6 * * 8', /day-of-week value 8 is outside 0-7/],
    ['0 6 * * FUNDAY', /day-of-week "FUNDAY" is not a number or a name/],
    ['0 6 L * *', /day-of-month "L" is not a number/],
    ['0 6 * * 1#2', /day-of-week "1#2" is not supported/],
    ['0 18-6 * * *', /hour range "18-6" runs backwards/],
    ['0 6 * *', /expected five fields/],
  ])('refuses %s with a message that says what is wrong', (input, message) => {
    expect(() => toEventBridgeCron(input)).toThrow(CronConversionError);
    expect(() => toEventBridgeCron(input)).toThrow(message);
  });
});

describe('schedule names', () => {
  it('are <stack>-<schedule>, and stay unique and within 64 characters when that is too long', async () => {
    const { scheduleName } = await import('../../infra/constructs/schedules.js');
    expect(scheduleName('KalturaReporting', 'weekly-exports')).toBe('KalturaReporting-weekly-exports');
    const a = scheduleName('KalturaReporting', `${'x'.repeat(50)}-monday`);
    const b = scheduleName('KalturaReporting', `${'x'.repeat(50)}-friday`);
    expect(a.length).toBeLessThanOrEqual(64);
    expect(b.length).toBeLessThanOrEqual(64);
    expect(a).not.toBe(b);
  });
});
