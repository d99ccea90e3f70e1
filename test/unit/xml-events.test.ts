import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { InputFile, SourceItem } from '../../src/sources/source.js';
import { BATCH_EVENTS, MAX_EVENT_BYTES, readXmlEvents } from '../../src/sources/text/xml-events.js';

const NS = 'http://schemas.microsoft.com/win/2004/08/events/event';

/** One event in the given quoting style (samples written for these tests). */
function event(id: number, opts: { quote?: "'" | '"'; data?: string; rendering?: boolean } = {}): string {
  const q = opts.quote ?? "'";
  const rendering = opts.rendering
    ? `<RenderingInfo Culture=${q}en-US${q}><Message>Service ${id} entered the running state.</Message><Level>Information</Level></RenderingInfo>`
    : '';
  return (
    `<Event xmlns=${q}${NS}${q}><System><Provider Name=${q}Service Control Manager${q} Guid=${q}{555908D1-A6D7-4695-8E1E-26931D2012F4}${q} EventSourceName=${q}Service Control Manager${q}/>` +
    `<EventID Qualifiers=${q}16384${q}>7036</EventID><Version>0</Version><Level>4</Level><Task>0</Task><Opcode>0</Opcode><Keywords>0x8080000000000000</Keywords>` +
    `<TimeCreated SystemTime=${q}2024-05-06T07:08:${String(id % 60).padStart(2, '0')}.100000000Z${q}/><EventRecordID>${id}</EventRecordID><Correlation/>` +
    `<Execution ProcessID=${q}700${q} ThreadID=${q}800${q}/><Channel>System</Channel><Computer>srv-${id}</Computer><Security/></System>` +
    `<EventData><Data Name=${q}param1${q}>${opts.data ?? `svc ${id} &amp; co`}</Data><Data Name=${q}param2${q}>running</Data></EventData>${rendering}</Event>`
  );
}

function input(text: string | Buffer, chunkSize = 65536): InputFile {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  return {
    name: 'events.xml',
    size: bytes.length,
    path: null,
    async *stream() {
      for (let i = 0; i < bytes.length; i += chunkSize) yield bytes.subarray(i, i + chunkSize);
    },
  };
}

async function readAll(file: InputFile): Promise<{ items: SourceItem[]; batches: number[] }> {
  const items: SourceItem[] = [];
  const batches: number[] = [];
  for await (const batch of readXmlEvents(file, {})) {
    batches.push(batch.length);
    items.push(...batch);
  }
  return { items, batches };
}

function summary(items: readonly SourceItem[]): string[] {
  return items.map((it) => {
    switch (it.kind) {
      case 'event':
        return `event ${it.event.provenance.recordId} line ${it.event.provenance.line} @${it.event.provenance.offset}`;
      case 'record-error':
      case 'warning':
      case 'fatal':
        return `${it.kind} ${it.diagnostic.code} line ${it.diagnostic.location.line}`;
    }
  });
}

test('Splunk one-per-line with a malformed event in the middle', async () => {
  const lines = [event(1), event(2), event(3).replace('</System>', '</Sys>'), event(4, { rendering: true })];
  const text = lines.join('\n') + '\n';
  const { items } = await readAll(input(text));
  assert.equal(items.length, 4);
  assert.deepEqual(
    items.map((i) => i.kind),
    ['event', 'event', 'record-error', 'event'],
  );
  const bad = items[2]!;
  assert.ok(bad.kind === 'record-error');
  assert.equal(bad.diagnostic.code, 'xml.mismatch');
  assert.equal(bad.diagnostic.location.line, 3);
  assert.equal(bad.diagnostic.location.column, lines[2]!.indexOf('</Sys>') + 1);
  assert.equal(bad.diagnostic.location.offset, Buffer.byteLength(lines[0]! + lines[1]!) + 2 + lines[2]!.indexOf('</Sys>'));
  const first = items[0]!;
  assert.ok(first.kind === 'event');
  assert.equal(first.event.provenance.format, 'xml');
  assert.equal(first.event.provenance.recordId, 1);
  assert.equal(first.event.provenance.offset, 0);
  assert.equal(first.event.provenance.line, 1);
  assert.equal(first.event.eventId, 7036);
  assert.equal(first.event.channel, 'System');
  assert.equal(first.event.time, '2024-05-06T07:08:01.100000000Z');
  assert.equal(first.event.fields['param1'], 'svc 1 & co');
  const last = items[3]!;
  assert.ok(last.kind === 'event');
  assert.equal(last.event.fields['Message'], 'Service 4 entered the running state.');
  assert.equal(last.event.provenance.line, 4);
  assert.equal(last.event.provenance.offset, Buffer.byteLength(lines.slice(0, 3).join('\n')) + 1);
});

