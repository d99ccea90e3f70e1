/**
 * Turning event field values into Splunk values: text (Splunk extracts text; numbers stay the
 * text they were written as), multivalues as arrays, empty values dropped (the add-on's regexes
 * extract nothing from `<Data Name='X'/>`), XML entities re-encoded for XmlWinEventLog rows, and
 * `_time` as epoch seconds.
 */
import type { FieldScalar, FieldValue } from '../core/event.js';
import type { SplScalar, SplValue } from '../spl/exec/types.js';

/**
 * HexInt32/HexInt64 values as our EVTX reader renders them (libevtx's zero-padded `0x%08x` and
 * `0x%016x`); Windows renders them unpadded (`0x1524`), and that is the text Splunk extracts.
 */
const PADDED_HEX = /^0x0[0-9a-fA-F]{7}(?:[0-9a-fA-F]{8})?$/;

function windowsHex(s: string): string {
  const digits = s.slice(2).replace(/^0+/, '');
  return `0x${digits === '' ? '0' : digits}`;
}

function scalarText(v: FieldScalar): string | null {
  if (v === null) return null;
  if (typeof v === 'string') return v === '' ? null : PADDED_HEX.test(v) ? windowsHex(v) : v;
  return String(v); // numbers as decimal text, booleans as true/false (as Windows renders them)
}

/** A field value as Splunk holds it; undefined when nothing would be extracted. */
export function splunkValue(v: FieldValue | undefined, encode: ((s: string) => string) | null): SplValue | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) {
    const s = scalarText(v as FieldScalar);
    return s === null ? undefined : encode === null ? s : encode(s);
  }
  const out: SplScalar[] = [];
  for (const item of v as readonly FieldScalar[]) {
    const s = scalarText(item);
    if (s !== null) out.push(encode === null ? s : encode(s));
  }
  if (out.length === 0) return undefined;
  return out.length === 1 ? out[0]! : out;
}

const TEXT_SPECIALS = /[&<>]/;
const ATTRIBUTE_SPECIALS = /[&<>']/;

/**
 * Element text as Windows writes it in XmlWinEventLog: `&`, `<`, `>` become entities; quotes
 * stay literal (security_content's raw Sysmon/4688 samples show literal `"` in CommandLine).
 */
export function encodeElementText(s: string): string {
  if (!TEXT_SPECIALS.test(s)) return s;
  return s.replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'));
}

/** Attribute text in Splunk's single-quoted attributes: also `'` → `&apos;`. */
export function encodeAttributeText(s: string): string {
  if (!ATTRIBUTE_SPECIALS.test(s)) return s;
  return s.replace(/[&<>']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&apos;'));
}

const ISO_Z = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$/;

/** Epoch seconds (fraction kept to the microsecond, as Splunk stores `_time`) of an ISO time. */
export function epochSeconds(iso: string | null): number | null {
  if (iso === null) return null;
  const m = ISO_Z.exec(iso);
  if (m === null) {
    const ms = Date.parse(iso);
    return Number.isFinite(ms) ? ms / 1000 : null;
  }
  const whole = Date.parse(`${m[1]}Z`);
  if (!Number.isFinite(whole)) return null;
  const micros = m[2] === undefined ? 0 : Number(m[2].slice(0, 6).padEnd(6, '0'));
  return (whole * 1000 + micros) / 1e6;
}
