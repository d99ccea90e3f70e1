/**
 * Standard 5-field cron (`minute hour day-of-month month day-of-week`), as savedsearches.conf
 * `cron_schedule` uses it (spl-and-rba.md §4.2), evaluated in UTC.
 *
 * Each field is `*` or a comma list of `N`, `A-B`, with an optional `/step` (`*\/15`, `1-30/5`,
 * `5/10` = from 5 to the end in steps of 10). Months take jan..dec, weekdays sun..sat; weekday 7 is
 * Sunday. Day-of-month and day-of-week follow the classic (Vixie) rule: when both are restricted
 * (neither field starts with `*`) a day matches if EITHER matches; otherwise both must.
 */
import { SECONDS_PER_DAY, civilOf, epochDay } from './calendar.js';

export interface Cron {
  readonly kind: 'cron';
  readonly text: string;
  /** Allowed values of each field, ascending. */
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly daysOfMonth: readonly number[];
  readonly months: readonly number[];
  /** 0 = Sunday .. 6 = Saturday. */
  readonly daysOfWeek: readonly number[];
  readonly dayOfMonthRestricted: boolean;
  readonly dayOfWeekRestricted: boolean;
}

interface FieldSpec {
  readonly label: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  /** The first name's value (months count from 1). */
  readonly nameBase?: number;
}

const FIELDS: readonly FieldSpec[] = [
  { label: 'minute', min: 0, max: 59 },
  { label: 'hour', min: 0, max: 23 },
  { label: 'day-of-month', min: 1, max: 31 },
  { label: 'month', min: 1, max: 12, names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'], nameBase: 1 },
  { label: 'day-of-week', min: 0, max: 7, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'], nameBase: 0 },
];

const MAX_CRON_LENGTH = 512;
/** How far nextCronTime looks before declaring a spec impossible (covers every Feb 29 / weekday combination). */
const SEARCH_YEARS = 100;

export function parseCron(text: string): Cron {
  const fail = (why: string): never => {
    throw new Error(`cron schedule '${text.length > 60 ? text.slice(0, 60) + '…' : text}': ${why}`);
  };
  if (text.length > MAX_CRON_LENGTH) fail(`longer than ${MAX_CRON_LENGTH} characters`);
  const fields = text.trim().split(/\s+/);
  if (fields.length !== 5 || fields[0] === '') fail(`expected 5 fields (minute hour day-of-month month day-of-week), found ${fields[0] === '' ? 0 : fields.length}`);
  const values = fields.map((f, i) => parseField(f, FIELDS[i]!, fail));
  // Weekday 7 is another name for Sunday.
  const daysOfWeek = [...new Set(values[4]!.map((d) => d % 7))].sort((a, b) => a - b);
  return {
    kind: 'cron',
    text,
    minutes: values[0]!,
    hours: values[1]!,
    daysOfMonth: values[2]!,
    months: values[3]!,
    daysOfWeek,
    dayOfMonthRestricted: !fields[2]!.startsWith('*'),
    dayOfWeekRestricted: !fields[4]!.startsWith('*'),
  };
}

function parseField(field: string, spec: FieldSpec, fail: (why: string) => never): number[] {
  const allowed = new Set<number>();
  for (const item of field.split(',')) {
    if (item === '') fail(`${spec.label} field '${field}' has an empty list item`);
    const [rangeText, stepText, extra] = item.split('/');
    if (extra !== undefined) fail(`${spec.label} item '${item}' has more than one '/'`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d{1,3}$/.test(stepText) || Number(stepText) === 0) fail(`${spec.label} step '${stepText}' must be a positive number`);
      step = Number(stepText);
    }
    let lo: number;
    let hi: number;
    if (rangeText === '*') {
      lo = spec.min;
      hi = spec.max;
    } else {
      const bounds = rangeText!.split('-');
      if (bounds.length > 2) fail(`${spec.label} range '${rangeText}' is malformed`);
      lo = valueOf(bounds[0]!, spec, fail);
      // `N/step` runs from N to the end of the field.
      hi = bounds.length === 2 ? valueOf(bounds[1]!, spec, fail) : stepText !== undefined ? spec.max : lo;
      if (hi < lo) fail(`${spec.label} range '${rangeText}' runs backwards`);
    }
    for (let v = lo; v <= hi; v += step) allowed.add(v);
  }
  return [...allowed].sort((a, b) => a - b);
}

function valueOf(text: string, spec: FieldSpec, fail: (why: string) => never): number {
  if (/^\d{1,2}$/.test(text)) {
    const n = Number(text);
    if (n < spec.min || n > spec.max) fail(`${spec.label} value ${n} is outside ${spec.min}-${spec.max}`);
    return n;
  }
  const index = spec.names?.indexOf(text.toLowerCase()) ?? -1;
  if (index < 0) fail(`${spec.label} value '${text}' is not a number${spec.names !== undefined ? ' or a name' : ''}`);
  return index + (spec.nameBase ?? 0);
}

function dayMatches(c: Cron, dayOfMonth: number, weekday: number): boolean {
  const dom = c.daysOfMonth.includes(dayOfMonth);
  const dow = c.daysOfWeek.includes(weekday);
  return c.dayOfMonthRestricted && c.dayOfWeekRestricted ? dom || dow : dom && dow;
}

/**
 * The first time strictly after `after` (epoch seconds) that the cron matches, in UTC. Throws when
 * no time matches within the next SEARCH_YEARS years (an impossible spec such as `0 0 31 2 *`).
 */
export function nextCronTime(c: Cron, after: number): number {
  if (!Number.isFinite(after)) throw new Error(`cron schedule '${c.text}': start time is not a number`);
  const firstMinute = Math.floor(after / 60) * 60 + 60;
  const firstDay = epochDay(firstMinute);
  const lastDay = firstDay + Math.ceil(SEARCH_YEARS * 365.25);
  for (let day = firstDay; day <= lastDay; day++) {
    const dayStart = day * SECONDS_PER_DAY;
    const date = civilOf(dayStart);
    if (!c.months.includes(date.month) || !dayMatches(c, date.day, date.weekday)) continue;
    const from = day === firstDay ? (firstMinute - dayStart) / 60 : 0;
    const minuteOfDay = firstMinuteOfDay(c, from);
    if (minuteOfDay !== null) return dayStart + minuteOfDay * 60;
  }
  throw new Error(`cron schedule '${c.text}' never matches in the ${SEARCH_YEARS} years after ${new Date(after * 1000).toISOString()}`);
}

/** The first allowed minute of the day at or after minute `from` (0..1439), or null. */
function firstMinuteOfDay(c: Cron, from: number): number | null {
  const fromHour = Math.floor(from / 60);
  for (const hour of c.hours) {
    if (hour < fromHour) continue;
    const minFrom = hour === fromHour ? from % 60 : 0;
    const minute = c.minutes.find((m) => m >= minFrom);
    if (minute !== undefined) return hour * 60 + minute;
  }
  return null;
}
