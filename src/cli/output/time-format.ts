/**
 * Time zones for printing event times (`vigil hunt --timezone`) and reading `--from`/`--to`.
 * Events carry UTC ISO-8601 times; people reading a table or a CSV often want them in the zone
 * the incident happened in. Printed times stay ISO-8601 with an explicit offset, so a reader
 * (or Timeline Explorer) can never mistake local time for UTC. JSONL keeps UTC.
 */

/** A zone as the user named it: UTC, a fixed offset, or an IANA zone (local resolves to one). */
export type TimeZoneSpec =
  | { readonly kind: 'utc' }
  | { readonly kind: 'offset'; readonly minutes: number }
  | { readonly kind: 'iana'; readonly name: string };

export const UTC: TimeZoneSpec = Object.freeze({ kind: 'utc' });

const OFFSET_RE = /^(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?$/i;

/**
 * Reads `UTC`, `Z`, `local`, `+09:00` / `-0530` / `UTC+2`, or an IANA name (`Asia/Tokyo`).
 * Throws an Error whose message can be shown as is.
 */
export function parseTimeZone(text: string): TimeZoneSpec {
  const t = text.trim();
  if (/^(utc|z|gmt)$/i.test(t)) return UTC;
  if (/^local$/i.test(t)) {
    const name = new Intl.DateTimeFormat().resolvedOptions().timeZone;
    return name === undefined || /^(utc|etc\/utc)$/i.test(name) ? UTC : { kind: 'iana', name };
  }
  const m = OFFSET_RE.exec(t);
  if (m !== null) {
    const hours = Number(m[2]);
    const mins = Number(m[3] ?? '0');
    if (hours > 14 || mins > 59) throw new Error(`time zone offset out of range: '${text}'`);
    const minutes = (m[1] === '-' ? -1 : 1) * (hours * 60 + mins);
    return minutes === 0 ? UTC : { kind: 'offset', minutes };
  }
  if (t.length === 0 || t.length > 64) throw new Error(`not a time zone: '${text}'`);
  try {
    const name = new Intl.DateTimeFormat('en-US', { timeZone: t }).resolvedOptions().timeZone;
    return { kind: 'iana', name };
  } catch {
    throw new Error(`unknown time zone '${text}' (use UTC, local, an offset like +09:00, or an IANA name like Europe/Paris)`);
  }
}

/** `UTC`, `+09:00` or the IANA name, for messages. */
export function timeZoneName(tz: TimeZoneSpec): string {
  switch (tz.kind) {
    case 'utc':
      return 'UTC';
    case 'offset':
      return offsetText(tz.minutes * 60);
    case 'iana':
      return tz.name;
  }
}

// ---------------------------------------------------------------------------------------------
// Parsing event times

/** An instant split as ISO text has it: whole seconds since the epoch plus the fraction digits. */
interface Instant {
  readonly seconds: number;
  /** Fraction digits as written (`012000000`), possibly empty. */
  readonly fraction: string;
}

const ISO_RE = /^(\d{4})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d)(?::(\d\d)(?:[.,](\d{1,9})\d*)?)?)?\s*(Z|[+-]\d\d(?::?\d\d)?)?$/i;

function offsetSeconds(text: string | undefined): number | null {
  if (text === undefined) return null;
  if (text === 'Z' || text === 'z') return 0;
  const sign = text[0] === '-' ? -1 : 1;
  const digits = text.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 3600 + Number(digits.slice(2, 4) || '0') * 60);
}

function parseInstant(iso: string): Instant | null {
  if (iso.length > 48) return null;
  const m = ISO_RE.exec(iso);
  if (m === null) return null;
  const off = offsetSeconds(m[8]) ?? 0;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? '0'), Number(m[5] ?? '0'), Number(m[6] ?? '0'));
  if (!Number.isFinite(ms)) return null;
  return { seconds: ms / 1000 - off, fraction: m[7] ?? '' };
}

/** Milliseconds since the epoch of an event's ISO time (UTC unless it names an offset); null if unreadable. */
export function isoMillis(iso: string): number | null {
  const i = parseInstant(iso);
  if (i === null) return null;
  return i.seconds * 1000 + (i.fraction.length > 0 ? Math.floor(Number(i.fraction.slice(0, 3).padEnd(3, '0'))) : 0);
}

// ---------------------------------------------------------------------------------------------
// Printing

function pad(n: number, width = 2): string {
  return String(Math.abs(n)).padStart(width, '0');
}