test('wevtutil output: events back to back, double quotes, no separators', async () => {
  const text = [event(10, { quote: '"' }), event(11, { quote: '"' }), event(12, { quote: '"' })].join('');
  const { items } = await readAll(input(text));
  assert.deepEqual(summary(items), [
    `event 10 line 1 @0`,
    `event 11 line 1 @${Buffer.byteLength(event(10, { quote: '"' }))}`,
    `event 12 line 1 @${Buffer.byteLength(event(10, { quote: '"' }) + event(11, { quote: '"' }))}`,
  ]);
});

test('Event Viewer export: prolog, <Events> root, pretty-printed, CRLF', async () => {
  const pretty = (id: number) =>
    event(id, { quote: '"', data: 'x</Event> inside CDATA is not an end' })
      .replace('x</Event> inside CDATA is not an end', '<![CDATA[x</Event> inside CDATA is not an end]]>')
      .replaceAll('><', '>\r\n  <');
  const text = `\ufeff<?xml version="1.0" encoding="utf-8" standalone="yes"?>\r\n<Events>\r\n${pretty(20)}\r\n<!-- note -->\r\n${pretty(21)}\r\n</Events>\r\n`;
  const { items } = await readAll(input(text));
  assert.deepEqual(
    items.map((i) => i.kind),
    ['event', 'event'],
  );
  const e = items[1]!;
  assert.ok(e.kind === 'event');
  assert.equal(e.event.fields['param1'], 'x</Event> inside CDATA is not an end');
  assert.equal(e.event.fields['Computer'], 'srv-21');
  assert.equal(e.event.provenance.line, 3 + pretty(20).split('\n').length + 1);
});

test('UTF-16LE export is transcoded', async () => {
  const text = `<?xml version="1.0" encoding="UTF-16"?>\r\n<Events>${event(30, { quote: '"', data: 'Zürich €' })}</Events>`;
  const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
  const { items } = await readAll(input(bytes, 7));
  assert.equal(items.length, 1);
  const e = items[0]!;
  assert.ok(e.kind === 'event');
  assert.equal(e.event.fields['param1'], 'Zürich €');
});

test('any chunking gives the same items', async () => {
  const text = [event(1), 'stray text\n', event(2).replace('<Level>4</Level>', '<Level>4</Level'), event(3, { data: 'é€𝄞 &lt;x&gt;' })].join('\n');
  const reference = summary((await readAll(input(text))).items);
  assert.deepEqual(reference.map((s) => s.split(' ').slice(0, 2).join(' ')), ['event 1', 'warning xml.stray-text', 'record-error xml.tag', 'event 3']);
  for (const size of [1, 2, 3, 5, 13, 64, 1000]) {
    assert.deepEqual(summary((await readAll(input(text, size))).items), reference, `chunk size ${size}`);
  }
});

test('a truncated event is reported and the next one still read', async () => {
  const cut = event(5).slice(0, 200);
  const text = `${event(4)}\n${cut}\n${event(6)}\n${event(7).slice(0, 150)}`;
  const { items } = await readAll(input(text, 50));
  assert.deepEqual(summary(items).map((s) => s.replace(/ @\d+$/, '')), [
    'event 4 line 1',
    'record-error xml.event.truncated line 2',
    'event 6 line 3',
    'record-error xml.event.truncated line 4',
  ]);
});

test('events come in batches of BATCH_EVENTS', async () => {
  const n = BATCH_EVENTS * 2 + 17;
  const parts: string[] = [];
  for (let i = 1; i <= n; i++) parts.push(event(i));
  const { items, batches } = await readAll(input(parts.join('\n')));
  assert.equal(items.length, n);
  assert.ok(items.every((i) => i.kind === 'event'));
  assert.deepEqual(batches, [BATCH_EVENTS, BATCH_EVENTS, 17]);
});

test('a failing stream ends with a fatal item', async () => {
  const file: InputFile = {
    name: 'broken.xml',
    size: null,
    path: null,
    async *stream() {
      yield Buffer.from(event(1) + '\n');
      throw new Error('disk gone');
    },
  };
  const { items } = await readAll(file);
  assert.deepEqual(
    items.map((i) => i.kind),
    ['event', 'fatal'],
  );
});

test('an event larger than MAX_EVENT_BYTES is reported and skipped, the next one read', async () => {
  const huge = event(8, { data: 'A'.repeat(MAX_EVENT_BYTES + 1000) });
  const text = `${huge}\n${event(9)}\n`;
  const { items } = await readAll(input(text));
  assert.deepEqual(summary(items).map((s) => s.replace(/ @\d+$/, '')), ['record-error xml.event.too-large line 1', 'event 9 line 2']);
});

test('damaged start tags and a broken prolog do not swallow later events', async () => {
  const text = `<?xml version="1.0"\n<Events>\n${event(40).replace('<Event ', '<Evnt ')}\n${event(41)}\n</Events>\n`;
  const expected = ['record-error xml.event.no-start line 3', 'event 41 line 4'];
  for (const size of [1, 7, 65536]) {
    assert.deepEqual(summary((await readAll(input(text, size))).items).map((s) => s.replace(/ @\d+$/, '')), expected, `chunk size ${size}`);
  }
});
