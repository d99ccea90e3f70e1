/**
 * Streaming gunzip / raw inflate with an output cap. Errors (corrupt data, cap exceeded)
 * surface as LocatedError from the iteration, naming the input.
 */
import { Readable, pipeline } from 'node:stream';
import { createGunzip, createInflateRaw } from 'node:zlib';
import { LocatedError } from '../../core/diagnostics.js';

export type InflateKind = 'gzip' | 'deflate-raw';

export interface InflateOptions {
  readonly kind: InflateKind;
  /** Name of the input for messages (`a.zip!b.evtx`, `x.evtx.gz`). */
  readonly name: string;
  /** Output larger than this fails with `input.decompress.too-large`. */
  readonly maxOutputBytes: number;
  /** Why the cap is what it is, for the message. */
  readonly capReason: string;
}

export async function* inflateStream(source: AsyncIterable<Buffer>, opts: InflateOptions): AsyncGenerator<Buffer> {
  const inflater = opts.kind === 'gzip' ? createGunzip({ chunkSize: 64 * 1024 }) : createInflateRaw({ chunkSize: 64 * 1024 });
  const input = Readable.from(source, { objectMode: false });
  // Errors on either side destroy both; the iteration below then throws the error.
  pipeline(input, inflater, () => undefined);
  let produced = 0;
  try {
    for await (const chunk of inflater as AsyncIterable<Buffer>) {
      produced += chunk.length;
      if (produced > opts.maxOutputBytes) {
        throw new LocatedError(
          'input.decompress.too-large',
          `${opts.name}: decompressed data exceeds ${opts.maxOutputBytes} bytes (${opts.capReason}); possible decompression bomb, stopped`,
          { file: opts.name, offset: opts.maxOutputBytes },
        );
      }
      yield chunk;
    }
  } catch (err) {
    if (err instanceof LocatedError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    const code = (err as { code?: unknown }).code;
    if (typeof code !== 'string' || !code.startsWith('Z_')) {
      throw new LocatedError('input.read-failed', `cannot read: ${message}`, { file: opts.name });
    }
    throw new LocatedError('input.decompress.corrupt', `${opts.kind === 'gzip' ? 'gzip' : 'deflate'} data is corrupt: ${message}`, {
      file: opts.name,
      offset: produced,
    });
  } finally {
    input.destroy();
    inflater.destroy();
  }
}
