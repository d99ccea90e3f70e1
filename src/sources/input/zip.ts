/**
 * Reads `.zip` archives in place: the central directory is parsed from the end of the file
 * (zip64 included), each member is streamed from its local header through raw inflate, with
 * its size and CRC checked at the end. Only stored (0) and deflate (8) members are read.
 *
 * Guards: the declared uncompressed size must fit the decompression allowance, inflate may not
 * produce more than the member declares, and members whose data overlap another member (the
 * "overlapping files" zip bomb) are refused.
 */
import { stat } from 'node:fs/promises';
import { LocatedError } from '../../core/diagnostics.js';
import { readFileBytes, readFileRange } from './byte-stream.js';
import { crc32Update } from './crc32.js';
import { inflateStream } from './inflate.js';
import { type InputLimits, decompressedAllowance } from './limits.js';

const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;
const EOCD_MIN = 22;
/** EOCD plus the longest possible archive comment. */
const EOCD_SEARCH = EOCD_MIN + 0xffff;
const CENTRAL_FIXED = 46;
const LOCAL_FIXED = 30;

export const ZIP_METHOD_STORED = 0;
export const ZIP_METHOD_DEFLATE = 8;

export interface ZipMember {
  /** Path inside the archive, `/`-separated. */
  readonly name: string;
  readonly method: number;
  readonly flags: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly localHeaderOffset: number;
  readonly isDirectory: boolean;
  /** Why the member cannot be read, or null when it can. */
  readonly problem: string | null;
}

/** True when the bytes start like a zip archive (local header, or the EOCD of an empty archive). */
export function looksLikeZip(head: Uint8Array): boolean {
  if (head.length < 4) return false;
  const sig = (head[0]! | (head[1]! << 8) | (head[2]! << 16) | (head[3]! << 24)) >>> 0;
  return sig === SIG_LOCAL || sig === SIG_EOCD;
}

function zipError(archive: string, message: string, offset?: number): LocatedError {
  return new LocatedError('input.zip.invalid', `${archive}: ${message}`, offset === undefined ? { file: archive } : { file: archive, offset });
}

function u64(buf: Buffer, at: number): number {
  const v = buf.readBigUInt64LE(at);
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
}

