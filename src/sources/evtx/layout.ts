/**
 * EVTX on-disk layout: the file header, chunk header and record header, read with bounds
 * checks. Everything here is little-endian; offsets are byte offsets.
 */
import type { Diagnostic } from '../../core/diagnostics.js';
import { crc32, crc32Update } from './crc32.js';

export const FILE_HEADER_SIZE = 4096;
export const CHUNK_SIZE = 65536;
export const CHUNK_HEADER_SIZE = 512;
export const RECORD_HEADER_SIZE = 24;
/** Header plus the trailing size copy: the smallest possible record (empty BinXml). */
export const MIN_RECORD_SIZE = RECORD_HEADER_SIZE + 4;
export const RECORD_MAGIC = 0x00002a2a;

export const FILE_FLAG_DIRTY = 0x1;
export const FILE_FLAG_FULL = 0x2;
export const FILE_FLAG_NO_CRC32 = 0x4;
const KNOWN_FILE_FLAGS = FILE_FLAG_DIRTY | FILE_FLAG_FULL | FILE_FLAG_NO_CRC32;

const FILE_MAGIC = [0x45, 0x6c, 0x66, 0x46, 0x69, 0x6c, 0x65, 0x00]; // "ElfFile\0"
const CHUNK_MAGIC = [0x45, 0x6c, 0x66, 0x43, 0x68, 0x6e, 0x6b, 0x00]; // "ElfChnk\0"

export function u16(b: Uint8Array, off: number): number {
  return b[off]! | (b[off + 1]! << 8);
}

export function u32(b: Uint8Array, off: number): number {
  return (b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24)) >>> 0;
}

/** u64 as a number; exact up to 2^53, which covers record ids and counts in practice. */
export function u64(b: Uint8Array, off: number): number {
  return u32(b, off + 4) * 0x1_0000_0000 + u32(b, off);
}

function hasMagic(b: Uint8Array, off: number, magic: readonly number[]): boolean {
  if (off + magic.length > b.length) return false;
  for (let i = 0; i < magic.length; i++) if (b[off + i] !== magic[i]) return false;
  return true;
}

export function hasFileMagic(b: Uint8Array): boolean {
  return hasMagic(b, 0, FILE_MAGIC);
}

export function hasChunkMagic(b: Uint8Array): boolean {
  return hasMagic(b, 0, CHUNK_MAGIC);
}

export function isAllZero(b: Uint8Array, start = 0, end = b.length): boolean {
  for (let i = start; i < end; i++) if (b[i] !== 0) return false;
  return true;
}

export interface FileHeader {
  readonly firstChunk: number;
  readonly lastChunk: number;
  readonly nextRecordId: number;
  readonly headerSize: number;
  readonly minorVersion: number;
  readonly majorVersion: number;
  readonly headerBlockSize: number;
  readonly chunkCount: number;
  readonly flags: number;
  readonly checksum: number;
}

/** Bytes of the header the checksum covers and the fields need. */
export const FILE_HEADER_FIELDS_SIZE = 128;

const MAJOR_VERSION = 3;

/**
 * Whether the header is garbage behind a right magic rather than a real header that is merely
 * odd: at least two of the three fields every EVTX file holds the same (header size 128, major
 * version 3, block size 4096) are wrong. Dirty files, stale checksums and chunk counts that
 * disagree leave all three alone; random or zeroed bytes after the magic break all three.
 */
export function isCorruptFileHeader(h: FileHeader): boolean {
  const wrong = [h.headerSize !== FILE_HEADER_FIELDS_SIZE, h.majorVersion !== MAJOR_VERSION, h.headerBlockSize !== FILE_HEADER_SIZE];
  return wrong.filter((w) => w).length >= 2;
}

/**
 * Reads the file header. Returns null when the magic is missing (not an EVTX file); oddities
 * that lose nothing come back as warnings, one per field. `corrupt` (isCorruptFileHeader) tells
 * the caller to summarise them instead: its fields are noise, not facts about the file.
 */
