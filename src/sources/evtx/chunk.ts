/**
 * Walks one 64 KiB chunk: validates its header and checksums, reads the live record list,
 * resynchronises past damaged records, and (on request) carves records from slack. Every
 * record is accounted for as a record, a record error, or (for stale slack copies that no
 * longer decode) a warning. Synchronous and self-contained so it runs inline or in a worker.
 */
import type { Diagnostic } from '../../core/diagnostics.js';
import { LocatedError } from '../../core/diagnostics.js';
import { elementText, firstChild, rootElement, type XmlDocument } from '../../core/xml-tree.js';
import { createChunkContext, decodeRecord, decodeRecordFields, type ChunkContext, type FlatFields } from './binxml/index.js';
import {
  CHUNK_HEADER_SIZE,
  CHUNK_SIZE,
  MIN_RECORD_SIZE,
  RECORD_HEADER_SIZE,
  RECORD_MAGIC,
  chunkHeaderCrc,
  filetimeToIso,
  hasChunkMagic,
  hex8,
  isAllZero,
  readChunkHeader,
  u32,
  u64,
} from './layout.js';
import { crc32 } from './crc32.js';
import type { Fields } from '../../core/event.js';
import { flattenTree } from '../../normalize/flatten-tree.js';
import type { ChunkEntry, ChunkParseOptions, EvtxRecord } from './types.js';

const CHUNK_FLAG_NO_CRC32 = 0x4;

/**
 * A live record whose fields are known without keeping its tree: read through a flat plan, or
 * decoded and flattened at once. The tree is decoded (again) on first access; the flat read
 * accepts exactly the tokens the tree path reads, so that decode succeeds too. A class over
 * plain data rather than an object with closures, for the same reason as ChunkWalker.ctx.
 */
class FlatRecord implements EvtxRecord {
  readonly recovered = false;
  readonly fields: FlatFields['fields'];
  readonly fieldValues: FlatFields['values'];
  private cachedTree: XmlDocument | null = null;

  constructor(
    readonly recordId: number,
    readonly offset: number,
    readonly chunk: number,
    private readonly ctx: ChunkContext,
    /** Chunk-relative offset of the record header. */
    private readonly at: number,
    flat: FlatFields,
  ) {
    this.fields = flat.fields;
    this.fieldValues = flat.values;
  }

  /** Nothing downstream of events reads it: formatted only when asked for. */
  get writtenTime(): string {
    return filetimeToIso(this.ctx.bytes, this.at + 16);
  }

  get tree(): XmlDocument {
    return (this.cachedTree ??= decodeRecord(this.ctx, this.at + RECORD_HEADER_SIZE, this.at + u32(this.ctx.bytes, this.at + 4) - 4));
  }
}

export interface ChunkParse {
  readonly chunkIndex: number;
  /** True for an all-zero chunk (skipped, nothing to report). */
  readonly empty: boolean;
  readonly entries: ChunkEntry[];
}

/** Parses one chunk. `chunk` may be shorter than 64 KiB when the file is truncated. */
export function parseChunk(
  chunk: Uint8Array,
  file: string,
  chunkIndex: number,
  chunkOffset: number,
  opts: ChunkParseOptions,
): ChunkParse {
  if (isAllZero(chunk)) return { chunkIndex, empty: true, entries: [] };
  const walker = new ChunkWalker(chunk, file, chunkIndex, chunkOffset, opts);
  walker.run();
  return { chunkIndex, empty: false, entries: walker.entries };
}

class ChunkWalker {
  readonly entries: ChunkEntry[] = [];
  private readonly end: number;
  /**
   * The chunk's decoding context, made on first use, or why it could not be made. Held as data,
   * not as closures over it: V8's scavenger keeps whatever a closure stored in an object field
   * reaches alive (measured: half of a chunk's template objects survived and were promoted).
   */
  private ctx: ChunkContext | null = null;
  private ctxFailure: { readonly error: unknown } | null = null;
  /** Record ids the chunk header claims; records outside it met after damage are stale remnants. */
  private idRange: { readonly first: number; readonly last: number } | null = null;
  private damaged = false;

  constructor(
    private readonly chunk: Uint8Array,
    private readonly file: string,
    private readonly chunkIndex: number,
    private readonly chunkOffset: number,
    private readonly opts: ChunkParseOptions,
  ) {
    this.end = Math.min(chunk.length, CHUNK_SIZE);
  }

