/**
 * Cuts a byte stream into the EVTX file header and 64 KiB chunks without ever holding more
 * than one chunk: memory stays flat whatever the file size. Each chunk gets its own buffer so
 * it can be transferred to a worker. A read that is exactly the next header or chunk and owns its
 * buffer (a plain file's reads, see readWholeFile) is passed on as it is: copying every chunk
 * into a fresh buffer doubled a hunt's off-heap allocation, and that churn started full
 * collections of a heap the rule set makes large.
 */
import { CHUNK_SIZE, FILE_HEADER_SIZE } from './layout.js';

export type StreamPiece =
  | { readonly kind: 'header'; readonly bytes: Uint8Array }
  /** `bytes` is shorter than 64 KiB only for a truncated last chunk. */
  | { readonly kind: 'chunk'; readonly index: number; readonly offset: number; readonly bytes: Uint8Array };

/**
 * With `firstChunk`, the stream starts at that chunk (no header): a range of a file read on its
 * own (see chunk-ranges.ts), its chunks numbered as in the whole file.
 */
export async function* splitEvtxStream(stream: AsyncIterable<Uint8Array>, firstChunk?: number): AsyncGenerator<StreamPiece> {
  let inHeader = firstChunk === undefined;
  // Allocated only when a read has to be copied (null: no copy under way).
  let target: Uint8Array | null = null;
  let fill = 0;
  let index = firstChunk ?? 0;
  // The next piece of the file: its header first (unless it starts at a chunk), then chunks in order.
  const next = (bytes: Uint8Array): StreamPiece => {
    if (inHeader) {
      inHeader = false;
      return { kind: 'header', bytes };
    }
    const piece: StreamPiece = { kind: 'chunk', index, offset: FILE_HEADER_SIZE + index * CHUNK_SIZE, bytes };
    index++;
    return piece;
  };
  for await (const piece of stream) {
    let pos = 0;
    while (pos < piece.length) {
      const want = inHeader ? FILE_HEADER_SIZE : CHUNK_SIZE;
      if (fill === 0 && pos === 0 && ownsExactly(piece, want)) {
        pos = piece.length;
        yield next(piece);
        continue;
      }
      target ??= new Uint8Array(want);
      const n = Math.min(target.length - fill, piece.length - pos);
      target.set(piece.subarray(pos, pos + n), fill);
      fill += n;
      pos += n;
      if (fill < target.length) continue;
      yield next(target);
      target = null;
      fill = 0;
    }
  }
  // What is left: a short header (even an empty one), or a truncated last chunk.
  if (inHeader) yield next(target === null ? new Uint8Array(0) : target.slice(0, fill));
  else if (target !== null && fill > 0) yield next(target.slice(0, fill));
}

/** The read is `size` bytes and the whole of its buffer (handing it on shares nothing else). */
function ownsExactly(piece: Uint8Array, size: number): boolean {
  return piece.length === size && piece.byteOffset === 0 && piece.buffer.byteLength === size;
}
