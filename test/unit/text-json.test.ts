import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { events, openAll, problems, readAll, tempDir } from './inputs-helpers.js';
import { JsonObjectSplitter, type SplitItem } from '../../src/sources/text/json-split.js';
import { treeFromEvtxJson } from '../../src/sources/text/evtx-json-tree.js';
import { renderEvtxJson } from '../../src/render/evtx-json.js';
import { type XmlElement, childElements, elementText, firstChild, getAttribute, rootElement } from '../../src/core/xml-tree.js';

/** An evtx_dump-shaped record with invented values. */
function sysmonRecord(recordId: number, image: string): object {
  return {
    Event: {
      '#attributes': { xmlns: 'http://schemas.microsoft.com/win/2004/08/events/event' },
      System: {
        Provider: { '#attributes': { Name: 'Microsoft-Windows-Sysmon', Guid: '5770385F-C22A-43E0-BF4C-06F5698FFBD9' } },
        EventID: 1,
        Version: 5,
        Level: 4,
        Task: 1,
        Opcode: 0,
        Keywords: '0x8000000000000000',
        TimeCreated: { '#attributes': { SystemTime: '2025-03-03T10:11:12.123456Z' } },
        EventRecordID: recordId,
        Correlation: null,
        Execution: { '#attributes': { ProcessID: 2001, ThreadID: 3002 } },
        Channel: 'Microsoft-Windows-Sysmon/Operational',
        Computer: 'lab-pc-9',
        Security: { '#attributes': { UserID: 'S-1-5-18' } },
      },
      EventData: {
        RuleName: '-',
        ProcessId: 4242,
        Image: image,
        CommandLine: `"${image}" -x & <y>`,
        User: 'LAB\\ana',
      },
    },
  };
}

const QUALIFIED = {
  Event: {
    System: {
      Provider: { '#attributes': { Name: 'Service Control Manager' } },
      EventID: { '#attributes': { Qualifiers: 16384 }, '#text': 7045 },
      EventRecordID: 12,
      Channel: 'System',
      Computer: 'srv-1',
    },
    EventData: { Data: { '#text': ['first', 'second', 'third'] }, Binary: 'C1000000' },
  },
};

async function readJson(t: Parameters<typeof tempDir>[0], text: string, name = 'events.json') {
  const dir = tempDir(t);
  const f = path.join(dir, name);
  writeFileSync(f, text);
  const { inputs } = await openAll([f]);
  return { file: f, items: await readAll(inputs[0]!) };
}

function dataByName(root: XmlElement): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of childElements(firstChild(root, 'EventData')!)) out[getAttribute(d, 'Name') ?? `#${d.name}`] = elementText(d);
  return out;
}

test('evtx_dump JSON → element tree with attributes, typed values and named Data', () => {
  const tree = treeFromEvtxJson(sysmonRecord(7, 'C:\\t\\a.exe'));
  const root = rootElement(tree)!;
  assert.equal(root.name, 'Event');
  const system = firstChild(root, 'System')!;
  assert.equal(getAttribute(firstChild(system, 'Provider')!, 'Name'), 'Microsoft-Windows-Sysmon');
  // evtx_dump strips GUID braces; the tree gets them back for the text Windows prints.
  assert.equal(getAttribute(firstChild(system, 'Provider')!, 'Guid'), '{5770385F-C22A-43E0-BF4C-06F5698FFBD9}');
  const eventId = firstChild(system, 'EventID')!;
  assert.deepEqual(eventId.children, [{ kind: 'value', text: '1', json: 1 }]);
  assert.equal(getAttribute(firstChild(system, 'TimeCreated')!, 'SystemTime'), '2025-03-03T10:11:12.123456Z');
  assert.deepEqual(firstChild(system, 'Correlation')!.children, []);
  assert.deepEqual(dataByName(root), { RuleName: '-', ProcessId: '4242', Image: 'C:\\t\\a.exe', CommandLine: '"C:\\t\\a.exe" -x & <y>', User: 'LAB\\ana' });
});

