/**
 * Typed substitution values. Each value gets two spellings: `text` as libevtx's
 * `evtxexport -f xml` prints it, `json` as the evtx crate's JSON prints it.
 * The differences are deliberate (FILETIME precision, GUID braces, zero-padded hex ints).
 */
import type { JsonScalar, XmlChild, XmlValue } from '../../../core/xml-tree.js';
import { decodeAnsi, decodeUtf16, decodeUtf16UntilNul } from './text-codec.js';

export const VALUE_TYPE = Object.freeze({
  null: 0x00,
  string: 0x01,
  ansiString: 0x02,
  int8: 0x03,
  uint8: 0x04,
  int16: 0x05,
  uint16: 0x06,
  int32: 0x07,
  uint32: 0x08,
  int64: 0x09,
  uint64: 0x0a,
  real32: 0x0b,
  real64: 0x0c,
  bool: 0x0d,
  binary: 0x0e,
  guid: 0x0f,
  sizeT: 0x10,
  fileTime: 0x11,
  systemTime: 0x12,
  sid: 0x13,
  hexInt32: 0x14,
  hexInt64: 0x15,
  evtHandle: 0x20,
  binXml: 0x21,
  evtXml: 0x23,
  arrayFlag: 0x80,
});

/** What one substitution slot resolves to. */
export type SubstitutionValue =
  | null
  | XmlValue
  /** An array of two or more items: the containing element repeats once per item. */
  | { readonly kind: 'array'; readonly items: readonly (XmlValue | null)[] }
  /**
   * An array value with no items, or one empty item: it renders as nothing, but the element that
   * holds it stays (libevtx prints `<Data/>` for it, where it drops an element whose value was Null).
   */
  | { readonly kind: 'empty-array' }
  /** A nested BinXml fragment (type 0x21), already decoded. */
  | { readonly kind: 'fragment'; readonly children: readonly XmlChild[] };

export const EMPTY_ARRAY: SubstitutionValue = Object.freeze({ kind: 'empty-array' as const });

export function xmlValue(text: string, json: JsonScalar): XmlValue {
  return { kind: 'value', text, json };
}

/**
 * A string value: libevtx keeps it verbatim, the crate's JSON drops trailing whitespace
 * (e.g. Sysmon `CommandLine` "chcp  " is "chcp" in the crate's output).
 */
export function stringValue(s: string): XmlValue {
  return { kind: 'value', text: s, json: s.trimEnd() };
}

/** Raised by the scalar decoders; the caller turns it into a located error. */
export class ValueDecodeError extends Error {}

const HEX_UPPER: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).toUpperCase().padStart(2, '0'));

function u16(b: Uint8Array, p: number): number {
  return b[p]! | (b[p + 1]! << 8);
}
function u32(b: Uint8Array, p: number): number {
  return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
}
function i32(b: Uint8Array, p: number): number {
  return b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24);
}

const TWO_32 = 4294967296;

/** An unsigned 64-bit value: a number when exact, else a decimal string. */
function u64Json(lo: number, hi: number): number | string {
  if (hi < 0x200000) return hi * TWO_32 + lo;
  return ((BigInt(hi) << 32n) | BigInt(lo)).toString();
}

function i64Json(lo: number, hiSigned: number): number | string {
  if (hiSigned >= -0x200000 && hiSigned < 0x200000) return hiSigned * TWO_32 + lo;
  return ((BigInt(hiSigned) << 32n) + BigInt(lo)).toString();
}

function hex64Digits(lo: number, hi: number): string {
  return hi === 0 ? lo.toString(16) : hi.toString(16) + lo.toString(16).padStart(8, '0');
}

function hexInt32(v: number): XmlValue {
  const digits = v.toString(16);
  return xmlValue(`0x${digits.padStart(8, '0')}`, `0x${digits}`);
}

function hexInt64(lo: number, hi: number): XmlValue {
  const digits = hex64Digits(lo, hi);
  return xmlValue(`0x${digits.padStart(16, '0')}`, `0x${digits}`);
}

