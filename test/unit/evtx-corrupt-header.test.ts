/**
 * EVTX files whose header is garbage behind a right `ElfFile\0` magic: one summarised warning when
 * the chunks after it are readable, one error (and a failed input) when none is; real headers
 * that are merely dirty, stale or odd in one field keep their per-field warnings.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { closeEvtxWorkers, parseEvtxBytes, readEvtx } from '../../src/sources/evtx/index.js';
import { EvtxFileSession, HeaderHold, MAX_HELD_ITEMS } from '../../src/sources/evtx/file-session.js';
import { isCorruptFileHeader, readFileHeader, type FileHeader } from '../../src/sources/evtx/layout.js';
import type { InputFile, ReadOptions, SourceItem } from '../../src/sources/source.js';
import { CHUNK_SIZE, FILE_HEADER_SIZE, buildFile, prng, simpleChunk, writeU32 } from '../fuzz/evtx-synth.js';
import { inputOf } from '../helpers/bytes-input.js';

const dir = mkdtempSync(path.join(tmpdir(), 'vigil-evtx-corrupt-header-'));
after(async () => {
  await closeEvtxWorkers();
  rmSync(dir, { recursive: true, force: true });
});

/** Everything after the magic in the 4096-byte header zeroed: size, version and block size all 0. */
function zeroHeader(file: Uint8Array): Uint8Array {
  const b = file.slice();
  b.fill(0, 8, FILE_HEADER_SIZE);
  return b;
}

/** Deterministic random bytes after the magic, as a disk error or a wrong copy leaves them. */
function randomHeader(file: Uint8Array, seed: number): Uint8Array {
  const b = file.slice();
  const rng = prng(seed);
  for (let i = 8; i < FILE_HEADER_SIZE; i++) b[i] = Math.floor(rng() * 256);
  return b;
}

/** A chunk-sized run of one byte: no chunk magic, nothing decodable. */
function garbageChunk(fill = 0x42): Uint8Array {
  return new Uint8Array(CHUNK_SIZE).fill(fill);
}

async function read(input: InputFile, options: ReadOptions = {}): Promise<SourceItem[]> {
  const items: SourceItem[] = [];
  for await (const batch of readEvtx(input, options)) items.push(...batch);
  return items;
}

const problems = (items: SourceItem[]): SourceItem[] => items.filter((i) => i.kind !== 'event');
const eventCount = (items: SourceItem[]): number => items.filter((i) => i.kind === 'event').length;
const codeOf = (item: SourceItem | undefined): string | undefined => (item === undefined || item.kind === 'event' ? undefined : item.diagnostic.code);

function header(overrides: Partial<FileHeader>): FileHeader {
  const base: FileHeader = {
    firstChunk: 0,
    lastChunk: 0,
    nextRecordId: 1,
    headerSize: 128,
    minorVersion: 1,
    majorVersion: 3,
    headerBlockSize: 4096,
    chunkCount: 1,
    flags: 0,
    checksum: 0,
  };
  return { ...base, ...overrides };
}

test('the rule: two or more of header size, major version and block size wrong is corrupt; one is an odd header', () => {
  assert.equal(isCorruptFileHeader(header({})), false);
  assert.equal(isCorruptFileHeader(header({ majorVersion: 4 })), false);
  assert.equal(isCorruptFileHeader(header({ headerSize: 256 })), false);
  assert.equal(isCorruptFileHeader(header({ headerBlockSize: 8192 })), false);
  // Dirty, stale and odd in everything else: still a real header.
  assert.equal(isCorruptFileHeader(header({ flags: 0x1 | 0x40000, chunkCount: 0, firstChunk: 9, checksum: 1, minorVersion: 7 })), false);
  assert.equal(isCorruptFileHeader(header({ majorVersion: 0, headerSize: 0 })), true);
  assert.equal(isCorruptFileHeader(header({ headerSize: 0x41414141, headerBlockSize: 0x4141 })), true);
  assert.equal(isCorruptFileHeader(header({ majorVersion: 0, headerSize: 0, headerBlockSize: 0 })), true);
});

test('readFileHeader flags a zeroed or random header as corrupt, and a clean one as sound', () => {
  const clean = buildFile([simpleChunk(1, 2).bytes]);
  assert.equal(readFileHeader(clean, 'c.evtx')?.corrupt, false);
  assert.equal(readFileHeader(zeroHeader(clean), 'z.evtx')?.corrupt, true);
  for (const seed of [1, 2, 3, 4, 5]) assert.equal(readFileHeader(randomHeader(clean, seed), 'r.evtx')?.corrupt, true, `seed ${seed}`);
});

