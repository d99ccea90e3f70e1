/**
 * Splunk time modifiers (`earliest=`, `latest=`, `relative_time()`), evaluated in UTC
 * (spl-and-rba.md §4.1):
 *
 *   now | <epoch seconds> | %m/%d/%Y:%H:%M:%S | chain of  [+|-][N]<unit>  and  @<snap-unit>
 *
 * A chain is applied left to right, each offset before the snap that follows it: `-70m@m` goes back
 * 70 minutes and then down to the start of that minute; `@d-2h` goes to midnight and then back two
 * hours. N defaults to 1 (`-h` = `-1h`). Snaps always round down; `@w0`..`@w6` snap to the latest
 * Sunday..Saturday at 00:00 (`@w` and `@w7` are Sunday), `@q` to Jan/Apr/Jul/Oct 1.
 * Month, quarter and year offsets move along the calendar, clamping to the month's last day.
 */
import { assertNever } from '../../core/xml-tree.js';
import {
  type TimeUnit,
  SECONDS_PER_DAY,
  addMonths,
  checkEpochRange,
  civilOf,
  daysInMonth,
  epochDay,
  epochOf,
  monthIndex,
  monthStart,
  timeUnit,
} from './calendar.js';

const MAX_MODIFIER_LENGTH = 200;
const MAX_STEPS = 32;
const MAX_COUNT_DIGITS = 9;

/** One step of a relative chain. */
export type RelativeStep =
  | { readonly kind: 'offset'; readonly sign: 1 | -1; readonly count: number; readonly unit: TimeUnit }
  | { readonly kind: 'snap'; readonly unit: TimeUnit }
  | { readonly kind: 'snap-weekday'; readonly weekday: number };

/** What a modifier text means, before it is evaluated at a time. */
export type TimeModifier =
  | { readonly kind: 'now' }
  | { readonly kind: 'epoch'; readonly epoch: number }
  | { readonly kind: 'relative'; readonly steps: readonly RelativeStep[] };

const EPOCH = /^\d{1,15}(?:\.\d{1,9})?$/;
const ABSOLUTE = /^(\d{1,2})\/(\d{1,2})\/(\d{4}):(\d{1,2}):(\d{1,2}):(\d{1,2})$/;

/** Parses a modifier; throws an Error naming the modifier and the problem when malformed. */
export function parseTimeModifier(modifier: string): TimeModifier {
  const text = modifier.trim();
  const fail = (why: string): never => {
    throw new Error(`time modifier '${modifier.length > 60 ? modifier.slice(0, 60) + '…' : modifier}': ${why}`);
  };
  if (text === '') fail('empty');
  if (text.length > MAX_MODIFIER_LENGTH) fail(`longer than ${MAX_MODIFIER_LENGTH} characters`);
  if (text.toLowerCase() === 'now') return { kind: 'now' };
  if (EPOCH.test(text)) return { kind: 'epoch', epoch: Number(text) };
  const absolute = ABSOLUTE.exec(text);
  if (absolute !== null) return { kind: 'epoch', epoch: absoluteEpoch(absolute, fail) };
  return { kind: 'relative', steps: parseChain(text.toLowerCase(), fail) };
}

function absoluteEpoch(m: RegExpExecArray, fail: (why: string) => never): number {
  const [month, day, year, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12) fail(`month ${month} is not 1..12`);
  if (day < 1 || day > daysInMonth(year, month)) fail(`day ${day} does not exist in ${year}-${String(month).padStart(2, '0')}`);
  if (hour > 23 || minute > 59 || second > 59) fail('time of day out of range');
  return epochOf(year, month, day, hour, minute, second);
}

