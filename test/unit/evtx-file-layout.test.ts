/** EVTX file layer: CRC32, file header, chunk-level damage. Fixtures are built in the test. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as zlib from 'node:zlib';
import { crc32, crc32Update, crc32UpdatePortable } from '../../src/sources/evtx/crc32.js';
import { parseEvtxBytes } from '../../src/sources/evtx/index.js';
import { RecordIdLedger } from '../../src/sources/evtx/file-session.js';
import type { EvtxParseResult } from '../../src/sources/evtx/index.js';
import {
  CHUNK_SIZE,
  FILE_HEADER_SIZE,
  SAMPLE_TIME_ISO,
  buildFile,
  simpleChunk,
  stampChunk,
  writeU32,
} from '../fuzz/evtx-synth.js';

function codes(r: EvtxParseResult, severity?: 'error' | 'warning'): string[] {
  return r.diagnostics.filter((d) => severity === undefined || d.severity === severity).map((d) => d.code);
}

function ids(r: EvtxParseResult): number[] {
  return r.records.map((x) => x.recordId);
}

function range(from: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => from + i);
}

test('crc32 matches the standard check value and zlib', () => {
  const text = new TextEncoder().encode('123456789');
  assert.equal(crc32(text), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
  const data = new Uint8Array(1000).map((_, i) => (i * 31 + 7) & 0xff);
  // Chained ranges equal one pass.
  assert.equal(crc32Update(crc32Update(0, data, 0, 400), data, 400), crc32(data));
  // The portable table code agrees with the check value and with itself across odd ranges.
  assert.equal(crc32UpdatePortable(0, text), 0xcbf43926);
  for (const [a, b] of [
    [0, 1000],
    [3, 997],
    [1, 2],
    [5, 5],
  ] as const) {
    assert.equal(crc32UpdatePortable(0, data, a, b), crc32(data, a, b), `range ${a}..${b}`);
  }
  const zlibCrc = (zlib as unknown as { crc32?: (d: Uint8Array) => number }).crc32;
  if (zlibCrc !== undefined) assert.equal(crc32UpdatePortable(0, data), zlibCrc(data));
});

test('a clean two-chunk file yields every record with offsets, chunk and time', () => {
  const a = simpleChunk(1, 5);
  const b = simpleChunk(6, 3);
  const r = parseEvtxBytes(buildFile([a.bytes, b.bytes]), 'clean.evtx');
  assert.deepEqual(ids(r), range(1, 8));
  assert.deepEqual(r.diagnostics, []);
  assert.equal(r.failed, 0);
  assert.equal(r.recovered, 0);
  assert.equal(r.chunks, 2);
  assert.equal(r.fatal, null);
  assert.deepEqual(
    r.records.map((x) => x.offset),
    [...a.offsets.map((o) => FILE_HEADER_SIZE + o), ...b.offsets.map((o) => FILE_HEADER_SIZE + CHUNK_SIZE + o)],
  );
  assert.deepEqual(
    r.records.map((x) => x.chunk),
    [0, 0, 0, 0, 0, 1, 1, 1],
  );
  assert.equal(r.records[0]!.writtenTime, SAMPLE_TIME_ISO);
  assert.ok(r.records.every((x) => !x.recovered));
});

test('non-EVTX and empty input give one fatal diagnostic and nothing else', () => {
  for (const bytes of [new Uint8Array(0), new TextEncoder().encode('<Events></Events>'), new Uint8Array(5000)]) {
    const r = parseEvtxBytes(bytes, 'not.evtx');
    assert.ok(r.fatal !== null);
    assert.equal(r.fatal.code, 'evtx.file.not-evtx');
    assert.equal(r.fatal.location.file, 'not.evtx');
    assert.equal(r.records.length, 0);
    assert.deepEqual(r.diagnostics, [r.fatal]);
  }
});

test('file header: bad CRC, dirty flag, unknown flags and odd version are warnings; records still read', () => {
  const f = buildFile([simpleChunk(1, 4).bytes], { flags: 0x1 | 0x10000, major: 4 });
  f[24] ^= 0xff; // next record id changes, header CRC no longer matches
  const r = parseEvtxBytes(f, 'hdr.evtx');
  assert.deepEqual(ids(r), range(1, 4));
  assert.deepEqual(codes(r, 'warning').sort(), ['evtx.header.crc', 'evtx.header.dirty', 'evtx.header.flags', 'evtx.header.version']);
  assert.equal(r.failed, 0);
  const crcWarning = r.diagnostics.find((d) => d.code === 'evtx.header.crc')!;
  assert.equal(crcWarning.location.offset, 124);
});

test('file header: the no-CRC32 flag silences header and chunk checksum checks', () => {
  const chunk = simpleChunk(1, 3).bytes;
  chunk[130] ^= 1; // string table byte: chunk header CRC breaks
  const f = buildFile([chunk], { flags: 0x4 });
  f[24] ^= 0xff;
  const r = parseEvtxBytes(f, 'nocrc.evtx');
  assert.deepEqual(ids(r), range(1, 3));
  assert.deepEqual(codes(r), []);
});

test('chunks beyond the header chunk count are read, with one warning', () => {
  const r = parseEvtxBytes(buildFile([simpleChunk(1, 2).bytes, simpleChunk(3, 2).bytes, simpleChunk(5, 2).bytes], { chunkCount: 1 }), 'x.evtx');
  assert.deepEqual(ids(r), range(1, 6));
  assert.deepEqual(codes(r), ['evtx.file.extra-chunks']);
  assert.equal(r.diagnostics[0]!.location.chunk, 1);
});

test('all-zero chunks are skipped silently', () => {
  const r = parseEvtxBytes(buildFile([simpleChunk(1, 2).bytes, new Uint8Array(CHUNK_SIZE), simpleChunk(3, 2).bytes]), 'z.evtx');
  assert.deepEqual(ids(r), range(1, 4));
  assert.deepEqual(codes(r), []);
  assert.equal(r.chunks, 2);
  assert.equal(r.records[2]!.chunk, 2);
});

test('chunk header CRC and records CRC mismatches are warnings naming the chunk', () => {
  const a = simpleChunk(1, 3).bytes;
  a[200] ^= 1; // string table: header CRC
  const b = simpleChunk(4, 3).bytes;
  // Change one character of a record's text: still decodable, records CRC no longer matches.
  const text = Buffer.from('record 5', 'utf16le');
  const at = Buffer.from(b).indexOf(text);
  assert.ok(at > 512);
  b[at + 14] = 0x39; // '5' -> '9'
  const r = parseEvtxBytes(buildFile([a, b]), 'crc.evtx');
  assert.deepEqual(ids(r), range(1, 6));
  const w = r.diagnostics.filter((d) => d.severity === 'warning');
  assert.deepEqual(
    w.map((d) => [d.code, d.location.chunk]),
    [
      ['evtx.chunk.header-crc', 0],
      ['evtx.chunk.data-crc', 1],
    ],
  );
  assert.equal(r.failed, 0);
});

test('a bad chunk magic is a record error, and records in that chunk are salvaged as recovered', () => {
  const bad = simpleChunk(10, 4).bytes;
  bad.fill(0, 0, 8);
  const r = parseEvtxBytes(buildFile([simpleChunk(1, 2).bytes, bad, simpleChunk(20, 2).bytes]), 'magic.evtx');
  assert.deepEqual(ids(r), [1, 2, 10, 11, 12, 13, 20, 21]);
  assert.deepEqual(
    r.records.map((x) => x.recovered),
    [false, false, true, true, true, true, false, false],
  );
  assert.equal(r.recovered, 4);
  assert.equal(r.failed, 1);
  const err = r.diagnostics.find((d) => d.severity === 'error')!;
  assert.equal(err.code, 'evtx.chunk.bad-header');
  assert.equal(err.location.chunk, 1);
  assert.equal(err.location.offset, FILE_HEADER_SIZE + CHUNK_SIZE);
});

test('a bad chunk header past the header chunk count (dirty tail) is only a warning', () => {
  const junk = new Uint8Array(CHUNK_SIZE).map((_, i) => (i * 7 + 3) & 0x7f);
  const r = parseEvtxBytes(buildFile([simpleChunk(1, 2).bytes, junk], { chunkCount: 1 }), 'tail.evtx');
  assert.deepEqual(ids(r), [1, 2]);
  assert.equal(r.failed, 0);
  const d = r.diagnostics.find((x) => x.code === 'evtx.chunk.bad-header')!;
  assert.equal(d.severity, 'warning');
  assert.match(d.message, /0 record\(s\) salvaged/);
});

test('a truncated last chunk is read as far as it goes; the cut record is a record error', () => {
  const last = simpleChunk(3, 4);
  const cutAt = last.offsets[2]! + 30; // inside the third record
  const full = buildFile([simpleChunk(1, 2).bytes, last.bytes]);
  const r = parseEvtxBytes(full.subarray(0, FILE_HEADER_SIZE + CHUNK_SIZE + cutAt), 'trunc.evtx');
  assert.deepEqual(ids(r), [1, 2, 3, 4]);
  assert.ok(codes(r, 'warning').includes('evtx.chunk.truncated'));
  assert.equal(r.failed, 1);
  const err = r.diagnostics.find((d) => d.severity === 'error')!;
  assert.equal(err.location.offset, FILE_HEADER_SIZE + CHUNK_SIZE + last.offsets[2]!);
  assert.equal(err.location.recordId, 5);
});

test('a file cut inside its header is one fatal error (nothing in it can be read), not a crash', () => {
  const f = buildFile([simpleChunk(1, 2).bytes]).subarray(0, 1000);
  const r = parseEvtxBytes(f, 'short.evtx');
  assert.equal(r.fatal?.code, 'evtx.file.truncated-header');
  assert.equal(r.fatal?.location.offset, 1000);
  assert.doesNotMatch(r.fatal!.message, /damaged/);
  assert.equal(r.records.length, 0);
});

test('a garbage header with nothing after it: one error naming every damaged header field', () => {
  const f = new Uint8Array(208).fill(0x41);
  f.set(new TextEncoder().encode('ElfFile\0'), 0);
  const r = parseEvtxBytes(f, 'garbage.evtx');
  assert.equal(r.fatal?.code, 'evtx.file.truncated-header');
  assert.match(r.fatal!.message, /208 bytes.*damaged \(.*version.*crc/);
  assert.deepEqual(codes(r, 'warning'), []);
});

test('free space offset outside the chunk is clamped with a warning', () => {
  const c = simpleChunk(1, 3).bytes;
  writeU32(c, 48, 0x7fffffff);
  stampChunk(c);
  const r = parseEvtxBytes(buildFile([c]), 'fso.evtx');
  assert.deepEqual(ids(r), range(1, 3));
  assert.deepEqual(codes(r), ['evtx.chunk.free-space-offset']);
});

test('RecordIdLedger keeps consecutive ids as runs', () => {
  const ledger = new RecordIdLedger();
  for (let id = 100; id < 10_100; id++) ledger.add(id);
  for (let id = 50_000; id < 50_500; id++) ledger.add(id);
  assert.equal(ledger.runs, 2);
  assert.ok(ledger.has(100) && ledger.has(10_099) && ledger.has(50_499));
  assert.ok(!ledger.has(99) && !ledger.has(10_100) && !ledger.has(49_999));
  ledger.add(7);
  assert.ok(ledger.has(7));
});