test('evtx_dump JSON: qualifiers, unnamed Data arrays and Binary', () => {
  const root = rootElement(treeFromEvtxJson(QUALIFIED))!;
  const system = firstChild(root, 'System')!;
  const eventId = firstChild(system, 'EventID')!;
  assert.equal(getAttribute(eventId, 'Qualifiers'), '16384');
  assert.equal(elementText(eventId), '7045');
  const data = childElements(firstChild(root, 'EventData')!);
  assert.deepEqual(
    data.map((d) => [d.name, d.attributes.length, elementText(d)]),
    [
      ['Data', 0, 'first'],
      ['Data', 0, 'second'],
      ['Data', 0, 'third'],
      ['Binary', 0, 'C1000000'],
    ],
  );
});

test('evtx_dump JSON round-trips through the evtx_dump renderer', () => {
  for (const rec of [sysmonRecord(1, 'C:\\x.exe'), QUALIFIED]) {
    assert.deepEqual(renderEvtxJson(treeFromEvtxJson(rec)), rec);
  }
});

test('evtx_dump layouts: pretty back-to-back with Record banners, JSONL, array', async (t) => {
  const recs = [sysmonRecord(101, 'C:\\a.exe'), sysmonRecord(102, 'C:\\b.exe'), sysmonRecord(103, 'C:\\c.exe')];
  const pretty = recs.map((r, i) => `Record ${101 + i}\n${JSON.stringify(r, null, 2)}\n`).join('');
  const jsonl = recs.map((r) => JSON.stringify(r)).join('\n') + '\n';
  const array = JSON.stringify(recs, null, 1);
  for (const [label, text] of [
    ['pretty', pretty],
    ['jsonl', jsonl],
    ['array', array],
  ] as const) {
    const { items, file } = await readJson(t, text);
    assert.deepEqual(problems(items, 'record-error'), [], label);
    const evs = events(items);
    assert.deepEqual(evs.map((e) => e.provenance.recordId), [101, 102, 103], label);
    assert.ok(evs.every((e) => e.provenance.format === 'evtx-json' && e.provenance.file === file), label);
    assert.equal(evs[1]!.eventId, 1);
    assert.equal(evs[1]!.channel, 'Microsoft-Windows-Sysmon/Operational');
    assert.equal(evs[1]!.computer, 'lab-pc-9');
    assert.equal(evs[1]!.fields['Image'], 'C:\\b.exe');
    assert.deepEqual(JSON.parse(evs[1]!.render('json')), recs[1], label);
    assert.ok(evs[1]!.tree !== undefined);
    assert.match(evs[1]!.render('xml'), /<Data Name="CommandLine">"C:\\b\.exe" -x &amp; &lt;y&gt;<\/Data>/);
  }
});

test('evtx_dump JSON: broken records in the middle are located errors and the rest is read', async (t) => {
  const a = JSON.stringify(sysmonRecord(1, 'C:\\a.exe'));
  const c = JSON.stringify(sysmonRecord(3, 'C:\\c.exe'));
  const prettyD = JSON.stringify(sysmonRecord(4, 'C:\\d.exe'), null, 2);
  const lines = [
    a,
    a.slice(0, 120), // cut inside a string
    '{"Event": {"System": {"EventID": 2}}, }', // syntax error, balanced braces
    a.slice(0, a.indexOf('"EventData"')), // cut between keys: a new object starts before it closed
    c,
    'garbage line',
    prettyD,
  ];
  const { items } = await readJson(t, lines.join('\n') + '\n');
  assert.deepEqual(events(items).map((e) => e.provenance.recordId), [1, 3, 4]);
  const errs = problems(items, 'record-error');
  assert.deepEqual(
    errs.map((d) => [d.code, d.location.line]),
    [
      ['json.truncated', 2],
      ['json.syntax', 3],
      ['json.truncated', 4],
      ['json.stray-text', 6],
    ],
  );
  assert.equal(events(items)[2]!.provenance.line, 7);
  let offset = 0;
  for (let i = 0; i < 6; i++) offset += Buffer.byteLength(lines[i]!) + 1;
  assert.equal(events(items)[2]!.provenance.offset, offset);
});