function parseChain(text: string, fail: (why: string) => never): RelativeStep[] {
  const steps: RelativeStep[] = [];
  let pos = 0;
  const letters = (): string => {
    const start = pos;
    while (pos < text.length && text[pos]! >= 'a' && text[pos]! <= 'z') pos++;
    return text.slice(start, pos);
  };
  while (pos < text.length) {
    if (steps.length >= MAX_STEPS) fail(`more than ${MAX_STEPS} steps`);
    const ch = text[pos]!;
    if (ch === '+' || ch === '-') {
      pos++;
      const digitsStart = pos;
      while (pos < text.length && text[pos]! >= '0' && text[pos]! <= '9') pos++;
      const digits = text.slice(digitsStart, pos);
      if (digits.length > MAX_COUNT_DIGITS) fail(`offset ${digits} is too large`);
      const unitText = letters();
      if (unitText === '') fail(`offset '${ch}${digits}' at position ${digitsStart} has no time unit (s, m, h, d, w, mon, q, y)`);
      const unit = timeUnit(unitText) ?? fail(`unknown time unit '${unitText}'`);
      steps.push({ kind: 'offset', sign: ch === '+' ? 1 : -1, count: digits === '' ? 1 : Number(digits), unit });
    } else if (ch === '@') {
      pos++;
      const unitText = letters();
      if (unitText === '') fail(`'@' at position ${pos - 1} has no snap unit`);
      if (unitText === 'w' && pos < text.length && /[0-7]/.test(text[pos]!)) {
        steps.push({ kind: 'snap-weekday', weekday: Number(text[pos]) % 7 });
        pos++;
      } else {
        steps.push({ kind: 'snap', unit: timeUnit(unitText) ?? fail(`unknown snap unit '${unitText}'`) });
      }
    } else {
      fail(`unexpected '${ch}' at position ${pos} (expected +, - or @)`);
    }
  }
  return steps;
}

/** Evaluates a parsed modifier at `now` (epoch seconds); UTC. */
export function evaluateTimeModifier(m: TimeModifier, now: number): number {
  switch (m.kind) {
    case 'now':
      return now;
    case 'epoch':
      return m.epoch;
    case 'relative':
      return m.steps.reduce((t, step) => checkEpochRange(applyStep(step, t), 'time modifier'), now);
    default:
      return assertNever(m, 'time modifier');
  }
}

function applyStep(step: RelativeStep, t: number): number {
  switch (step.kind) {
    case 'offset':
      return step.unit.kind === 'seconds' ? t + step.sign * step.count * step.unit.seconds : addMonths(t, step.sign * step.count * step.unit.months);
    case 'snap':
      return snapDown(t, step.unit);
    case 'snap-weekday':
      return snapToWeekday(t, step.weekday);
    default:
      return assertNever(step, 'time modifier step');
  }
}

/** Start of the unit containing `t`: second, minute, hour, day, week (Sunday), month, quarter, year. */
function snapDown(t: number, unit: TimeUnit): number {
  if (unit.kind === 'seconds') {
    if (unit.name === 'w') return snapToWeekday(t, 0);
    return Math.floor(t / unit.seconds) * unit.seconds;
  }
  if (unit.name === 'y') return epochOf(civilOf(t).year, 1, 1);
  const index = monthIndex(t);
  return monthStart(index - (((index % unit.months) + unit.months) % unit.months));
}

/** 00:00 of the latest day on or before `t` whose weekday is `weekday` (0 = Sunday). */
function snapToWeekday(t: number, weekday: number): number {
  const day = epochDay(t);
  // 1970-01-01 was a Thursday (weekday 4).
  const today = (((day + 4) % 7) + 7) % 7;
  return (day - ((today - weekday + 7) % 7)) * SECONDS_PER_DAY;
}

/** `modifier` evaluated at `now` (epoch seconds), in UTC; throws an Error when malformed. */
export function applyTimeModifier(modifier: string, now: number): number {
  return evaluateTimeModifier(parseTimeModifier(modifier), now);
}

export function isTimeModifier(text: string): boolean {
  try {
    parseTimeModifier(text);
    return true;
  } catch {
    return false;
  }
}
