/**
 * CRC32 as EVTX uses it (RFC 1952: reflected polynomial 0xEDB88320, initial and final XOR
 * 0xFFFFFFFF), for the file header, chunk header and chunk record checksums. The EVTX writer
 * reuses it to stamp checksums. Every chunk's records are checksummed, so this sits on the
 * parsing hot path: Node's native zlib.crc32 is used when present (Node >= 20.15), otherwise a
 * slicing-by-8 table implementation.
 */
import * as zlib from 'node:zlib';

type NativeCrc32 = (data: Uint8Array, value?: number) => number;
const nativeCrc32: NativeCrc32 | undefined = (zlib as unknown as { crc32?: NativeCrc32 }).crc32;

const TABLES: Uint32Array = buildTables();

function buildTables(): Uint32Array {
  const t = new Uint32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n]!;
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff]! ^ (c >>> 8);
      t[k * 256 + n] = c >>> 0;
    }
  }
  return t;
}

/**
 * Continues a running CRC over `bytes[start, end)`. Start a new CRC with `crc = 0`; chain calls to
 * cover several ranges (the chunk header checksum skips bytes 120..127).
 */
export function crc32Update(crc: number, bytes: Uint8Array, start = 0, end = bytes.length): number {
  if (nativeCrc32 !== undefined) {
    const from = Math.max(0, start);
    const to = Math.min(bytes.length, end);
    return to <= from ? crc >>> 0 : nativeCrc32(bytes.subarray(from, to), crc) >>> 0;
  }
  return crc32UpdatePortable(crc, bytes, start, end);
}

/** The table implementation (exported so tests cover it where native CRC32 exists). */
export function crc32UpdatePortable(crc: number, bytes: Uint8Array, start = 0, end = bytes.length): number {
  const t = TABLES;
  let i = Math.max(0, start);
  const to = Math.min(bytes.length, end);
  let c = ~crc >>> 0;
  for (; i + 8 <= to; i += 8) {
    const lo = (c ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24))) >>> 0;
    c =
      t[1792 + (lo & 0xff)]! ^
      t[1536 + ((lo >>> 8) & 0xff)]! ^
      t[1280 + ((lo >>> 16) & 0xff)]! ^
      t[1024 + (lo >>> 24)]! ^
      t[768 + bytes[i + 4]!]! ^
      t[512 + bytes[i + 5]!]! ^
      t[256 + bytes[i + 6]!]! ^
      t[bytes[i + 7]!]!;
  }
  for (; i < to; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** CRC32 of `bytes[start, end)` as an unsigned 32-bit number. */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return crc32Update(0, bytes, start, end);
}