  run(): void {
    const c = this.chunk;
    if (this.end < CHUNK_SIZE) {
      this.warn('evtx.chunk.truncated', `chunk is truncated: ${this.end} of ${CHUNK_SIZE} bytes present; reading as far as it goes`, 0);
    }
    if (this.end < CHUNK_HEADER_SIZE || !hasChunkMagic(c)) {
      const what = this.end < CHUNK_HEADER_SIZE ? 'chunk header is truncated' : `bad chunk magic ${hexBytes(c, 0, 8)}`;
      const at = this.entries.length;
      const salvaged = this.carve(0, true);
      const message = `${what}; ${salvaged} record(s) salvaged by scanning for record magic`;
      const diagnostic = this.diagnostic('error', 'evtx.chunk.bad-header', message, 0);
      // Inside the header's chunk count the chunk held records that are gone; past it (a dirty
      // file's tail) the bytes are usually leftovers, and nothing is known to be lost.
      const entry: ChunkEntry =
        this.chunkIndex < this.opts.headerChunkCount
          ? { kind: 'record-error', diagnostic }
          : { kind: 'warning', diagnostic: { ...diagnostic, severity: 'warning' } };
      this.entries.splice(at, 0, entry);
      return;
    }
    const header = readChunkHeader(c);
    if (header.firstRecordId <= header.lastRecordId) this.idRange = { first: header.firstRecordId, last: header.lastRecordId };
    const checksums = !this.opts.skipChecksums && (header.flags & CHUNK_FLAG_NO_CRC32) === 0;
    if (checksums) {
      const actual = chunkHeaderCrc(c);
      if (actual !== header.headerChecksum) {
        this.warn('evtx.chunk.header-crc', `chunk header CRC32 mismatch: stored 0x${hex8(header.headerChecksum)}, computed 0x${hex8(actual)}`, 124);
      }
    }
    let liveEnd = header.freeSpaceOffset;
    if (liveEnd < CHUNK_HEADER_SIZE || liveEnd > CHUNK_SIZE) {
      this.warn('evtx.chunk.free-space-offset', `free space offset ${liveEnd} is outside the chunk; reading records up to the first empty slot`, 48);
      liveEnd = this.end;
    } else if (liveEnd > this.end) {
      liveEnd = this.end;
    } else if (checksums) {
      const actual = crc32(c, CHUNK_HEADER_SIZE, liveEnd);
      if (actual !== header.recordsChecksum) {
        this.warn('evtx.chunk.data-crc', `chunk records CRC32 mismatch: stored 0x${hex8(header.recordsChecksum)}, computed 0x${hex8(actual)}`, 52);
      }
    }
    const stop = this.readLive(liveEnd);
    if (this.opts.recover) this.carve(stop, false);
  }

  /** Reads the live record list from offset 512 up to `liveEnd`; returns where it stopped. */
  private readLive(liveEnd: number): number {
    const c = this.chunk;
    let off = CHUNK_HEADER_SIZE;
    while (off + RECORD_HEADER_SIZE <= liveEnd) {
      const magic = u32(c, off);
      if (magic === 0 && isAllZero(c, off, liveEnd)) return off; // clean end of the live records
      if (magic !== RECORD_MAGIC) {
        const reason = magic === 0 ? 'zero-filled region inside the record list' : `bad record magic 0x${hex8(magic)}`;
        const next = this.resync(off + 1, liveEnd, off, reason, undefined);
        if (next < 0) return liveEnd;
        off = next;
        continue;
      }
      const size = u32(c, off + 4);
      const recordId = u64(c, off + 8);
      if (size < MIN_RECORD_SIZE || off + size > this.end) {
        const next = this.resync(off + 4, liveEnd, off, `implausible record size ${size}`, recordId);
        if (next < 0) return liveEnd;
        off = next;
        continue;
      }
      const copy = u32(c, off + size - 4);
      if (copy !== size) {
        if (this.tryDamaged(off, size, copy, recordId)) {
          off += size;
          continue;
        }
        const next = this.resync(off + 4, liveEnd, off, `record size ${size} does not match its trailing copy ${copy}`, recordId);
        if (next < 0) return liveEnd;
        off = next;
        continue;
      }
      if (this.damaged && this.idRange !== null && (recordId < this.idRange.first || recordId > this.idRange.last)) {
        // Past a damaged region, a record from outside the header's id range is a remnant of an
        // older chunk generation: keep it only as a recovered record.
        this.carveOne(off, size, recordId, 'remnant');
      } else {
        this.emitRecord(off, size, recordId);
      }
      off += size;
    }
    return off;
  }

  /**
   * Reports the damaged region starting at `badOffset` as one record error and finds the next
   * plausible record at or after `from`. Returns its offset, or -1 when none is left in the live area.
   */
  private resync(from: number, liveEnd: number, badOffset: number, reason: string, recordId: number | undefined): number {
    this.damaged = true;
    const next = findPlausibleRecord(this.chunk, from, liveEnd, this.end);
    const tail =
      next < 0
        ? `no further record found before offset 0x${(this.chunkOffset + liveEnd).toString(16)}`
        : `skipped ${next - badOffset} bytes to the next record at 0x${(this.chunkOffset + next).toString(16)}`;
    this.recordError('evtx.record.damaged', `${reason}; ${tail}`, badOffset, recordId);
    return next;
  }

