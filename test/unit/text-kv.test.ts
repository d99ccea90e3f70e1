import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { events, openAll, problems, readAll, tempDir } from './inputs-helpers.js';
import { parseKvPairs } from '../../src/sources/text/kv-lines.js';

test('parseKvPairs: quoted values keep backslashes; unquoted values run to the next key', () => {
  assert.deepEqual(parseKvPairs('Name="CustomModule" Image="C:\\x\\evil.dll"'), [
    ['Name', 'CustomModule'],
    ['Image', 'C:\\x\\evil.dll'],
  ]);
  assert.deepEqual(parseKvPairs('Image=C:\\Program Files\\App\\a.exe Name=x  Empty="" q=\'it is\''), [
    ['Image', 'C:\\Program Files\\App\\a.exe'],
    ['Name', 'x'],
    ['Empty', ''],
    ['q', 'it is'],
  ]);
  assert.deepEqual(parseKvPairs('a=1,b=2; c="x,y"'), [
    ['a', '1'],
    ['b', '2'],
    ['c', 'x,y'],
  ]);
  assert.deepEqual(parseKvPairs('path="C:\\dir\\" next=1'), [
    ['path', 'C:\\dir\\'],
    ['next', '1'],
  ]);
  assert.deepEqual(parseKvPairs('open="never closed here'), [['open', 'never closed here']]);
  assert.deepEqual(parseKvPairs('no pairs at all'), []);
});

test('kv lines: one event per line, leading timestamps, aliases, located errors', async (t) => {
  const dir = tempDir(t);
  const f = path.join(dir, 'modules.log');
  const lines = [
    '# Get-WebGlobalModule inventory',
    'Name="CustomModule" Image="C:\\x\\evil.dll" host=web-01',
    '',
    '2025-06-01T12:00:00Z Name="UriCacheModule" Image="%windir%\\System32\\inetsrv\\cachuri.dll" host=web-01',
    'this line has no pairs',
    '06/01/2025 01:02:03 PM EventCode=4624 ComputerName=dc-2 Name=a Name=b',
    '13/45/2025 01:02:03 PM EventCode=1',
  ];
  writeFileSync(f, lines.join('\n'));
  const { inputs } = await openAll([f]);
  const items = await readAll(inputs[0]!);
  const evs = events(items);
  assert.equal(evs.length, 3);
  assert.deepEqual(evs.map((e) => e.provenance.line), [2, 4, 6]);
  assert.ok(evs.every((e) => e.provenance.format === 'kv' && e.provenance.file === f));
  assert.equal(evs[0]!.fields['Image'], 'C:\\x\\evil.dll');
  assert.equal(evs[0]!.computer, 'web-01');
  assert.equal(evs[0]!.time, null);
  assert.equal(evs[1]!.time, '2025-06-01T12:00:00Z');
  assert.equal(evs[1]!.provenance.offset, Buffer.byteLength(lines.slice(0, 3).join('\n')) + 1);
  assert.equal(evs[2]!.eventId, 4624);
  assert.equal(evs[2]!.computer, 'dc-2');
  assert.equal(evs[2]!.time, '2025-06-01T13:02:03Z');
  assert.deepEqual(evs[2]!.fields['Name'], ['a', 'b']);
  assert.deepEqual(
    problems(items, 'record-error').map((d) => [d.code, d.location.line]),
    [
      ['kv.no-pairs', 5],
      ['kv.bad-time', 7],
    ],
  );
  assert.match(evs[0]!.render('xml'), /<Data Name="Image">C:\\x\\evil\.dll<\/Data>/);
  assert.equal(JSON.parse(evs[0]!.render('json'))['Name'], 'CustomModule');
});
