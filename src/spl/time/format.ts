/**
 * strftime / strptime with Splunk's format variables, always in UTC (see calendar.ts for why).
 * Used by `eval strftime()/strptime()`, `convert ctime()` (`%Y-%m-%dT%H:%M:%S` in ESCU's
 * `security_content_ctime`) and `convert timeformat=`.
 *
 * Sub-second variables: `%N` (default 9 digits), `%Q` (default 3), `%<n>N`/`%<n>Q` (n = 1..9), `%f`
 * (microseconds). Values are exact to the microsecond, the precision a double keeps at today's epochs.
 * Locale-dependent variables use the C/English locale (`%c` = `%a %b %e %H:%M:%S %Y`).
 */
import { civilOf, daysInMonth, epochOf } from './calendar.js';

const MAX_FORMAT_LENGTH = 1024;
const MAX_TEXT_LENGTH = 4096;

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** Composite variables, expanded before formatting or parsing. */
const COMPOSITES: Readonly<Record<string, string>> = {
  T: '%H:%M:%S',
  F: '%Y-%m-%d',
  D: '%m/%d/%y',
  R: '%H:%M',
  r: '%I:%M:%S %p',
  c: '%a %b %e %H:%M:%S %Y',
  x: '%m/%d/%y',
  X: '%H:%M:%S',
  '+': '%a %b %e %H:%M:%S %Z %Y',
};

/** One piece of a format: literal text or a variable (`digits` is the n of `%3N`). */
type FormatPart = { readonly kind: 'literal'; readonly text: string } | { readonly kind: 'var'; readonly name: string; readonly digits: number | null };

function parseFormat(format: string, depth = 0): FormatPart[] {
  const parts: FormatPart[] = [];
  let literal = '';
  const flush = (): void => {
    if (literal !== '') parts.push({ kind: 'literal', text: literal });
    literal = '';
  };
  for (let i = 0; i < format.length; i++) {
    const ch = format[i]!;
    if (ch !== '%' || i + 1 >= format.length) {
      literal += ch;
      continue;
    }
    let j = i + 1;
    let digits: number | null = null;
    if (/[1-9]/.test(format[j]!) && j + 1 < format.length && /[NQ]/.test(format[j + 1]!)) {
      digits = Number(format[j]);
      j++;
    }
    let name = format[j]!;
    // %:z is +hh:mm; %Ez is Splunk's offset in minutes.
    if ((name === ':' || name === 'E') && format[j + 1] === 'z') {
      name += 'z';
      j++;
    }
    i = j;
    if (name === '%') {
      literal += '%';
      continue;
    }
    const composite = COMPOSITES[name];
    if (composite !== undefined && depth === 0) {
      flush();
      parts.push(...parseFormat(composite, depth + 1));
      continue;
    }
    flush();
    parts.push({ kind: 'var', name, digits });
  }
  flush();
  return parts;
}

const pad = (n: number, width: number, fill = '0'): string => String(n).padStart(width, fill);

function subseconds(micros: number, digits: number): string {
  const nanos = pad(micros, 6) + '000';
  return nanos.slice(0, digits);
}

/** ISO 8601 week number and week-based year. */
function isoWeek(year: number, yearDay: number, weekday: number): { week: number; year: number } {
  const isoWeekday = weekday === 0 ? 7 : weekday;
  const week = Math.floor((yearDay - isoWeekday + 10) / 7);
  if (week < 1) {
    const prevDays = epochOf(year, 1, 1) - epochOf(year - 1, 1, 1);
    return isoWeek(year - 1, yearDay + prevDays / 86_400, weekday);
  }
  const daysThisYear = (epochOf(year + 1, 1, 1) - epochOf(year, 1, 1)) / 86_400;
  if (week === 53 && yearDay - isoWeekday + 7 - 3 > daysThisYear) return { week: 1, year: year + 1 };
  return { week, year };
}