  /**
   * A record whose size copy is wrong (often a record cut short while being written, its tail
   * zeroed) is still read when it decodes within its stated size and its EventRecordID agrees.
   */
  private tryDamaged(off: number, size: number, copy: number, recordId: number): boolean {
    if (!plausibleBinXmlStart(this.chunk, off + RECORD_HEADER_SIZE)) return false;
    const tree = this.tryDecode(off, size);
    if (tree === null) return false;
    const inTree = treeRecordId(tree);
    if (inTree !== null && inTree !== recordId) return false;
    this.warn('evtx.record.size-copy', `record size ${size} does not match its trailing copy ${copy}; the record still decodes and is kept`, off, recordId);
    this.pushRecord(off, recordId, false, tree);
    return true;
  }

  /**
   * Scans `[from, end)` for records and decodes them as recovered. Candidates must have the
   * magic, a sane size with a matching copy, and a BinXml fragment start. In a chunk whose
   * header is bad (`salvage`), an undecodable candidate is a lost record; in slack it is only a
   * stale copy, so a warning.
   */
  private carve(from: number, salvage: boolean): number {
    const c = this.chunk;
    let pos = from;
    let kept = 0;
    this.staleSlack = { count: 0, first: -1, reason: '' };
    while (pos + MIN_RECORD_SIZE <= this.end) {
      const found = findPlausibleRecord(c, pos, this.end, this.end);
      if (found < 0) break;
      const size = u32(c, found + 4);
      if (!plausibleBinXmlStart(c, found + RECORD_HEADER_SIZE)) {
        pos = found + 4;
        continue;
      }
      const recordId = u64(c, found + 8);
      if (this.carveOne(found, size, recordId, salvage ? 'salvaged' : 'slack')) {
        kept++;
        pos = found + size;
      } else {
        pos = found + 4;
      }
    }
    const stale = this.staleSlack;
    if (stale.count > 0) {
      // Slack usually holds many stale copies whose templates were overwritten: one warning per chunk.
      this.warn(
        'evtx.recover.undecodable',
        `${stale.count} record(s) in chunk slack could not be recovered (first at chunk offset ${stale.first}: ${stale.reason})`,
        stale.first,
      );
    }
    return kept;
  }

  private staleSlack = { count: 0, first: -1, reason: '' };

  /**
   * Decodes a structurally plausible record found outside the live list. It is kept (flagged
   * recovered) only when it decodes and its EventRecordID agrees with its header. A failure in a
   * chunk with a bad header is a lost record; in slack or a remnant it is a stale copy (warning).
   */
  private carveOne(off: number, size: number, recordId: number, origin: 'salvaged' | 'slack' | 'remnant'): boolean {
    let problem: string;
    if (!plausibleBinXmlStart(this.chunk, off + RECORD_HEADER_SIZE)) {
      problem = 'it does not start with a BinXml fragment header';
    } else {
      const tree = this.tryDecode(off, size);
      const inTree = tree === null ? null : treeRecordId(tree);
      if (tree !== null && (inTree === null || inTree === recordId)) {
        this.pushRecord(off, recordId, true, tree);
        return true;
      }
      problem = tree === null ? `it does not decode: ${this.lastDecodeError}` : `its EventRecordID ${inTree} disagrees with the header`;
    }
    const message = `${origin} record ${recordId} at chunk offset ${off} dropped: ${problem}`;
    if (origin === 'salvaged') {
      this.recordError('evtx.record.salvage-failed', message, off, recordId);
    } else if (origin === 'remnant') {
      this.warn('evtx.recover.undecodable', message, off, recordId);
    } else {
      if (this.staleSlack.count === 0) this.staleSlack = { count: 0, first: off, reason: `record ${recordId}: ${problem}` };
      this.staleSlack.count++;
    }
    return false;
  }

  private lastDecodeError = '';

  private tryDecode(off: number, size: number): XmlDocument | null {
    try {
      return decodeRecord(this.context(), off + RECORD_HEADER_SIZE, off + size - 4);
    } catch (e) {
      this.lastDecodeError = errorMessage(e);
      return null;
    }
  }

