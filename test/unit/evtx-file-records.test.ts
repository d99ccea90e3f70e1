/** EVTX file layer: record-level damage, resynchronisation and recovery, on synthetic chunks. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseEvtxBytes, type EvtxParseResult } from '../../src/sources/evtx/index.js';
import { CHUNK_HEADER_SIZE, ChunkBuilder, FILE_HEADER_SIZE, buildFile, readU32, simpleChunk, stampChunk, writeU32 } from '../fuzz/evtx-synth.js';

function ids(r: EvtxParseResult): number[] {
  return r.records.map((x) => x.recordId);
}

function errors(r: EvtxParseResult) {
  return r.diagnostics.filter((d) => d.severity === 'error');
}

/** Every record error is counted once in `failed`. */
function assertAccounted(r: EvtxParseResult): void {
  assert.equal(r.failed, errors(r).length);
  assert.equal(r.recovered, r.records.filter((x) => x.recovered).length);
}

test('size / size-copy mismatch is a record error; the records after it are still read', () => {
  const c = simpleChunk(1, 6);
  const bad = c.offsets[2]!;
  const size = readU32(c.bytes, bad + 4);
  writeU32(c.bytes, bad + size - 4, size + 8);
  c.bytes[bad + 24 + 4] = 0x77; // and its BinXml is damaged too, so it cannot be read
  stampChunk(c.bytes);
  const r = parseEvtxBytes(buildFile([c.bytes]), 'copy.evtx');
  assert.deepEqual(ids(r), [1, 2, 4, 5, 6]);
  const [err] = errors(r);
  assert.equal(err!.code, 'evtx.record.damaged');
  assert.equal(err!.location.offset, FILE_HEADER_SIZE + bad);
  assert.equal(err!.location.recordId, 3);
  assert.equal(err!.location.chunk, 0);
  assert.match(err!.message, /does not match its trailing copy/);
  assertAccounted(r);
});

test('zero and huge record sizes neither loop nor stop the chunk', () => {
  for (const size of [0, 1, 27, 0xffffffff, 0x10000]) {
    const c = simpleChunk(1, 5);
    writeU32(c.bytes, c.offsets[1]! + 4, size);
    stampChunk(c.bytes);
    const r = parseEvtxBytes(buildFile([c.bytes]), 'size.evtx');
    assert.deepEqual(ids(r), [1, 3, 4, 5], `size ${size}`);
    assert.equal(r.failed, 1);
    assert.match(errors(r)[0]!.message, new RegExp(`implausible record size ${size}`));
    assertAccounted(r);
  }
});

test('a bad record magic in the list is skipped to the next record', () => {
  const c = simpleChunk(1, 4);
  c.bytes[c.offsets[1]!] = 0x41;
  stampChunk(c.bytes);
  const r = parseEvtxBytes(buildFile([c.bytes]), 'magic.evtx');
  assert.deepEqual(ids(r), [1, 3, 4]);
  assert.equal(r.failed, 1);
  assertAccounted(r);
});

test('an all-zero record magic ends the live records quietly; a zero run inside the list is damage', () => {
  // Free space claims the whole chunk, zero padding follows the last record: clean end.
  const padded = simpleChunk(1, 3);
  writeU32(padded.bytes, 48, 65536);
  stampChunk(padded.bytes);
  const clean = parseEvtxBytes(buildFile([padded.bytes]), 'pad.evtx');
  assert.deepEqual(ids(clean), [1, 2, 3]);
  assert.deepEqual(clean.diagnostics, []);

  // A zeroed record in the middle, records after it: one record error, the rest read.
  const holed = simpleChunk(1, 5);
  const at = holed.offsets[2]!;
  holed.bytes.fill(0, at, holed.offsets[3]!);
  stampChunk(holed.bytes);
  const r = parseEvtxBytes(buildFile([holed.bytes]), 'hole.evtx');
  assert.deepEqual(ids(r), [1, 2, 4, 5]);
  assert.equal(r.failed, 1);
  assert.match(errors(r)[0]!.message, /zero-filled/);
  assert.equal(errors(r)[0]!.location.offset, FILE_HEADER_SIZE + at);
  assertAccounted(r);
});

