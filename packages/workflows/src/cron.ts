// Cron schedules of workflow triggers, in UTC. Five fields: minute (0-59) hour (0-23) day-of-month (1-31)
// month (1-12, JAN-DEC) day-of-week (0-7, SUN-SAT; 0 and 7 are Sunday); names in any case. Each field is a
// comma list of `*`, `a`, `a-b`, each optionally followed by `/n` (every n-th value), where `a/n` runs from a to
// the field's end (Saturday for days of week). Macros: @yearly @annually @monthly @weekly @daily @midnight
// @hourly. As in Vixie cron, a day runs when day-of-month OR day-of-week matches if both are restricted; a
// field starting with `*` (`*` or a `*` step) leaves the other alone to decide (both must match).

export class CronError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CronError';
  }
}

/** Each field's values, sorted ascending; days of week 0-6 with Sunday as 0. */
export interface CronSchedule {
  source: string;
  minutes: number[];
  hours: number[];
  daysOfMonth: number[];
  months: number[];
  daysOfWeek: number[];
  /** The field starts with `*`: days then need both fields to match (Vixie cron's DOM_STAR / DOW_STAR). */
  anyDayOfMonth: boolean;
  anyDayOfWeek: boolean;
}

interface Field {
  name: string;
  min: number;
  max: number;
  /** Where `*` and `a/n` end. */
  last: number;
  names?: string[];
}

const FIELDS: Field[] = [
  { name: 'minute', min: 0, max: 59, last: 59 },
  { name: 'hour', min: 0, max: 23, last: 23 },
  { name: 'day-of-month', min: 1, max: 31, last: 31 },
  {
    name: 'month',
    min: 1,
    max: 12,
    last: 12,
    names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
  },
  { name: 'day-of-week', min: 0, max: 7, last: 6, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
];

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

export const CRON_LIMITS = { maxLength: 256, searchYears: 28 } as const;

// February counts 29: a schedule on Feb 29 runs in leap years.
const MAX_DAYS = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

const parseField = (text: string, field: Field): number[] => {
  const invalid = (why: string) => new CronError(`Invalid ${field.name} field "${text}": ${why}`);
  const range = `${field.min}-${field.max}${field.names ? ` or ${field.names[0]}-${field.names.at(-1)}` : ''}`;
  const value = (token: string): number => {
    const named = field.names?.indexOf(token.toUpperCase()) ?? -1;
    if (named >= 0) return named + field.min;
    const number = /^[0-9]{1,2}$/.test(token) ? Number(token) : Number.NaN;
    if (!(number >= field.min && number <= field.max)) throw invalid(`values must be ${range}`);
    return number;
  };
  const values = new Set<number>();
  for (const item of text.split(',')) {
    if (item === '') throw invalid('empty list item');
    const [base = '', step, extra] = item.split('/');
    if (extra !== undefined) throw invalid(`"${item}" has more than one "/"`);
    if (step !== undefined && !(/^[0-9]+$/.test(step) && Number(step) > 0)) {
      throw invalid(`step "${step}" must be a positive whole number`);
    }
    const bounds = base.split('-');
    if (bounds.length > 2) throw invalid(`"${base}" is not a range a-b`);
    let from: number;
    let to: number;
    if (base === '*') [from, to] = [field.min, field.last];
    else if (bounds.length === 2) {
      [from, to] = [value(bounds[0]!), value(bounds[1]!)];
      if (from > to) throw invalid(`range "${base}" goes backwards`);
    } else {
      from = value(base);
      to = step === undefined ? from : Math.max(from, field.last);
    }
    for (let v = from; v <= to; v += Number(step ?? 1)) values.add(field.name === 'day-of-week' ? v % 7 : v);
  }
  return [...values].sort((a, b) => a - b);
};

export const parseCron = (expression: string): CronSchedule => {
  const source = expression.trim();
  if (source === '') throw new CronError('Empty cron expression');
  if (source.length > CRON_LIMITS.maxLength) {
    throw new CronError(`Cron expression is too long: at most ${CRON_LIMITS.maxLength} characters`);
  }
  const macro = source.toLowerCase();
  if (source.startsWith('@') && !Object.hasOwn(MACROS, macro)) {
    throw new CronError(`Unknown cron macro "${source}": use ${Object.keys(MACROS).join(', ')}`);
  }
  const parts = (source.startsWith('@') ? MACROS[macro]! : source).split(/\s+/);
  if (parts.length === 6) {
    throw new CronError(
      `Cron expression "${source}" has 6 fields: seconds are not supported, use minute hour day-of-month month day-of-week`,
    );
  }
  if (parts.length !== 5) {
    throw new CronError(
      `Cron expression "${source}" has ${parts.length} field${parts.length === 1 ? '' : 's'}: use 5, minute hour day-of-month month day-of-week`,
    );
  }
  const [minutes, hours, daysOfMonth, months, daysOfWeek] = parts.map((part, i) => parseField(part, FIELDS[i]!)) as [
    number[],
    number[],
    number[],
    number[],
    number[],
  ];
  const anyDayOfMonth = parts[2]!.startsWith('*');
  const anyDayOfWeek = parts[4]!.startsWith('*');
  // Every weekday comes in every month, so only a day-of-month that decides (or must match too) can rule out all days.
  const runs =
    (!anyDayOfMonth && !anyDayOfWeek) || months.some((month) => daysOfMonth.some((day) => day <= MAX_DAYS[month]!));
  if (!runs) {
    throw new CronError(`Cron schedule "${source}" never runs: no month in "${parts[3]}" has day "${parts[2]}"`);
  }
  return { source, minutes, hours, daysOfMonth, months, daysOfWeek, anyDayOfMonth, anyDayOfWeek };
};

const isLeap = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
const daysIn = (year: number, month: number) => (month === 2 && !isLeap(year) ? 28 : MAX_DAYS[month]!);

/** Sakamoto's method: 0 is Sunday. */
const weekday = (year: number, month: number, day: number): number => {
  const y = month < 3 ? year - 1 : year;
  const offset = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4][month - 1]!;
  return (((y + Math.floor(y / 4) - Math.floor(y / 100) + Math.floor(y / 400) + offset + day) % 7) + 7) % 7;
};