test('corrupt header before readable chunks: one evtx.header.corrupt warning, every record read, the input not failed', async () => {
  const file = zeroHeader(buildFile([simpleChunk(1, 5).bytes, simpleChunk(6, 4).bytes]));
  for (const piece of [1000, 4096, 70_000]) {
    const items = await read(inputOf(file, 'zero-header.evtx', piece));
    assert.equal(eventCount(items), 9, `piece ${piece}`);
    const bad = problems(items);
    assert.equal(bad.length, 1, JSON.stringify(bad));
    const warning = bad[0]!;
    assert.equal(warning.kind, 'warning');
    assert.equal(codeOf(warning), 'evtx.header.corrupt');
    assert.equal(warning.diagnostic.location.file, 'zero-header.evtx');
    // The first wrong field: the header size at 32 (the zeroed chunk numbers are consistent).
    assert.equal(warning.diagnostic.location.offset, 32);
    assert.match(warning.diagnostic.message, /bad version, size, block-size, crc/);
    assert.match(warning.diagnostic.message, /format version 0\.0, header size 0, block size 0/);
    // The warning comes before the first event.
    assert.equal(items[0], warning);
  }
});

test('random garbage in the header: still one warning, and the file reads as the clean one does', async () => {
  const clean = buildFile([simpleChunk(1, 7).bytes]);
  const expected = eventCount(await read(inputOf(clean, 'clean.evtx')));
  assert.equal(expected, 7);
  for (const seed of [11, 12, 13]) {
    const items = await read(inputOf(randomHeader(clean, seed), 'random.evtx'));
    assert.equal(eventCount(items), expected, `seed ${seed}`);
    assert.deepEqual(problems(items).map(codeOf), ['evtx.header.corrupt'], `seed ${seed}`);
  }
});

test('corrupt header and no readable chunk: one evtx.file.corrupt-header error and nothing else', async () => {
  for (const recover of [false, true]) {
    const file = zeroHeader(buildFile([garbageChunk(), garbageChunk(0x2a)]));
    const items = await read(inputOf(file, 'all-garbage.evtx'), { recover });
    assert.equal(items.length, 1, JSON.stringify(items.map(codeOf)));
    const only = items[0]!;
    assert.equal(only.kind, 'fatal');
    if (only.kind !== 'fatal') continue;
    assert.equal(only.diagnostic.code, 'evtx.file.corrupt-header');
    assert.equal(only.diagnostic.severity, 'error');
    assert.equal(only.diagnostic.location.file, 'all-garbage.evtx');
    assert.equal(only.diagnostic.location.offset, 32);
    assert.match(only.diagnostic.message, /none of the 2 chunks after it holds a readable record/);
    assert.match(only.diagnostic.message, /\(2 problems in those chunks not listed\)/);
  }
});

test('corrupt header and nothing after it: one error saying no chunk follows', async () => {
  const file = zeroHeader(buildFile([])).subarray(0, FILE_HEADER_SIZE);
  assert.equal(file.length, FILE_HEADER_SIZE);
  const items = await read(inputOf(file, 'header-only.evtx'));
  assert.deepEqual(items.map((i) => i.kind), ['fatal']);
  assert.equal(codeOf(items[0]), 'evtx.file.corrupt-header');
  if (items[0]?.kind === 'fatal') assert.match(items[0].diagnostic.message, /no chunk follows it/);
  // All-zero chunks are not chunks at all: the same verdict.
  const zeros = zeroHeader(buildFile([new Uint8Array(CHUNK_SIZE)]));
  assert.deepEqual((await read(inputOf(zeros, 'zeros.evtx'))).map(codeOf), ['evtx.file.corrupt-header']);
});

test('a damaged chunk before a readable one: the held problem is released after the header warning, in file order', async () => {
  const file = zeroHeader(buildFile([garbageChunk(), simpleChunk(1, 3).bytes]));
  const items = await read(inputOf(file, 'late.evtx'));
  assert.deepEqual(items.map((i) => (i.kind === 'event' ? 'event' : codeOf(i))), [
    'evtx.header.corrupt',
    'evtx.chunk.bad-header',
    'event',
    'event',
    'event',
  ]);
  // With the chunk count ignored, a bad chunk is not known to have lost records: a warning.
  assert.equal(items[1]!.kind, 'warning');
});

test('the worker-thread reader gives the same verdicts as the inline one', async () => {
  const chunks = Array.from({ length: 17 }, (_, i) => simpleChunk(1 + i * 3, 3).bytes);
  const readable = zeroHeader(buildFile(chunks));
  const readablePath = path.join(dir, 'readable.evtx');
  writeFileSync(readablePath, readable);
  const parallel = await read(inputOf(readable, 'readable.evtx', 65_536, readablePath), { threads: 2 });
  assert.equal(eventCount(parallel), 17 * 3);
  assert.deepEqual(problems(parallel).map(codeOf), ['evtx.header.corrupt']);

  const garbage = zeroHeader(buildFile(Array.from({ length: 17 }, () => garbageChunk())));
  const garbagePath = path.join(dir, 'garbage.evtx');
  writeFileSync(garbagePath, garbage);
  const failed = await read(inputOf(garbage, 'garbage.evtx', 65_536, garbagePath), { threads: 2 });
  assert.deepEqual(failed.map(codeOf), ['evtx.file.corrupt-header']);
  if (failed[0]?.kind === 'fatal') assert.match(failed[0].diagnostic.message, /none of the 17 chunks/);
});

