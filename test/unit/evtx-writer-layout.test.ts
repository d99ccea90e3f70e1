/**
 * Byte layout of what the EVTX writer produces, read back with independent little helpers:
 * file and chunk headers, both CRCs, the string and template hash tables, names and templates
 * written inline once per chunk and referenced afterwards, records that never span chunks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EvtxWriter, writeEvtx, guidBytes, sidBytes, filetimeTicks, type WriterEvent } from '../../src/sinks/evtx-writer/index.js';
import { generateEvents } from '../../bench/gen-evtx.js';

const CHUNK = 65536;
const HEADER = 4096;

/** Bitwise CRC32 (RFC 1952), deliberately not table-driven like the code under test. */
function crc32Bitwise(parts: ReadonlyArray<Uint8Array>): number {
  let crc = 0xffffffff;
  for (const bytes of parts) {
    for (const byte of bytes) {
      crc ^= byte;
      for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
    }
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** MS-EVEN6 name hash, restated from the spec. */
function specNameHash(name: string): number {
  let h = 0n;
  for (const unit of Array.from({ length: name.length }, (_, i) => name.charCodeAt(i))) h = (h * 65599n + BigInt(unit)) & 0xffffffffn;
  return Number(h & 0xffffn);
}

const u16 = (b: Uint8Array, o: number): number => b[o]! | (b[o + 1]! << 8);
const u32 = (b: Uint8Array, o: number): number => (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
const u64 = (b: Uint8Array, o: number): number => u32(b, o) + u32(b, o + 4) * 2 ** 32;
const ascii = (b: Uint8Array, o: number, n: number): string => String.fromCharCode(...b.subarray(o, o + n));
const utf16 = (b: Uint8Array, o: number, chars: number): string =>
  String.fromCharCode(...Array.from({ length: chars }, (_, i) => u16(b, o + i * 2)));

interface RecordSpan {
  readonly offset: number;
  readonly size: number;
  readonly id: number;
}

function walkRecords(chunk: Uint8Array): RecordSpan[] {
  const out: RecordSpan[] = [];
  const free = u32(chunk, 48);
  let o = 512;
  while (o < free && out.length < 10000) {
    assert.equal(u32(chunk, o), 0x00002a2a, `record magic at ${o}`);
    const size = u32(chunk, o + 4);
    assert.ok(size >= 28 && o + size <= free, `record size ${size} at ${o}`);
    assert.equal(u32(chunk, o + size - 4), size, 'size copy');
    out.push({ offset: o, size, id: u64(chunk, o + 8) });
    o += size;
  }
  assert.equal(o, free, 'records end at the free space offset');
  return out;
}

interface NameEntry {
  readonly offset: number;
  readonly name: string;
  readonly hash: number;
  readonly bucket: number;
}

function walkStringTable(chunk: Uint8Array): NameEntry[] {
  const out: NameEntry[] = [];
  for (let bucket = 0; bucket < 64; bucket++) {
    let o = u32(chunk, 128 + bucket * 4);
    let guard = 0;
    while (o !== 0 && guard++ < 1000) {
      const chars = u16(chunk, o + 6);
      out.push({ offset: o, name: utf16(chunk, o + 8, chars), hash: u16(chunk, o + 4), bucket });
      assert.equal(u16(chunk, o + 8 + chars * 2), 0, 'name NUL');
      o = u32(chunk, o);
    }
  }
  return out;
}

function walkTemplateTable(chunk: Uint8Array): Array<{ offset: number; bucket: number; dataSize: number }> {
  const out: Array<{ offset: number; bucket: number; dataSize: number }> = [];
  for (let bucket = 0; bucket < 32; bucket++) {
    let o = u32(chunk, 384 + bucket * 4);
    let guard = 0;
    while (o !== 0 && guard++ < 1000) {
      out.push({ offset: o, bucket, dataSize: u32(chunk, o + 20) });
      o = u32(chunk, o);
    }
  }
  return out;
}

function chunks(file: Uint8Array): Uint8Array[] {
  assert.equal((file.length - HEADER) % CHUNK, 0, 'file is header + whole chunks');
  return Array.from({ length: (file.length - HEADER) / CHUNK }, (_, i) => file.subarray(HEADER + i * CHUNK, HEADER + (i + 1) * CHUNK));
}

function sysmonLike(i: number, extra: Partial<WriterEvent> = {}): WriterEvent {
  return {
    provider: { name: 'Microsoft-Windows-Sysmon', guid: '{5770385F-C22A-43E0-BF4C-06F5698FFBD9}' },
    eventId: 1,
    version: 5,
    level: 4,
    task: 1,
    keywords: 0x8000000000000000n,
    timeCreated: new Date(Date.UTC(2024, 0, 1, 0, 0, i)),
    channel: 'Microsoft-Windows-Sysmon/Operational',
    computer: 'HOST1',
    execution: { processId: 100, threadId: 200 + i },
    eventData: [
      ['Image', `C:\\bin\\tool${i}.exe`],
      ['ProcessId', 1000 + i],
    ],
    ...extra,
  };
}

test('file header: magic, version, counts, next record id and CRC32', () => {
  const file = writeEvtx([sysmonLike(0), sysmonLike(1), sysmonLike(2, { recordId: 41 })]);
  assert.equal(ascii(file, 0, 8), 'ElfFile\0');
  assert.equal(u64(file, 8), 0, 'first chunk');
  assert.equal(u64(file, 16), 0, 'last chunk');
  assert.equal(u64(file, 24), 42, 'next record id after an explicit 41');
  assert.equal(u32(file, 32), 128);
  assert.equal(u16(file, 36), 1, 'minor version');
  assert.equal(u16(file, 38), 3, 'major version');
  assert.equal(u16(file, 40), 4096);
  assert.equal(u16(file, 42), 1, 'chunk count');
  assert.equal(u32(file, 120), 0, 'clean (not dirty) after close');
  assert.equal(u32(file, 124), crc32Bitwise([file.subarray(0, 120)]));
  assert.equal(file.length, HEADER + CHUNK);
});

test('an empty log is a header and one empty chunk', () => {
  const file = writeEvtx([]);
  assert.equal(file.length, HEADER + CHUNK);
  assert.equal(u16(file, 42), 1);
  assert.equal(u64(file, 24), 1, 'next record id');
  assert.equal(u32(file, 124), crc32Bitwise([file.subarray(0, 120)]));
  const [c] = chunks(file);
  assert.equal(ascii(c!, 0, 8), 'ElfChnk\0');
  assert.equal(u32(c!, 48), 512, 'free space right after the header');
  assert.equal(u32(c!, 52), crc32Bitwise([]), 'CRC of no records');
  assert.equal(u32(c!, 124), crc32Bitwise([c!.subarray(0, 120), c!.subarray(128, 512)]));
  assert.deepEqual(walkRecords(c!), []);
});

test('multi-chunk file: chunk headers, CRCs, ids, and no record spans a chunk', () => {
  const events = generateEvents(11, 400);
  const file = writeEvtx(events);
  const all = chunks(file);
  assert.ok(all.length > 3, `expected more than 3 chunks, got ${all.length}`);
  assert.equal(u16(file, 42), all.length);
  assert.equal(u64(file, 16), all.length - 1);
  const seen: number[] = [];
  for (const [index, c] of all.entries()) {
    assert.equal(ascii(c, 0, 8), 'ElfChnk\0', `chunk ${index} magic`);
    const recs = walkRecords(c);
    assert.ok(recs.length > 0);
    assert.equal(u64(c, 8), recs[0]!.id, 'first record number');
    assert.equal(u64(c, 16), recs.at(-1)!.id, 'last record number');
    assert.equal(u64(c, 24), recs[0]!.id, 'first record id');
    assert.equal(u64(c, 32), recs.at(-1)!.id, 'last record id');
    assert.equal(u32(c, 40), 128);
    assert.equal(u32(c, 44), recs.at(-1)!.offset, 'last record offset');
    const free = u32(c, 48);
    assert.ok(free <= CHUNK);
    assert.equal(u32(c, 52), crc32Bitwise([c.subarray(512, free)]), 'records CRC');
    assert.equal(u32(c, 124), crc32Bitwise([c.subarray(0, 120), c.subarray(128, 512)]), 'header CRC');
    assert.ok(c.subarray(free).every((b) => b === 0), 'slack after the records is zero');
    for (const r of recs) {
      assert.equal(r.size % 8, 0, 'records are 8-byte aligned');
      assert.deepEqual(Array.from(c.subarray(r.offset + 24, r.offset + 28)), [0x0f, 1, 1, 0], 'fragment header');
      seen.push(r.id);
    }
    // Chunks are self-contained: the first record defines its templates inline again.
    const first = recs[0]!;
    const instanceAt = first.offset + 28;
    assert.equal(c[instanceAt], 0x0c);
    assert.equal(u32(c, instanceAt + 6), instanceAt + 10, `chunk ${index}: System template inline in the first record`);
  }
  assert.deepEqual(seen, events.map((e) => e.recordId), 'every record, in order');
  assert.equal(u64(file, 24), Math.max(...seen) + 1);
});

test('string table: names hashed as Windows does, bucketed by hash % 64, each stored once', () => {
  // Hash values observed in a real Windows-written Sysmon chunk.
  assert.equal(specNameHash('EventData'), 0x8244);
  assert.equal(specNameHash('Data'), 0x6f8a);
  const file = writeEvtx([sysmonLike(0), sysmonLike(1), sysmonLike(2)]);
  const [c] = chunks(file);
  const names = walkStringTable(c!);
  const list = names.map((n) => n.name);
  assert.equal(new Set(list).size, list.length, 'no name stored twice');
  for (const expected of ['Event', 'xmlns', 'System', 'Provider', 'Name', 'Guid', 'EventID', 'Qualifiers', 'TimeCreated', 'SystemTime',
    'Correlation', 'ActivityID', 'Execution', 'ProcessID', 'Channel', 'Computer', 'Security', 'UserID', 'EventData', 'Data']) {
    assert.ok(list.includes(expected), `name ${expected} in the table`);
  }
  for (const n of names) {
    assert.equal(n.hash, specNameHash(n.name), `hash of ${n.name}`);
    assert.equal(n.bucket, n.hash % 64, `bucket of ${n.name}`);
  }
  // All names were first used by record 1; later records only reference them.
  const recs = walkRecords(c!);
  const firstEnd = recs[0]!.offset + recs[0]!.size;
  assert.ok(names.every((n) => n.offset < firstEnd), 'every name is inline in the first record');
});

test('template table: one definition per shape per chunk, linked and back-referenced', () => {
  const events: WriterEvent[] = [
    sysmonLike(0),
    sysmonLike(1),
    sysmonLike(2, { eventId: 3, eventData: [['DestinationPort', { type: 'uint16', value: 443 }]] }),
    sysmonLike(3),
    sysmonLike(4, { computer: 'HOST2' }),
    sysmonLike(5, { eventData: [['Image', 'x'], ['ProcessId', { type: 'hex64', value: 5n }]] }),
  ];
  const file = writeEvtx(events);
  const [c] = chunks(file);
  const templates = walkTemplateTable(c!);
  // System templates: HOST1, HOST2. Payload templates: (EventID 1: Image,ProcessId:uint32), (EventID 3), (EventID 1 with hex64).
  assert.equal(templates.length, 5);
  for (const t of templates) {
    assert.equal(c![t.offset - 10], 0x0c, 'definition preceded by its instance token');
    assert.equal(u32(c!, t.offset - 4), t.offset, 'instance points at the inline definition');
    assert.equal(u32(c!, t.offset - 8), u32(c!, t.offset + 4), 'instance id repeats the GUID first dword');
    assert.equal(t.bucket, u32(c!, t.offset + 4) % 32);
    assert.deepEqual(Array.from(c!.subarray(t.offset + 24, t.offset + 28)), [0x0f, 1, 1, 0]);
    assert.equal(c![t.offset + 24 + t.dataSize - 1], 0x00, 'definition ends with EOF');
  }
  const recs = walkRecords(c!);
  const systemDef = (r: RecordSpan): number => u32(c!, r.offset + 28 + 6);
  assert.equal(systemDef(recs[0]!), recs[0]!.offset + 38, 'record 1 defines the System template inline');
  assert.equal(systemDef(recs[1]!), systemDef(recs[0]!), 'record 2 references it');
  assert.equal(systemDef(recs[3]!), systemDef(recs[0]!));
  assert.notEqual(systemDef(recs[4]!), systemDef(recs[0]!), 'another computer, another System template');
  assert.equal(systemDef(recs[4]!), recs[4]!.offset + 38);
  const defsInRecord = (r: RecordSpan): number => templates.filter((t) => t.offset > r.offset && t.offset < r.offset + r.size).length;
  assert.deepEqual(recs.map(defsInRecord), [2, 0, 1, 0, 1, 1]);
});

test('value encodings: GUID mixed-endian, SID, FILETIME from 7-digit ISO text', () => {
  assert.deepEqual(
    Array.from(guidBytes('{00112233-4455-6677-8899-AABBCCDDEEFF}', 't')),
    [0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff],
  );
  assert.deepEqual(Array.from(sidBytes('S-1-5-18', 't')), [1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0]);
  assert.deepEqual(Array.from(sidBytes('S-1-5-21-1-2-3-500', 't')).slice(0, 8), [1, 5, 0, 0, 0, 0, 0, 5]);
  assert.equal(filetimeTicks('1601-01-01T00:00:00Z', 't'), 0n);
  assert.equal(filetimeTicks('1970-01-01T00:00:00.0000001Z', 't'), 116444736000000001n);
  assert.equal(filetimeTicks('1970-01-01T02:00:00+02:00', 't'), 116444736000000000n);
  assert.equal(filetimeTicks(new Date(0), 't'), 116444736000000000n);
  assert.throws(() => filetimeTicks('2024-02-30T00:00:00Z', 't'), RangeError);
  assert.throws(() => guidBytes('not-a-guid', 't'), TypeError);
  assert.throws(() => sidBytes('S-1-x', 't'), TypeError);
});

test('bad events are refused with a reason, and the writer stays usable', () => {
  const huge = sysmonLike(0, { eventData: [['A', 'x'.repeat(30000)], ['B', 'y'.repeat(30000)]] });
  const writer = new EvtxWriter(() => {});
  assert.throws(() => writer.add(huge), /does not fit in one 64 KiB chunk/);
  assert.throws(() => writer.add(sysmonLike(1, { eventData: [['A', 'x'.repeat(40000)]] })), /exceeds 65535 bytes/);
  assert.throws(() => writer.add(sysmonLike(1, { userData: { element: 'X', fields: [] } })), /EventData or UserData/);
  assert.throws(() => writer.add(sysmonLike(1, { provider: { name: 'P', guid: 'nope' } })), /is not a GUID/);
  assert.throws(() => writer.add(sysmonLike(1, { eventId: 70000 })), /unsigned 16-bit/);
  assert.throws(() => writer.add(sysmonLike(1, { eventData: [['bad name', 1]] })), /bad EventData name/);
  assert.equal(writer.add(sysmonLike(2)), true);
  const summary = writer.close();
  assert.equal(summary.records, 1);
  assert.throws(() => writer.add(sysmonLike(3)), /after close/);
});

test('maxChunks stops a full log, and streaming to a file gives the same bytes as writeEvtx', () => {
  const events = generateEvents(5, 300);
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-writer-'));
  try {
    const out = path.join(dir, 'a.evtx');
    const writer = EvtxWriter.toFile(out, { maxChunks: 2 });
    let accepted = 0;
    for (const e of events) {
      if (!writer.add(e)) break;
      accepted++;
    }
    const summary = writer.close();
    assert.equal(summary.chunks, 2);
    assert.equal(summary.records, accepted);
    assert.ok(accepted < events.length);
    const onDisk = new Uint8Array(readFileSync(out));
    assert.deepEqual(onDisk, writeEvtx(events.slice(0, accepted)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