/** Lists an archive's members. Throws LocatedError when the archive itself is unreadable. */
export async function readZipDirectory(path: string, archive: string, limits: InputLimits): Promise<ZipMember[]> {
  const fileSize = (await stat(path)).size;
  if (fileSize < EOCD_MIN) throw zipError(archive, `too short to be a zip archive (${fileSize} bytes)`);
  const tailStart = Math.max(0, fileSize - EOCD_SEARCH);
  const tail = await readFileBytes(path, tailStart, fileSize - tailStart);
  let eocd = -1;
  for (let i = tail.length - EOCD_MIN; i >= 0; i--) {
    if (tail.readUInt32LE(i) === SIG_EOCD && i + EOCD_MIN + tail.readUInt16LE(i + 20) <= tail.length) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw zipError(archive, 'no end-of-central-directory record; not a zip archive or truncated');
  const disk = tail.readUInt16LE(eocd + 4);
  const cdDisk = tail.readUInt16LE(eocd + 6);
  let entries = tail.readUInt16LE(eocd + 10);
  let cdSize = tail.readUInt32LE(eocd + 12);
  let cdOffset = tail.readUInt32LE(eocd + 16);
  const eocdAbs = tailStart + eocd;
  if (disk !== 0 || cdDisk !== 0) {
    if (disk !== 0xffff && cdDisk !== 0xffff) throw zipError(archive, 'multi-volume (split) archives are not supported', eocdAbs);
  }
  if (entries === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const locAt = eocd - 20;
    if (locAt < 0 || tail.readUInt32LE(locAt) !== SIG_ZIP64_LOCATOR) {
      throw zipError(archive, 'zip64 fields without a zip64 locator', eocdAbs);
    }
    const z64Offset = u64(tail, locAt + 8);
    const z64 = await readFileBytes(path, z64Offset, 56);
    if (z64.length < 56 || z64.readUInt32LE(0) !== SIG_ZIP64_EOCD) throw zipError(archive, 'bad zip64 end-of-central-directory record', z64Offset);
    entries = u64(z64, 32);
    cdSize = u64(z64, 40);
    cdOffset = u64(z64, 48);
  }
  if (cdSize > limits.maxCentralDirectoryBytes) throw zipError(archive, `central directory of ${cdSize} bytes exceeds the limit`, cdOffset);
  if (cdOffset + cdSize > fileSize) throw zipError(archive, 'central directory lies beyond the end of the file (truncated archive?)', cdOffset);
  const cd = await readFileBytes(path, cdOffset, cdSize);
  const members: ZipMember[] = [];
  let at = 0;
  // Bounded by both the declared entry count and the directory size.
  for (let n = 0; n < entries; n++) {
    if (at + CENTRAL_FIXED > cd.length || cd.readUInt32LE(at) !== SIG_CENTRAL) {
      throw zipError(archive, `central directory entry ${n} is damaged`, cdOffset + at);
    }
    const flags = cd.readUInt16LE(at + 8);
    const method = cd.readUInt16LE(at + 10);
    const crc = cd.readUInt32LE(at + 16);
    let compressedSize = cd.readUInt32LE(at + 20);
    let uncompressedSize = cd.readUInt32LE(at + 24);
    const nameLen = cd.readUInt16LE(at + 28);
    const extraLen = cd.readUInt16LE(at + 30);
    const commentLen = cd.readUInt16LE(at + 32);
    let localHeaderOffset = cd.readUInt32LE(at + 42);
    const nameEnd = at + CENTRAL_FIXED + nameLen;
    const extraEnd = nameEnd + extraLen;
    if (extraEnd + commentLen > cd.length) throw zipError(archive, `central directory entry ${n} runs past the directory`, cdOffset + at);
    const rawName = cd.subarray(at + CENTRAL_FIXED, nameEnd);
    // Bit 11: UTF-8 names; otherwise CP437, read as Latin-1 (exact for ASCII names).
    const name = rawName.toString(flags & 0x800 ? 'utf8' : 'latin1');
    // zip64 extended information: only the fields saturated in the fixed header are present.
    for (let e = nameEnd; e + 4 <= extraEnd; ) {
      const id = cd.readUInt16LE(e);
      const size = cd.readUInt16LE(e + 2);
      const dataEnd = Math.min(e + 4 + size, extraEnd);
      if (id === 0x0001) {
        let p = e + 4;
        if (uncompressedSize === 0xffffffff && p + 8 <= dataEnd) {
          uncompressedSize = u64(cd, p);
          p += 8;
        }
        if (compressedSize === 0xffffffff && p + 8 <= dataEnd) {
          compressedSize = u64(cd, p);
          p += 8;
        }
        if (localHeaderOffset === 0xffffffff && p + 8 <= dataEnd) localHeaderOffset = u64(cd, p);
      }
      e += 4 + size;
    }
    const isDirectory = name.endsWith('/') || name.endsWith('\\');
    let problem: string | null = null;
    if (flags & 0x1) problem = 'is encrypted; encrypted members are not supported';
    else if (method !== ZIP_METHOD_STORED && method !== ZIP_METHOD_DEFLATE) problem = `uses compression method ${method}; only stored (0) and deflate (8) are supported`;
    else if (method === ZIP_METHOD_STORED && compressedSize !== uncompressedSize) problem = 'is stored but its compressed and uncompressed sizes differ';
    else if (localHeaderOffset + LOCAL_FIXED + compressedSize > cdOffset) problem = 'has data running into the central directory';
    else if (uncompressedSize > decompressedAllowance(limits, compressedSize)) {
      problem = `declares ${uncompressedSize} bytes from ${compressedSize} compressed, beyond the decompression limit (possible zip bomb)`;
    }
    members.push({ name, method, flags, crc32: crc, compressedSize, uncompressedSize, localHeaderOffset, isDirectory, problem });
    at = extraEnd + commentLen;
  }
  return markOverlaps(members);
}

/** Flags members whose data would run into the next member's local header. */
function markOverlaps(members: ZipMember[]): ZipMember[] {
  const order = members.map((m, i) => i).sort((a, b) => members[a]!.localHeaderOffset - members[b]!.localHeaderOffset);
  const out = members.slice();
  for (let k = 0; k + 1 < order.length; k++) {
    const m = out[order[k]!]!;
    const next = out[order[k + 1]!]!;
    const minEnd = m.localHeaderOffset + LOCAL_FIXED + Buffer.byteLength(m.name) + m.compressedSize;
    if (m.isDirectory && m.compressedSize === 0) continue;
    if (m.localHeaderOffset === next.localHeaderOffset || minEnd > next.localHeaderOffset) {
      for (const idx of [order[k]!, order[k + 1]!]) {
        const x = out[idx]!;
        if (x.problem === null) out[idx] = { ...x, problem: 'overlaps another member in the archive (possible zip bomb)' };
      }
    }
  }
  return out;
}

/** Streams one member's decompressed bytes, checking its declared size and CRC at the end. */
export async function* streamZipMember(path: string, archive: string, member: ZipMember, limits: InputLimits): AsyncGenerator<Buffer> {
  const display = `${archive}!${member.name}`;
  if (member.problem !== null) throw new LocatedError('input.zip.member-unsupported', `${display}: member ${member.problem}`, { file: display });
  const local = await readFileBytes(path, member.localHeaderOffset, LOCAL_FIXED);
  if (local.length < LOCAL_FIXED || local.readUInt32LE(0) !== SIG_LOCAL) {
    throw zipError(archive, `member ${member.name}: bad local header`, member.localHeaderOffset);
  }
  const dataStart = member.localHeaderOffset + LOCAL_FIXED + local.readUInt16LE(26) + local.readUInt16LE(28);
  const raw = readFileRange(path, dataStart, dataStart + member.compressedSize);
  const body =
    member.method === ZIP_METHOD_STORED
      ? raw
      : inflateStream(raw, {
          kind: 'deflate-raw',
          name: display,
          maxOutputBytes: member.uncompressedSize,
          capReason: 'the size the archive declares for this member',
        });
  let crc = 0;
  let size = 0;
  for await (const chunk of body) {
    crc = crc32Update(crc, chunk);
    size += chunk.length;
    yield chunk;
  }
  if (size !== member.uncompressedSize) {
    throw new LocatedError('input.zip.size-mismatch', `${display}: member holds ${size} bytes, archive declares ${member.uncompressedSize}`, {
      file: display,
      offset: size,
    });
  }
  if (crc !== member.crc32) {
    throw new LocatedError('input.zip.crc-mismatch', `${display}: CRC-32 mismatch (computed ${hex(crc)}, archive says ${hex(member.crc32)}); data is corrupt`, {
      file: display,
      offset: size,
    });
  }
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}
