/**
 * The EVTX Reader: streams a file one 64 KiB chunk at a time and yields one batch of items per
 * chunk, in record order. With `threads > 1` on a plain file, chunks are parsed on a worker
 * pool (at most 2 x threads in flight) and results are taken back in chunk order. Given
 * `eventText` (EvtxReadOptions), workers also produce each event's final text.
 */
import type { Diagnostic } from '../../core/diagnostics.js';
import { assertNever } from '../../core/xml-tree.js';
import type { EvtxChunkRange, InputFile, ReadOptions, Reader, SourceItem } from '../source.js';
import { readFileBytes, readFileRange } from '../input/byte-stream.js';
import { parseChunk } from './chunk.js';
import { splitEvtxStream, type StreamPiece } from './chunk-stream.js';
import { EvtxFileSession, HeaderHold, chunkOffset } from './file-session.js';
import { CHUNK_SIZE, FILE_HEADER_SIZE } from './layout.js';
import { RetainedChunk } from './deferred-event.js';
import type { EventTextFormat, EvtxReadOptions } from './event-text.js';
import { EventColumnsReader, NEXT_EVENT, eventFromRecord, isDiagnostic, type ChunkTaskResult, type WireEventText } from './record-events.js';
import { chunkWorkerPool } from './worker-pool.js';

/** Files under 1 MiB are parsed inline even when threads are asked for: they take milliseconds, less than handing them to (possibly cold) workers. */
const MIN_CHUNKS_FOR_THREADS = 16;

/**
 * Most worker threads one read uses, whatever is asked for: memory, not cores, sets it. Each
 * worker is an own V8 heap of ~50 MB resident (capped in worker-pool.ts), so 3 workers keep a
 * read under the 300 MB budget with room to spare (measured on 1 GiB: 1 thread ~220 MB peak,
 * 2 ~200 MB, 3 ~245 MB); the main thread only orders, counts and writes.
 */
export const MAX_EVTX_THREADS = 3;

export const readEvtx: Reader = (input, options: EvtxReadOptions) => {
  if (options.chunks !== undefined) return readInline(input, options, options.chunks);
  const threads = Math.min(MAX_EVTX_THREADS, Math.max(1, Math.floor(options.threads ?? 1)));
  const small = input.size !== null && input.size < MIN_CHUNKS_FOR_THREADS * CHUNK_SIZE;
  return threads > 1 && input.path !== null && !small ? readParallel(input, options, threads) : readInline(input, options);
};

/**
 * Parses on this thread: the whole stream, or with `range` only chunks `[range.from, range.to)`
 * of a plain file, after its header (read for the chunk options; its warnings are reported
 * only by the range that starts the file; see chunk-ranges.ts for why ranges read apart add up
 * to the whole file).
 */
async function* readInline(input: InputFile, options: EvtxReadOptions, range: EvtxChunkRange | null = null): AsyncGenerator<readonly SourceItem[]> {
  const session = new EvtxFileSession(input.name, options.recover === true, options.fieldsUnused !== true);
  const hold = new HeaderHold(session);
  const lazy = options.fieldsUnused === true;
  let offset = 0;
  try {
    let pieces: AsyncIterable<StreamPiece>;
    if (range === null) pieces = splitEvtxStream(input.stream());
    else {
      const path = input.path;
      if (path === null) throw new Error(`internal: ${input.name}: a chunk range needs a plain file`);
      const verdict = hold.header(await readFileBytes(path, 0, FILE_HEADER_SIZE));
      if (verdict[0]?.kind === 'fatal') {
        yield verdict;
        return;
      }
      if (range.from === 0 && verdict.length > 0) yield verdict;
      offset = chunkOffset(range.from);
      pieces = splitEvtxStream(readFileRange(path, offset, range.to === null ? null : chunkOffset(range.to)), range.from);
    }
    for await (const piece of pieces) {
      offset += piece.bytes.length;
      if (piece.kind === 'header') {
        const items = hold.header(piece.bytes);
        if (items.length > 0) yield items;
        if (items[0]?.kind === 'fatal') return;
        continue;
      }
      const items = chunkItems(piece, session, input.name, lazy);
      if (items === null) continue;
      const passed = hold.chunk(items);
      if (passed.length > 0) yield passed;
    }
  } catch (e) {
    yield [...hold.release(), { kind: 'fatal', diagnostic: readFailure(input.name, offset, e) }];
    return;
  }
  const last = hold.end();
  if (last.length > 0) yield last;
}

