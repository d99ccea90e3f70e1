import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectFormat } from '../../src/sources/detect.js';
import type { InputFormat } from '../../src/core/event.js';

const WINEVTLOG_SAMPLE = [
  '03/14/2025 09:15:42 PM',
  'LogName=Security',
  'EventCode=4688',
  'EventType=0',
  'ComputerName=host-a.corp.test',
  'Message=A new process has been created.',
  '',
].join('\r\n');

const cases: ReadonlyArray<readonly [string, Buffer | string, InputFormat | null, string?]> = [
  ['evtx file header', Buffer.concat([Buffer.from('ElfFile\0', 'latin1'), Buffer.alloc(120)]), 'evtx'],
  ['bare evtx chunk', Buffer.concat([Buffer.from('ElfChnk\0', 'latin1'), Buffer.alloc(120)]), 'evtx'],
  ['evtx with damaged header but a chunk at 4096', Buffer.concat([Buffer.alloc(4096, 0x41), Buffer.from('ElfChnk\0', 'latin1'), Buffer.alloc(64)]), 'evtx'],
  ['binary junk named .evtx', Buffer.from([0, 1, 2, 3, 4, 5, 6, 7]), 'evtx', 'broken.evtx'],
  ['binary junk', Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 0xff, 0xfe]), null],
  ['single XmlWinEventLog line', "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System/></Event>", 'xml'],
  ['xml declaration then Events', '<?xml version="1.0" encoding="utf-8"?>\n<Events>\n<Event><System/></Event></Events>', 'xml'],
  ['xml that is not events', '<?xml version="1.0"?>\n<Project Sdk="x"></Project>', null],
  ['evtx_dump pretty object', '{\n  "Event": {\n    "System": {}\n  }\n}\n', 'evtx-json'],
  ['evtx_dump with Record banner', 'Record 7\n{\n  "Event": {"System": {}}\n}\n', 'evtx-json'],
  ['evtx_dump jsonl', '{"Event":{"System":{"EventID":1}}}\n{"Event":{"System":{"EventID":2}}}\n', 'evtx-json'],
  ['evtx_dump array', '[\n {"Event":{"System":{}}},\n {"Event":{"System":{}}}\n]', 'evtx-json'],
  ['winlogbeat nested', '{"@timestamp":"2025-01-01T00:00:00Z","winlog":{"channel":"Security","event_id":4624}}\n', 'ecs-json'],
  ['ecs dotted keys', '{"@timestamp":"2025-01-01T00:00:00Z","winlog.channel":"Security"}\n', 'ecs-json'],
  ['ecs event.code only', '{"@timestamp":"2025-01-01T00:00:00Z","event":{"code":"4624"},"host":{"name":"x"}}\n', 'ecs-json'],
  ['flat json', '{"EventID": 4688, "Computer": "h1", "NewProcessName": "C:\\\\x.exe"}\n', 'flat-json'],
  ['winevtlog block', WINEVTLOG_SAMPLE, 'winevtlog'],
  ['winevtlog after a blank line', `\n${WINEVTLOG_SAMPLE}`, 'winevtlog'],
  ['kv lines', 'Name="CustomModule" Image="C:\\x\\evil.dll"\nName="Other" Image="C:\\y.dll"\n', 'kv'],
  ['kv with leading timestamp', '2025-02-01T10:00:00Z host=a action=allowed\n2025-02-01T10:00:01Z host=b action=blocked\n', 'kv'],
  ['prose', 'This is a README.\nIt explains things = sometimes.\n', null],
  ['yaml', 'title: rule\nid: 1234\nlogsource:\n  product: windows\n', null],
  ['empty', '', null],
  ['only whitespace', '  \n\n ', null],
  ['utf-8 bom before json', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"Event":{"System":{}}}\n')]), 'evtx-json'],
  ['utf-16le with bom, xml', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('<Events><Event></Event></Events>', 'utf16le')]), 'xml'],
];

for (const [label, content, expected, name] of cases) {
  test(`detectFormat: ${label} → ${expected ?? 'null'}`, () => {
    const head = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    assert.equal(detectFormat(head, name ?? 'input.bin'), expected);
  });
}

test('detectFormat ignores the file extension when content decides', () => {
  assert.equal(detectFormat(Buffer.from('{"EventID":1}\n'), 'looks-like.evtx'), 'flat-json');
  assert.equal(detectFormat(Buffer.from('ElfFile\0'.padEnd(64, '\0'), 'latin1'), 'logs.json'), 'evtx');
});
