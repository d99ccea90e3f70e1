/**
 * Byte-stream plumbing shared by every input: bounded file reads, peeking at a stream's head
 * without losing it, and UTF-16 to UTF-8 transcoding. Nothing here holds a whole file.
 */
import { closeSync, openSync, readSync } from 'node:fs';

/** Read size for files and archive members. */
export const READ_CHUNK_BYTES = 64 * 1024;
/**
 * A whole file's first read: a page, which tells an EVTX file by its magic, and is its file
 * header, so the reads after it are its 64 KiB chunks, each passed on as it is (see
 * splitEvtxStream). Text formats read on until they have a detection head.
 */
export const FIRST_READ_BYTES = 4096;

/** A plain file's bytes from the start: one page, then READ_CHUNK_BYTES a read. */
export function readWholeFile(path: string): AsyncGenerator<Buffer> {
  return readFileRange(path, 0, null, FIRST_READ_BYTES);
}

/**
 * Streams `[start, end)` of a file (to its end when `end` is null) in fresh 64 KiB buffers,
 * read with blocking calls. Every thread that reads files has nothing else to do while a read
 * waits, and an asynchronous read waits for one of libuv's pool threads, which on a machine
 * whose cores are all busy hunting may get a core only a scheduler slice later: with file
 * opening, that kept a one-thread hunt idle for 4-8% of its time. `firstRead` sizes the first
 * block only (an EVTX file's header, so that the blocks after it are its chunks).
 */
export async function* readFileRange(path: string, start = 0, end: number | null = null, firstRead = READ_CHUNK_BYTES): AsyncGenerator<Buffer> {
  const fd = openSync(path, 'r');
  try {
    // Bounded by the range or by end of file (a read returning 0 bytes).
    for (let position = start, block = firstRead; ; block = READ_CHUNK_BYTES) {
      const want = end === null ? block : Math.min(block, end - position);
      if (want <= 0) return;
      const buf = Buffer.allocUnsafe(want);
      const got = readSync(fd, buf, 0, want, position);
      if (got === 0) return;
      position += got;
      yield got === want ? buf : buf.subarray(0, got);
    }
  } finally {
    closeSync(fd);
  }
}

/** Reads up to `length` bytes at `position`; fewer at end of file (blocking, as readFileRange). */
export async function readFileBytes(path: string, position: number, length: number): Promise<Buffer> {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    const got = readSync(fd, buf, 0, length, position);
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/** A stream whose first bytes were read ahead; `stream` replays them before the rest. */
export interface PeekedStream {
  readonly head: Buffer;
  /** True when the head is the whole stream. */
  readonly complete: boolean;
  /** Replays the head, then continues the source. Iterate it at most once. */
  readonly stream: AsyncIterable<Buffer>;
  /** Releases the source when `stream` will not be iterated to its end. */
  close(): Promise<void>;
}

/**
 * Reads at least `minBytes` (or everything, if shorter) from `source` and keeps them for replay;
 * only the first read when `enough` says it decides already (an EVTX file's magic).
 */
export async function peekStream(source: AsyncIterable<Buffer>, minBytes: number, enough?: (head: Buffer) => boolean): Promise<PeekedStream> {
  const it = source[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let total = 0;
  let complete = false;
  try {
    while (total < minBytes) {
      const r = await it.next();
      if (r.done) {
        complete = true;
        break;
      }
      chunks.push(r.value);
      total += r.value.length;
      if (chunks.length === 1 && enough?.(r.value) === true) break;
    }
  } catch (err) {
    await it.return?.();
    throw err;
  }
  let closed = complete;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await it.return?.();
  };
  async function* replay(): AsyncGenerator<Buffer> {
    try {
      for (const c of chunks) yield c;
      if (complete) return;
      for (;;) {
        const r = await it.next();
        if (r.done) {
          closed = true;
          return;
        }
        yield r.value;
      }
    } finally {
      await close();
    }
  }
  return { head: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), complete, stream: replay(), close };
}

export type TextEncodingGuess = 'utf8' | 'utf16le' | 'utf16be';

/** Guesses the text encoding from a BOM, or from the zero-byte pattern of BOM-less UTF-16 ASCII. */
export function guessTextEncoding(head: Buffer): TextEncodingGuess {
  if (head.length >= 2 && head[0] === 0xff && head[1] === 0xfe) return 'utf16le';
  if (head.length >= 2 && head[0] === 0xfe && head[1] === 0xff) return 'utf16be';
  if (head.length >= 4 && head[0] !== 0 && head[1] === 0 && head[2] !== 0 && head[3] === 0) return 'utf16le';
  if (head.length >= 4 && head[0] === 0 && head[1] !== 0 && head[2] === 0 && head[3] !== 0) return 'utf16be';
  return 'utf8';
}

/** Re-encodes a UTF-16 byte stream as UTF-8 (the BOM is dropped). */
export async function* transcodeUtf16(source: AsyncIterable<Buffer>, encoding: 'utf16le' | 'utf16be'): AsyncGenerator<Buffer> {
  const decoder = new TextDecoder(encoding === 'utf16le' ? 'utf-16le' : 'utf-16be');
  for await (const chunk of source) {
    const text = decoder.decode(chunk, { stream: true });
    if (text.length > 0) yield Buffer.from(text, 'utf8');
  }
  const tail = decoder.decode();
  if (tail.length > 0) yield Buffer.from(tail, 'utf8');
}
