/**
 * Numbers and timestamps read out of event values (for `lt/gt...` and the time-part
 * modifiers). A value that is not a number, or not a timestamp, never matches.
 */
import type { CompareOp, TimePart } from '../ir/nodes.js';

const DECIMAL = /^\s*[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?\s*$/;
const HEX = /^\s*(-)?0[xX]([0-9a-fA-F]{1,16})\s*$/;

/** Decimal or `0x` hex text as a number; null otherwise. */
export function parseNumber(text: string): number | null {
  if (DECIMAL.test(text)) {
    const n = Number(text);
    return Number.isFinite(n) ? n : null;
  }
  const h = HEX.exec(text);
  if (h !== null) {
    const n = Number.parseInt(h[2]!, 16);
    return h[1] === '-' ? -n : n;
  }
  return null;
}

export function compare(op: CompareOp, a: number, b: number): boolean {
  switch (op) {
    case 'lt':
      return a < b;
    case 'lte':
      return a <= b;
    case 'gt':
      return a > b;
    case 'gte':
      return a >= b;
    case 'eq':
      return a === b;
  }
}

const ISO = /^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?\s*$/i;
const US = /^\s*(\d{1,2})\/(\d{1,2})\/(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(AM|PM)?\s*$/i;

/** Milliseconds since the epoch (UTC) of an ISO-8601 / Sysmon `UtcTime` / `M/D/YYYY h:mm:ss AM` timestamp. */
export function parseTimestamp(text: string): number | null {
  const m = ISO.exec(text);
  if (m !== null) {
    let ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0), m[7] ? +m[7].slice(0, 3).padEnd(3, '0') : 0);
    const zone = m[8];
    if (zone !== undefined && zone.toUpperCase() !== 'Z') {
      const sign = zone[0] === '-' ? -1 : 1;
      const digits = zone.slice(1).replace(':', '');
      ms -= sign * (+digits.slice(0, 2) * 60 + +digits.slice(2, 4)) * 60_000;
    }
    return Number.isFinite(ms) && +m[2]! >= 1 && +m[2]! <= 12 && +m[3]! >= 1 && +m[3]! <= 31 ? ms : null;
  }
  const u = US.exec(text);
  if (u !== null) {
    let hour = +u[4]!;
    const half = u[7]?.toUpperCase();
    if (half === 'PM' && hour < 12) hour += 12;
    if (half === 'AM' && hour === 12) hour = 0;
    const ms = Date.UTC(+u[3]!, +u[1]! - 1, +u[2]!, hour, +u[5]!, +(u[6] ?? 0));
    return Number.isFinite(ms) ? ms : null;
  }
  return null;
}

/** ISO-8601 week number (weeks start on Monday; week 1 holds the year's first Thursday). */
export function isoWeek(ms: number): number {
  const d = new Date(ms);
  const day = (d.getUTCDay() + 6) % 7; // Monday = 0
  const thursday = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - day + 3);
  const year = new Date(thursday).getUTCFullYear();
  const firstThursday = Date.UTC(year, 0, 4);
  const firstDay = (new Date(firstThursday).getUTCDay() + 6) % 7;
  const week1Thursday = firstThursday - (firstDay - 3) * 86_400_000;
  return 1 + Math.round((thursday - week1Thursday) / (7 * 86_400_000));
}

export function timePart(ms: number, part: TimePart): number {
  const d = new Date(ms);
  switch (part) {
    case 'minute':
      return d.getUTCMinutes();
    case 'hour':
      return d.getUTCHours();
    case 'day':
      return d.getUTCDate();
    case 'week':
      return isoWeek(ms);
    case 'month':
      return d.getUTCMonth() + 1;
    case 'year':
      return d.getUTCFullYear();
  }
}