const firstFrom = (values: number[], from: number): number | undefined => values.find((value) => value >= from);

const dayMatches = (schedule: CronSchedule, year: number, month: number, day: number): boolean => {
  const byDate = schedule.daysOfMonth.includes(day);
  const byWeekday = schedule.daysOfWeek.includes(weekday(year, month, day));
  return schedule.anyDayOfMonth || schedule.anyDayOfWeek ? byDate && byWeekday : byDate || byWeekday;
};

/**
 * Walks months, then days, then hours, jumping to the next allowed value of each, so a search costs at most a
 * few steps per day. 28 years cover every weekday a date can fall on (the calendar repeats every 28 years
 * between 1901 and 2099), so a rare schedule such as Feb 29 on a Sunday is still found.
 */
export const nextRun = (schedule: CronSchedule, after: Date): Date => {
  const time = after.getTime();
  if (Number.isNaN(time)) throw new CronError('Invalid date');
  const start = new Date((Math.floor(time / 60_000) + 1) * 60_000);
  let year = start.getUTCFullYear();
  let month = start.getUTCMonth() + 1;
  let day = start.getUTCDate();
  let hour = start.getUTCHours();
  let minute = start.getUTCMinutes();
  const nextDay = () => {
    [day, hour, minute] = [day + 1, 0, 0];
  };
  const lastYear = year + CRON_LIMITS.searchYears;
  while (year <= lastYear) {
    const nextMonth = firstFrom(schedule.months, month);
    if (nextMonth === undefined) {
      [year, month, day, hour, minute] = [year + 1, 1, 1, 0, 0];
      continue;
    }
    if (nextMonth !== month) [month, day, hour, minute] = [nextMonth, 1, 0, 0];
    if (day > daysIn(year, month)) {
      [month, day, hour, minute] = [month + 1, 1, 0, 0];
      continue;
    }
    if (!dayMatches(schedule, year, month, day)) {
      nextDay();
      continue;
    }
    const nextHour = firstFrom(schedule.hours, hour);
    if (nextHour === undefined) {
      nextDay();
      continue;
    }
    if (nextHour !== hour) [hour, minute] = [nextHour, 0];
    const nextMinute = firstFrom(schedule.minutes, minute);
    if (nextMinute === undefined) {
      [hour, minute] = [hour + 1, 0];
      continue;
    }
    const run = new Date(0);
    run.setUTCFullYear(year, month - 1, day);
    run.setUTCHours(hour, nextMinute, 0, 0);
    return run;
  }
  throw new CronError(
    `Cron schedule "${schedule.source}" has no run in the ${CRON_LIMITS.searchYears} years after ${start.toISOString()}`,
  );
};
