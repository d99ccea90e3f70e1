import type { InputFile } from '../source.js';

/** Counts the bytes of an input whose size is not known up front (compressed inputs). */
export function countingInput(input: InputFile, onBytes: (n: number) => void): InputFile {
  return {
    name: input.name,
    size: input.size,
    path: input.path,
    async *stream(): AsyncIterable<Buffer> {
      for await (const chunk of input.stream()) {
        onBytes(chunk.length);
        yield chunk;
      }
    },
  };
}