test('a record whose BinXml does not decode is a located record error; neighbours survive', () => {
  const c = simpleChunk(1, 3);
  c.bytes[c.offsets[1]! + 24 + 4] = 0x77; // first token after the fragment header
  stampChunk(c.bytes);
  const r = parseEvtxBytes(buildFile([c.bytes]), 'bx.evtx');
  assert.deepEqual(ids(r), [1, 3]);
  const [err] = errors(r);
  assert.equal(err!.location.recordId, 2);
  assert.equal(err!.location.offset, FILE_HEADER_SIZE + c.offsets[1]!);
  assert.match(err!.code, /^evtx\./);
  assertAccounted(r);
});

test('recovery carves slack records after the free space offset, flagged and de-duplicated', () => {
  const c = new ChunkBuilder();
  for (let i = 1; i <= 3; i++) c.add({ id: i });
  const slack1 = c.end + 64;
  const size1 = readU32(c.bytes, c.writeRecordAt(slack1, { id: 99, note: 'old copy' }) + 4);
  const slack2 = slack1 + size1 + 16;
  c.writeRecordAt(slack2, { id: 2, note: 'stale duplicate of a live record' });
  c.finish();
  const file = buildFile([c.bytes]);

  const plain = parseEvtxBytes(file, 'slack.evtx');
  assert.deepEqual(ids(plain), [1, 2, 3]);
  assert.equal(plain.recovered, 0);

  const r = parseEvtxBytes(file, 'slack.evtx', { recover: true });
  assert.deepEqual(ids(r), [1, 2, 3, 99]);
  assert.deepEqual(
    r.records.map((x) => x.recovered),
    [false, false, false, true],
  );
  assert.equal(r.records[3]!.offset, FILE_HEADER_SIZE + slack1);
  assert.equal(r.recovered, 1);
  assert.equal(r.failed, 0);
  assertAccounted(r);
});

test('recovery rejects carved candidates whose EventRecordID disagrees with the header', () => {
  const c = new ChunkBuilder();
  c.add({ id: 1 });
  c.writeRecordAt(c.end + 8, { id: 50, xmlId: 51 });
  c.finish();
  const r = parseEvtxBytes(buildFile([c.bytes]), 'mismatch.evtx', { recover: true });
  assert.deepEqual(ids(r), [1]);
  assert.ok(r.diagnostics.some((d) => d.code === 'evtx.recover.undecodable' && d.severity === 'warning'));
});

test('a record whose only damage is its size copy is still read, with a warning', () => {
  const c = simpleChunk(1, 4);
  const at = c.offsets[1]!;
  const size = readU32(c.bytes, at + 4);
  writeU32(c.bytes, at + size - 4, 0);
  stampChunk(c.bytes);
  const r = parseEvtxBytes(buildFile([c.bytes]), 'dmg.evtx');
  assert.deepEqual(ids(r), [1, 2, 3, 4]);
  assert.equal(r.failed, 0);
  assert.ok(!r.records[1]!.recovered);
  const w = r.diagnostics.find((d) => d.code === 'evtx.record.size-copy')!;
  assert.equal(w.severity, 'warning');
  assert.equal(w.location.offset, FILE_HEADER_SIZE + at);
  assertAccounted(r);
});

test('after damage, records from outside the header id range are kept only as recovered remnants', () => {
  const c = new ChunkBuilder();
  c.add({ id: 10 });
  c.add({ id: 11 });
  c.add({ id: 500 }); // a remnant of an older chunk generation
  c.add({ id: 12 });
  c.finish({ firstId: 10, lastId: 12 });
  writeU32(c.bytes, c.offsets[1]! + 4, 3); // damage record 11 so the walker resynchronises
  stampChunk(c.bytes);
  const r = parseEvtxBytes(buildFile([c.bytes]), 'remnant.evtx');
  assert.deepEqual(ids(r), [10, 500, 12]);
  assert.deepEqual(
    r.records.map((x) => x.recovered),
    [false, true, false],
  );
  assert.equal(r.failed, 1);
  assertAccounted(r);
});

test('records start at 512 even when the header area holds record-like bytes', () => {
  const c = simpleChunk(1, 2);
  // Put a record magic inside the template table: the live walker must not look there.
  writeU32(c.bytes, CHUNK_HEADER_SIZE - 16, 0x2a2a);
  stampChunk(c.bytes);
  const r = parseEvtxBytes(buildFile([c.bytes]), 'hdr.evtx');
  assert.deepEqual(ids(r), [1, 2]);
  assert.deepEqual(r.diagnostics, []);
});