test('splitter: objects split across arbitrary chunk boundaries; depth and size bounds', () => {
  const text = '{"a":"x}y","b":{"c":[1,{"d":"\\"}"}]}}\n{"e":2}{"f":3}';
  const whole = new JsonObjectSplitter();
  const expected = [...whole.push(Buffer.from(text)), ...whole.end()].map(show);
  for (let cut = 1; cut < text.length; cut++) {
    const s = new JsonObjectSplitter();
    const got = [...s.push(Buffer.from(text.slice(0, cut))), ...s.push(Buffer.from(text.slice(cut))), ...s.end()].map(show);
    assert.deepEqual(got, expected, `cut at ${cut}`);
  }
  assert.deepEqual(expected, [`${text.slice(0, text.indexOf('\n'))}@0:1`, `{"e":2}@${text.indexOf('{"e"')}:2`, `{"f":3}@${text.indexOf('{"f"')}:2`]);

  const deep = new JsonObjectSplitter({ maxDepth: 3, maxObjectBytes: 1000 });
  const out = [...deep.push(Buffer.from('{"a":{"b":{"c":{"d":1}}}}\n{"ok":1}\n')), ...deep.end()];
  assert.deepEqual(out.map((i) => (i.kind === 'error' ? i.code : show(i))), ['json.too-deep', '{"ok":1}@26:2']);

  const big = new JsonObjectSplitter({ maxDepth: 10, maxObjectBytes: 50 });
  const out2 = [...big.push(Buffer.from(`{"a":"${'z'.repeat(100)}"}\n{"ok":2}\n`)), ...big.end()];
  assert.deepEqual(out2.map((i) => (i.kind === 'error' ? i.code : show(i))), ['json.too-large', '{"ok":2}@109:2']);

  const cut = new JsonObjectSplitter();
  const out3 = [...cut.push(Buffer.from('{"ok":3}\n{"a": [1, 2')), ...cut.end()];
  assert.deepEqual(out3.map((i) => (i.kind === 'error' ? `${i.code}@${i.line}` : show(i))), ['{"ok":3}@0:1', 'json.truncated@2']);
});

function show(i: SplitItem): string {
  return i.kind === 'object' ? `${i.bytes.toString()}@${i.offset}:${i.line}` : `${i.code}:${i.message}`;
}

test('ECS documents (Winlogbeat nested and dotted) map onto canonical fields', async (t) => {
  const nested = {
    '@timestamp': '2025-05-06T07:08:09.123Z',
    event: { code: '1', provider: 'Microsoft-Windows-Sysmon', kind: 'event' },
    host: { name: 'lab-host' },
    message: 'Process Create: ...',
    process: { executable: 'C:\\Tools\\run.exe', command_line: 'run.exe -q', pid: 77, parent: { executable: 'C:\\Windows\\explorer.exe' } },
    user: { name: 'ana', domain: 'LAB' },
    winlog: {
      channel: 'Microsoft-Windows-Sysmon/Operational',
      provider_name: 'Microsoft-Windows-Sysmon',
      event_id: 1,
      computer_name: 'lab-host.lab.example',
      record_id: 5150,
      user: { identifier: 'S-1-5-18' },
      event_data: { RuleName: '-', IntegrityLevel: 'High', Hashes: 'SHA256=00AA' },
      process: { pid: 1800, thread: { id: 2200 } },
    },
  };
  const dotted = {
    '@timestamp': '2025-05-06T07:08:10Z',
    'event.code': '4688',
    'winlog.channel': 'Security',
    'winlog.provider_name': 'Microsoft-Windows-Security-Auditing',
    'winlog.computer_name': 'dc-1',
    'winlog.record_id': '99',
    'winlog.event_data.NewProcessName': 'C:\\Windows\\System32\\net.exe',
    'process.executable': 'C:\\Windows\\System32\\net.exe',
  };
  const { items } = await readJson(t, `${JSON.stringify(nested)}\n${JSON.stringify(dotted)}\n`);
  const [a, b] = events(items);
  assert.equal(a!.provenance.format, 'ecs-json');
  assert.deepEqual([a!.eventId, a!.channel, a!.provider, a!.computer, a!.time, a!.provenance.recordId], [1, 'Microsoft-Windows-Sysmon/Operational', 'Microsoft-Windows-Sysmon', 'lab-host.lab.example', '2025-05-06T07:08:09.123Z', 5150]);
  assert.equal(a!.fields['IntegrityLevel'], 'High');
  assert.equal(a!.fields['Image'], 'C:\\Tools\\run.exe');
  assert.equal(a!.fields['CommandLine'], 'run.exe -q');
  assert.equal(a!.fields['ParentImage'], 'C:\\Windows\\explorer.exe');
  assert.equal(a!.fields['User'], 'LAB\\ana');
  assert.equal(a!.fields['Security_UserID'], 'S-1-5-18');
  assert.equal(a!.fields['Execution_ProcessID'], 1800);
  assert.equal(a!.fields['process.pid'], 77);
  assert.equal(JSON.parse(a!.render('json'))['winlog']['record_id'], 5150);
  assert.match(a!.render('xml'), /<Data Name="Image">C:\\Tools\\run\.exe<\/Data>/);
  assert.doesNotMatch(a!.render('xml'), /Name="process\.pid"/);
  assert.deepEqual([b!.eventId, b!.channel, b!.computer, b!.provenance.recordId], [4688, 'Security', 'dc-1', 99]);
  assert.equal(b!.fields['NewProcessName'], 'C:\\Windows\\System32\\net.exe');
  assert.equal(b!.fields['Image'], undefined, 'Sysmon back-mapping applies to Sysmon events only');
});

