import { describe, expect, it } from 'vitest';
import { CRON_LIMITS, CronError, type CronSchedule, nextRun, parseCron } from './cron';

const next = (expression: string, after: string) => nextRun(parseCron(expression), new Date(after)).toISOString();

const messageOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    if (err instanceof CronError) return err.message;
    throw err;
  }
  throw new Error('expected a CronError');
};

const range = (from: number, to: number, step = 1) =>
  Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, i) => from + i * step);

/** A minute-by-minute reference for nextRun, written from the Vixie rule directly. */
const matches = (s: CronSchedule, date: Date) => {
  const byDate = s.daysOfMonth.includes(date.getUTCDate());
  const byWeekday = s.daysOfWeek.includes(date.getUTCDay());
  const day = s.anyDayOfMonth || s.anyDayOfWeek ? byDate && byWeekday : byDate || byWeekday;
  return (
    day &&
    s.minutes.includes(date.getUTCMinutes()) &&
    s.hours.includes(date.getUTCHours()) &&
    s.months.includes(date.getUTCMonth() + 1)
  );
};

describe('parseCron', () => {
  it('expands each field into its sorted values', () => {
    expect(parseCron('*/15 0-6/2 1,15,31 JAN-MAR,dec sun,Sat')).toEqual({
      source: '*/15 0-6/2 1,15,31 JAN-MAR,dec sun,Sat',
      minutes: [0, 15, 30, 45],
      hours: [0, 2, 4, 6],
      daysOfMonth: [1, 15, 31],
      months: [1, 2, 3, 12],
      daysOfWeek: [0, 6],
      anyDayOfMonth: false,
      anyDayOfWeek: false,
    });
    const every = parseCron(' * * * * * ');
    expect(every.source).toBe('* * * * *');
    expect(every.minutes).toEqual(range(0, 59));
    expect(every.hours).toEqual(range(0, 23));
    expect(every.daysOfMonth).toEqual(range(1, 31));
    expect(every.months).toEqual(range(1, 12));
    expect(every.daysOfWeek).toEqual(range(0, 6));
    expect([every.anyDayOfMonth, every.anyDayOfWeek]).toEqual([true, true]);
  });

  it('reads a/n as from a to the end, steps of ranges, duplicates once', () => {
    expect(parseCron('5/20 * * * *').minutes).toEqual([5, 25, 45]);
    expect(parseCron('* 20/2 * * *').hours).toEqual([20, 22]);
    expect(parseCron('* * 10-20/5 * *').daysOfMonth).toEqual([10, 15, 20]);
    expect(parseCron('* * * 2/5 *').months).toEqual([2, 7, 12]);
    expect(parseCron('1,1,2-3,3 * * * *').minutes).toEqual([1, 2, 3]);
    expect(parseCron('59 23 31 12 *').minutes).toEqual([59]);
    expect(parseCron('*/100 * * * *').minutes).toEqual([0]);
    expect(parseCron('* * * * */2').daysOfWeek).toEqual([0, 2, 4, 6]);
  });

  it('takes 0 and 7 as Sunday and names in any case', () => {
    expect(parseCron('* * * * 7').daysOfWeek).toEqual([0]);
    expect(parseCron('* * * * 0,7').daysOfWeek).toEqual([0]);
    expect(parseCron('* * * * 5-7').daysOfWeek).toEqual([0, 5, 6]);
    expect(parseCron('* * * * 0-7').daysOfWeek).toEqual(range(0, 6));
    expect(parseCron('* * * * mon-FRI').daysOfWeek).toEqual([1, 2, 3, 4, 5]);
    expect(parseCron('* * * * 1/2').daysOfWeek).toEqual([1, 3, 5]);
    expect(parseCron('* * * jun-Aug *').months).toEqual([6, 7, 8]);
  });

  it('expands macros', () => {
    const fields = (s: CronSchedule) => [s.minutes, s.hours, s.daysOfMonth, s.months, s.daysOfWeek];
    const same = (macro: string, expression: string) => {
      expect(fields(parseCron(macro))).toEqual(fields(parseCron(expression)));
      expect(parseCron(macro).source).toBe(macro);
    };
    same('@yearly', '0 0 1 1 *');
    same('@annually', '0 0 1 1 *');
    same('@monthly', '0 0 1 * *');
    same('@weekly', '0 0 * * 0');
    same('@daily', '0 0 * * *');
    same('@midnight', '0 0 * * *');
    same('@hourly', '0 * * * *');
    same('@DAILY', '0 0 * * *');
  });

  it('names the field and what is wrong with it', () => {
    const cases: Array<[string, string]> = [
      ['61 * * * *', 'Invalid minute field "61": values must be 0-59'],
      ['5,61 * * * *', 'Invalid minute field "5,61": values must be 0-59'],
      ['-1 * * * *', 'Invalid minute field "-1": values must be 0-59'],
      ['1.5 * * * *', 'Invalid minute field "1.5": values must be 0-59'],
      ['MON * * * *', 'Invalid minute field "MON": values must be 0-59'],
      ['* 24 * * *', 'Invalid hour field "24": values must be 0-23'],
      ['* * 0 * *', 'Invalid day-of-month field "0": values must be 1-31'],
      ['* * 32 * *', 'Invalid day-of-month field "32": values must be 1-31'],
      ['* * * 13 *', 'Invalid month field "13": values must be 1-12 or JAN-DEC'],
      ['* * * 0 *', 'Invalid month field "0": values must be 1-12 or JAN-DEC'],
      ['* * * JANUARY *', 'Invalid month field "JANUARY": values must be 1-12 or JAN-DEC'],
      ['* * * * 8', 'Invalid day-of-week field "8": values must be 0-7 or SUN-SAT'],
      ['* * * * SUNDAY', 'Invalid day-of-week field "SUNDAY": values must be 0-7 or SUN-SAT'],
      ['*/0 * * * *', 'Invalid minute field "*/0": step "0" must be a positive whole number'],
      ['*/x * * * *', 'Invalid minute field "*/x": step "x" must be a positive whole number'],
      ['*/ * * * *', 'Invalid minute field "*/": step "" must be a positive whole number'],
      ['1/2/3 * * * *', 'Invalid minute field "1/2/3": "1/2/3" has more than one "/"'],
      ['1-2-3 * * * *', 'Invalid minute field "1-2-3": "1-2-3" is not a range a-b'],
      ['* 5-2 * * *', 'Invalid hour field "5-2": range "5-2" goes backwards'],
      ['* * * * FRI-MON', 'Invalid day-of-week field "FRI-MON": range "FRI-MON" goes backwards'],
      ['1,,2 * * * *', 'Invalid minute field "1,,2": empty list item'],
      ['1, * * * *', 'Invalid minute field "1,": empty list item'],
      ['', 'Empty cron expression'],
      ['   ', 'Empty cron expression'],
      [
        '0 0 12 * * *',
        'Cron expression "0 0 12 * * *" has 6 fields: seconds are not supported, use minute hour day-of-month month day-of-week',
      ],
      ['* * * *', 'Cron expression "* * * *" has 4 fields: use 5, minute hour day-of-month month day-of-week'],
      ['daily', 'Cron expression "daily" has 1 field: use 5, minute hour day-of-month month day-of-week'],
      [
        '@reboot',
        'Unknown cron macro "@reboot": use @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly',
      ],
      [
        '@daily 5',
        'Unknown cron macro "@daily 5": use @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly',
      ],
      [`${'1,'.repeat(128)}1 * * * *`, 'Cron expression is too long: at most 256 characters'],
    ];
    for (const [expression, message] of cases) {
      expect([expression, messageOf(() => parseCron(expression))]).toEqual([expression, message]);
    }
  });

  it('refuses a schedule that can never run', () => {
    expect(messageOf(() => parseCron('0 0 30 2 *'))).toBe(
      'Cron schedule "0 0 30 2 *" never runs: no month in "2" has day "30"',
    );
    expect(messageOf(() => parseCron('0 0 31 4 *'))).toBe(
      'Cron schedule "0 0 31 4 *" never runs: no month in "4" has day "31"',
    );
    expect(messageOf(() => parseCron('0 0 31 2,4,6,9,11 *'))).toMatch(/ never runs: /);
    expect(messageOf(() => parseCron('0 0 30,31 FEB */2'))).toMatch(/ never runs: /);
    // A restricted day of week also runs the day on its own.
    expect(parseCron('0 0 30 2 1').daysOfWeek).toEqual([1]);
    expect(parseCron('0 0 31 4,5 *').months).toEqual([4, 5]);
    expect(parseCron('0 0 29 2 *').daysOfMonth).toEqual([29]);
  });
});