  /**
   * A live record: decoded (straight to flat fields when its template has a flat plan, the tree
   * then waiting until asked for), or a record error saying why not.
   */
  private emitRecord(off: number, size: number, recordId: number): void {
    const start = off + RECORD_HEADER_SIZE;
    const end = off + size - 4;
    try {
      const ctx = this.context();
      if (this.opts.flatFields === false) {
        this.pushRecord(off, recordId, false, decodeRecord(ctx, start, end));
        return;
      }
      const flat = decodeRecordFields(ctx, start, end);
      if (flat !== null) {
        this.pushFlatRecord(off, recordId, ctx, flat);
        return;
      }
      // No flat plan: decode the tree and flatten it now, so the tree (many times the size of
      // its fields) dies young instead of living until the whole chunk is matched. A tree that
      // does not flatten is kept, for eventFromRecord to report.
      const tree = decodeRecord(ctx, start, end);
      const fields = flattenOrNull(tree);
      if (fields !== null) {
        this.pushFlatRecord(off, recordId, ctx, { fields, values: null });
        return;
      }
      this.pushRecord(off, recordId, false, tree);
    } catch (e) {
      const code = e instanceof LocatedError ? e.code : 'evtx.record.decode';
      const where = e instanceof LocatedError && e.location.offset !== undefined ? ` (at 0x${e.location.offset.toString(16)})` : '';
      this.recordError(code, `record does not decode: ${errorMessage(e)}${where}`, off, recordId);
    }
  }

  private pushFlatRecord(off: number, recordId: number, ctx: ChunkContext, flat: FlatFields): void {
    this.entries.push({ kind: 'record', record: new FlatRecord(recordId, this.chunkOffset + off, this.chunkIndex, ctx, off, flat) });
  }

  private pushRecord(off: number, recordId: number, recovered: boolean, tree: XmlDocument): void {
    const record: EvtxRecord = {
      recordId,
      offset: this.chunkOffset + off,
      chunk: this.chunkIndex,
      writtenTime: filetimeToIso(this.chunk, off + 16),
      recovered,
      tree,
    };
    this.entries.push({ kind: 'record', record });
  }

  /** The chunk's decoding context, made on first use; a chunk it rejects fails each record. */
  private context(): ChunkContext {
    if (this.ctx !== null) return this.ctx;
    if (this.ctxFailure !== null) throw this.ctxFailure.error;
    try {
      return (this.ctx = createChunkContext(this.chunk, this.file, this.chunkIndex, this.chunkOffset));
    } catch (e) {
      this.ctxFailure = { error: e };
      throw e;
    }
  }

  private diagnostic(severity: 'error' | 'warning', code: string, message: string, off: number, recordId?: number): Diagnostic {
    const location =
      recordId === undefined
        ? { file: this.file, chunk: this.chunkIndex, offset: this.chunkOffset + off }
        : { file: this.file, chunk: this.chunkIndex, offset: this.chunkOffset + off, recordId };
    return { severity, code, message, location };
  }

  private warn(code: string, message: string, off: number, recordId?: number): void {
    this.entries.push({ kind: 'warning', diagnostic: this.diagnostic('warning', code, message, off, recordId) });
  }

  private recordError(code: string, message: string, off: number, recordId?: number): void {
    this.entries.push({ kind: 'record-error', diagnostic: this.diagnostic('error', code, message, off, recordId) });
  }
}

/**
 * First offset in `[from, limit)` holding a plausible record header: magic, a size of at least
 * 28 that fits before `end`, and a matching trailing size copy.
 */
export function findPlausibleRecord(c: Uint8Array, from: number, limit: number, end: number): number {
  let pos = Math.max(0, from);
  while (pos < limit) {
    const hit = c.indexOf(0x2a, pos);
    if (hit < 0 || hit >= limit) return -1;
    if (hit + MIN_RECORD_SIZE <= end && u32(c, hit) === RECORD_MAGIC) {
      const size = u32(c, hit + 4);
      if (size >= MIN_RECORD_SIZE && hit + size <= end && u32(c, hit + size - 4) === size) return hit;
    }
    pos = hit + 1;
  }
  return -1;
}

/** BinXml starts with a fragment header `0f 01 01 00`; carving also accepts nothing else. */
export function plausibleBinXmlStart(c: Uint8Array, off: number): boolean {
  return off + 4 <= c.length && c[off] === 0x0f && c[off + 1] === 0x01 && c[off + 2] === 0x01 && c[off + 3] === 0x00;
}

/**
 * EventRecordID from the decoded System block, when present, numeric and non-zero (a record cut
 * short while being written has its substitution values zeroed, which says nothing either way).
 */
function treeRecordId(tree: XmlDocument): number | null {
  const root = rootElement(tree);
  const system = root === undefined ? undefined : firstChild(root, 'System');
  const idElement = system === undefined ? undefined : firstChild(system, 'EventRecordID');
  if (idElement === undefined) return null;
  const text = elementText(idElement).trim();
  const n = Number(text);
  return text !== '' && Number.isFinite(n) && n !== 0 ? n : null;
}

function hexBytes(c: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < Math.min(end, c.length); i++) s += c[i]!.toString(16).padStart(2, '0');
  return s;
}

function flattenOrNull(tree: XmlDocument): Fields | null {
  try {
    return flattenTree(tree);
  } catch {
    return null;
  }
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
