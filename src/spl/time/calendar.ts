/**
 * UTC calendar arithmetic shared by the SPL time modules (relative modifiers, strftime/strptime,
 * cron, spans). Vigil evaluates every SPL time in UTC: Splunk uses the searching user's time zone,
 * which a log file does not carry, so one fixed zone keeps results reproducible (spl-and-rba.md §4.1).
 *
 * Epochs are seconds (fractions allowed). At present-day epochs a double holds about microsecond
 * precision, so sub-second parts are rounded to whole microseconds before they are split off.
 */

export const SECONDS_PER_DAY = 86_400;

/** Largest |epoch| JavaScript dates can represent (±100,000,000 days). */
export const MAX_EPOCH = 8.64e12;

/** A duration unit: fixed seconds, or calendar months (months, quarters, years). */
export type TimeUnit =
  | { readonly kind: 'seconds'; readonly name: string; readonly seconds: number }
  | { readonly kind: 'months'; readonly name: string; readonly months: number };

const SECOND: TimeUnit = { kind: 'seconds', name: 's', seconds: 1 };
const MINUTE: TimeUnit = { kind: 'seconds', name: 'm', seconds: 60 };
const HOUR: TimeUnit = { kind: 'seconds', name: 'h', seconds: 3600 };
const DAY: TimeUnit = { kind: 'seconds', name: 'd', seconds: SECONDS_PER_DAY };
const WEEK: TimeUnit = { kind: 'seconds', name: 'w', seconds: 7 * SECONDS_PER_DAY };
const MONTH: TimeUnit = { kind: 'months', name: 'mon', months: 1 };
const QUARTER: TimeUnit = { kind: 'months', name: 'q', months: 3 };
const YEAR: TimeUnit = { kind: 'months', name: 'y', months: 12 };

/** Every spelling Splunk accepts for a time unit (Search Reference, "Time modifiers"). */
const UNIT_ALIASES: ReadonlyMap<string, TimeUnit> = new Map<string, TimeUnit>([
  ...['s', 'sec', 'secs', 'second', 'seconds'].map((a) => [a, SECOND] as const),
  ...['m', 'min', 'mins', 'minute', 'minutes'].map((a) => [a, MINUTE] as const),
  ...['h', 'hr', 'hrs', 'hour', 'hours'].map((a) => [a, HOUR] as const),
  ...['d', 'day', 'days'].map((a) => [a, DAY] as const),
  ...['w', 'week', 'weeks'].map((a) => [a, WEEK] as const),
  ...['mon', 'month', 'months'].map((a) => [a, MONTH] as const),
  ...['q', 'qtr', 'qtrs', 'quarter', 'quarters'].map((a) => [a, QUARTER] as const),
  ...['y', 'yr', 'yrs', 'year', 'years'].map((a) => [a, YEAR] as const),
]);

export function timeUnit(text: string): TimeUnit | undefined {
  return UNIT_ALIASES.get(text.toLowerCase());
}

/** A UTC date split into its parts. `month` is 1..12, `weekday` 0 (Sunday)..6, `yearDay` 1..366. */
export interface Civil {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  /** Whole microseconds past the second, 0..999999. */
  readonly micros: number;
  readonly weekday: number;
  readonly yearDay: number;
}

/** Splits an epoch (seconds) into UTC parts, the fraction rounded to whole microseconds. */
export function civilOf(epoch: number): Civil {
  const totalMicros = Math.round(epoch * 1e6);
  const seconds = Math.floor(totalMicros / 1e6);
  const micros = totalMicros - seconds * 1e6;
  const d = new Date(seconds * 1000);
  const year = d.getUTCFullYear();
  const month = d.getUTCMonth() + 1;
  const day = d.getUTCDate();
  return {
    year,
    month,
    day,
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    micros,
    weekday: d.getUTCDay(),
    yearDay: dayOfYear(year, month, day),
  };
}

/** Epoch seconds of a UTC date; out-of-range parts roll over as in Date.UTC. Years 0..99 are taken literally. */
export function epochOf(year: number, month: number, day: number, hour = 0, minute = 0, second = 0): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, 0);
  return d.getTime() / 1000;
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeapYear(year) ? 29 : MONTH_DAYS[month - 1]!;
}

export function dayOfYear(year: number, month: number, day: number): number {
  let n = day;
  for (let m = 1; m < month; m++) n += daysInMonth(year, m);
  return n;
}

/** Days since 1970-01-01 (negative before it) of an epoch. */
export function epochDay(epoch: number): number {
  return Math.floor(epoch / SECONDS_PER_DAY);
}

/**
 * Moves an epoch by whole calendar months, keeping the time of day. A day that does not exist in
 * the target month is clamped to its last day (Mar 31 − 1 month → Feb 28/29), so the result never
 * spills into the following month.
 */
export function addMonths(epoch: number, months: number): number {
  const c = civilOf(epoch);
  const index = c.year * 12 + (c.month - 1) + months;
  const year = Math.floor(index / 12);
  const month = index - year * 12 + 1;
  const day = Math.min(c.day, daysInMonth(year, month));
  const secondOfDay = epoch - epochOf(c.year, c.month, c.day);
  return epochOf(year, month, day) + secondOfDay;
}

/** Months since January 1970 (negative before it) of an epoch. */
export function monthIndex(epoch: number): number {
  const c = civilOf(epoch);
  return (c.year - 1970) * 12 + (c.month - 1);
}

/** Epoch of 00:00 on the first day of a month counted from January 1970. */
export function monthStart(index: number): number {
  const year = 1970 + Math.floor(index / 12);
  const month = index - (year - 1970) * 12 + 1;
  return epochOf(year, month, 1);
}

export function checkEpochRange(epoch: number, what: string): number {
  if (!Number.isFinite(epoch) || Math.abs(epoch) > MAX_EPOCH) throw new Error(`${what} gives a time outside the supported range`);
  return epoch;
}