export function readFileHeader(
  b: Uint8Array,
  file: string,
): { header: FileHeader; warnings: Diagnostic[]; corrupt: boolean } | null {
  if (b.length < FILE_HEADER_FIELDS_SIZE || !hasFileMagic(b)) return null;
  const header: FileHeader = {
    firstChunk: u64(b, 8),
    lastChunk: u64(b, 16),
    nextRecordId: u64(b, 24),
    headerSize: u32(b, 32),
    minorVersion: u16(b, 36),
    majorVersion: u16(b, 38),
    headerBlockSize: u16(b, 40),
    chunkCount: u16(b, 42),
    flags: u32(b, 120),
    checksum: u32(b, 124),
  };
  const warnings: Diagnostic[] = [];
  const warn = (code: string, message: string, offset: number): void => {
    warnings.push({ severity: 'warning', code, message, location: { file, offset } });
  };
  if (header.majorVersion !== MAJOR_VERSION || (header.minorVersion !== 1 && header.minorVersion !== 2)) {
    warn('evtx.header.version', `unexpected format version ${header.majorVersion}.${header.minorVersion} (expected 3.1 or 3.2)`, 36);
  }
  if (header.headerSize !== FILE_HEADER_FIELDS_SIZE) warn('evtx.header.size', `header size field is ${header.headerSize}, expected 128`, 32);
  if (header.headerBlockSize !== FILE_HEADER_SIZE) {
    warn('evtx.header.block-size', `header block size is ${header.headerBlockSize}, expected 4096; chunks are read from 4096`, 40);
  }
  if ((header.flags & FILE_FLAG_DIRTY) !== 0) {
    warn('evtx.header.dirty', 'file is marked dirty (not closed cleanly): header chunk count and checksums may be stale', 120);
  }
  if ((header.flags & ~KNOWN_FILE_FLAGS) !== 0) {
    warn('evtx.header.flags', `unknown header flags 0x${header.flags.toString(16)}`, 120);
  }
  if ((header.flags & FILE_FLAG_NO_CRC32) === 0) {
    const actual = crc32(b, 0, 120);
    if (actual !== header.checksum) {
      warn('evtx.header.crc', `file header CRC32 mismatch: stored 0x${hex8(header.checksum)}, computed 0x${hex8(actual)}`, 124);
    }
  }
  if (header.chunkCount > 0 && (header.firstChunk >= header.chunkCount || header.lastChunk >= header.chunkCount)) {
    // A wrapped log legitimately has first > last; numbers past the chunk count are inconsistent.
    warn('evtx.header.chunk-range', `first/last chunk numbers ${header.firstChunk}/${header.lastChunk} exceed the chunk count ${header.chunkCount}`, 8);
  }
  return { header, warnings, corrupt: isCorruptFileHeader(header) };
}

export interface ChunkHeader {
  readonly firstRecordNumber: number;
  readonly lastRecordNumber: number;
  readonly firstRecordId: number;
  readonly lastRecordId: number;
  readonly headerSize: number;
  readonly lastRecordOffset: number;
  readonly freeSpaceOffset: number;
  readonly recordsChecksum: number;
  readonly flags: number;
  readonly headerChecksum: number;
}

/** Reads a chunk header; the caller has checked the magic and that 512 bytes are present. */
export function readChunkHeader(c: Uint8Array): ChunkHeader {
  return {
    firstRecordNumber: u64(c, 8),
    lastRecordNumber: u64(c, 16),
    firstRecordId: u64(c, 24),
    lastRecordId: u64(c, 32),
    headerSize: u32(c, 40),
    lastRecordOffset: u32(c, 44),
    freeSpaceOffset: u32(c, 48),
    recordsChecksum: u32(c, 52),
    flags: u32(c, 120),
    headerChecksum: u32(c, 124),
  };
}

/** The chunk header checksum covers bytes 0..119 and 128..511 (the string and template tables). */
export function chunkHeaderCrc(c: Uint8Array): number {
  return crc32Update(crc32Update(0, c, 0, 120), c, 128, CHUNK_HEADER_SIZE);
}

export function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

const TICKS_PER_SECOND = 10_000_000;
const SECONDS_1601_TO_1970 = 11_644_473_600;
const TWO_POW_32_MOD_TICKS = 4_967_296; // 2^32 mod 10^7

/**
 * FILETIME (100 ns ticks since 1601, UTC) as ISO-8601 with 7 fractional digits, e.g.
 * `2016-07-08T18:12:51.6816408Z`. Exact without BigInt: the sub-second part is computed modulo
 * 10^7 from the two halves, and the whole seconds are then an exact division rounded.
 */
export function filetimeToIso(b: Uint8Array, off: number): string {
  const lo = u32(b, off);
  const hi = u32(b, off + 4);
  const fraction = ((hi % TICKS_PER_SECOND) * TWO_POW_32_MOD_TICKS + lo) % TICKS_PER_SECOND;
  const seconds = Math.round((hi * 0x1_0000_0000 + lo - fraction) / TICKS_PER_SECOND) - SECONDS_1601_TO_1970;
  const date = new Date(seconds * 1000);
  if (Number.isNaN(date.getTime())) return '1601-01-01T00:00:00.0000000Z';
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.000Z (or ±YYYYYY for far years)
  return `${iso.slice(0, iso.length - 5)}.${String(fraction).padStart(7, '0')}Z`;
}