test('flat JSON keeps its fields and adds canonical aliases', async (t) => {
  const ps = { Id: 4104, LogName: 'Microsoft-Windows-PowerShell/Operational', MachineName: 'ws-4', ProviderName: 'Microsoft-Windows-PowerShell', RecordId: 31, TimeCreated: '/Date(1735689600000)/', Message: 'Creating Scriptblock text' };
  const plain = { EventCode: '4625', host: 'fs-2', _time: '2025-01-05 06:07:08', nested: { a: 1, list: ['x', 'y'] } };
  const { items } = await readJson(t, `${JSON.stringify(ps)}\n${JSON.stringify(plain)}\n`, 'flat.jsonl');
  const [a, b] = events(items);
  assert.deepEqual([a!.eventId, a!.channel, a!.computer, a!.provider, a!.time, a!.provenance.recordId], [4104, 'Microsoft-Windows-PowerShell/Operational', 'ws-4', 'Microsoft-Windows-PowerShell', '2025-01-01T00:00:00.000Z', 31]);
  assert.equal(a!.fields['Id'], 4104);
  assert.equal(a!.fields['Message'], 'Creating Scriptblock text');
  assert.deepEqual([b!.eventId, b!.computer, b!.time], [4625, 'fs-2', '2025-01-05T06:07:08Z']);
  assert.equal(b!.fields['nested.a'], 1);
  assert.deepEqual(b!.fields['nested.list'], ['x', 'y']);
  assert.equal(b!.provenance.format, 'flat-json');
  assert.equal(b!.render('json'), JSON.stringify(plain));
});

test('forcing flat-json on evtx_dump records keeps the raw nesting as dotted fields', async (t) => {
  const dir = tempDir(t);
  const f = path.join(dir, 'x.json');
  writeFileSync(f, JSON.stringify(sysmonRecord(9, 'C:\\z.exe')));
  const { inputs } = await openAll([f]);
  const ev = events(await readAll(inputs[0]!, { inputFormat: 'flat-json' }))[0]!;
  assert.equal(ev.provenance.format, 'flat-json');
  assert.equal(ev.fields['Event.EventData.Image'], 'C:\\z.exe');
});

test('Elasticsearch hits are read through _source', async (t) => {
  const hit = { _index: 'winlogbeat-2025.05', _id: 'abc', _source: { '@timestamp': '2025-05-06T00:00:00Z', winlog: { channel: 'System', event_id: 7045, record_id: 3 } } };
  const { items } = await readJson(t, `${JSON.stringify(hit)}\n`, 'export.ndjson');
  const ev = events(items)[0]!;
  assert.deepEqual([ev.provenance.format, ev.eventId, ev.channel, ev.provenance.recordId], ['ecs-json', 7045, 'System', 3]);
  assert.equal(ev.render('json'), JSON.stringify(hit));
});
