/**
 * The fast paths must not change what comes out: worker-built event text (EvtxReadOptions.eventText)
 * equals the inline formatter's text for the same event, events read either way carry equal
 * fields, trees and renderings, every record is still accounted for, and the thread count is capped.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateFile } from '../../bench/gen-evtx.js';
import { createEventFormatter, createEventTextWriter, eventTextFormat, type EventFormatOptions } from '../../src/cli/output/event-format.js';
import { closeEvtxWorkers, MAX_EVTX_THREADS, preformattedText, readEvtx, type EvtxReadOptions } from '../../src/sources/evtx/index.js';
import { workerPoolSizes } from '../../src/sources/evtx/worker-pool.js';
import type { InputFile, SourceItem } from '../../src/sources/source.js';
import { getView } from '../../src/normalize/views.js';
import { flattenTree } from '../../src/normalize/flatten-tree.js';
import { renderXml } from '../../src/render/xml.js';
import { ChunkBuilder, buildFile, stampChunk, writeU32 } from '../fuzz/evtx-synth.js';

const dir = mkdtempSync(path.join(tmpdir(), 'vigil-perf-'));
after(async () => {
  await closeEvtxWorkers();
  rmSync(dir, { recursive: true, force: true });
});

const generated = path.join(dir, 'gen.evtx');
generateFile(generated, 4096 + 24 * 65536, 11);

function fileInput(file: string): InputFile {
  const bytes = readFileSync(file);
  return {
    name: path.basename(file),
    size: bytes.length,
    path: file,
    async *stream() {
      for (let i = 0; i < bytes.length; i += 50_000) yield bytes.subarray(i, i + 50_000);
    },
  };
}

async function readAll(file: string, options: EvtxReadOptions): Promise<SourceItem[]> {
  const items: SourceItem[] = [];
  for await (const batch of readEvtx(fileInput(file), options)) items.push(...batch);
  return items;
}

/** A file whose chunk 1 has a damaged record, so record errors travel the worker path too. */
function damagedFile(): string {
  const chunks: Uint8Array[] = [];
  let id = 1;
  for (let i = 0; i < 18; i++) {
    const c = new ChunkBuilder();
    for (let k = 0; k < 20; k++) c.add({ id: id++ });
    c.finish();
    if (i === 1) {
      // A record with a broken magic: the walker resyncs past it and reports a record error.
      writeU32(c.bytes, c.offsets[5]!, 0xdeadbeef);
      stampChunk(c.bytes);
    }
    chunks.push(c.bytes);
  }
  const file = path.join(dir, 'damaged.evtx');
  writeFileSync(file, buildFile(chunks, { chunkCount: 18 }));
  return file;
}

const FORMATS: EventFormatOptions[] = [
  { format: 'jsonl', view: getView('windows'), raw: false },
  { format: 'jsonl', view: getView('splunk'), raw: true },
  { format: 'xml', view: getView('windows'), raw: false },
];

for (const options of FORMATS) {
  test(`worker-built ${options.format}${options.raw ? ' raw' : ''} text (${options.view.name}) equals the inline text, event by event`, async () => {
    for (const file of [generated, damagedFile()]) {
      const inline = await readAll(file, { threads: 1 });
      const threaded = await readAll(file, { threads: 2, eventText: eventTextFormat(options) });
      assert.deepEqual(
        threaded.map((i) => i.kind),
        inline.map((i) => i.kind),
        'same items in the same order',
      );
      assert.ok(inline.some((i) => i.kind === 'event'));
      if (file !== generated) assert.ok(inline.some((i) => i.kind === 'record-error'), 'the damaged record is reported');
      const textOf = createEventTextWriter(options);
      for (let k = 0; k < inline.length; k++) {
        const a = inline[k]!;
        const b = threaded[k]!;
        if (a.kind !== 'event' || b.kind !== 'event') {
          assert.deepEqual(b, a);
          continue;
        }
        const text = preformattedText(b.event);
        assert.notEqual(text, null, 'the worker made the text');
        assert.equal(text, textOf(a.event));
        assert.equal(preformattedText(a.event), null, 'inline events carry no worker text');
        assert.deepEqual(b.event.provenance, a.event.provenance);
        assert.deepEqual(b.event.fields, a.event.fields);
      }
    }
  });
}

test('worker-text events still give their tree, fields and renderings on demand', async () => {
  const options = FORMATS[0]!;
  const inline = await readAll(generated, { threads: 1 });
  const threaded = await readAll(generated, { threads: 2, eventText: eventTextFormat(options) });
  let checked = 0;
  for (let k = 0; k < inline.length; k += 97) {
    const a = inline[k]!;
    const b = threaded[k]!;
    if (a.kind !== 'event' || b.kind !== 'event') continue;
    assert.ok(b.event.tree !== undefined && a.event.tree !== undefined);
    assert.deepEqual(flattenTree(b.event.tree), a.event.fields);
    assert.equal(renderXml(b.event.tree), renderXml(a.event.tree));
    assert.equal(b.event.render('xml'), a.event.render('xml'));
    assert.equal(b.event.render('json'), a.event.render('json'));
    for (const f of ['time', 'channel', 'provider', 'eventId', 'computer'] as const) assert.equal(b.event[f], a.event[f]);
    checked++;
  }
  assert.ok(checked > 10);
});

test('the formatter joins worker text exactly as it joins the events it formats itself', async () => {
  const events = (await readAll(generated, { threads: 1 })).flatMap((i) => (i.kind === 'event' ? [i.event] : [])).slice(0, 5);
  for (const format of ['jsonl', 'json', 'xml'] as const) {
    const options: EventFormatOptions = { format, view: getView('windows'), raw: false };
    const own = createEventFormatter(options);
    const joined = createEventFormatter(options);
    const textOf = createEventTextWriter(options);
    for (const e of events) assert.equal(joined.eventText(textOf(e)), own.event(e));
  }
});

test('the thread count is capped: asking for many threads starts at most MAX_EVTX_THREADS workers', async () => {
  const items = await readAll(generated, { threads: 64 });
  assert.ok(items.some((i) => i.kind === 'event'));
  const sizes = workerPoolSizes();
  assert.ok(sizes.length > 0 && sizes.every((n) => n <= MAX_EVTX_THREADS), `pools: ${sizes.join(', ')}`);
});
