import type { InputFile } from '../../src/sources/source.js';

/** An InputFile over bytes, streamed in pieces of `piece` bytes (odd sizes cross chunk edges). */
export function inputOf(bytes: Uint8Array, name: string, piece = 10_000, filePath: string | null = null): InputFile {
  return {
    name,
    size: bytes.length,
    path: filePath,
    async *stream() {
      for (let i = 0; i < bytes.length; i += piece) yield Buffer.from(bytes.subarray(i, i + piece));
    },
  };
}
