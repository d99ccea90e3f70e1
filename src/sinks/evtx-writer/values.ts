/**
 * Turns writer values into BinXml substitution values: a type code, a byte size, and the data
 * to write. Conversions (GUID, SID, FILETIME, SYSTEMTIME) live here so the chunk builder only
 * copies bytes. Bad input throws a TypeError/RangeError naming the field.
 */
import { assertNever } from '../../core/xml-tree.js';
import { VALUE_TYPE } from '../../sources/evtx/binxml/values.js';
import type { TypedWriterValue, WriterValue } from './types.js';

/** BinXml value type codes: the decoder's table, so reader and writer cannot disagree. */
export const ValueType = VALUE_TYPE;

/** An array of UTF-16 strings (NUL-separated). */
export const STRING_ARRAY_TYPE = VALUE_TYPE.string | VALUE_TYPE.arrayFlag;

/** The largest value a substitution descriptor can size (u16). */
export const MAX_VALUE_BYTES = 0xffff;

/** A value ready to be copied into a chunk. */
export type PreparedValue =
  | { readonly kind: 'null' }
  | { readonly kind: 'utf16'; readonly type: number; readonly text: string }
  | { readonly kind: 'utf16-array'; readonly type: number; readonly items: readonly string[] }
  | { readonly kind: 'bytes'; readonly type: number; readonly bytes: Uint8Array }
  | { readonly kind: 'uint'; readonly type: number; readonly width: 1 | 2 | 4; readonly value: number }
  | { readonly kind: 'int'; readonly type: number; readonly width: 1 | 2 | 4; readonly value: number }
  | { readonly kind: 'int64'; readonly type: number; readonly signed: boolean; readonly value: bigint }
  | { readonly kind: 'real'; readonly type: number; readonly width: 4 | 8; readonly value: number };

export const NULL_VALUE: PreparedValue = Object.freeze({ kind: 'null' });

export function preparedSize(v: PreparedValue): number {
  switch (v.kind) {
    case 'null':
      return 0;
    case 'utf16':
      return v.text.length * 2;
    case 'utf16-array': {
      let n = 0;
      for (const s of v.items) n += (s.length + 1) * 2;
      return n;
    }
    case 'bytes':
      return v.bytes.length;
    case 'uint':
    case 'int':
      return v.width;
    case 'int64':
      return 8;
    case 'real':
      return v.width;
    default:
      return assertNever(v, 'prepared value');
  }
}

export function preparedType(v: PreparedValue): number {
  return v.kind === 'null' ? ValueType.null : v.type;
}

const UINT64_MAX = (1n << 64n) - 1n;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

export function utf16(text: string): PreparedValue {
  return { kind: 'utf16', type: ValueType.string, text };
}