/** Formats an epoch (seconds) in UTC. Unknown variables are copied as written. */
export function strftime(epoch: number, format: string): string {
  if (!Number.isFinite(epoch)) return '';
  const c = civilOf(epoch);
  const hour12 = c.hour % 12 === 0 ? 12 : c.hour % 12;
  let out = '';
  for (const part of parseFormat(format.slice(0, MAX_FORMAT_LENGTH))) {
    if (part.kind === 'literal') {
      out += part.text;
      continue;
    }
    switch (part.name) {
      case 'Y': out += c.year < 0 ? '-' + pad(-c.year, 4) : pad(c.year, 4); break;
      case 'y': out += pad(((c.year % 100) + 100) % 100, 2); break;
      case 'C': out += pad(Math.floor(c.year / 100), 2); break;
      case 'm': out += pad(c.month, 2); break;
      case 'd': out += pad(c.day, 2); break;
      case 'e': out += pad(c.day, 2, ' '); break;
      case 'j': out += pad(c.yearDay, 3); break;
      case 'H': out += pad(c.hour, 2); break;
      case 'k': out += pad(c.hour, 2, ' '); break;
      case 'I': out += pad(hour12, 2); break;
      case 'l': out += pad(hour12, 2, ' '); break;
      case 'M': out += pad(c.minute, 2); break;
      case 'S': out += pad(c.second, 2); break;
      case 'p': out += c.hour < 12 ? 'AM' : 'PM'; break;
      case 'b': case 'h': out += MONTHS[c.month - 1]!.slice(0, 3); break;
      case 'B': out += MONTHS[c.month - 1]!; break;
      case 'a': out += WEEKDAYS[c.weekday]!.slice(0, 3); break;
      case 'A': out += WEEKDAYS[c.weekday]!; break;
      case 'u': out += String(c.weekday === 0 ? 7 : c.weekday); break;
      case 'w': out += String(c.weekday); break;
      case 'U': out += pad(Math.floor((c.yearDay - 1 + 7 - c.weekday) / 7), 2); break;
      case 'W': out += pad(Math.floor((c.yearDay - 1 + 7 - ((c.weekday + 6) % 7)) / 7), 2); break;
      case 'V': out += pad(isoWeek(c.year, c.yearDay, c.weekday).week, 2); break;
      case 'G': out += pad(isoWeek(c.year, c.yearDay, c.weekday).year, 4); break;
      case 'Z': out += 'UTC'; break;
      case 'z': out += '+0000'; break;
      case ':z': out += '+00:00'; break;
      case 'Ez': out += '+0'; break;
      case 's': out += String(Math.floor(epoch)); break;
      case 'N': out += subseconds(c.micros, part.digits ?? 9); break;
      case 'Q': out += subseconds(c.micros, part.digits ?? 3); break;
      case 'f': out += subseconds(c.micros, 6); break;
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      default: out += '%' + (part.digits ?? '') + part.name;
    }
  }
  return out;
}

/** What strptime collected before it builds the epoch. */
interface Parsed {
  year: number;
  month: number;
  day: number;
  yearDay: number | null;
  hour: number;
  hour12: number | null;
  pm: boolean | null;
  minute: number;
  second: number;
  fraction: number;
  offsetSeconds: number;
  epoch: number | null;
}

function monthByName(text: string, at: number): { value: number; length: number } | null {
  const rest = text.slice(at).toLowerCase();
  for (let i = 0; i < 12; i++) {
    const full = MONTHS[i]!.toLowerCase();
    if (rest.startsWith(full)) return { value: i + 1, length: full.length };
  }
  for (let i = 0; i < 12; i++) if (rest.startsWith(MONTHS[i]!.slice(0, 3).toLowerCase())) return { value: i + 1, length: 3 };
  return null;
}

function weekdayByName(text: string, at: number): number | null {
  const rest = text.slice(at).toLowerCase();
  for (const name of WEEKDAYS) if (rest.startsWith(name.toLowerCase())) return name.length;
  for (const name of WEEKDAYS) if (rest.startsWith(name.slice(0, 3).toLowerCase())) return 3;
  return null;
}

/**
 * Parses `text` by `format` as UTC (a `%z` offset in the text is honoured); null when the text does
 * not fit. Parts the format does not name default to 1970-01-01 00:00:00. As with C strptime, text
 * after the end of the format is ignored; whitespace in the format matches any run of whitespace.
 */
