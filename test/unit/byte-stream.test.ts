/**
 * Bounded file reads: exactly the bytes of the range, in pieces of at most 64 KiB, for whole
 * files, ranges, empty ranges and ends past the file; a missing file fails with its reason. A
 * whole file is read a page first; a peek stops at a first read that decides.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FIRST_READ_BYTES, READ_CHUNK_BYTES, peekStream, readFileBytes, readFileRange, readWholeFile } from '../../src/sources/input/byte-stream.js';
import { seededRandom } from '../fuzz/evtx-synth.js';

async function pieces(stream: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const b of stream) out.push(Buffer.from(b));
  return out;
}

test('file ranges come out whole, in pieces of at most 64 KiB', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'vigil-bytes-'));
  try {
    const { int } = seededRandom(7);
    const size = 3 * READ_CHUNK_BYTES + 123;
    const bytes = Buffer.from(Array.from({ length: size }, () => int(256)));
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
      const got = await pieces(readFileRange(file, start, end));
      assert.ok(Buffer.concat(got).equals(bytes.subarray(start, end ?? size)), `bytes of [${start}, ${end})`);
      // Full pieces until the last one: a reader may rely on chunk-sized reads.
      assert.ok(got.slice(0, -1).every((b) => b.length === READ_CHUNK_BYTES), `piece sizes of [${start}, ${end})`);
      assert.ok(got.every((b) => b.length > 0 && b.length <= READ_CHUNK_BYTES));
      const direct = await readFileBytes(file, start, Math.max(0, (end ?? size) - start));
      assert.ok(direct.equals(bytes.subarray(start, end ?? size)), `readFileBytes of [${start}, ${end})`);
    }
    await assert.rejects(pieces(readFileRange(path.join(dir, 'missing.bin'))), /ENOENT/);
    await assert.rejects(readFileBytes(path.join(dir, 'missing.bin'), 0, 4), /ENOENT/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a whole file is read a page first, then in 64 KiB reads (an EVTX file header, then its chunks)', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'vigil-bytes-'));
  try {
    const { int } = seededRandom(11);
    const size = FIRST_READ_BYTES + 2 * READ_CHUNK_BYTES + 9;
    const bytes = Buffer.from(Array.from({ length: size }, () => int(256)));
    const file = path.join(dir, 'data.bin');
    await writeFile(file, bytes);
    const got: Buffer[] = [];
    for await (const b of readWholeFile(file)) got.push(b);
    assert.deepEqual(
      got.map((b) => b.length),
      [FIRST_READ_BYTES, READ_CHUNK_BYTES, READ_CHUNK_BYTES, 9],
    );
    assert.ok(Buffer.concat(got).equals(bytes));
    // Each full read has a buffer of its own, so a reader may hand it on (or transfer it) as it is.
    assert.ok(got.slice(0, -1).every((b) => b.byteOffset === 0 && b.buffer.byteLength === b.length));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a peek stops after a first read that decides, and replays every byte either way', async () => {
  const reads: number[] = [];
  async function* source(sizes: number[]): AsyncGenerator<Buffer> {
    for (const [i, n] of sizes.entries()) {
      reads.push(i);
      yield Buffer.alloc(n, i === 0 ? 'E' : 't');
    }
  }
  const decides = (head: Buffer): boolean => head[0] === 0x45;
  const decided = await peekStream(source([4096, 65536, 10]), 65536, decides);
  assert.equal(decided.head.length, 4096, 'one read: it decided');
  assert.deepEqual(reads, [0]);
  let replayed = 0;
  for await (const b of decided.stream) replayed += b.length;
  assert.equal(replayed, 4096 + 65536 + 10);

  reads.length = 0;
  const undecided = await peekStream(source([4096, 65536, 10]), 65536, () => false);
  assert.equal(undecided.head.length, 4096 + 65536, 'read on to the minimum');
  assert.deepEqual(reads, [0, 1]);
  await undecided.close();
});
