/**
 * Text held back in a temporary file so that something computed at the end of a run (the
 * risk-ranked entities) can be printed before it, with memory flat however long the text is.
 */
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';

export class Spill {
  private constructor(
    private readonly dir: string,
    private readonly file: string,
    private readonly stream: WriteStream,
  ) {}

  static async create(): Promise<Spill> {
    const dir = await mkdtemp(path.join(tmpdir(), 'vigil-spill-'));
    const file = path.join(dir, 'held.txt');
    const stream = createWriteStream(file);
    await once(stream, 'open');
    return new Spill(dir, file, stream);
  }

  async write(chunk: string | Uint8Array): Promise<void> {
    if (chunk.length === 0) return;
    if (!this.stream.write(chunk)) await once(this.stream, 'drain');
  }

  /** Hands the held text to `write` in pieces, then deletes the file. */
  async drainTo(write: (text: string) => Promise<boolean>): Promise<void> {
    this.stream.end();
    await once(this.stream, 'finish');
    try {
      for await (const piece of createReadStream(this.file, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
        if (!(await write(piece as string))) break;
      }
    } finally {
      await this.discard();
    }
  }

  async discard(): Promise<void> {
    if (!this.stream.closed) this.stream.destroy();
    await rm(this.dir, { recursive: true, force: true });
  }
}
