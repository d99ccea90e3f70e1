import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { XmlChild, XmlDocument, XmlElement, XmlValue } from '../../src/core/xml-tree.js';
import { flattenTree } from '../../src/normalize/flatten-tree.js';
import { eventFromTree } from '../../src/normalize/tree-event.js';
import { parseXmlDocument } from '../../src/sources/text/xml-parse.js';

const v = (text: string, json: XmlValue['json'] = text): XmlValue => ({ kind: 'value', text, json });
const el = (name: string, attrs: Record<string, XmlValue>, children: XmlChild[] = []): XmlElement => ({
  kind: 'element',
  name,
  attributes: Object.entries(attrs).map(([n, val]) => ({ name: n, parts: [val] })),
  children,
});
const eventWith = (...sections: XmlElement[]): XmlDocument => ({ kind: 'document', children: [el('Event', { xmlns: v('urn:x') }, sections)] });

const SYSTEM = el('System', {}, [
  el('Provider', { Name: v('Microsoft-Windows-Sysmon'), Guid: v('{5770385F-C22A-43E0-BF4C-06F5698FFBD9}', '5770385F-C22A-43E0-BF4C-06F5698FFBD9'), EventSourceName: v('', null) }),
  el('EventID', { Qualifiers: v('16384', 16384) }, [v('1', 1)]),
  el('Version', {}, [v('5', 5)]),
  el('Level', {}, [v('4', 4)]),
  el('Task', {}, [v('1', 1)]),
  el('Opcode', {}, [v('0', 0)]),
  el('Keywords', {}, [v('0x8000000000000000')]),
  el('TimeCreated', { SystemTime: v('2020-10-08T11:03:46.617920300Z', '2020-10-08T11:03:46.617920Z') }),
  el('EventRecordID', {}, [v('4522', 4522)]),
  el('Correlation', { ActivityID: v('{AA}', 'AA') }),
  el('Execution', { ProcessID: v('2912', 2912), ThreadID: v('3424', 3424) }),
  el('Channel', {}, [v('Microsoft-Windows-Sysmon/Operational')]),
  el('Computer', {}, [v('host-1')]),
  el('Security', { UserID: v('S-1-5-18') }),
]);

test('System fields', () => {
  const f = flattenTree(eventWith(SYSTEM));
  assert.deepEqual(f, {
    Provider_Name: 'Microsoft-Windows-Sysmon',
    Provider_Guid: '{5770385F-C22A-43E0-BF4C-06F5698FFBD9}',
    EventID_Qualifiers: 16384,
    EventID: 1,
    Version: 5,
    Level: 4,
    Task: 1,
    Opcode: 0,
    Keywords: '0x8000000000000000',
    TimeCreated: '2020-10-08T11:03:46.617920300Z',
    EventRecordID: 4522,
    Correlation_ActivityID: '{AA}',
    Execution_ProcessID: 2912,
    Execution_ThreadID: 3424,
    Channel: 'Microsoft-Windows-Sysmon/Operational',
    Computer: 'host-1',
    Security_UserID: 'S-1-5-18',
  });
});

test('EventData: names, duplicates as lists, typed numbers, empty Data, Binary', () => {
  const f = flattenTree(
    eventWith(
      el('EventData', {}, [
        el('Data', { Name: v('ProcessId') }, [v('4460', 4460)]),
        el('Data', { Name: v('Image') }, [v('C:\\a.exe')]),
        el('Data', { Name: v('Dup') }, [v('x')]),
        el('Data', { Name: v('Dup') }, [v('y')]),
        el('Data', { Name: v('Empty') }, []),
        el('Data', { Name: v('Channel') }, [v('payload channel')]),
        el('Binary', {}, [v('C1000000')]),
      ]),
    ),
  );
  assert.deepEqual(f, { ProcessId: 4460, Image: 'C:\\a.exe', Dup: ['x', 'y'], Empty: '', EventData_Channel: 'payload channel', Binary: 'C1000000' });
});

