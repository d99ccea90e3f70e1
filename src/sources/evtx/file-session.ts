/**
 * Per-file state shared by the synchronous parser, the streaming reader and the worker-pool
 * reader: the file header verdict, chunk options, chunks beyond the header count, and the
 * record-id ledger that drops recovered copies of records already read. HeaderHold turns the
 * verdict into reader items, holding a corrupt header's report until the chunks are judged.
 */
import type { Diagnostic } from '../../core/diagnostics.js';
import { CHUNK_SIZE, FILE_FLAG_NO_CRC32, FILE_HEADER_SIZE, readFileHeader, type FileHeader } from './layout.js';
import type { SourceItem } from '../source.js';
import type { ChunkParseOptions } from './types.js';
import { plural } from '../../core/words.js';

/**
 * Record ids seen in this file, kept as runs of consecutive ids. Live ids in a chunk (and across
 * neighbouring chunks) are consecutive, so a file costs about one run per chunk or per gap
 * (~50 bytes each) instead of one Set entry per record. Lookups scan the runs from the newest;
 * they happen only for recovered records, which are few.
 */
export class RecordIdLedger {
  private readonly lows: number[] = [];
  private readonly highs: number[] = [];

  add(id: number): void {
    const n = this.lows.length;
    if (n > 0) {
      const last = n - 1;
      if (id === this.highs[last]! + 1) {
        this.highs[last] = id;
        return;
      }
      if (id >= this.lows[last]! && id <= this.highs[last]!) return;
      if (id === this.lows[last]! - 1) {
        this.lows[last] = id;
        return;
      }
    }
    this.lows.push(id);
    this.highs.push(id);
  }

  has(id: number): boolean {
    for (let i = this.lows.length - 1; i >= 0; i--) if (id >= this.lows[i]! && id <= this.highs[i]!) return true;
    return false;
  }

  /** Number of runs held (for tests and memory accounting). */
  get runs(): number {
    return this.lows.length;
  }
}

/** A header whose invariant fields are garbage (isCorruptFileHeader), summarised. */
export interface CorruptHeader {
  /** Short names of the fields found wrong (`version`, `size`, `block-size`, `crc`, ...). */
  readonly fields: readonly string[];
  /** Where the damage starts: the lowest offset among the wrong fields. */
  readonly offset: number;
}

export type HeaderVerdict =
  | { readonly fatal: Diagnostic }
  /**
   * `warnings` are what to report when the file turns out readable. With `corrupt` set they are
   * one `evtx.header.corrupt` summary, and a file in which no chunk yields an event is unreadable
   * (EvtxFileSession.unreadableAfterCorruptHeader).
   */
  | { readonly fatal: null; readonly warnings: Diagnostic[]; readonly corrupt: CorruptHeader | null };

export class EvtxFileSession {
  private header: FileHeader | null = null;
  private corrupt: CorruptHeader | null = null;
  private warnedExtraChunks = false;
  private readonly ledger = new RecordIdLedger();
  chunkOptions: ChunkParseOptions;

  constructor(
    readonly file: string,
    readonly recover: boolean,
    /** See ChunkParseOptions.flatFields. */
    readonly flatFields: boolean = true,
  ) {
    this.chunkOptions = { recover, skipChecksums: false, headerChunkCount: 0, ...(flatFields ? {} : { flatFields }) };
  }

  /** Judges the first bytes of the file (up to 4096). */
  readHeader(head: Uint8Array): HeaderVerdict {
    const parsed = readFileHeader(head, this.file);
    if (parsed === null) {
      const message =
        head.length === 0 ? 'file is empty, not an EVTX file' : `not an EVTX file: missing "ElfFile" header magic${head.length < 128 ? ` (only ${head.length} bytes)` : ''}`;
      return { fatal: { severity: 'error', code: 'evtx.file.not-evtx', message, location: { file: this.file, offset: 0 } } };
    }
    this.header = parsed.header;
    // A corrupt header's flags and chunk count are noise: checksums stay checked, and no chunk
    // is taken to be inside (or beyond) its count.
    this.chunkOptions = {
      recover: this.recover,
      skipChecksums: !parsed.corrupt && (parsed.header.flags & FILE_FLAG_NO_CRC32) !== 0,
      headerChunkCount: parsed.corrupt ? 0 : parsed.header.chunkCount,
      ...(this.flatFields ? {} : { flatFields: false }),
    };
    const warnings = parsed.warnings;
    if (head.length < FILE_HEADER_SIZE) {
      // Nothing past the header means no chunk and no record: the file cannot be read at all.
      // One line says so, naming what else is wrong with the header, instead of one line each.
      const damaged = damagedFields(warnings);
      return {
        fatal: {
          severity: 'error',
          code: 'evtx.file.truncated-header',
          message:
            `file ends inside its 4096-byte header (${head.length} bytes), so it holds no chunks and no records` +
            (damaged.length > 0 ? `; the header is also damaged (${damaged.join(', ')})` : ''),
          location: { file: this.file, offset: head.length },
        },
      };
    }
    if (!parsed.corrupt) return { fatal: null, warnings, corrupt: null };
    const corrupt: CorruptHeader = { fields: damagedFields(warnings), offset: Math.min(...warnings.map((w) => w.location.offset ?? 0)) };
    this.corrupt = corrupt;
    return { fatal: null, warnings: [this.corruptHeaderWarning(parsed.header, corrupt)], corrupt };
  }