function offsetText(seconds: number): string {
  if (seconds === 0) return 'Z';
  const sign = seconds < 0 ? '-' : '+';
  const abs = Math.abs(Math.round(seconds / 60));
  return `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

const zoneFormats = new Map<string, Intl.DateTimeFormat>();

function zoneFormat(name: string): Intl.DateTimeFormat {
  let f = zoneFormats.get(name);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    // A handful of zones in one run at most; the cap only guards against misuse.
    if (zoneFormats.size < 64) zoneFormats.set(name, f);
  }
  return f;
}

/** The zone's offset from UTC at an instant, in seconds (wall clock minus UTC). */
export function zoneOffsetSeconds(tz: TimeZoneSpec, epochSeconds: number): number {
  switch (tz.kind) {
    case 'utc':
      return 0;
    case 'offset':
      return tz.minutes * 60;
    case 'iana': {
      const parts = zoneFormat(tz.name).formatToParts(new Date(epochSeconds * 1000));
      const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? '0');
      const era = parts.find((p) => p.type === 'era')?.value ?? 'AD';
      const year = era.startsWith('B') ? 1 - get('year') : get('year');
      const wall = Date.UTC(year, get('month') - 1, get('day'), get('hour'), get('minute'), get('second')) / 1000;
      const offset = wall - epochSeconds;
      return Number.isFinite(offset) ? offset : 0;
    }
  }
}

export interface TimeFormatOptions {
  /** `full` keeps the fraction as written (default), `milliseconds` three digits, `seconds` none. */
  readonly precision?: 'full' | 'milliseconds' | 'seconds';
  /** Between date and time: `T` (ISO-8601, default) or a space (easier on the eye in a table). */
  readonly separator?: 'T' | ' ';
  /** Leave the offset off (a table whose header already names the zone). Default false. */
  readonly omitOffset?: boolean;
}

const parsedZones = new Map<string, TimeZoneSpec>();

function zoneOf(tz: TimeZoneSpec | string): TimeZoneSpec {
  if (typeof tz !== 'string') return tz;
  let z = parsedZones.get(tz);
  if (z === undefined) {
    z = parseTimeZone(tz);
    if (parsedZones.size < 64) parsedZones.set(tz, z);
  }
  return z;
}

/**
 * An event time (ISO-8601, as events carry it) in the zone `tz`, as ISO-8601 with that zone's
 * offset at that instant: `2024-05-14T09:12:44.012Z` in `Asia/Tokyo` is `2024-05-14T18:12:44.012+09:00`. Text that is not an ISO time comes back unchanged;
 * null becomes `-`. `tz` may be a parsed zone or its name (`UTC`, `local`, `+09:00`, `Asia/Tokyo`).
 */
export function formatTime(iso: string | null, tz: TimeZoneSpec | string = UTC, options: TimeFormatOptions = {}): string {
  if (iso === null) return '-';
  const instant = parseInstant(iso);
  if (instant === null) return iso;
  const zone = zoneOf(tz);
  const offset = zoneOffsetSeconds(zone, instant.seconds);
  const wall = new Date((instant.seconds + offset) * 1000);
  const year = wall.getUTCFullYear();
  const yearText = year >= 0 && year <= 9999 ? pad(year, 4) : (year < 0 ? '-' : '+') + pad(year, 6);
  const date = `${yearText}-${pad(wall.getUTCMonth() + 1)}-${pad(wall.getUTCDate())}`;
  const time = `${pad(wall.getUTCHours())}:${pad(wall.getUTCMinutes())}:${pad(wall.getUTCSeconds())}`;
  const precision = options.precision ?? 'full';
  const fraction =
    precision === 'seconds' ? '' : precision === 'milliseconds' ? '.' + instant.fraction.slice(0, 3).padEnd(3, '0') : instant.fraction.length > 0 ? '.' + instant.fraction : '';
  const zoneText = options.omitOffset === true ? '' : offsetText(offset);
  return `${date}${options.separator ?? 'T'}${time}${fraction}${zoneText}`;
}

// ---------------------------------------------------------------------------------------------
// --from / --to

const RELATIVE_RE = /^-?(\d{1,6})([smhdw])$/;
const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86400, w: 7 * 86400 };

/**
 * A `--from`/`--to` bound in epoch milliseconds. Accepts an ISO-8601 date (`2024-05-14`) or
 * date-time (`2024-05-14T09:00`, `2024-05-14 09:00:00`, with or without an offset; without one
 * it is read in `tz`), `now`, or a time before now like `7d`/`-7d`, `24h`, `30m`, `90s`, `2w`.
 * A date alone means the start of that day for `from` and its end (inclusive) for `to`.
 * Throws an Error whose message can be shown as is.
 */
export function parseTimeBound(text: string, end: 'from' | 'to', tz: TimeZoneSpec = UTC, now: number = Date.now()): number {
  const t = text.trim();
  if (/^now$/i.test(t)) return now;
  const rel = RELATIVE_RE.exec(t);
  if (rel !== null) return now - Number(rel[1]) * (UNIT_SECONDS[rel[2] as string] as number) * 1000;
  const m = t.length <= 48 ? ISO_RE.exec(t) : null;
  if (m === null) throw new Error(`--${end} takes an ISO-8601 date or date-time (2024-05-14, 2024-05-14T09:00:00+02:00), now, or a time ago like 7d, 24h, 30m (got '${text}')`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || Number(m[4] ?? 0) > 23 || Number(m[5] ?? 0) > 59 || Number(m[6] ?? 0) > 60) {
    throw new Error(`--${end}: no such date or time: '${text}'`);
  }
  const dateOnly = m[4] === undefined;
  const wallMs = Date.UTC(y, mo - 1, d, Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)) + Number((m[7] ?? '').slice(0, 3).padEnd(3, '0'));
  const given = offsetSeconds(m[8]);
  // Without an offset the wall time is in the chosen zone: find the offset at about that time
  // (twice, so a wall time right after a DST change lands on the right side).
  let offset = given;
  if (offset === null) {
    offset = zoneOffsetSeconds(tz, wallMs / 1000);
    offset = zoneOffsetSeconds(tz, wallMs / 1000 - offset);
  }
  const start = wallMs - offset * 1000;
  return dateOnly && end === 'to' ? start + 86_400_000 - 1 : start;
}