/** One chunk parsed on this thread, as reader items for the header hold; null for an empty (never used) chunk. */
function chunkItems(piece: StreamPiece & { kind: 'chunk' }, session: EvtxFileSession, file: string, lazy: boolean): SourceItem[] | null {
  const parse = parseChunk(piece.bytes, file, piece.index, piece.offset, session.chunkOptions);
  if (parse.empty) return null;
  const items: SourceItem[] = [];
  const extra = session.noteChunk(piece.index);
  if (extra !== null) items.push(warningItem(extra));
  for (const entry of parse.entries) {
    switch (entry.kind) {
      case 'record': {
        if (!session.admit(entry.record.recordId, entry.record.recovered)) break;
        const event = eventFromRecord(entry.record, file, lazy);
        items.push(isDiagnostic(event) ? { kind: 'record-error', diagnostic: event } : { kind: 'event', event });
        break;
      }
      case 'record-error':
      case 'warning':
        items.push(entry);
        break;
      default:
        assertNever(entry, 'chunk entry');
    }
  }
  return items;
}

/** Chunks queued per worker: one being parsed, one waiting (test/unit/evtx-file-reader.test.ts holds it to 2). */
const IN_FLIGHT_PER_THREAD = 2;

/** Ids for event text formats, so each worker is sent a format once however many files use it. */
const formatIds = new WeakMap<EventTextFormat, number>();
let nextFormatId = 1;

function wireEventText(format: EventTextFormat | undefined): WireEventText | undefined {
  if (format === undefined) return undefined;
  let id = formatIds.get(format);
  if (id === undefined) {
    id = nextFormatId++;
    formatIds.set(format, id);
  }
  return { id, format };
}

async function* readParallel(input: InputFile, options: EvtxReadOptions, threads: number): AsyncGenerator<readonly SourceItem[]> {
  const session = new EvtxFileSession(input.name, options.recover === true, options.fieldsUnused !== true);
  const hold = new HeaderHold(session);
  const pool = chunkWorkerPool(threads);
  const renderings = options.renderings ?? [];
  const eventText = wireEventText(options.eventText);
  const inFlight: Promise<ChunkTaskResult>[] = [];
  const chunkIndexOf: number[] = [];
  let seq = 0;
  let offset = 0;

  const collect = (index: number, result: ChunkTaskResult): SourceItem[] => {
    const items: SourceItem[] = [];
    if (result.empty) return items;
    const extra = session.noteChunk(index);
    if (extra !== null) items.push(warningItem(extra));
    const chunk = result.bytes === null ? null : new RetainedChunk(result.bytes, input.name, index, chunkOffset(index));
    const events = new EventColumnsReader(result.events, input.name, chunk);
    let next = 0;
    for (const step of result.sequence) {
      if (step === NEXT_EVENT) {
        const { recordId, recovered } = events.peek();
        const event = events.next(session.admit(recordId, recovered));
        if (event !== null) items.push({ kind: 'event', event });
      } else {
        items.push(result.items[next++]!);
      }
    }
    return hold.chunk(items);
  };

  try {
    for await (const piece of splitEvtxStream(input.stream())) {
      offset += piece.bytes.length;
      if (piece.kind === 'header') {
        const items = hold.header(piece.bytes);
        if (items.length > 0) yield items;
        if (items[0]?.kind === 'fatal') return;
        continue;
      }
      inFlight.push(
        pool.run({
          seq: seq++,
          file: input.name,
          chunkIndex: piece.index,
          chunkOffset: piece.offset,
          bytes: piece.bytes,
          options: session.chunkOptions,
          renderings,
          ...(eventText !== undefined ? { eventText } : {}),
        }),
      );
      chunkIndexOf.push(piece.index);
      // Awaiting the oldest keeps output in chunk order and bounds memory to IN_FLIGHT_PER_THREAD
      // x threads chunks (each a 64 KiB buffer and its results, well under 1 MB).
      while (inFlight.length >= IN_FLIGHT_PER_THREAD * threads) {
        const items = collect(chunkIndexOf.shift()!, await inFlight.shift()!);
        if (items.length > 0) yield items;
      }
    }
  } catch (e) {
    // Drain what was handed out so every parsed chunk is still reported, then stop.
    while (inFlight.length > 0) {
      const items = collect(chunkIndexOf.shift()!, await inFlight.shift()!);
      if (items.length > 0) yield items;
    }
    yield [...hold.release(), { kind: 'fatal', diagnostic: readFailure(input.name, offset, e) }];
    return;
  }
  while (inFlight.length > 0) {
    const items = collect(chunkIndexOf.shift()!, await inFlight.shift()!);
    if (items.length > 0) yield items;
  }
  const last = hold.end();
  if (last.length > 0) yield last;
}

function warningItem(diagnostic: Diagnostic): SourceItem {
  return { kind: 'warning', diagnostic };
}

function readFailure(file: string, offset: number, e: unknown): Diagnostic {
  return {
    severity: 'error',
    code: 'evtx.file.read',
    message: `reading the file failed: ${e instanceof Error ? e.message : String(e)}`,
    location: { file, offset },
  };
}