  private corruptHeaderWarning(h: FileHeader, corrupt: CorruptHeader): Diagnostic {
    return {
      severity: 'warning',
      code: 'evtx.header.corrupt',
      message:
        `file header is corrupt (bad ${corrupt.fields.join(', ')}: format version ${h.majorVersion}.${h.minorVersion}, ` +
        `header size ${h.headerSize}, block size ${h.headerBlockSize}); its chunk count, flags and checksum are ignored and the chunks from offset 4096 are read`,
      location: { file: this.file, offset: corrupt.offset },
    };
  }

  /**
   * The one error for a file whose header is corrupt and in which no chunk yielded an event
   * (`chunks`: non-empty chunks looked at; `unlisted`: their problems, left out of the listing
   * because this line says it all). Null when the header is not corrupt.
   */
  unreadableAfterCorruptHeader(chunks: number, unlisted: number): Diagnostic | null {
    if (this.corrupt === null) return null;
    const after = chunks === 0 ? 'no chunk follows it' : `none of the ${plural(chunks, 'chunk')} after it holds a readable record`;
    return {
      severity: 'error',
      code: 'evtx.file.corrupt-header',
      message:
        `file header is corrupt (bad ${this.corrupt.fields.join(', ')}) and ${after}: nothing could be read` +
        (unlisted > 0 ? ` (${plural(unlisted, 'problem')} in those chunks not listed)` : ''),
      location: { file: this.file, offset: this.corrupt.offset },
    };
  }

  /** A warning the first time a non-empty chunk lies beyond the header's chunk count (dirty files). */
  noteChunk(index: number): Diagnostic | null {
    if (this.header === null || this.corrupt !== null || this.warnedExtraChunks || index < this.header.chunkCount) return null;
    this.warnedExtraChunks = true;
    return {
      severity: 'warning',
      code: 'evtx.file.extra-chunks',
      message: `chunk ${index} lies beyond the header's chunk count ${this.header.chunkCount}; reading on to the end of the file`,
      location: { file: this.file, chunk: index, offset: chunkOffset(index) },
    };
  }

  /**
   * Whether a record should be kept: live records always are (and are remembered); recovered
   * ones only when their id has not been seen earlier in the file.
   */
  admit(recordId: number, recovered: boolean): boolean {
    if (recovered && this.ledger.has(recordId)) return false;
    this.ledger.add(recordId);
    return true;
  }
}

export function chunkOffset(index: number): number {
  return FILE_HEADER_SIZE + index * CHUNK_SIZE;
}

/** Names of the header fields its warnings found wrong; the dirty flag is a state, not damage. */
function damagedFields(warnings: readonly Diagnostic[]): string[] {
  return warnings.filter((w) => w.code !== 'evtx.header.dirty').map((w) => w.code.replace(/^evtx\.header\./, ''));
}

/**
 * Most chunk items held back behind a corrupt header before they are let through anyway: keeps
 * memory flat on a huge file of garbage. Past it the items are reported as they come, and the
 * file still fails at the end if no event ever appeared.
 */
export const MAX_HELD_ITEMS = 1000;

/**
 * The file header's verdict as reader items. A sound header's warnings go out at once. A corrupt
 * one cannot be judged until the chunks are: the first chunk that yields an event releases one
 * `evtx.header.corrupt` warning and the chunk problems held so far; if the file ends with no
 * event, a single `evtx.file.corrupt-header` error replaces them all and the input fails.
 */
export class HeaderHold {
  private corrupt: CorruptHeader | null = null;
  private pending: Diagnostic[] = [];
  private held: SourceItem[] = [];
  private waiting = false;
  private sawEvent = false;
  private chunks = 0;

  constructor(private readonly session: EvtxFileSession) {}

  /** Reads the header: one fatal item, its warnings now, or nothing yet (corrupt header). */
  header(bytes: Uint8Array): SourceItem[] {
    const verdict = this.session.readHeader(bytes);
    if (verdict.fatal !== null) return [{ kind: 'fatal', diagnostic: verdict.fatal }];
    this.corrupt = verdict.corrupt;
    if (verdict.corrupt === null) return verdict.warnings.map(warningItem);
    this.pending = verdict.warnings;
    this.waiting = true;
    return [];
  }

  /** One non-empty chunk's items: passed on, or held while a corrupt header waits for an event. */
  chunk(items: SourceItem[]): SourceItem[] {
    if (this.corrupt === null) return items;
    this.chunks++;
    const hasEvent = items.some((item) => item.kind === 'event');
    this.sawEvent ||= hasEvent;
    if (!this.waiting) return items;
    if (hasEvent) return [...this.release(), ...items];
    for (const item of items) this.held.push(item);
    return this.held.length > MAX_HELD_ITEMS ? this.release() : [];
  }

  /** At the end of the file: the error when a corrupt header was never followed by an event. */
  end(): SourceItem[] {
    if (this.corrupt === null || this.sawEvent) return [];
    const unlisted = this.waiting ? this.held.length : 0;
    this.waiting = false;
    this.held = [];
    const fatal = this.session.unreadableAfterCorruptHeader(this.chunks, unlisted);
    return fatal === null ? [] : [{ kind: 'fatal', diagnostic: fatal }];
  }

  /** Everything held so far (the header warning first); from now on items pass straight through. */
  release(): SourceItem[] {
    if (!this.waiting) return [];
    this.waiting = false;
    const out = [...this.pending.map(warningItem), ...this.held];
    this.pending = [];
    this.held = [];
    return out;
  }
}

function warningItem(diagnostic: Diagnostic): SourceItem {
  return { kind: 'warning', diagnostic };
}
