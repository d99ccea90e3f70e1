/**
 * Where a command's results go: stdout or a file, written with backpressure so memory stays
 * flat however large the output. A closed reader (`vigil dump ... | head`) ends the run quietly.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';

/** Bytes of output allowed to queue before the producer waits (keeps memory flat). */
const MAX_BUFFERED = 8 * 1024 * 1024;

export class OutputSink {
  /** Set when the reader went away (EPIPE) or the file failed; further writes are dropped. */
  private failure: Error | null = null;
  private closedByReader = false;

  private constructor(
    private readonly stream: Writable,
    private readonly ownsStream: boolean,
    readonly description: string,
  ) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') this.closedByReader = true;
      else this.failure ??= err;
    });
  }

  /** Any writable stream (the caller keeps ownership: close() only waits for it to drain). */
  static fromStream(stream: Writable, description: string): OutputSink {
    return new OutputSink(stream, false, description);
  }

  static stdout(): OutputSink {
    return new OutputSink(process.stdout, false, 'standard output');
  }

  /** Opens a file for writing; rejects with the system's reason when it cannot be created. */
  static async file(path: string): Promise<OutputSink> {
    const stream = createWriteStream(path);
    await Promise.race([
      once(stream, 'open'),
      once(stream, 'error').then(([err]) => {
        throw err;
      }),
    ]);
    return new OutputSink(stream, true, path);
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
    this.stream.write(chunk);
    if (this.stream.writableLength > MAX_BUFFERED) await this.drained();
  }

  private async drained(): Promise<void> {
    if (this.stopped) return;
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
    if (this.ownsStream) {
      if (!this.stream.destroyed) {
        this.stream.end();
        await Promise.race([once(this.stream, 'close'), once(this.stream, 'error')]).catch(() => undefined);
      }
      return;
    }
    if (this.stopped || this.stream.writableLength === 0) return;
    await this.drained();
  }
}