/** Upper-case hex of the bytes, one native call (Binary values run to kilobytes). */
function binaryHex(buf: Buffer, pos: number, size: number): string {
  return buf.toString('hex', pos, pos + size).toUpperCase();
}

/**
 * GUID values seen lately, by a hash of their 16 bytes: the same few GUIDs (providers, logon
 * GUIDs, activity IDs of one operation) come back record after record, and their value is
 * immutable, so a hit costs no string at all.
 */
const GUID_CACHE_SLOTS = 64;
const guidCacheBytes = new Uint8Array(GUID_CACHE_SLOTS * 16);
const guidCacheValues: (XmlValue | null)[] = new Array<XmlValue | null>(GUID_CACHE_SLOTS).fill(null);

function guidValue(b: Uint8Array, p: number): XmlValue {
  const slot = (u32(b, p) ^ Math.imul(u32(b, p + 4), 31) ^ Math.imul(u32(b, p + 8), 131) ^ u32(b, p + 12)) & (GUID_CACHE_SLOTS - 1);
  const cached = guidCacheValues[slot]!;
  const base = slot * 16;
  if (cached !== null) {
    let same = true;
    for (let i = 0; i < 16; i++) {
      if (guidCacheBytes[base + i] !== b[p + i]) {
        same = false;
        break;
      }
    }
    if (same) return cached;
  }
  const g = guidText(b, p);
  const value = xmlValue(`{${g}}`, g);
  for (let i = 0; i < 16; i++) guidCacheBytes[base + i] = b[p + i]!;
  guidCacheValues[slot] = value;
  return value;
}

function guidText(b: Uint8Array, p: number): string {
  const h = (i: number): string => HEX_UPPER[b[p + i]!]!;
  return (
    h(3) + h(2) + h(1) + h(0) + '-' + h(5) + h(4) + '-' + h(7) + h(6) + '-' + h(8) + h(9) + '-' +
    h(10) + h(11) + h(12) + h(13) + h(14) + h(15)
  );
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}

/** Civil date from days since 1970-01-01 (proleptic Gregorian). */
function civilFromDays(days: number): [number, number, number] {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, day];
}

const SECONDS_1601_TO_1970 = 11644473600;

function dateTimePrefix(secondsSince1601: number): string {
  const unix = secondsSince1601 - SECONDS_1601_TO_1970;
  const days = Math.floor(unix / 86400);
  const rem = unix - days * 86400;
  const [y, mo, d] = civilFromDays(days);
  const hh = Math.floor(rem / 3600);
  const mm = Math.floor((rem % 3600) / 60);
  const ss = rem % 60;
  return `${String(y).padStart(4, '0')}-${pad2(mo)}-${pad2(d)}T${pad2(hh)}:${pad2(mm)}:${pad2(ss)}`;
}

let lastPrefixSeconds = -1;
let lastPrefix = '';

/** FILETIME: libevtx prints nanoseconds (9 digits), the crate truncates to microseconds. */
export function fileTimeValue(lo: number, hi: number): XmlValue {
  let seconds: number;
  let ticks: number;
  if (hi < 0x100000) {
    // 2^32 = 429 * 10^7 + 4967296, so this split stays exact in doubles.
    const rest = hi * 4967296 + lo;
    seconds = hi * 429 + Math.floor(rest / 1e7);
    ticks = rest % 1e7;
  } else {
    const all = (BigInt(hi) << 32n) | BigInt(lo);
    seconds = Number(all / 10_000_000n);
    ticks = Number(all % 10_000_000n);
  }
  // Records in a chunk are close in time: reuse the date-time prefix of the previous second.
  let prefix: string;
  if (seconds === lastPrefixSeconds) prefix = lastPrefix;
  else {
    prefix = dateTimePrefix(seconds);
    lastPrefixSeconds = seconds;
    lastPrefix = prefix;
  }
  const frac7 = String(ticks).padStart(7, '0');
  return xmlValue(`${prefix}.${frac7}00Z`, `${prefix}.${frac7.slice(0, 6)}Z`);
}

