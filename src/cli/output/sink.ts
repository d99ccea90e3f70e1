/**
 * Where a command's results go: stdout or a file, written with backpressure so memory stays
 * flat however large the output. A closed reader (`vigil dump ... | head`) ends the run quietly.
 *
 * A file is written with blocking calls, as Node writes stdout redirected to a file and as
 * inputs are read (see readFileRange): the thread has nothing else to do meanwhile. Queued
 * asynchronously instead, megabytes of output waited for the event loop's next turn, long
 * enough for V8 to move their buffers to the old generation, and the off-heap bytes piling up
 * there started full collections of a heap the rule set makes large.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { Writable } from 'node:stream';

/** Bytes of output allowed to queue before the producer waits (keeps memory flat). */
const MAX_BUFFERED = 8 * 1024 * 1024;

/** The buffer a file's text is encoded into: made at least this large, and never larger than the cap (larger text is written as text). */
const MIN_SCRATCH_BYTES = 64 * 1024;
const MAX_SCRATCH_BYTES = 16 * 1024 * 1024;

export class OutputSink {
  /** Set when the reader went away (EPIPE) or the file failed; further writes are dropped. */
  private failure: Error | null = null;
  private closedByReader = false;
  /** Where text for a file is encoded before it is written (see writeFile). */
  private scratch: Buffer = Buffer.alloc(0);
  /** Called before each write (a progress line on the same terminal wipes itself). */
  private beforeWrite: (() => void) | null = null;

  private constructor(
    /** The stream written to, or null for a file written with blocking calls (`fd`). */
    private readonly stream: Writable | null,
    private fd: number | null,
    readonly description: string,
  ) {
    stream?.on('error', (err: NodeJS.ErrnoException) => this.fail(err));
  }

  private fail(err: NodeJS.ErrnoException): void {
    if (err.code === 'EPIPE') this.closedByReader = true;
    else this.failure ??= err;
  }

  /** Any writable stream (the caller keeps ownership: close() only waits for it to drain). */
  static fromStream(stream: Writable, description: string): OutputSink {
    return new OutputSink(stream, null, description);
  }

  static stdout(): OutputSink {
    return OutputSink.fromStream(process.stdout, 'standard output');
  }

  /** `hook` runs before each write from now on (one hook; a later call replaces it). */
  beforeEachWrite(hook: () => void): void {
    this.beforeWrite = hook;
  }

  /** Opens (creates or truncates) a file for writing; rejects with the system's reason when it cannot. */
  static async file(path: string): Promise<OutputSink> {
    return new OutputSink(null, openSync(path, 'w'), path);
  }

  /**
   * True when nothing of what was written is held any more, so the memory of bytes already
   * written may be reused: a file is written with blocking calls, and standard output keeps a
   * chunk only while it is queued (Node hands it to the system, and drops it, as soon as it can).
   * False for any other stream, which may keep the chunks it was given (a test's collector does).
   */
  get releasesWritten(): boolean {
    if (this.stream === null) return true;
    return this.stream === process.stdout && this.stream.writableLength === 0;
  }

  /** True once nothing more can be written (reader gone or write error). */
  get stopped(): boolean {
    return this.closedByReader || this.failure !== null;
  }

  get error(): Error | null {
    return this.failure;
  }

  get readerClosed(): boolean {
    return this.closedByReader;
  }

  /**
   * Writes text or UTF-8 bytes; waits for the stream to drain once more than MAX_BUFFERED bytes are queued.
   * Waiting at the stream's own small high-water mark would stall the reader on every batch
   * (file writes complete on another thread), so a few megabytes may queue, no more.
   */
  async write(chunk: string | Uint8Array): Promise<void> {
    if (chunk.length === 0 || this.stopped) return;
    this.beforeWrite?.();
    if (this.stream === null) return this.writeFile(chunk);
    this.stream.write(chunk);
    if (this.stream.writableLength > MAX_BUFFERED) await this.drained();
  }

  /** The whole chunk, however many calls the system takes to accept it. */
  private writeFile(chunk: string | Uint8Array): void {
    if (this.fd === null) return;
    try {
      if (typeof chunk === 'string') {
        // Encoded once into a buffer kept for the next write: counting the bytes first, to tell
        // a short write, then letting the call encode the text read every finding twice.
        const most = chunk.length * 3; // UTF-8 bytes per UTF-16 unit, at most
        if (most <= MAX_SCRATCH_BYTES) {
          if (this.scratch.length < most) this.scratch = Buffer.allocUnsafeSlow(Math.min(MAX_SCRATCH_BYTES, Math.max(most, 2 * this.scratch.length, MIN_SCRATCH_BYTES)));
          this.writeBytes(this.scratch.subarray(0, this.scratch.write(chunk)));
        } else {
          const bytes = Buffer.byteLength(chunk);
          const wrote = writeSync(this.fd, chunk);
          if (wrote < bytes) this.writeBytes(Buffer.from(chunk).subarray(wrote));
        }
      } else {
        this.writeBytes(chunk);
      }
    } catch (e) {
      this.fail(e as NodeJS.ErrnoException);
    }
  }

  private writeBytes(bytes: Uint8Array): void {
    for (let at = 0; at < bytes.length; ) at += writeSync(this.fd!, bytes, at, bytes.length - at);
  }

  private async drained(): Promise<void> {
    if (this.stopped || this.stream === null) return;
    const stream = this.stream;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        stream.off('drain', done);
        stream.off('error', done);
        stream.off('close', done);
        resolve();
      };
      stream.on('drain', done);
      stream.on('error', done);
      stream.on('close', done);
    });
  }

  /** Flushes and closes a file; for stdout waits until written data is handed to the system. */
  async close(): Promise<void> {
    if (this.stream === null) {
      if (this.fd !== null) {
        const fd = this.fd;
        this.fd = null;
        try {
          closeSync(fd);
        } catch (e) {
          this.fail(e as NodeJS.ErrnoException);
        }
      }
      return;
    }
    if (this.stopped || this.stream.writableLength === 0) return;
    await this.drained();
  }
}
