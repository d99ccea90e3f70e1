/**
 * The contract between inputs and everything downstream. A reader turns one input file into
 * batches of items; each item is an event, a failed record, a warning, or a fatal error that
 * ends that file. Batches (usually one EVTX chunk, or a few thousand text lines) keep the
 * per-item async overhead off the hot path.
 */
import type { Diagnostic } from '../core/diagnostics.js';
import type { InputFormat, Rendering, VigilEvent } from '../core/event.js';
import { assertNever } from '../core/xml-tree.js';

export type SourceItem =
  | { readonly kind: 'event'; readonly event: VigilEvent }
  /** A record that could not be read; counted as failed. */
  | { readonly kind: 'record-error'; readonly diagnostic: Diagnostic }
  /** Something odd that lost no record (bad checksum, header mismatch, ...). */
  | { readonly kind: 'warning'; readonly diagnostic: Diagnostic }
  /** The input could not be read at all (or stopped being readable); nothing more comes from it. */
  | { readonly kind: 'fatal'; readonly diagnostic: Diagnostic };

/** A file's counts of the source items that are not events. */
export interface ProblemCounts {
  failed: number;
  warnings: number;
  /** The first fatal problem (the file's reason for failing). */
  fatal: Diagnostic | null;
}

/**
 * Counts a source item that is not an event, the same way for every command: failed records
 * and warnings go to `list`, every fatal problem to `fatal`, and the first one is kept.
 */
export function countProblem(
  item: Exclude<SourceItem, { readonly kind: 'event' }>,
  c: ProblemCounts,
  list: (d: Diagnostic) => void,
  fatal: (d: Diagnostic) => void,
): void {
  switch (item.kind) {
    case 'record-error':
      c.failed++;
      list(item.diagnostic);
      break;
    case 'warning':
      c.warnings++;
      list(item.diagnostic);
      break;
    case 'fatal':
      c.fatal ??= item.diagnostic;
      fatal(item.diagnostic);
      break;
    default:
      assertNever(item, 'source item');
  }
}

/**
 * Why a file stopped when its reader threw. A reader must not throw for bad input; if one does,
 * the file still gets a located reason (`input.reader-crashed`).
 */
export function readerCrashed(file: string, err: unknown): Diagnostic {
  return { severity: 'error', code: 'input.reader-crashed', message: `reading stopped: ${err instanceof Error ? err.message : String(err)}`, location: { file } };
}

/** One input: a plain file, a decompressed `.gz`, or a member of a `.zip`. */
export interface InputFile {
  /** Path as shown to the user; archive members are `archive.zip!inner/path.evtx`. */
  readonly name: string;
  /** Decompressed size in bytes when known up front. */
  readonly size: number | null;
  /** Path on disk when the input is a plain file (allows random access and worker threads). */
  readonly path: string | null;
  /** The decompressed bytes, streamed. */
  stream(): AsyncIterable<Buffer>;
}

export interface ReadOptions {
  /** Forces the input format instead of detecting it from content. */
  readonly inputFormat?: InputFormat;
  /** Carve records from EVTX chunk slack (flagged `recovered`, de-duplicated by record id). */
  readonly recover?: boolean;
  /** Worker threads for EVTX chunk parsing; 1 parses inline. */
  readonly threads?: number;
  /**
   * Raw renderings the consumer will ask events for. Worker threads pre-render these (trees are
   * not shipped back across threads); a single-threaded reader may render lazily instead.
   */
  readonly renderings?: readonly Rendering[];
  /**
   * EVTX only: read just these chunks of the file (its header too, for the chunk options), so
   * several threads can each take part of one large file (see evtx/chunk-ranges.ts). The input
   * must be a plain file (`path` set); no format detection happens.
   */
  readonly chunks?: EvtxChunkRange;
}

/** Chunks `[from, to)` of an EVTX file, by index (`to` null: to the end of the file). */
export interface EvtxChunkRange {
  readonly from: number;
  readonly to: number | null;
}

export type Reader = (input: InputFile, options: ReadOptions) => AsyncIterable<readonly SourceItem[]>;
