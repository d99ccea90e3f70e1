/**
 * EvtxReadOptions.fieldsUnused (what `vigil dump --format xml` asks for): records skip the
 * flat-field read, yet every event still answers fields, facts and renderings exactly as a
 * default read does, inline and on worker threads.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateFile } from '../../bench/gen-evtx.js';
import { closeEvtxWorkers, readEvtx, type EvtxReadOptions } from '../../src/sources/evtx/index.js';
import { eventTextFormat } from '../../src/cli/output/event-format.js';
import { getView } from '../../src/normalize/views.js';
import type { InputFile, SourceItem } from '../../src/sources/source.js';
import { plainFileInput } from '../../src/cli/hunt/file-hunt.js';

const dir = mkdtempSync(path.join(tmpdir(), 'vigil-fields-unused-'));
after(async () => {
  await closeEvtxWorkers();
  rmSync(dir, { recursive: true, force: true });
});

const generated = path.join(dir, 'gen.evtx');
generateFile(generated, 4096 + 20 * 65536, 5);

function fileInput(file: string): InputFile {
  return plainFileInput(path.basename(file), file, statSync(file).size);
}

async function readAll(options: EvtxReadOptions): Promise<SourceItem[]> {
  const items: SourceItem[] = [];
  for await (const batch of readEvtx(fileInput(generated), options)) items.push(...batch);
  return items;
}

function described(items: readonly SourceItem[]): unknown[] {
  return items.map((i) =>
    i.kind !== 'event'
      ? i
      : {
          provenance: i.event.provenance,
          facts: [i.event.time, i.event.channel, i.event.provider, i.event.eventId, i.event.computer],
          fields: i.event.fields,
          xml: i.event.render('xml'),
        },
  );
}

test('fieldsUnused events equal default events, inline', async () => {
  const plain = await readAll({ threads: 1 });
  const lazy = await readAll({ threads: 1, fieldsUnused: true });
  assert.ok(plain.filter((i) => i.kind === 'event').length > 500);
  assert.deepEqual(described(lazy), described(plain));
});

test('fieldsUnused events equal default events on worker threads (XML text mode)', async () => {
  const plain = await readAll({ threads: 1 });
  const xml = eventTextFormat({ format: 'xml', view: getView('windows'), raw: false });
  const lazy = await readAll({ threads: 2, fieldsUnused: true, renderings: ['xml'], eventText: xml });
  assert.deepEqual(described(lazy), described(plain));
});
