/**
 * Time spans of `bin span=5m` / `bucket span=1h` / `tstats ... span=1d` / `timechart span=`, in UTC.
 *
 * Fixed-length spans (seconds up to weeks, and the sub-second ms/cs/ds/us) are aligned to the epoch:
 * a bucket starts at a multiple of the span since 1970-01-01 00:00 UTC (so `1d` buckets start at
 * midnight UTC and `1w` buckets on Thursdays, as epoch alignment implies). Month, quarter and year
 * spans follow the calendar: `1mon` buckets start on the 1st, `3mon`/`1q` on Jan/Apr/Jul/Oct 1, `1y`
 * on Jan 1, counted from January 1970. A bare number is seconds.
 */
import { monthIndex, monthStart, timeUnit } from './calendar.js';

export type Span = { readonly seconds: number } | { readonly months: number };

const SUBSECOND_UNITS: Readonly<Record<string, number>> = { ms: 1e-3, cs: 1e-2, ds: 1e-1, us: 1e-6 };
const SPAN = /^(\d{1,9}(?:\.\d{1,9})?)?([a-z]*)$/;

export function parseSpan(text: string): Span {
  const fail = (why: string): never => {
    throw new Error(`span '${text.length > 40 ? text.slice(0, 40) + '…' : text}': ${why}`);
  };
  const m = SPAN.exec(text.trim().toLowerCase());
  if (m === null || (m[1] === undefined && m[2] === '')) return fail('expected a number and a time unit, e.g. 5m, 1h, 1d, 1mon');
  const count = m[1] === undefined ? 1 : Number(m[1]);
  const unitText = m[2]!;
  if (!(count > 0)) return fail('must be greater than zero');
  if (unitText === '') return { seconds: count };
  const subsecond = SUBSECOND_UNITS[unitText];
  if (subsecond !== undefined) return { seconds: count * subsecond };
  const unit = timeUnit(unitText) ?? fail(`unknown time unit '${unitText}'`);
  if (unit.kind === 'seconds') return { seconds: count * unit.seconds };
  if (!Number.isInteger(count)) return fail('month, quarter and year spans must be whole numbers');
  return { months: count * unit.months };
}

/** Start of the span-sized bucket holding `epoch` (seconds). */
export function floorToSpan(epoch: number, span: Span): number {
  if ('seconds' in span) {
    // Round the quotient to shed float noise (0.3 / 0.1 = 2.9999999999999996) before flooring.
    const q = epoch / span.seconds;
    const nearest = Math.round(q);
    const buckets = Math.abs(q - nearest) < 1e-9 ? nearest : Math.floor(q);
    return buckets * span.seconds;
  }
  const index = monthIndex(epoch);
  return monthStart(index - (((index % span.months) + span.months) % span.months));
}

/** The bucket after the one starting at `start`. */
export function nextSpanStart(start: number, span: Span): number {
  if ('seconds' in span) return start + span.seconds;
  return monthStart(monthIndex(start) + span.months);
}