function systemTimeValue(b: Uint8Array, p: number): XmlValue {
  const year = u16(b, p);
  const month = u16(b, p + 2);
  const day = u16(b, p + 6);
  const hour = u16(b, p + 8);
  const minute = u16(b, p + 10);
  const second = u16(b, p + 12);
  const ms = u16(b, p + 14);
  if (year === 0 && month === 0 && day === 0) {
    // All-zero SYSTEMTIME: the crate renders the FILETIME epoch.
    return xmlValue('1601-01-01T00:00:00.000Z', '1601-01-01T00:00:00.000000Z');
  }
  const prefix = `${String(year).padStart(4, '0')}-${pad2(month)}-${pad2(day)}T${pad2(hour)}:${pad2(minute)}:${pad2(second)}`;
  const msText = String(ms).padStart(3, '0');
  // libevtx prints a SYSTEMTIME to the millisecond it holds; the crate pads to microseconds.
  return xmlValue(`${prefix}.${msText}Z`, `${prefix}.${msText}000Z`);
}

/** SID: revision, sub-authority count, 48-bit big-endian authority, little-endian sub-authorities. */
function sidText(b: Uint8Array, p: number, size: number): string {
  if (size < 8) throw new ValueDecodeError(`SID of ${size} bytes is too short`);
  const count = b[p + 1]!;
  const authority = b[p + 2]! * 2 ** 40 + b[p + 3]! * 2 ** 32 + u32BE(b, p + 4);
  let s = `S-${b[p]!}-${authority}`;
  const available = Math.min(count, Math.floor((size - 8) / 4));
  for (let i = 0; i < available; i++) s += `-${u32(b, p + 8 + i * 4)}`;
  return s;
}

function u32BE(b: Uint8Array, p: number): number {
  return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
}

function sidSize(b: Uint8Array, p: number, remaining: number): number {
  if (remaining < 8) return remaining;
  return Math.min(remaining, 8 + b[p + 1]! * 4);
}

let f32Scratch: Float32Array | undefined;
let f64Scratch: Float64Array | undefined;

/** Shortest decimal that reads back as the same float32 (the crate prints floats that way). */
function float32Json(v: number): number {
  for (let digits = 1; digits <= 9; digits++) {
    const s = Number(v.toPrecision(digits));
    if (Math.fround(s) === v) return s;
  }
  return v;
}

/** libevtx prints reals like C's `%e` with a three-digit exponent: `3.199234e+003`. */
function libevtxReal(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const [mantissa, exponent] = v.toExponential(6).split('e') as [string, string];
  const sign = exponent.startsWith('-') ? '-' : '+';
  return `${mantissa}e${sign}${exponent.replace(/^[-+]/, '').padStart(3, '0')}`;
}

function realValue(v: number, json: number): XmlValue {
  return xmlValue(libevtxReal(v), Number.isFinite(v) ? json : String(v));
}

function readFloat32(b: Uint8Array, p: number): number {
  f32Scratch ??= new Float32Array(1);
  new Uint8Array(f32Scratch.buffer).set(b.subarray(p, p + 4));
  return f32Scratch[0]!;
}

function readFloat64(b: Uint8Array, p: number): number {
  f64Scratch ??= new Float64Array(1);
  new Uint8Array(f64Scratch.buffer).set(b.subarray(p, p + 8));
  return f64Scratch[0]!;
}

const BOOL_TRUE = xmlValue('true', true);
const BOOL_FALSE = xmlValue('false', false);

/** Fixed item size of a base type, or 0 for variable-sized ones. */
export function fixedSize(base: number): number {
  switch (base) {
    case VALUE_TYPE.int8:
    case VALUE_TYPE.uint8:
      return 1;
    case VALUE_TYPE.int16:
    case VALUE_TYPE.uint16:
      return 2;
    case VALUE_TYPE.int32:
    case VALUE_TYPE.uint32:
    case VALUE_TYPE.real32:
    case VALUE_TYPE.bool:
    case VALUE_TYPE.hexInt32:
      return 4;
    case VALUE_TYPE.int64:
    case VALUE_TYPE.uint64:
    case VALUE_TYPE.real64:
    case VALUE_TYPE.fileTime:
    case VALUE_TYPE.hexInt64:
      return 8;
    case VALUE_TYPE.guid:
    case VALUE_TYPE.systemTime:
      return 16;
    default:
      return 0;
  }
}