export function strptime(text: string, format: string): number | null {
  if (text.length > MAX_TEXT_LENGTH || format.length > MAX_FORMAT_LENGTH) return null;
  const p: Parsed = { year: 1970, month: 1, day: 1, yearDay: null, hour: 0, hour12: null, pm: null, minute: 0, second: 0, fraction: 0, offsetSeconds: 0, epoch: null };
  let pos = 0;
  const skipSpace = (): void => {
    while (pos < text.length && /\s/.test(text[pos]!)) pos++;
  };
  /** Up to `max` digits (at least one), optionally after spaces (C strptime skips them before numbers). */
  const number = (max: number, min: number, hi: number): number | null => {
    skipSpace();
    const start = pos;
    while (pos < text.length && pos - start < max && text[pos]! >= '0' && text[pos]! <= '9') pos++;
    if (pos === start) return null;
    const n = Number(text.slice(start, pos));
    return n < min || n > hi ? null : n;
  };
  for (const part of parseFormat(format)) {
    if (part.kind === 'literal') {
      for (const ch of part.text) {
        if (/\s/.test(ch)) skipSpace();
        else if (text[pos] === ch) pos++;
        else return null;
      }
      continue;
    }
    const ok = parseVar(part.name, part.digits);
    if (!ok) return null;
  }
  return buildEpoch(p);

  /** A number into one part of the date; false when absent or out of range. */
  function numberInto(max: number, min: number, hi: number, set: (n: number) => void): boolean {
    const n = number(max, min, hi);
    if (n === null) return false;
    set(n);
    return true;
  }

  function parseVar(name: string, digits: number | null): boolean {
    switch (name) {
      case 'Y': return numberInto(4, 0, 9999, (n) => (p.year = n));
      // POSIX: 69..99 are 1969..1999, 00..68 are 2000..2068.
      case 'y': return numberInto(2, 0, 99, (n) => (p.year = n < 69 ? 2000 + n : 1900 + n));
      case 'm': return numberInto(2, 1, 12, (n) => (p.month = n));
      case 'd': case 'e': return numberInto(2, 1, 31, (n) => (p.day = n));
      case 'j': return numberInto(3, 1, 366, (n) => (p.yearDay = n));
      case 'H': case 'k': return numberInto(2, 0, 23, (n) => (p.hour = n));
      case 'I': case 'l': return numberInto(2, 1, 12, (n) => (p.hour12 = n));
      case 'M': return numberInto(2, 0, 59, (n) => (p.minute = n));
      case 'S': return numberInto(2, 0, 60, (n) => (p.second = n));
      case 'p': {
        skipSpace();
        const word = text.slice(pos, pos + 2).toUpperCase();
        if (word !== 'AM' && word !== 'PM') return false;
        p.pm = word === 'PM';
        pos += 2;
        return true;
      }
      case 'b': case 'h': case 'B': {
        skipSpace();
        const m = monthByName(text, pos);
        if (m === null) return false;
        p.month = m.value;
        pos += m.length;
        return true;
      }
      case 'a': case 'A': {
        skipSpace();
        const length = weekdayByName(text, pos);
        if (length === null) return false;
        pos += length;
        return true;
      }
      case 'N': case 'Q': case 'f': {
        const width = name === 'f' ? 6 : (digits ?? 9);
        const start = pos;
        while (pos < text.length && pos - start < width && text[pos]! >= '0' && text[pos]! <= '9') pos++;
        if (pos === start) return false;
        p.fraction = Number('0.' + text.slice(start, pos));
        return true;
      }
      case 's': {
        skipSpace();
        const m = /^-?\d{1,15}/.exec(text.slice(pos));
        if (m === null) return false;
        p.epoch = Number(m[0]);
        pos += m[0].length;
        return true;
      }
      case 'Z': {
        skipSpace();
        const m = /^(?:UTC|GMT|UT|Z)\b/i.exec(text.slice(pos));
        if (m === null) return false;
        pos += m[0].length;
        return true;
      }
      case 'z': case ':z': case 'Ez': return parseOffset();
      case 'n': case 't': skipSpace(); return true;
      default: {
        // An unknown variable must appear literally, as strftime writes it.
        const literal = '%' + (digits ?? '') + name;
        if (!text.startsWith(literal, pos)) return false;
        pos += literal.length;
        return true;
      }
    }
  }

  function parseOffset(): boolean {
    skipSpace();
    if (text[pos] === 'Z' || text[pos] === 'z') {
      pos++;
      return true;
    }
    const m = /^([+-])(\d{2}):?(\d{2})?/.exec(text.slice(pos));
    if (m === null) return false;
    const hours = Number(m[2]);
    const minutes = Number(m[3] ?? '0');
    if (hours > 23 || minutes > 59) return false;
    p.offsetSeconds = (m[1] === '-' ? -1 : 1) * (hours * 3600 + minutes * 60);
    pos += m[0].length;
    return true;
  }
}

function buildEpoch(p: Parsed): number | null {
  if (p.epoch !== null) return p.epoch + p.fraction;
  let hour = p.hour;
  if (p.hour12 !== null) hour = (p.hour12 % 12) + (p.pm === true ? 12 : 0);
  else if (p.pm !== null && hour < 12 && p.pm) hour += 12;
  let month = p.month;
  let day = p.day;
  if (p.yearDay !== null) {
    const daysInYear = (epochOf(p.year + 1, 1, 1) - epochOf(p.year, 1, 1)) / 86_400;
    if (p.yearDay > daysInYear) return null;
    const firstOfYear = epochOf(p.year, 1, 1) + (p.yearDay - 1) * 86_400;
    const c = civilOf(firstOfYear);
    month = c.month;
    day = c.day;
  }
  if (day > daysInMonth(p.year, month)) return null;
  return epochOf(p.year, month, day, hour, p.minute, p.second) + p.fraction - p.offsetSeconds;
}
