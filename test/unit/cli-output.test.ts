/** CLI output pieces: the hand-built JSONL text, the JSON/XML envelopes, the sink's backpressure and file writes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Provenance, VigilEvent } from '../../src/core/event.js';
import { createEventFormatter, createEventJsonWriter, eventObject } from '../../src/cli/output/event-format.js';
import { OutputSink } from '../../src/cli/output/sink.js';
import { getView } from '../../src/normalize/views.js';
import { formatSummary, summaryJson } from '../../src/cli/summary.js';
import type { DumpSummary } from '../../src/cli/dump-run.js';
import { parseCommandArgs, intOption, choiceOption } from '../../src/cli/args.js';
import { UsageError } from '../../src/cli/command.js';

function event(provenance: Provenance, overrides: Partial<VigilEvent> = {}): VigilEvent {
  return {
    fields: { EventID: 4624, Channel: 'Security', 'Odd "name"': 'tab\there', Multi: ['a', 'b'], Num: 3 },
    provenance,
    time: '2024-01-02T03:04:05.000000000Z',
    channel: 'Security',
    provider: 'Microsoft-Windows-Security-Auditing',
    eventId: 4624,
    computer: 'pc"1\\x',
    render: (kind) => (kind === 'xml' ? '<?xml version="1.0"?>\n<Event><System/></Event>\n' : '{\n  "Event": {\n    "System": {}\n  }\n}'),
    ...overrides,
  };
}

const EVENTS: VigilEvent[] = [
  event({ file: 'a "b".evtx', format: 'evtx', recordId: 1, offset: 4608 }),
  event({ file: 'a "b".evtx', format: 'evtx', recordId: 2, offset: 5000, recovered: true }),
  event({ file: 'c.xml', format: 'xml', recordId: null, offset: 10, line: 3 }, { time: null, channel: null, provider: null, eventId: null, computer: null }),
];

test('the JSONL fast path writes exactly JSON.stringify(eventObject) for every shape of event', () => {
  for (const raw of [false, true]) {
    for (const viewName of ['windows', 'splunk', 'cim']) {
      const view = getView(viewName);
      const write = createEventJsonWriter(view, raw);
      for (const e of EVENTS) assert.equal(write(e), JSON.stringify(eventObject(e, view, raw)));
    }
  }
});

test('eventObject carries the required keys in order, line/recovered only when set', () => {
  const o = eventObject(EVENTS[0] as VigilEvent, getView('windows'), false);
  assert.deepEqual(Object.keys(o), ['file', 'format', 'record_id', 'offset', 'time', 'channel', 'provider', 'event_id', 'computer', 'fields']);
  assert.equal(eventObject(EVENTS[1] as VigilEvent, getView('windows'), false).recovered, true);
  assert.equal(eventObject(EVENTS[2] as VigilEvent, getView('windows'), false).line, 3);
});

function runFormatter(format: 'jsonl' | 'json' | 'xml', events: VigilEvent[]): string {
  const f = createEventFormatter({ format, view: getView('windows'), raw: false });
  return f.header + events.map((e) => f.event(e)).join('') + f.footer();
}

test('json output is one valid array for 0, 1 and many events', () => {
  for (const n of [0, 1, 3]) {
    const parsed = JSON.parse(runFormatter('json', EVENTS.slice(0, n))) as unknown[];
    assert.equal(parsed.length, n);
  }
});

test('jsonl output is one object a line', () => {
  const lines = runFormatter('jsonl', EVENTS).split('\n');
  assert.equal(lines.pop(), '');
  assert.equal(lines.length, EVENTS.length);
  for (const l of lines) JSON.parse(l);
});

test('xml output is one <Events> document with one declaration', () => {
  const text = runFormatter('xml', EVENTS);
  assert.equal(text.match(/<\?xml/g)?.length, 1);
  assert.equal(text.match(/<Event>/g)?.length, EVENTS.length);
  assert.match(text, /^<\?xml[^>]*\?>\n<Events>\n<Event>/);
  assert.match(text, /<\/Events>\n$/);
});

test('the sink waits for a slow reader once megabytes are queued', async () => {
  let release: (() => void) | null = null;
  let written = 0;
  const slow = new Writable({
    highWaterMark: 1024,
    write(chunk: Buffer, _enc, cb) {
      written += chunk.length;
      release = () => cb();
    },
  });
  const sink = OutputSink.fromStream(slow, 'slow');
  const big = 'x'.repeat(4 * 1024 * 1024);
  await sink.write(big); // 4 MB queued: under the cap, returns at once
  let done = false;
  const pending = sink.write(big + big).then(() => {
    done = true;
  });
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(done, false, 'a write over the cap waits for drain');
  // Let the reader consume everything.
  while (!done) {
    const r = release as (() => void) | null;
    release = null;
    if (r) r();
    await new Promise((res) => setImmediate(res));
  }
  await pending;
  assert.ok(written >= big.length);
});

test('the sink stops quietly when its reader goes away', async () => {
  const broken = new Writable({
    write(_chunk, _enc, cb) {
      const err = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
      cb(err);
    },
  });
  const sink = OutputSink.fromStream(broken, 'pipe');
  await sink.write('hello\n');
  await new Promise((r) => setImmediate(r));
  assert.equal(sink.stopped, true);
  assert.equal(sink.readerClosed, true);
  assert.equal(sink.error, null);
  await sink.write('more\n'); // dropped, no throw
});

const SUMMARY: DumpSummary = {
  inputs: [
    { name: 'good.evtx', format: 'evtx', bytes: 2 * 1024 * 1024, parsed: 90, recovered: 2, failed: 3, warnings: 1, status: 'read', reason: null },
    {
      name: 'gone.evtx',
      format: null,
      bytes: 0,
      parsed: 0,
      recovered: 0,
      failed: 0,
      warnings: 0,
      status: 'failed',
      reason: { severity: 'error', code: 'input.not-found', message: 'no such file or directory', location: { file: 'gone.evtx' } },
    },
  ],
  filesRead: 1,
  filesFailed: 1,
  parsed: 90,
  recovered: 2,
  failed: 3,
  warnings: 1,
  bytes: 2 * 1024 * 1024,
  seconds: 0.5,
  listedDiagnostics: 4,
  unlistedDiagnostics: 0,
  outputClosed: false,
  outputError: null,
};

test('the summary names failed inputs and gives counts and rates', () => {
  const text = formatSummary(SUMMARY);
  assert.match(text, /2 inputs: 1 read, 1 failed/);
  assert.match(text, /failed: gone\.evtx: error: no such file or directory \[input\.not-found\]/);
  assert.match(text, /records: 90 parsed, 2 recovered, 3 failed; 1 warning\b/);
  assert.match(text, /2\.0 MB in 0\.50 s: 184 records\/s, 4\.0 MB\/s/);
  const json = summaryJson(SUMMARY) as { files: unknown; records: unknown; records_per_second: number; inputs: Array<{ status: string; reason: unknown }> };
  assert.deepEqual(json.files, { total: 2, read: 1, failed: 1 });
  assert.deepEqual(json.records, { parsed: 90, recovered: 2, failed: 3 });
  assert.equal(json.records_per_second, 184);
  assert.equal(json.inputs[1]?.status, 'failed');
});

test('argument errors are usage errors', () => {
  assert.throws(() => parseCommandArgs(['--nope'], {}), UsageError);
  assert.throws(() => parseCommandArgs(['--n'], { n: { type: 'string' } }), UsageError);
  const args = parseCommandArgs(['--n', '12', '--f', 'json', 'x'], { n: { type: 'string' }, f: { type: 'string' } });
  assert.equal(intOption(args, 'n', 1, 1, 64), 12);
  assert.equal(choiceOption(args, 'f', ['json', 'xml'] as const, 'xml'), 'json');
  assert.deepEqual(args.positionals, ['x']);
  assert.throws(() => intOption(parseCommandArgs(['--n', '0'], { n: { type: 'string' } }), 'n', 1, 1, 64), UsageError);
  assert.throws(() => intOption(parseCommandArgs(['--n', '1.5'], { n: { type: 'string' } }), 'n', 1, 1, 64), UsageError);
});

test('a file sink writes strings and bytes exactly, with blocking calls', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-sink-'));
  try {
    const file = path.join(dir, 'out.jsonl');
    writeFileSync(file, 'old content that must go\n');
    const sink = await OutputSink.file(file);
    const big = 'é€x'.repeat(200_000);
    await sink.write('{"a":"ü"}\n');
    await sink.write(Buffer.from('bytes\n'));
    await sink.write(big);
    await sink.write('');
    // Text is encoded into a buffer kept between writes: a shorter text after a longer one
    // writes only its own bytes; a lone surrogate becomes U+FFFD as in any UTF-8 write; text
    // too long for that buffer (over 16 MB encoded at worst) is written as text.
    await sink.write('short\ud800\n');
    const huge = 'z'.repeat(6_000_000);
    await sink.write(huge);
    // Written already, before close: nothing waits for the event loop.
    assert.equal(readFileSync(file, 'utf8'), '{"a":"ü"}\nbytes\n' + big + 'short\ufffd\n' + huge);
    await sink.close();
    await sink.close();
    assert.equal(sink.error, null);
    assert.equal(sink.stopped, false);
    await assert.rejects(OutputSink.file(dir), /EISDIR/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a file sink that cannot write stops with the reason, without throwing', { skip: !existsSync('/dev/full') && 'no /dev/full here' }, async () => {
  const sink = await OutputSink.file('/dev/full');
  await sink.write('x'.repeat(100_000));
  assert.equal(sink.stopped, true);
  assert.match(sink.error?.message ?? '', /ENOSPC/);
  assert.equal(sink.readerClosed, false);
  await sink.write('more'); // dropped
  await sink.close();
});