/**
 * Decodes one scalar of `type` from `size` bytes at `pos` (already bounds-checked by the caller).
 * Returns null for values that render as nothing (Null, empty strings).
 */
export function decodeScalar(b: Uint8Array, buf: Buffer, type: number, pos: number, size: number): XmlValue | null {
  const need = fixedSize(type);
  if (need > 0 && size < need) {
    throw new ValueDecodeError(`value of type 0x${type.toString(16)} needs ${need} bytes, has ${size}`);
  }
  switch (type) {
    case VALUE_TYPE.null:
      return null;
    case VALUE_TYPE.string:
    case VALUE_TYPE.evtXml: {
      const s = decodeUtf16UntilNul(b, buf, pos, size >>> 1);
      return s === '' ? null : stringValue(s);
    }
    case VALUE_TYPE.ansiString: {
      const s = decodeAnsi(b, pos, size);
      return s === '' ? null : stringValue(s);
    }
    case VALUE_TYPE.int8: {
      const v = (b[pos]! << 24) >> 24;
      return xmlValue(String(v), v);
    }
    case VALUE_TYPE.uint8: {
      const v = b[pos]!;
      return xmlValue(String(v), v);
    }
    case VALUE_TYPE.int16: {
      const v = (u16(b, pos) << 16) >> 16;
      return xmlValue(String(v), v);
    }
    case VALUE_TYPE.uint16: {
      const v = u16(b, pos);
      return xmlValue(String(v), v);
    }
    case VALUE_TYPE.int32: {
      const v = i32(b, pos);
      return xmlValue(String(v), v);
    }
    case VALUE_TYPE.uint32: {
      const v = u32(b, pos);
      return xmlValue(String(v), v);
    }
    case VALUE_TYPE.int64: {
      const json = i64Json(u32(b, pos), i32(b, pos + 4));
      return xmlValue(String(json), json);
    }
    case VALUE_TYPE.uint64: {
      const json = u64Json(u32(b, pos), u32(b, pos + 4));
      return xmlValue(String(json), json);
    }
    case VALUE_TYPE.real32: {
      const v = readFloat32(b, pos);
      return realValue(v, float32Json(v));
    }
    case VALUE_TYPE.real64: {
      const v = readFloat64(b, pos);
      return realValue(v, v);
    }
    case VALUE_TYPE.bool:
      // Irregular values (anything but 0/1) occur in real logs; non-zero is true.
      return u32(b, pos) !== 0 ? BOOL_TRUE : BOOL_FALSE;
    case VALUE_TYPE.binary: {
      if (size === 0) return null;
      const hex = binaryHex(buf, pos, size);
      return xmlValue(hex, hex);
    }
    case VALUE_TYPE.guid:
      return guidValue(b, pos);
    case VALUE_TYPE.sizeT:
    case VALUE_TYPE.evtHandle: {
      // libevtx prints SizeT in decimal; the crate prints it like a HexInt of its width.
      if (size !== 4 && size !== 8) throw new ValueDecodeError(`pointer-sized value of ${size} bytes (expected 4 or 8)`);
      const lo = u32(b, pos);
      const hi = size === 8 ? u32(b, pos + 4) : 0;
      return xmlValue(String(u64Json(lo, hi)), `0x${hex64Digits(lo, hi)}`);
    }
    case VALUE_TYPE.fileTime:
      return fileTimeValue(u32(b, pos), u32(b, pos + 4));
    case VALUE_TYPE.systemTime:
      return systemTimeValue(b, pos);
    case VALUE_TYPE.sid: {
      const s = sidText(b, pos, size);
      return xmlValue(s, s);
    }
    case VALUE_TYPE.hexInt32:
      return hexInt32(u32(b, pos));
    case VALUE_TYPE.hexInt64:
      return hexInt64(u32(b, pos), u32(b, pos + 4));
    default:
      throw new ValueDecodeError(`unsupported value type 0x${type.toString(16)}`);
  }
}

