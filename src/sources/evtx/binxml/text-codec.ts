/**
 * String decoding from chunk bytes. EVTX strings are UTF-16LE; names and values are short, so a
 * plain char-code loop beats a native call for them, and long strings go through Buffer's decoder.
 */

const SHORT_STRING_UNITS = 6;

/** A Buffer view over the same memory, created once per chunk for the native UTF-16 decoder. */
export function bufferView(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Decodes `units` UTF-16LE code units at `pos`. Lone surrogates are kept as-is (the renderers
 * decide what to do with them); the caller has bounds-checked the range.
 */
export function decodeUtf16(bytes: Uint8Array, buffer: Buffer, pos: number, units: number): string {
  if (units <= SHORT_STRING_UNITS) {
    let s = '';
    for (let i = 0, p = pos; i < units; i++, p += 2) s += String.fromCharCode(bytes[p]! | (bytes[p + 1]! << 8));
    return s;
  }
  return buffer.toString('utf16le', pos, pos + units * 2);
}

/** Like decodeUtf16 but stops at the first NUL unit (substitution strings are often NUL-padded). */
export function decodeUtf16UntilNul(bytes: Uint8Array, buffer: Buffer, pos: number, units: number): string {
  const s = decodeUtf16(bytes, buffer, pos, units);
  const nul = s.indexOf('\0');
  return nul < 0 ? s : s.slice(0, nul);
}

/**
 * windows-1252 differs from Latin-1 only in 0x80-0x9F. Node's TextDecoder treats the label as
 * Latin-1, so the 32 code points are mapped here (undefined bytes keep their C1 value).
 */
const CP1252_HIGH: readonly number[] = [
  0x20ac, 0x81, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8d, 0x017d, 0x8f,
  0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x9d, 0x017e, 0x0178,
];

/** ANSI strings: the crate's default code page is windows-1252; decoding stops at the first NUL. */
export function decodeAnsi(bytes: Uint8Array, pos: number, size: number): string {
  let end = pos;
  let windows1252 = false;
  for (const limit = pos + size; end < limit; end++) {
    const c = bytes[end]!;
    if (c === 0) break;
    if (c >= 0x80 && c < 0xa0) windows1252 = true;
  }
  // Without 0x80-0x9F the code page is Latin-1, which one native call decodes.
  if (!windows1252 && end - pos > SHORT_STRING_UNITS) return Buffer.from(bytes.buffer, bytes.byteOffset + pos, end - pos).toString('latin1');
  let s = '';
  for (let i = pos; i < end; i++) {
    const c = bytes[i]!;
    s += String.fromCharCode(c >= 0x80 && c < 0xa0 ? CP1252_HIGH[c - 0x80]! : c);
  }
  return s;
}