describe('nextRun', () => {
  it('gives the first matching minute strictly after the date, seconds zeroed', () => {
    expect(next('*/15 * * * *', '2026-03-10T10:07:30.500Z')).toBe('2026-03-10T10:15:00.000Z');
    expect(next('*/15 * * * *', '2026-03-10T10:15:00.000Z')).toBe('2026-03-10T10:30:00.000Z');
    expect(next('*/15 * * * *', '2026-03-10T10:14:59.999Z')).toBe('2026-03-10T10:15:00.000Z');
    expect(next('*/15 * * * *', '2026-03-10T10:50:00.000Z')).toBe('2026-03-10T11:00:00.000Z');
    expect(next('* * * * *', '2026-03-10T10:15:00.000Z')).toBe('2026-03-10T10:16:00.000Z');
    expect(next('* * * * *', '2026-03-10T10:15:42.000Z')).toBe('2026-03-10T10:16:00.000Z');
    expect(next('30 9 * * *', '2026-03-10T09:30:00.000Z')).toBe('2026-03-11T09:30:00.000Z');
    expect(next('30 9 * * *', '2026-03-10T09:29:00.000Z')).toBe('2026-03-10T09:30:00.000Z');
    expect(next('0 */6 * * *', '2026-03-10T13:00:00.000Z')).toBe('2026-03-10T18:00:00.000Z');
    expect(next('15 8-10 * * *', '2026-03-10T10:20:00.000Z')).toBe('2026-03-11T08:15:00.000Z');
  });

  it('rolls over hours, days, months and years', () => {
    expect(next('0 0 * * *', '2026-01-31T23:59:00Z')).toBe('2026-02-01T00:00:00.000Z');
    expect(next('0 0 1 * *', '2026-12-15T12:00:00Z')).toBe('2027-01-01T00:00:00.000Z');
    expect(next('30 23 31 12 *', '2026-12-31T23:30:00Z')).toBe('2027-12-31T23:30:00.000Z');
    expect(next('@yearly', '2026-06-01T00:00:00Z')).toBe('2027-01-01T00:00:00.000Z');
    expect(next('@hourly', '2026-12-31T23:00:00Z')).toBe('2027-01-01T00:00:00.000Z');
    expect(next('0 0 31 * *', '2026-04-01T00:00:00Z')).toBe('2026-05-31T00:00:00.000Z');
    expect(next('0 0 31 * *', '2026-05-31T00:00:00Z')).toBe('2026-07-31T00:00:00.000Z');
    expect(next('0 12 * 3,9 *', '2026-03-31T12:00:00Z')).toBe('2026-09-01T12:00:00.000Z');
  });

  it('finds Feb 29 in the next leap year', () => {
    expect(next('0 0 29 2 *', '2026-01-01T00:00:00Z')).toBe('2028-02-29T00:00:00.000Z');
    expect(next('0 0 29 2 *', '2028-02-29T00:00:00Z')).toBe('2032-02-29T00:00:00.000Z');
    expect(next('0 0 29 2 *', '2096-03-01T00:00:00Z')).toBe('2104-02-29T00:00:00.000Z'); // 2100 is no leap year
    expect(next('0 0 * 2 *', '2027-02-28T00:00:00Z')).toBe('2028-02-01T00:00:00.000Z');
    expect(next('0 0 * 2 *', '2028-02-28T00:00:00Z')).toBe('2028-02-29T00:00:00.000Z');
  });

  it('takes Sunday as 0 or 7', () => {
    // 2026-01-04 is a Sunday.
    expect(next('0 9 * * 0', '2026-01-01T00:00:00Z')).toBe('2026-01-04T09:00:00.000Z');
    expect(next('0 9 * * 7', '2026-01-01T00:00:00Z')).toBe('2026-01-04T09:00:00.000Z');
    expect(next('0 9 * * SUN', '2026-01-04T09:00:00Z')).toBe('2026-01-11T09:00:00.000Z');
    expect(next('@weekly', '2026-01-04T00:00:00Z')).toBe('2026-01-11T00:00:00.000Z');
    expect(next('0 9 * * MON-FRI', '2026-01-09T10:00:00Z')).toBe('2026-01-12T09:00:00.000Z');
  });

  it('runs a day when either day field matches if both are restricted, both must match otherwise', () => {
    // The 13th or any Friday: 2026-02-06 is a Friday, 2026-04-13 a Monday.
    expect(next('0 0 13 * 5', '2026-02-01T00:00:00Z')).toBe('2026-02-06T00:00:00.000Z');
    expect(next('0 0 13 * FRI', '2026-04-11T00:00:00Z')).toBe('2026-04-13T00:00:00.000Z');
    expect(next('0 0 13 * 5', '2026-04-13T00:00:00Z')).toBe('2026-04-17T00:00:00.000Z');
    // Only one restricted: it alone decides.
    expect(next('0 0 13 * *', '2026-02-01T00:00:00Z')).toBe('2026-02-13T00:00:00.000Z');
    expect(next('0 0 * * 5', '2026-02-07T00:00:00Z')).toBe('2026-02-13T00:00:00.000Z');
    // A `*` step does not restrict (Vixie): odd days that are Fridays; 2026-05-01 is one, then the 15th.
    expect(next('0 0 */2 * 5', '2026-05-01T00:00:00Z')).toBe('2026-05-15T00:00:00.000Z');
    expect(next('0 0 29 2 */7', '2026-01-01T00:00:00Z')).toBe('2032-02-29T00:00:00.000Z');
  });

  it('agrees with a minute-by-minute search', () => {
    const expressions = [
      '*/7 * * * *',
      '13 */5 * * *',
      '0 0 1,15 * 3',
      '45 23 * * 6,0',
      '0 12 */3 * *',
      '5-10/2 4 * * 1-5',
      '0 0 28-31 * *',
      '0 6 * 2 *',
      '30 1 1 1,7 *',
      '0 0 */10 * 1',
      '59 23 31 * *',
      '0 0 * * */3',
    ];
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const from = Date.UTC(2026, 0, 1);
    for (const expression of expressions) {
      const schedule = parseCron(expression);
      for (let n = 0; n < 4; n++) {
        const after = new Date(from + Math.floor(random() * 366 * 86_400_000) + Math.floor(random() * 60_000));
        const found = nextRun(schedule, after);
        let minute = new Date((Math.floor(after.getTime() / 60_000) + 1) * 60_000);
        while (!matches(schedule, minute)) minute = new Date(minute.getTime() + 60_000);
        expect([expression, after.toISOString(), found.toISOString()]).toEqual([
          expression,
          after.toISOString(),
          minute.toISOString(),
        ]);
      }
    }
  });

  it('stays fast on rare schedules and gives up after the search horizon', () => {
    expect(CRON_LIMITS.searchYears).toBe(28);
    const rare = parseCron('0 0 29 2 */7'); // Feb 29 on a Sunday: 2032, 2060, 2088, then 2128
    const started = performance.now();
    let at = new Date('2026-01-01T00:00:00Z');
    const runs: string[] = [];
    for (let i = 0; i < 3; i++) {
      at = nextRun(rare, at);
      runs.push(at.toISOString().slice(0, 10));
    }
    for (let i = 0; i < 200; i++) nextRun(rare, new Date('2033-01-01T00:00:00Z'));
    expect(runs).toEqual(['2032-02-29', '2060-02-29', '2088-02-29']);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(messageOf(() => nextRun(rare, at))).toBe(
      'Cron schedule "0 0 29 2 */7" has no run in the 28 years after 2088-02-29T00:01:00.000Z',
    );
    expect(messageOf(() => nextRun(rare, new Date('nope')))).toBe('Invalid date');
  });
});
