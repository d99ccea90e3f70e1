/** Result shapes of the EVTX file layer. */
import type { Diagnostic } from '../../core/diagnostics.js';
import type { FieldValue, Fields } from '../../core/event.js';
import type { XmlDocument } from '../../core/xml-tree.js';

export interface EvtxRecord {
  readonly recordId: number;
  /** Absolute byte offset of the record in the file. */
  readonly offset: number;
  /** Chunk index (0-based, position in the file, not the header's chunk numbering). */
  readonly chunk: number;
  /** Record header written time, ISO-8601 UTC with 7 fractional digits. */
  readonly writtenTime: string;
  /** Carved from slack or salvaged from a damaged chunk rather than read from the live record list. */
  readonly recovered: boolean;
  /** The record's element tree (for live records read through a flat plan, decoded on first access). */
  readonly tree: XmlDocument;
  /**
   * The flat fields (`flattenTree(tree)`) of a live record, produced straight from the record's
   * values (binxml/flat-plan.ts) or from its tree at once; absent when the reader was asked for
   * trees only (ChunkParseOptions.flatFields false), for recovered records, and for a tree that
   * does not flatten (eventFromRecord reports it).
   */
  readonly fields?: Fields;
  /** With `fields`: the values they hold as a list, when the flat plan could list them (see FlatFields). */
  readonly fieldValues?: readonly FieldValue[] | null;
}

export interface EvtxParseResult {
  readonly records: EvtxRecord[];
  /** Warnings and record errors, in file order (the fatal one too, when there is one). */
  readonly diagnostics: Diagnostic[];
  /** Records (or damaged regions) that could not be read: one per `record-error`. */
  readonly failed: number;
  /** Records in `records` flagged `recovered`. */
  readonly recovered: number;
  /** Non-empty chunks looked at. */
  readonly chunks: number;
  /** Set when the input is not an EVTX file at all; nothing else is read. */
  readonly fatal: Diagnostic | null;
}

/** One thing found in a chunk, in chunk order. */
export type ChunkEntry =
  | { readonly kind: 'record'; readonly record: EvtxRecord }
  | { readonly kind: 'record-error'; readonly diagnostic: Diagnostic }
  | { readonly kind: 'warning'; readonly diagnostic: Diagnostic };

export interface ChunkParseOptions {
  /** Carve records from slack and try damaged records (flagged `recovered`). */
  readonly recover: boolean;
  /** The file header says checksums are not maintained (flag 0x4). */
  readonly skipChecksums: boolean;
  /**
   * Chunk count from the file header. A chunk inside it with a bad header lost records (record
   * error); past it, in a dirty file's tail, it is usually leftover bytes (warning).
   */
  readonly headerChunkCount: number;
  /**
   * False when the consumer reads no fields (`vigil dump --format xml`): records then skip the
   * flat-field read (binxml/flat-plan.ts) and go straight to their tree, read once.
   */
  readonly flatFields?: boolean;
}
