/**
 * Cutting one large EVTX file into ranges of chunks that threads read and hunt apart.
 *
 * A 64 KiB chunk carries its own string and template tables, so a range of chunks decodes on its
 * own. What belongs to the whole file is settled so that the ranges together report what one
 * reader of the whole file would:
 * - the header: every range reads it (for the chunk options); only the range starting at chunk
 *   0 reports its warnings (dirty flag, odd version);
 * - the warning for the first chunk past the header's chunk count: every boundary lies below
 *   that count, so only the last range (which runs to the end of the file) can meet one;
 * - a corrupt header, which makes the file's fate depend on whether any chunk yields an event:
 *   such a file is not cut (nor one too short for its header);
 * - the record-id ledger that drops recovered copies of records read elsewhere in the file:
 *   callers that recover records from slack do not cut files.
 */
import type { EvtxChunkRange } from '../source.js';
import { CHUNK_SIZE, FILE_HEADER_SIZE, readFileHeader } from './layout.js';
import { chunkOffset } from './file-session.js';

/** A range with the bytes it covers (the first includes the file header; the last runs to the end). */
export interface PlannedChunkRange extends EvtxChunkRange {
  readonly offset: number;
  readonly bytes: number;
}

/**
 * The ranges of `chunksPerRange` chunks that a file of `fileSize` bytes starting with `head`
 * (its first 4096 bytes) splits into; null when it is not an EVTX file with a sound header, or
 * too small for two ranges.
 */
export function planChunkRanges(head: Uint8Array, fileSize: number, chunksPerRange: number): PlannedChunkRange[] | null {
  if (head.length < FILE_HEADER_SIZE || !Number.isInteger(chunksPerRange) || chunksPerRange < 1) return null;
  const parsed = readFileHeader(head, '');
  if (parsed === null || parsed.corrupt) return null;
  const inFile = Math.ceil(Math.max(0, fileSize - FILE_HEADER_SIZE) / CHUNK_SIZE);
  const cuttable = Math.min(parsed.header.chunkCount, inFile);
  const starts: number[] = [0];
  for (let at = chunksPerRange; at < cuttable; at += chunksPerRange) starts.push(at);
  if (starts.length < 2) return null;
  return starts.map((from, i) => {
    const to = starts[i + 1] ?? null;
    const offset = from === 0 ? 0 : chunkOffset(from);
    const end = to === null ? fileSize : chunkOffset(to);
    return { from, to, offset, bytes: end - offset };
  });
}