/**
 * Flat-mode `decodeScalar`: the field value flattenTree takes from the decoded XmlValue (its
 * json when a number or boolean, else its text), for the common types without building the
 * XmlValue or the text it would not use. Null where decodeScalar gives null; other types go
 * through decodeScalar. Strings stay strings ('' never: decodeScalar gives null for them).
 */
export function decodeFieldScalar(b: Uint8Array, buf: Buffer, type: number, pos: number, size: number): JsonScalar {
  const need = fixedSize(type);
  if (need > 0 && size < need) {
    throw new ValueDecodeError(`value of type 0x${type.toString(16)} needs ${need} bytes, has ${size}`);
  }
  switch (type) {
    case VALUE_TYPE.string: {
      const s = decodeUtf16UntilNul(b, buf, pos, size >>> 1);
      return s === '' ? null : s;
    }
    case VALUE_TYPE.int8:
      return (b[pos]! << 24) >> 24;
    case VALUE_TYPE.uint8:
      return b[pos]!;
    case VALUE_TYPE.int16:
      return (u16(b, pos) << 16) >> 16;
    case VALUE_TYPE.uint16:
      return u16(b, pos);
    case VALUE_TYPE.int32:
      return i32(b, pos);
    case VALUE_TYPE.uint32:
      return u32(b, pos);
    case VALUE_TYPE.int64:
      // A number when exact, else the decimal string, which is also the text.
      return i64Json(u32(b, pos), i32(b, pos + 4));
    case VALUE_TYPE.uint64:
      return u64Json(u32(b, pos), u32(b, pos + 4));
    case VALUE_TYPE.bool:
      return u32(b, pos) !== 0;
    default: {
      const v = decodeScalar(b, buf, type, pos, size);
      if (v === null) return null;
      return typeof v.json === 'number' || typeof v.json === 'boolean' ? v.json : v.text;
    }
  }
}

/** Splits an array value (type has the 0x80 bit) into scalar items. */
export function decodeArray(b: Uint8Array, buf: Buffer, type: number, pos: number, size: number): (XmlValue | null)[] {
  const base = type & 0x7f;
  const end = pos + size;
  const items: (XmlValue | null)[] = [];
  switch (base) {
    case VALUE_TYPE.string: {
      // NUL-separated UTF-16; a final NUL terminates rather than starting an empty item.
      const text = decodeUtf16(b, buf, pos, size >>> 1);
      const parts = text.split('\0');
      if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
      for (const s of parts) items.push(s === '' ? null : stringValue(s));
      return items;
    }
    case VALUE_TYPE.ansiString: {
      let start = pos;
      for (let i = pos; i <= end; i++) {
        if (i === end || b[i] === 0) {
          if (i > start || i < end) items.push(i > start ? decodeScalar(b, buf, base, start, i - start) : null);
          start = i + 1;
        }
      }
      return items;
    }
    case VALUE_TYPE.sid: {
      let p = pos;
      while (p < end) {
        const n = sidSize(b, p, end - p);
        items.push(decodeScalar(b, buf, base, p, n));
        p += n;
      }
      return items;
    }
    case VALUE_TYPE.sizeT:
    case VALUE_TYPE.evtHandle: {
      const step = size % 8 === 0 ? 8 : 4;
      for (let p = pos; p + step <= end; p += step) items.push(decodeScalar(b, buf, base, p, step));
      return items;
    }
    default: {
      const step = fixedSize(base);
      if (step === 0) {
        // Binary and other variable-sized arrays cannot be split: one item holding all bytes.
        items.push(decodeScalar(b, buf, base, pos, size));
        return items;
      }
      for (let p = pos; p + step <= end; p += step) items.push(decodeScalar(b, buf, base, p, step));
      return items;
    }
  }
}
