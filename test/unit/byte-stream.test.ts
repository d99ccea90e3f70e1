/**
 * Bounded file reads: the blocking reader the hunt workers use must give exactly the bytes (and
 * the 64 KiB pieces) the asynchronous one gives, for whole files, ranges, empty ranges and ends
 * past the file, and must fail like it on a missing file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { READ_CHUNK_BYTES, readFileRange, readFileRangeBlocking } from '../../src/sources/input/byte-stream.js';
import { prng } from '../fuzz/evtx-synth.js';

async function pieces(stream: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const b of stream) out.push(Buffer.from(b));
  return out;
}

test('blocking reads give the same pieces as asynchronous reads, for every range', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'vigil-bytes-'));
  try {
    const next = prng(7);
    const size = 3 * READ_CHUNK_BYTES + 123;
    const bytes = Buffer.from(Array.from({ length: size }, () => Math.floor(next() * 256)));
    const file = path.join(dir, 'data.bin');
    await writeFile(file, bytes);
    const ranges: [number, number | null][] = [
      [0, null],
      [5, null],
      [READ_CHUNK_BYTES, 2 * READ_CHUNK_BYTES + 1],
      [100, 100],
      [size - 3, size + 1000],
      [size + 10, null],
    ];
    for (const [start, end] of ranges) {
      const blocking = await pieces(readFileRangeBlocking(file, start, end));
      const async = await pieces(readFileRange(file, start, end));
      assert.deepEqual(blocking.map((b) => b.length), async.map((b) => b.length), `piece sizes of [${start}, ${end})`);
      assert.ok(Buffer.concat(blocking).equals(bytes.subarray(start, end ?? size)), `bytes of [${start}, ${end})`);
      assert.ok(blocking.every((b) => b.length <= READ_CHUNK_BYTES));
    }
    await assert.rejects(pieces(readFileRangeBlocking(path.join(dir, 'missing.bin'))), /ENOENT/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
