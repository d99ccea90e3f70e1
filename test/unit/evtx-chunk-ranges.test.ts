/**
 * One EVTX file cut into ranges of chunks (sources/evtx/chunk-ranges.ts) and each range read
 * apart (ReadOptions.chunks): where the cuts fall, which files are not cut, and that the ranges'
 * items, put end to end, are the whole file's, with the header's and the extra-chunk warnings
 * each reported once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { planChunkRanges } from '../../src/sources/evtx/chunk-ranges.js';
import { readInput } from '../../src/sources/read.js';
import type { InputFile, ReadOptions, SourceItem } from '../../src/sources/source.js';
import { plainFileInput } from '../../src/cli/hunt/file-hunt.js';
import { splitEvtxStream } from '../../src/sources/evtx/chunk-stream.js';
import { buildFile, simpleChunk } from '../fuzz/evtx-synth.js';
import { tempDirs } from '../helpers/temp-dirs.js';

const tempDir = tempDirs();
const HEADER = 4096;
const CHUNK = 65536;
const DIRTY = 0x1;

/** `chunks` chunks of five records each (ids 1, 2, ... in file order); the header counts `counted`. */
function fileOf(chunks: number, options: { counted?: number; flags?: number } = {}): Uint8Array {
  const built = Array.from({ length: chunks }, (_, i) => simpleChunk(1 + 5 * i, 5).bytes);
  return buildFile(built, { chunkCount: options.counted ?? chunks, ...(options.flags !== undefined ? { flags: options.flags } : {}) });
}

function onDisk(bytes: Uint8Array, name = 'ranges.evtx'): InputFile {
  const file = path.join(tempDir('vigil-chunk-ranges-'), name);
  writeFileSync(file, bytes);
  return plainFileInput(file, file, bytes.length);
}

async function itemsOf(input: InputFile, options: ReadOptions = {}): Promise<string[]> {
  const out: string[] = [];
  for await (const batch of readInput(input, options)) for (const item of batch) out.push(describe(item));
  return out;
}

function describe(item: SourceItem): string {
  switch (item.kind) {
    case 'event':
      return `event ${item.event.provenance.recordId}@${item.event.provenance.offset}`;
    case 'record-error':
    case 'warning':
    case 'fatal':
      return `${item.kind} ${item.diagnostic.code}@${item.diagnostic.location.offset}`;
  }
}

test('cuts fall every N chunks below the header chunk count; the last range runs to the end of the file', () => {
  const bytes = fileOf(10);
  const ranges = planChunkRanges(bytes.subarray(0, HEADER), bytes.length, 3);
  assert.deepEqual(
    ranges?.map((r) => [r.from, r.to]),
    [
      [0, 3],
      [3, 6],
      [6, 9],
      [9, null],
    ],
  );
  // Byte for byte the file: the first range holds the header, the rest start at their chunk.
  assert.deepEqual(
    ranges?.map((r) => [r.offset, r.bytes]),
    [
      [0, HEADER + 3 * CHUNK],
      [HEADER + 3 * CHUNK, 3 * CHUNK],
      [HEADER + 6 * CHUNK, 3 * CHUNK],
      [HEADER + 9 * CHUNK, CHUNK],
    ],
  );
  // A header that counts fewer chunks than the file holds (a dirty file): no cut at or past its count.
  const stale = fileOf(10, { counted: 5, flags: DIRTY });
  assert.deepEqual(
    planChunkRanges(stale.subarray(0, HEADER), stale.length, 2)?.map((r) => [r.from, r.to]),
    [
      [0, 2],
      [2, 4],
      [4, null],
    ],
  );
  // A header counting more chunks than the file holds cuts only what is there.
  const short = fileOf(4, { counted: 40 });
  assert.deepEqual(
    planChunkRanges(short.subarray(0, HEADER), short.length, 2)?.map((r) => [r.from, r.to]),
    [
      [0, 2],
      [2, null],
    ],
  );
});

test('files that are not cut: one range only, not EVTX, a corrupt header, a header cut short', () => {
  const bytes = fileOf(4);
  assert.equal(planChunkRanges(bytes.subarray(0, HEADER), bytes.length, 4), null, 'one range');
  assert.equal(planChunkRanges(new Uint8Array(HEADER).fill(0x41), 10 * CHUNK, 2), null, 'no EVTX magic');
  const corrupt = bytes.slice(0, HEADER);
  // Header size, major version and block size all garbage behind a right magic.
  corrupt.fill(0xee, 32, 42);
  assert.equal(planChunkRanges(corrupt, bytes.length, 2), null, 'corrupt header');
  assert.equal(planChunkRanges(bytes.subarray(0, 1000), bytes.length, 2), null, 'header cut short');
  assert.equal(planChunkRanges(bytes.subarray(0, HEADER), bytes.length, 0), null, 'no chunks per range');
});