test('real dirty or odd headers keep one warning per field and are read in full', async () => {
  // Dirty, stale CRC, and a chunk count (1) that disagrees with the two chunks present.
  const dirty = buildFile([simpleChunk(1, 2).bytes, simpleChunk(3, 2).bytes], { flags: 0x1, chunkCount: 1 });
  dirty[24] ^= 0x55; // next record id: the header CRC no longer matches
  const items = await read(inputOf(dirty, 'dirty.evtx'));
  assert.equal(eventCount(items), 4);
  assert.deepEqual(problems(items).map(codeOf).sort(), ['evtx.file.extra-chunks', 'evtx.header.crc', 'evtx.header.dirty']);
  // One invariant field off (a future version): its own warning, not a corrupt header.
  const future = buildFile([simpleChunk(1, 2).bytes], { major: 4 });
  const odd = await read(inputOf(future, 'future.evtx'));
  assert.equal(eventCount(odd), 2);
  assert.deepEqual(problems(odd).map(codeOf), ['evtx.header.version']);
});

test('a real header with no chunks (an empty log) is read with no events and no error', async () => {
  const empty = buildFile([]);
  assert.deepEqual(await read(inputOf(empty, 'empty-log.evtx')), []);
});

test('parseEvtxBytes reports a readable corrupt-header file with the same single warning', () => {
  const r = parseEvtxBytes(zeroHeader(buildFile([simpleChunk(1, 4).bytes])), 'p.evtx');
  assert.equal(r.records.length, 4);
  assert.equal(r.fatal, null);
  assert.deepEqual(r.diagnostics.map((d) => d.code), ['evtx.header.corrupt']);
});

test('HeaderHold lets held items through past its cap, and the input still fails at the end with no event', () => {
  const session = new EvtxFileSession('huge.evtx', false);
  const hold = new HeaderHold(session);
  assert.deepEqual(hold.header(zeroHeader(buildFile([])).subarray(0, FILE_HEADER_SIZE)), []);
  const problem = (i: number): SourceItem => ({
    kind: 'warning',
    diagnostic: { severity: 'warning', code: 'evtx.chunk.bad-header', message: `chunk ${i}`, location: { file: 'huge.evtx', offset: 4096 + i * CHUNK_SIZE } },
  });
  let passed: SourceItem[] = [];
  let i = 0;
  while (passed.length === 0 && i <= MAX_HELD_ITEMS + 1) passed = hold.chunk([problem(i++)]);
  assert.equal(i, MAX_HELD_ITEMS + 1, 'released once more than the cap is held');
  assert.equal(codeOf(passed[0]), 'evtx.header.corrupt');
  assert.equal(passed.length, 1 + MAX_HELD_ITEMS + 1);
  // From now on items pass straight through.
  const next = problem(i);
  assert.deepEqual(hold.chunk([next]), [next]);
  const end = hold.end();
  assert.deepEqual(end.map(codeOf), ['evtx.file.corrupt-header']);
  if (end[0]?.kind === 'fatal') assert.doesNotMatch(end[0].diagnostic.message, /not listed/);
});

test('a read failure behind a corrupt header still reports what was held before the failure', async () => {
  const file = zeroHeader(buildFile([garbageChunk()]));
  const failing: InputFile = {
    name: 'broken-stream.evtx',
    size: null,
    path: null,
    async *stream() {
      yield Buffer.from(file);
      throw new Error('device gone');
    },
  };
  const items = await read(failing);
  assert.deepEqual(items.map(codeOf), ['evtx.header.corrupt', 'evtx.chunk.bad-header', 'evtx.file.read']);
});

test('a corrupt header whose first chunk-number field is also off names the earliest offset', async () => {
  const file = zeroHeader(buildFile([simpleChunk(1, 2).bytes]));
  writeU32(file, 8, 5); // first chunk 5
  writeU32(file, 42, 2); // chunk count 2 (u16 at 42; the u32 write also clears the next 2 bytes)
  const items = await read(inputOf(file, 'range.evtx'));
  const warning = items[0]!;
  assert.equal(codeOf(warning), 'evtx.header.corrupt');
  if (warning.kind === 'warning') {
    assert.equal(warning.diagnostic.location.offset, 8);
    assert.match(warning.diagnostic.message, /chunk-range/);
  }
});
