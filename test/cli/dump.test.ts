/**
 * Runs the real `vigil` program (the compiled main next to this test's build) on data our own
 * code generates: the example incident as EVTX, XmlWinEventLog text and evtx_dump JSONL, plus a
 * damaged EVTX and a missing path. Checks output shapes, the summary and exit statuses.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeExampleFiles } from '../../src/cli/example/example-files.js';
import { EXAMPLE_EVENTS } from '../../src/cli/example/example-events.js';
import { writeEvtx } from '../../src/sinks/evtx-writer/index.js';
import { runVigil as vigil, type VigilRun as Run } from '../helpers/run-vigil.js';

const REQUIRED_KEYS = ['file', 'record_id', 'time', 'channel', 'provider', 'event_id', 'computer', 'fields'];

function jsonLines(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

let dir = '';
let exampleDir = '';
let corrupt = '';
const EXAMPLE_COUNT = EXAMPLE_EVENTS.length;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'vigil-cli-test-'));
  exampleDir = path.join(dir, 'example');
  await writeExampleFiles(exampleDir);
  // A Security log whose second record's BinXml is overwritten: that record must fail, the rest parse.
  const security = EXAMPLE_EVENTS.filter((e) => e.channel === 'Security');
  const bytes = Buffer.from(writeEvtx(security));
  const recordStarts: number[] = [];
  for (let i = 4096 + 512; i + 4 <= bytes.length && recordStarts.length < 3; i += 8) {
    if (bytes.readUInt32LE(i) === 0x00002a2a) recordStarts.push(i);
  }
  assert.ok(recordStarts.length >= 2, 'writer output has records');
  bytes.fill(0xff, (recordStarts[1] as number) + 40, (recordStarts[1] as number) + 80);
  corrupt = path.join(dir, 'damaged.evtx');
  await writeFile(corrupt, bytes);
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('dump: every record of every example input, same events in all three formats', async () => {
  const r = await vigil(['dump', exampleDir, '--threads', '1']);
  assert.equal(r.code, 0, r.stderr);
  const lines = jsonLines(r.stdout);
  assert.equal(lines.length, 3 * EXAMPLE_COUNT);
  for (const line of lines) for (const key of REQUIRED_KEYS) assert.ok(key in line, `missing ${key} in ${JSON.stringify(line).slice(0, 200)}`);
  const byFormat = new Map<string, string[]>();
  for (const line of lines) {
    const key = `${String(line.channel)}|${String(line.event_id)}|${String(line.record_id)}|${String(line.computer)}`;
    const list = byFormat.get(String(line.format)) ?? [];
    list.push(key);
    byFormat.set(String(line.format), list);
  }
  assert.deepEqual([...byFormat.keys()].sort(), ['evtx', 'evtx-json', 'xml']);
  const expected = EXAMPLE_EVENTS.map((e) => `${e.channel}|${e.eventId}|${e.recordId}|${e.computer}`).sort();
  for (const [format, keys] of byFormat) assert.deepEqual(keys.sort(), expected, `events read from ${format}`);
  const files = (await readdir(path.join(exampleDir, 'evtx'))).length + 2;
  assert.match(r.stderr, new RegExp(`${files} inputs: ${files} read, 0 failed`));
  assert.match(r.stderr, new RegExp(`records: ${3 * EXAMPLE_COUNT} parsed, 0 recovered, 0 failed`));
  assert.match(r.stderr, /records\/s, [\d.]+ MB\/s/);
});

test('dump: a missing path exits non-zero, names the path, and still dumps the rest', async () => {
  const missing = path.join(dir, 'no-such-file.evtx');
  const xml = path.join(exampleDir, 'xmlwineventlog.xml');
  const r = await vigil(['dump', missing, xml]);
  assert.equal(r.code, 1);
  assert.equal(jsonLines(r.stdout).length, EXAMPLE_COUNT);
  assert.match(r.stderr, /2 inputs: 1 read, 1 failed/);
  assert.ok(r.stderr.includes(`failed: ${missing}`), r.stderr);
});

test('dump: a damaged record is listed with file and offset, the run still exits 0', async () => {
  const summaryFile = path.join(dir, 'summary.json');
  const r = await vigil(['dump', corrupt, '--summary-json', summaryFile, '-j', '1']);
  assert.equal(r.code, 0, r.stderr);
  const good = EXAMPLE_EVENTS.filter((e) => e.channel === 'Security').length - 1;
  assert.equal(jsonLines(r.stdout).length, good);
  const errorLines = r.stderr.split('\n').filter((l) => l.startsWith(corrupt) && / error: /.test(l));
  assert.ok(errorLines.length >= 1, r.stderr);
  assert.match(errorLines[0] as string, /offset 0x[0-9a-f]+/);
  const summary = JSON.parse(await readFile(summaryFile, 'utf8')) as {
    files: { read: number; failed: number };
    records: { parsed: number; failed: number };
    inputs: Array<{ name: string; status: string }>;
  };
  assert.deepEqual(summary.files, { total: 1, read: 1, failed: 0 } as unknown as typeof summary.files);
  assert.equal(summary.records.parsed, good);
  assert.ok(summary.records.failed >= 1);
  assert.equal(summary.inputs[0]?.name, corrupt);
});

test('dump: --quiet and --max-errors limit the listing, not the counts', async () => {
  const quiet = await vigil(['dump', corrupt, '--quiet']);
  assert.equal(quiet.code, 0);
  assert.ok(!quiet.stderr.split('\n').some((l) => l.startsWith(corrupt)), quiet.stderr);
  assert.match(quiet.stderr, /not listed/);
  const capped = await vigil(['dump', corrupt, '--max-errors', '0']);
  assert.match(capped.stderr, /records: \d+ parsed, 0 recovered, [1-9]\d* failed/);
  assert.ok(!capped.stderr.split('\n').some((l) => l.startsWith(corrupt)));
});

test('dump: an input that is not a log fails with a reason; exit 1', async () => {
  const junk = path.join(dir, 'junk.bin');
  await writeFile(junk, Buffer.from([0, 1, 2, 3, 0xfe, 0xff, 0x00, 0x9c, 7, 7, 7]));
  const r = await vigil(['dump', junk]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /1 inputs?: 0 read, 1 failed/);
  assert.ok(r.stderr.includes(junk));
});

test('dump --format json is one array; --format xml is one <Events> document; --output writes a file', async () => {
  const evtxDir = path.join(exampleDir, 'evtx');
  const json = await vigil(['dump', evtxDir, '--format', 'json']);
  assert.equal(json.code, 0, json.stderr);
  const array = JSON.parse(json.stdout) as unknown[];
  assert.equal(array.length, EXAMPLE_COUNT);

  const out = path.join(dir, 'out.xml');
  const xml = await vigil(['dump', evtxDir, '--format', 'xml', '--output', out]);
  assert.equal(xml.code, 0, xml.stderr);
  assert.equal(xml.stdout, '');
  const text = await readFile(out, 'utf8');
  assert.match(text, /^<\?xml[^>]*\?>\s*<Events>/);
  assert.match(text, /<\/Events>\s*$/);
  assert.equal(text.match(/<Event[\s>]/g)?.length, EXAMPLE_COUNT);
  assert.equal(text.match(/<\?xml/g)?.length, 1);

  const empty = path.join(dir, 'empty-dir');
  await rm(empty, { recursive: true, force: true });
  await (await import('node:fs/promises')).mkdir(empty);
  const none = await vigil(['dump', empty, '--format', 'json']);
  assert.deepEqual(JSON.parse(none.stdout), []);
});

test('dump: worker threads give the same output, in the same order, as inline parsing', async () => {
  const evtxDir = path.join(exampleDir, 'evtx');
  const one = await vigil(['dump', evtxDir, '--threads', '1']);
  const two = await vigil(['dump', evtxDir, '--threads', '2']);
  assert.equal(one.code, 0);
  assert.equal(two.code, 0);
  assert.equal(two.stdout, one.stdout);
  // Workers pre-render XML for --format xml; it must match the inline rendering.
  const xmlOne = await vigil(['dump', evtxDir, '--threads', '1', '--format', 'xml']);
  const xmlTwo = await vigil(['dump', evtxDir, '--threads', '2', '--format', 'xml']);
  assert.equal(xmlTwo.stdout, xmlOne.stdout);
  assert.equal(xmlOne.stdout.match(/<Event[\s>]/g)?.length, EXAMPLE_COUNT);
});

test('dump: an output file inside a dumped folder is not read back', async () => {
  const folder = path.join(dir, 'self');
  await (await import('node:fs/promises')).mkdir(folder, { recursive: true });
  await writeFile(path.join(folder, 'a.xml'), await readFile(path.join(exampleDir, 'xmlwineventlog.xml')));
  const out = path.join(folder, 'out.jsonl');
  await writeFile(out, '{"EventID": 1}\n');
  const r = await vigil(['dump', folder, '--output', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(jsonLines(await readFile(out, 'utf8')).length, EXAMPLE_COUNT);
  assert.match(r.stderr, /out\.jsonl: warning: this is the output file; not read \[input\.is-output\]/);
});

test('dump --input-format forces a reader', async () => {
  const xml = path.join(exampleDir, 'xmlwineventlog.xml');
  const copy = path.join(dir, 'events.log');
  await writeFile(copy, await readFile(xml));
  const forced = await vigil(['dump', copy, '--input-format', 'xml']);
  assert.equal(forced.code, 0, forced.stderr);
  const lines = jsonLines(forced.stdout);
  assert.equal(lines.length, EXAMPLE_COUNT);
  assert.ok(lines.every((l) => l.format === 'xml'));
});

test('dump --view and --raw choose what the JSONL carries', async () => {
  const security = path.join(exampleDir, 'evtx', 'Security.evtx');
  const splunk = jsonLines((await vigil(['dump', security, '--view', 'splunk'])).stdout);
  const proc = splunk.find((l) => l.event_id === 4688) as { fields: Record<string, unknown> };
  assert.equal(proc.fields.EventCode, 4688);
  assert.equal(proc.fields.dest, proc.fields.Computer);
  const cim = jsonLines((await vigil(['dump', security, '--view', 'cim'])).stdout);
  const cimProc = cim.find((l) => l.event_id === 4688) as { fields: Record<string, unknown> };
  assert.equal(typeof cimProc.fields.process_id, 'number');
  assert.equal(cimProc.fields.NewProcessName, undefined);
  const raw = jsonLines((await vigil(['dump', security, '--raw'])).stdout);
  const first = raw[0] as { event?: { Event?: { System?: unknown } }; fields?: unknown };
  assert.equal(first.fields, undefined);
  assert.ok(first.event?.Event?.System !== undefined, JSON.stringify(first).slice(0, 300));
});

test('usage errors exit 2; every command has --help', async () => {
  assert.equal((await vigil(['dump'])).code, 2);
  const badFormat = await vigil(['dump', exampleDir, '--format', 'csv']);
  assert.equal(badFormat.code, 2);
  assert.match(badFormat.stderr, /--format must be one of jsonl, json, xml/);
  assert.equal((await vigil(['dump', exampleDir, '--bogus'])).code, 2);
  assert.equal((await vigil(['dump', exampleDir, '--input-format', 'csv'])).code, 2);
  assert.equal((await vigil(['dump', exampleDir, '--view', 'elastic'])).code, 2);
  assert.equal((await vigil(['frobnicate'])).code, 2);
  const top = await vigil(['--help']);
  assert.equal(top.code, 0);
  const commands = [...top.stdout.matchAll(/^ {2}(\S+) {2,}/gm)].map((m) => m[1] as string);
  assert.ok(commands.includes('dump') && commands.includes('example'), top.stdout);
  for (const name of commands) {
    const help = await vigil([name, '--help']);
    assert.equal(help.code, 0, `${name} --help`);
    assert.match(help.stdout, new RegExp(`^usage: vigil ${name}`));
  }
});

test('example --dump: generates the workstation data set when missing and dumps it', async () => {
  const target = path.join(dir, 'fresh-example');
  const r = await vigil(['example', '--dir', target, '--dump']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(jsonLines(r.stdout).length, 3 * EXAMPLE_COUNT);
  assert.match(r.stderr, /wrote .*xmlwineventlog\.xml/);
  const again = await vigil(['example', '--dir', target, '--dump']);
  assert.equal(again.code, 0);
  assert.match(again.stderr, /using existing data/);
});

test('example: generates the IIS case when missing and hunts it with the built-in content, risk first', async () => {
  const target = path.join(dir, 'fresh-iis');
  const r = await vigil(['example', '--dir', target]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /simulated T1505\.004 intrusion/);
  const sections = [...r.stdout.matchAll(/^== (.+?) [(=]/gm)].map((m) => m[1]);
  assert.deepEqual(sections, ['Risk-ranked entities', 'Risk incidents', 'Notables', 'Splunk-style detection results', 'Sigma findings']);
  // The attacked server tops the ranking, and both rule kinds contributed.
  const top = /^1 +(\d+) +system +(\S+)/m.exec(r.stdout);
  assert.ok(top !== null, r.stdout.slice(0, 2000));
  const manifest = JSON.parse(await readFile(path.join(target, 'iis', 'manifest.json'), 'utf8')) as { host: string };
  assert.equal(top[2], manifest.host);
  assert.ok(Number(top[1]) > 100);
  assert.match(r.stderr, /detections: 9 \(9 run, 0 not runnable\)/);
  assert.match(r.stderr, /risk: \d+ risk events \([1-9]\d* from detections, [1-9]\d* from Sigma findings\)/);
  const again = await vigil(['example', '--dir', target]);
  assert.equal(again.code, 0);
  assert.match(again.stderr, /using the IIS case/);
});