export function uint(type: number, width: 1 | 2 | 4, value: number, what: string): PreparedValue {
  const max = width === 1 ? 0xff : width === 2 ? 0xffff : 0xffffffff;
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${what}: ${value} is not an unsigned ${width * 8}-bit integer`);
  }
  return { kind: 'uint', type, width, value };
}

function int(type: number, width: 1 | 2 | 4, value: number, what: string): PreparedValue {
  const max = width === 1 ? 0x7f : width === 2 ? 0x7fff : 0x7fffffff;
  if (!Number.isInteger(value) || value < -max - 1 || value > max) {
    throw new RangeError(`${what}: ${value} is not a signed ${width * 8}-bit integer`);
  }
  return { kind: 'int', type, width, value };
}

export function uint64(type: number, value: bigint | number, what: string): PreparedValue {
  const big = toBigInt(value, what);
  if (big < 0n || big > UINT64_MAX) throw new RangeError(`${what}: ${value} is not an unsigned 64-bit integer`);
  return { kind: 'int64', type, signed: false, value: big };
}

function int64(value: bigint | number, what: string): PreparedValue {
  const big = toBigInt(value, what);
  if (big < INT64_MIN || big > INT64_MAX) throw new RangeError(`${what}: ${value} is not a signed 64-bit integer`);
  return { kind: 'int64', type: ValueType.int64, signed: true, value: big };
}

function toBigInt(value: bigint | number | string, what: string): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RangeError(`${what}: ${value} is not a safe integer; pass a bigint`);
    return BigInt(value);
  }
  const text = value.trim();
  if (!/^(0[xX][0-9a-fA-F]{1,16}|\d{1,20})$/.test(text)) throw new TypeError(`${what}: "${value}" is not an integer`);
  return BigInt(text);
}

/** Keywords: bigint, number, `0x...` or decimal text. */
export function hex64(value: bigint | number | string, what: string): PreparedValue {
  return uint64(ValueType.hexInt64, toBigInt(value, what), what);
}

/** Natural mapping of an untyped JS value, or the forced mapping of a typed one. */
export function prepareValue(value: WriterValue, what: string): PreparedValue {
  if (value === null) return NULL_VALUE;
  switch (typeof value) {
    case 'string':
      return utf16(value);
    case 'number':
      if (Number.isInteger(value)) {
        if (value >= 0 && value <= 0xffffffff) return uint(ValueType.uint32, 4, value, what);
        if (value < 0 && value >= -0x80000000) return int(ValueType.int32, 4, value, what);
        if (Number.isSafeInteger(value)) return int64(value, what);
      }
      return { kind: 'real', type: ValueType.real64, width: 8, value };
    case 'bigint':
      return value >= 0n ? uint64(ValueType.uint64, value, what) : int64(value, what);
    case 'boolean':
      return { kind: 'uint', type: ValueType.bool, width: 4, value: value ? 1 : 0 };
    case 'object':
      if (value instanceof Date) return filetime(value, what);
      if (isStringArray(value)) return { kind: 'utf16-array', type: STRING_ARRAY_TYPE, items: value };
      return prepareTyped(value, what);
    default:
      throw new TypeError(`${what}: unsupported value of type ${typeof value}`);
  }
}

function isStringArray(value: object): value is readonly string[] {
  return Array.isArray(value);
}

function prepareTyped(v: TypedWriterValue, what: string): PreparedValue {
  switch (v.type) {
    case 'string':
      return utf16(String(v.value));
    case 'ansi':
      return { kind: 'bytes', type: ValueType.ansiString, bytes: ansiBytes(v.value, what) };
    case 'int8':
      return int(ValueType.int8, 1, v.value, what);
    case 'uint8':
      return uint(ValueType.uint8, 1, v.value, what);
    case 'int16':
      return int(ValueType.int16, 2, v.value, what);
    case 'uint16':
      return uint(ValueType.uint16, 2, v.value, what);
    case 'int32':
      return int(ValueType.int32, 4, v.value, what);
    case 'uint32':
      return uint(ValueType.uint32, 4, v.value, what);
    case 'int64':
      return int64(v.value, what);
    case 'uint64':
      return uint64(ValueType.uint64, v.value, what);
    case 'real32':
      return { kind: 'real', type: ValueType.real32, width: 4, value: v.value };
    case 'real64':
      return { kind: 'real', type: ValueType.real64, width: 8, value: v.value };
    case 'bool':
      return { kind: 'uint', type: ValueType.bool, width: 4, value: v.value ? 1 : 0 };
    case 'binary':
      return { kind: 'bytes', type: ValueType.binary, bytes: binaryBytes(v.value, what) };
    case 'guid':
      return { kind: 'bytes', type: ValueType.guid, bytes: guidBytes(v.value, what) };
    case 'sizet':
      return uint64(ValueType.sizeT, v.value, what);
    case 'filetime':
      return typeof v.value === 'bigint' ? uint64(ValueType.fileTime, v.value, what) : filetime(v.value, what);
    case 'systemtime':
      return { kind: 'bytes', type: ValueType.systemTime, bytes: systemtimeBytes(v.value, what) };
    case 'sid':
      return { kind: 'bytes', type: ValueType.sid, bytes: sidBytes(v.value, what) };
    case 'hex32':
      return uint(ValueType.hexInt32, 4, v.value, what);
    case 'hex64':
      return hex64(v.value, what);
    default:
      throw new TypeError(`${what}: unknown value type ${JSON.stringify((v as { type: unknown }).type)}`);
  }
}

function ansiBytes(text: string, what: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff) throw new RangeError(`${what}: ANSI text holds a character above U+00FF`);
    out[i] = c;
  }
  return out;
}

function binaryBytes(value: Uint8Array | string, what: string): Uint8Array {
  if (typeof value !== 'string') return value;
  if (!/^([0-9a-fA-F]{2})*$/.test(value)) throw new TypeError(`${what}: "${value}" is not even-length hex`);
  const out = new Uint8Array(value.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(value.slice(i * 2, i * 2 + 2), 16);
  return out;
}

const GUID_RE = /^\{?([0-9a-fA-F]{8})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{12})\}?$/;
const HEX_DIGIT = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) {
  HEX_DIGIT['0123456789abcdef'.charCodeAt(i)] = i;
  HEX_DIGIT['0123456789ABCDEF'.charCodeAt(i)] = i;
}
/** Where each on-disk GUID byte's two hex digits sit in `XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX`. */
const GUID_DIGIT_AT = [6, 4, 2, 0, 11, 9, 16, 14, 19, 21, 24, 26, 28, 30, 32, 34];

/** GUID text to its 16 on-disk bytes: Data1-3 little-endian, Data4 as written. */
export function guidBytes(text: string, what: string): Uint8Array {
  const body = text.length === 38 && text[0] === '{' && text[37] === '}' ? text.slice(1, 37) : text;
  const out = new Uint8Array(16);
  if (body.length === 36 && body[8] === '-' && body[13] === '-' && body[18] === '-' && body[23] === '-') {
    let ok = true;
    for (let i = 0; i < 16; i++) {
      const at = GUID_DIGIT_AT[i]!;
      const hi = HEX_DIGIT[body.charCodeAt(at) & 0x7f]!;
      const lo = HEX_DIGIT[body.charCodeAt(at + 1) & 0x7f]!;
      if (hi < 0 || lo < 0 || body.charCodeAt(at) > 0x7f || body.charCodeAt(at + 1) > 0x7f) ok = false;
      out[i] = (hi << 4) | lo;
    }
    if (ok) return out;
  }
  // Slow path: surrounding blanks or a bad GUID (which throws).
  const m = GUID_RE.exec(text.trim());
  if (m === null) throw new TypeError(`${what}: "${text}" is not a GUID`);
  return guidBytes(`${m[1]}-${m[2]}-${m[3]}-${m[4]}-${m[5]}`, what);
}

/** SIDs repeat endlessly in logs; a small cache spares the parse. */
const SID_CACHE = new Map<string, Uint8Array>();
const SID_CACHE_LIMIT = 4096;

/** SID text (`S-1-5-21-...`) to revision, count, 48-bit big-endian authority, LE sub-authorities. */
export function sidBytes(text: string, what: string): Uint8Array {
  const cached = SID_CACHE.get(text);
  if (cached !== undefined) return cached;
  const bytes = parseSid(text, what);
  if (SID_CACHE.size >= SID_CACHE_LIMIT) SID_CACHE.clear();
  SID_CACHE.set(text, bytes);
  return bytes;
}

function parseSid(text: string, what: string): Uint8Array {
  const parts = text.trim().split('-');
  if (parts.length < 3 || parts[0]!.toUpperCase() !== 'S' || !parts.slice(1).every((p) => /^\d{1,15}$/.test(p))) {
    throw new TypeError(`${what}: "${text}" is not a SID`);
  }
  const revision = Number(parts[1]);
  const authority = Number(parts[2]);
  const subs = parts.slice(3).map(Number);
  if (revision > 0xff || authority > 0xffffffffffff || subs.length > 15 || subs.some((s) => s > 0xffffffff)) {
    throw new RangeError(`${what}: "${text}" is out of range for a SID`);
  }
  const out = new Uint8Array(8 + subs.length * 4);
  const view = new DataView(out.buffer);
  out[0] = revision;
  out[1] = subs.length;
  view.setUint16(2, Math.floor(authority / 2 ** 32));
  view.setUint32(4, authority % 2 ** 32);
  subs.forEach((s, i) => view.setUint32(8 + i * 4, s, true));
  return out;
}

/** 100 ns ticks between 1601-01-01 and 1970-01-01. */
const EPOCH_DELTA_TICKS = 116444736000000000n;
const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/i;

/** FILETIME ticks for a Date or ISO-8601 text (7 fractional digits kept; no zone means UTC). */
export function filetimeTicks(value: Date | string, what: string): bigint {
  if (value instanceof Date) {
    const ms = value.getTime();
    if (!Number.isFinite(ms)) throw new RangeError(`${what}: invalid Date`);
    return checkTicks(BigInt(ms) * 10000n + EPOCH_DELTA_TICKS, what);
  }
  const fast = fastUtcTicks(value);
  if (fast !== null) return fast;
  const m = ISO_RE.exec(value.trim());
  if (m === null) throw new TypeError(`${what}: "${value}" is not an ISO-8601 date-time`);
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (!Number.isFinite(ms) || new Date(ms).getUTCDate() !== Number(d)) throw new RangeError(`${what}: "${value}" is not a valid date`);
  if (zone !== undefined && zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60000;
  }
  const fracTicks = frac === undefined ? 0n : BigInt((frac + '0000000').slice(0, 7));
  return checkTicks(BigInt(ms) * 10000n + fracTicks + EPOCH_DELTA_TICKS, what);
}

/** Seconds-prefix memo: consecutive events mostly share the same second. */
let lastPrefix = '';
let lastPrefixTicks = 0n;

/** `YYYY-MM-DDTHH:MM:SS[.f{1,7}]Z`, the shape nearly every caller uses, without a regex. */
function fastUtcTicks(text: string): bigint | null {
  const n = text.length;
  if (n < 20 || n > 28 || text.charCodeAt(n - 1) !== 0x5a /* Z */ || text.charCodeAt(10) !== 0x54 /* T */) return null;
  let frac = 0;
  if (n > 20) {
    if (text.charCodeAt(19) !== 0x2e /* . */ || n === 21) return null;
    for (let i = 20; i < n - 1; i++) {
      const d = text.charCodeAt(i) - 0x30;
      if (d < 0 || d > 9) return null;
      frac = frac * 10 + d;
    }
    frac *= 10 ** (7 - (n - 21));
  }
  const prefix = text.slice(0, 19);
  if (prefix !== lastPrefix) {
    const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(prefix);
    if (m === null) return null;
    const [, y, mo, d, h, mi, sec] = m;
    const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec));
    if (!Number.isFinite(ms) || new Date(ms).getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59 || Number(sec) > 59) return null;
    lastPrefix = prefix;
    lastPrefixTicks = BigInt(ms) * 10000n + EPOCH_DELTA_TICKS;
  }
  return lastPrefixTicks + BigInt(frac);
}

function checkTicks(ticks: bigint, what: string): bigint {
  if (ticks < 0n || ticks > UINT64_MAX) throw new RangeError(`${what}: time before 1601 or too far ahead`);
  return ticks;
}

export function filetime(value: Date | string, what: string): PreparedValue {
  return { kind: 'int64', type: ValueType.fileTime, signed: false, value: filetimeTicks(value, what) };
}

function systemtimeBytes(value: Date | string, what: string): Uint8Array {
  const ticks = filetimeTicks(value, what) - EPOCH_DELTA_TICKS;
  const ms = Number(ticks / 10000n) - (ticks < 0n && ticks % 10000n !== 0n ? 1 : 0);
  const date = new Date(ms);
  const out = new Uint8Array(16);
  const view = new DataView(out.buffer);
  const fields = [
    date.getUTCFullYear(),
    date.getUTCMonth() + 1,
    date.getUTCDay(),
    date.getUTCDate(),
    date.getUTCHours(),
    date.getUTCMinutes(),
    date.getUTCSeconds(),
    date.getUTCMilliseconds(),
  ];
  fields.forEach((f, i) => view.setUint16(i * 2, f, true));
  return out;
}