test('ranges read apart, put end to end, give the whole file: every record once, each warning once', async () => {
  // Dirty, with two chunks past the header's count: a header warning and an extra-chunk warning.
  const bytes = fileOf(9, { counted: 7, flags: DIRTY });
  const input = onDisk(bytes);
  const whole = await itemsOf(input);
  assert.equal(whole.filter((i) => i.startsWith('event ')).length, 45);
  assert.ok(whole.includes('warning evtx.header.dirty@120'), whole.slice(0, 3).join('\n'));
  assert.ok(whole.some((i) => i.startsWith('warning evtx.file.extra-chunks@')), 'extra-chunk warning');
  const ranges = planChunkRanges(bytes.subarray(0, HEADER), bytes.length, 2)!;
  assert.equal(ranges.length, 4);
  const apart: string[] = [];
  for (const r of ranges) {
    const items = await itemsOf(plainFileInput(input.name, input.path!, r.bytes), { chunks: { from: r.from, to: r.to } });
    // Each range holds its own chunks' records, nothing from its neighbours.
    const ids = items.filter((i) => i.startsWith('event ')).map((i) => Number(/^event (\d+)@/.exec(i)![1]));
    const last = r.to ?? 9;
    assert.deepEqual(ids, Array.from({ length: 5 * (last - r.from) }, (_, k) => 1 + 5 * r.from + k), `range ${r.from}..${r.to}`);
    apart.push(...items);
  }
  assert.deepEqual(apart, whole);
});

test('a chunk range with a header the caller did not check: its verdict still stops the read', async () => {
  const input = onDisk(new Uint8Array(3 * CHUNK).fill(0x41), 'not-evtx.evtx');
  const items = await itemsOf(input, { chunks: { from: 1, to: 2 } });
  assert.deepEqual(items, ['fatal evtx.file.not-evtx@0']);
});

test('splitEvtxStream from a chunk: no header is expected, chunks are numbered as in the file', async () => {
  async function* pieces(): AsyncGenerator<Uint8Array> {
    yield new Uint8Array(CHUNK + 100);
    yield new Uint8Array(CHUNK - 100 + 7);
  }
  const seen: string[] = [];
  for await (const p of splitEvtxStream(pieces(), 5)) seen.push(`${p.kind} ${p.kind === 'chunk' ? `${p.index}@${p.offset}` : ''} ${p.bytes.length}`);
  assert.deepEqual(seen, [`chunk 5@${HEADER + 5 * CHUNK} ${CHUNK}`, `chunk 6@${HEADER + 6 * CHUNK} ${CHUNK}`, `chunk 7@${HEADER + 7 * CHUNK} 7`]);
});

test('splitEvtxStream passes on a read that is exactly the next header or chunk, and copies any other', async () => {
  const header = new Uint8Array(HEADER).fill(1);
  const chunk = new Uint8Array(CHUNK).fill(2);
  // 64 KiB, but a view into a larger buffer: handing it on (or transferring its buffer) would share the rest.
  const shared = new Uint8Array(2 * CHUNK).fill(3).subarray(0, CHUNK);
  const split = new Uint8Array(CHUNK + 5).fill(4);
  async function* reads(): AsyncGenerator<Uint8Array> {
    yield header;
    yield chunk;
    yield shared;
    yield split;
    yield new Uint8Array(CHUNK - 5).fill(4);
  }
  const out: { kind: string; bytes: Uint8Array }[] = [];
  for await (const p of splitEvtxStream(reads())) out.push(p);
  assert.deepEqual(
    out.map((p) => `${p.kind} ${p.bytes.length}`),
    [`header ${HEADER}`, `chunk ${CHUNK}`, `chunk ${CHUNK}`, `chunk ${CHUNK}`, `chunk ${CHUNK}`],
  );
  assert.equal(out[0]!.bytes, header, 'the header read is passed on');
  assert.equal(out[1]!.bytes, chunk, 'the chunk read is passed on');
  assert.notEqual(out[2]!.bytes, shared, 'a view into a larger buffer is copied');
  assert.equal(out[2]!.bytes.buffer.byteLength, CHUNK);
  assert.ok(out[2]!.bytes.every((b) => b === 3));
  assert.ok(out[3]!.bytes.every((b) => b === 4) && out[4]!.bytes.every((b) => b === 4));
});

test('a plain EVTX file reads the same through its aligned reads as through copies', async () => {
  const bytes = fileOf(4);
  const input = onDisk(bytes);
  const viaFile: string[] = [];
  for await (const p of splitEvtxStream(input.stream())) viaFile.push(`${p.kind} ${Buffer.from(p.bytes).toString('base64')}`);
  async function* odd(): AsyncGenerator<Uint8Array> {
    for (let at = 0; at < bytes.length; at += 1000) yield bytes.slice(at, at + 1000);
  }
  const viaCopies: string[] = [];
  for await (const p of splitEvtxStream(odd())) viaCopies.push(`${p.kind} ${Buffer.from(p.bytes).toString('base64')}`);
  assert.equal(viaFile.length, 5);
  assert.deepEqual(viaFile, viaCopies);
});