test('unnamed Data: Data scalar or list, plus Data[n]', () => {
  assert.deepEqual(flattenTree(eventWith(el('EventData', {}, [el('Data', {}, [v('only')])]))), { Data: 'only', 'Data[1]': 'only' });
  assert.deepEqual(flattenTree(eventWith(el('EventData', {}, [el('Data', {}, [v('a')]), el('Data', {}, []), el('Data', {}, [v('7', 7)])]))), {
    Data: ['a', '', 7],
    'Data[1]': 'a',
    'Data[2]': '',
    'Data[3]': 7,
  });
});

test('UserData leaves and attributes, lists on collision, xmlns skipped', () => {
  const f = flattenTree(
    eventWith(
      el('UserData', {}, [
        el('LogFileCleared', { xmlns: v('urn:u') }, [
          el('SubjectUserName', {}, [v('admin')]),
          el('Channel', {}, [v('Security')]),
          el('Item', { Id: v('1') }, [v('a')]),
          el('Item', { Id: v('2') }, [v('b')]),
        ]),
      ]),
    ),
  );
  assert.deepEqual(f, { SubjectUserName: 'admin', UserData_Channel: 'Security', Item_Id: ['1', '2'], Item: ['a', 'b'] });
});

test('RenderingInfo: Message and rendered names', () => {
  const f = flattenTree(
    eventWith(
      el('RenderingInfo', { Culture: v('en-US') }, [
        el('Message', {}, [v('A process was created.')]),
        el('Level', {}, [v('Information')]),
        el('Task', {}, [v('Process Creation')]),
        el('Opcode', {}, [v('Info')]),
        el('Channel', {}, [v('Security')]),
        el('Provider', {}, [v('Microsoft Windows security auditing.')]),
        el('Keywords', {}, [el('Keyword', {}, [v('Audit Success')])]),
      ]),
    ),
  );
  assert.deepEqual(f, {
    RenderingInfo_Culture: 'en-US',
    Message: 'A process was created.',
    RenderingInfo_Level: 'Information',
    RenderingInfo_Task: 'Process Creation',
    RenderingInfo_Opcode: 'Info',
    RenderingInfo_Channel: 'Security',
    RenderingInfo_Provider: 'Microsoft Windows security auditing.',
    RenderingInfo_Keywords: 'Audit Success',
  });
});

test('references decode in field values', () => {
  const doc = parseXmlDocument("<Event><EventData><Data Name='CommandLine'>cmd /c a &amp; b &gt; c</Data></EventData></Event>", 'f');
  assert.equal(flattenTree(doc)['CommandLine'], 'cmd /c a & b > c');
});

test('eventFromTree pulls the routing facts and renders lazily', () => {
  const tree = eventWith(SYSTEM, el('EventData', {}, [el('Data', { Name: v('Image') }, [v('x.exe')])]));
  const ev = eventFromTree(tree, { file: 'f.evtx', format: 'evtx', recordId: 4522, offset: 512 });
  assert.equal(ev.time, '2020-10-08T11:03:46.617920300Z');
  assert.equal(ev.channel, 'Microsoft-Windows-Sysmon/Operational');
  assert.equal(ev.provider, 'Microsoft-Windows-Sysmon');
  assert.equal(ev.eventId, 1);
  assert.equal(ev.computer, 'host-1');
  assert.ok(ev.render('xml').includes('<Data Name="Image">x.exe</Data>'));
  assert.equal(ev.render('xml'), ev.render('xml'));
  const json = JSON.parse(ev.render('json')) as { Event: { EventData: unknown } };
  assert.deepEqual(json.Event.EventData, { Image: 'x.exe' });
});

test('SystemTime in other spellings becomes ISO UTC', () => {
  const tree = eventWith(el('System', {}, [el('TimeCreated', { SystemTime: v('2021-02-03 04:05:06.789') })]));
  assert.equal(flattenTree(tree)['TimeCreated'], '2021-02-03T04:05:06.789Z');
});

test('elements flagged emptyOptional give no field', () => {
  const skipped: XmlElement = { ...el('Data', { Name: v('Gone') }), emptyOptional: true };
  const binary: XmlElement = { ...el('Binary', {}), emptyOptional: true };
  assert.deepEqual(flattenTree(eventWith(el('EventData', {}, [skipped, el('Data', { Name: v('Kept') }, []), binary]))), { Kept: '' });
});
