/** EVTX Reader: streaming chunk by chunk, fatal input, and the worker-thread path. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { closeEvtxWorkers, parseEvtxBytes, readEvtx } from '../../src/sources/evtx/index.js';
import type { InputFile, ReadOptions, SourceItem } from '../../src/sources/source.js';
import { buildFile, simpleChunk, stampChunk, writeU32, readU32, ChunkBuilder } from '../fuzz/evtx-synth.js';
import { inputOf } from '../helpers/bytes-input.js';

const dir = mkdtempSync(path.join(tmpdir(), 'vigil-evtx-reader-'));
after(async () => {
  await closeEvtxWorkers();
  rmSync(dir, { recursive: true, force: true });
});

async function collect(input: InputFile, options: ReadOptions): Promise<{ batches: number; items: SourceItem[] }> {
  const items: SourceItem[] = [];
  let batches = 0;
  for await (const batch of readEvtx(input, options)) {
    batches++;
    items.push(...batch);
  }
  return { batches, items };
}

/** A multi-chunk file with a damaged record, a zero chunk and slack, to exercise every item kind. */
function mixedFile(): Uint8Array {
  const chunks: Uint8Array[] = [];
  let id = 1;
  for (let i = 0; i < 18; i++) {
    if (i === 3) {
      chunks.push(new Uint8Array(65536));
      continue;
    }
    const c = new ChunkBuilder();
    for (let k = 0; k < 20; k++) c.add({ id: id++ });
    c.writeRecordAt(c.end + 8, { id: 100_000 + i });
    c.finish();
    if (i === 1) {
      const at = c.offsets[5]!;
      writeU32(c.bytes, at + readU32(c.bytes, at + 4) - 4, 1);
      stampChunk(c.bytes);
    }
    chunks.push(c.bytes);
  }
  return buildFile(chunks, { chunkCount: 16 });
}

function summary(items: SourceItem[]): string[] {
  return items.map((it) => {
    switch (it.kind) {
      case 'event':
        return `event ${it.event.provenance.recordId}@${it.event.provenance.offset}${it.event.provenance.recovered ? ' R' : ''}`;
      case 'record-error':
      case 'warning':
      case 'fatal':
        return `${it.kind} ${it.diagnostic.code}@${it.diagnostic.location.offset}`;
    }
  });
}

test('streaming in odd-sized pieces gives the same records and diagnostics as parseEvtxBytes', async () => {
  const bytes = mixedFile();
  const whole = parseEvtxBytes(bytes, 'mixed.evtx', { recover: true });
  for (const piece of [1000, 4096, 65536 + 17, 1 << 20]) {
    const { items, batches } = await collect(inputOf(bytes, 'mixed.evtx', piece), { recover: true });
    const events = items.filter((i) => i.kind === 'event');
    assert.deepEqual(
      events.map((e) => (e.kind === 'event' ? e.event.provenance.recordId : null)),
      whole.records.map((r) => r.recordId),
      `piece ${piece}`,
    );
    assert.equal(items.filter((i) => i.kind === 'record-error').length, whole.failed);
    assert.equal(items.filter((i) => i.kind === 'warning').length, whole.diagnostics.filter((d) => d.severity === 'warning').length);
    assert.ok(batches >= 5, 'at least one batch per non-empty chunk');
  }
  const first = await collect(inputOf(bytes, 'mixed.evtx', 4096), { recover: true });
  const ev = first.items.find((i) => i.kind === 'event');
  assert.ok(ev !== undefined && ev.kind === 'event');
  assert.equal(ev.event.provenance.format, 'evtx');
  assert.equal(ev.event.provenance.file, 'mixed.evtx');
  assert.equal(ev.event.eventId, 4242);
  assert.match(ev.event.render('xml'), /<EventRecordID>1<\/EventRecordID>/);
});

test('a non-EVTX input yields exactly one fatal item', async () => {
  const { items } = await collect(inputOf(new TextEncoder().encode('hello world, not evtx'), 'x.txt', 7), {});
  assert.equal(items.length, 1);
  assert.equal(items[0]!.kind, 'fatal');
});

test('a stream that fails midway reports the records read so far, then one fatal item', async () => {
  const bytes = buildFile([simpleChunk(1, 3).bytes, simpleChunk(4, 3).bytes]);
  const input: InputFile = {
    name: 'broken.evtx',
    size: null,
    path: null,
    async *stream() {
      yield Buffer.from(bytes.subarray(0, 4096 + 65536));
      throw new Error('disk went away');
    },
  };
  const { items } = await collect(input, {});
  assert.deepEqual(summary(items).slice(-1)[0]!.split('@')[0], 'fatal evtx.file.read');
  assert.equal(items.filter((i) => i.kind === 'event').length, 3);
});

test('worker threads give the same events in the same order, with pre-rendered strings', async () => {
  const bytes = mixedFile();
  const file = path.join(dir, 'mixed.evtx');
  writeFileSync(file, bytes);
  const inline = await collect(inputOf(bytes, 'mixed.evtx', 65536), { recover: true });
  const threaded = await collect(inputOf(bytes, 'mixed.evtx', 65536, file), { recover: true, threads: 2, renderings: ['xml'] });
  assert.deepEqual(summary(threaded.items), summary(inline.items));
  const a = inline.items.filter((i) => i.kind === 'event');
  const b = threaded.items.filter((i) => i.kind === 'event');
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    assert.ok(x.kind === 'event' && y.kind === 'event');
    assert.deepEqual(y.event.fields, x.event.fields);
    assert.equal(y.event.time, x.event.time);
    assert.equal(y.event.eventId, x.event.eventId);
    assert.equal(y.event.render('xml'), x.event.render('xml'));
    assert.throws(() => y.event.render('json'), /not requested/);
  }
});

test('the reader pulls the stream lazily: at most one chunk (or 2 x threads chunks) ahead of the consumer', async () => {
  const chunkCount = 40;
  const chunks = Array.from({ length: chunkCount }, (_, i) => simpleChunk(1 + i * 3, 3).bytes);
  const bytes = buildFile(chunks);
  const file = path.join(dir, 'lazy.evtx');
  writeFileSync(file, bytes);
  for (const threads of [1, 2]) {
    let pulled = 0; // 64 KiB pieces handed out by the stream
    const input: InputFile = {
      name: 'lazy.evtx',
      size: bytes.length,
      path: file,
      async *stream() {
        yield Buffer.from(bytes.subarray(0, 4096));
        for (let i = 4096; i < bytes.length; i += 65536) {
          pulled++;
          yield Buffer.from(bytes.subarray(i, i + 65536));
        }
      },
    };
    let batches = 0;
    let worstLead = 0;
    for await (const batch of readEvtx(input, { threads, renderings: [] })) {
      if (batch.every((i) => i.kind !== 'event')) continue;
      batches++;
      worstLead = Math.max(worstLead, pulled - batches);
    }
    assert.equal(batches, chunkCount, `one batch per chunk (threads ${threads})`);
    assert.ok(worstLead <= (threads === 1 ? 1 : 2 * threads), `threads ${threads}: stream ran ${worstLead} chunks ahead`);
  }
});
