/**
 * Per-file state shared by the synchronous parser, the streaming reader and the worker-pool
 * reader: the file header verdict, chunk options, chunks beyond the header count, and the
 * record-id ledger that drops recovered copies of records already read.
 */
import type { Diagnostic } from '../../core/diagnostics.js';
import { CHUNK_SIZE, FILE_FLAG_NO_CRC32, FILE_HEADER_SIZE, readFileHeader, type FileHeader } from './layout.js';
import type { ChunkParseOptions } from './types.js';

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

export type HeaderVerdict = { readonly fatal: Diagnostic } | { readonly fatal: null; readonly warnings: Diagnostic[] };

export class EvtxFileSession {
  private header: FileHeader | null = null;
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
    this.chunkOptions = {
      recover: this.recover,
      skipChecksums: (parsed.header.flags & FILE_FLAG_NO_CRC32) !== 0,
      headerChunkCount: parsed.header.chunkCount,
      ...(this.flatFields ? {} : { flatFields: false }),
    };
    const warnings = parsed.warnings;
    if (head.length < FILE_HEADER_SIZE) {
      // Nothing past the header means no chunk and no record: the file cannot be read at all.
      // One line says so, naming what else is wrong with the header, instead of one line each.
      const damaged = warnings.map((w) => w.code.replace(/^evtx\.header\./, ''));
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
    return { fatal: null, warnings };
  }

  /** A warning the first time a non-empty chunk lies beyond the header's chunk count (dirty files). */
  noteChunk(index: number): Diagnostic | null {
    if (this.header === null || this.warnedExtraChunks || index < this.header.chunkCount) return null;
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
