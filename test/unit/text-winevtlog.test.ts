import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { events, openAll, problems, readAll, tempDir } from './inputs-helpers.js';
import { cleanLabel } from '../../src/sources/text/winevtlog.js';

// Modelled on Splunk's classic WinEventLog text; hosts, users and paths are invented.
const PROCESS_EVENT = [
  '07/04/2025 11:05:09 PM',
  'LogName=Security',
  'EventCode=4688',
  'EventType=0',
  'ComputerName=wks-17.lab.example',
  'SourceName=Microsoft Windows security auditing.',
  'Type=Information',
  'RecordNumber=90211',
  'Keywords=Audit Success',
  'TaskCategory=Process Creation',
  'OpCode=Info',
  'Message=A new process has been created.',
  '',
  'Creator Subject:',
  '\tSecurity ID:\t\tS-1-5-21-1111-2222-3333-1001',
  '\tAccount Name:\t\tkim',
  '\tAccount Domain:\t\tLAB',
  '\tLogon ID:\t\t0x5A1F0',
  '',
  'Target Subject:',
  '\tSecurity ID:\t\tS-1-0-0',
  '\tAccount Name:\t\t-',
  '',
  'Process Information:',
  '\tNew Process ID:\t\t0x1c2c',
  '\tNew Process Name:\tC:\\Tools\\probe.exe',
  '\tCreator Process Name:\tC:\\Windows\\explorer.exe',
  '\tProcess Command Line:\t"C:\\Tools\\probe.exe" --scan http://intranet.example/x',
  '\tEventCode:\tfake',
  '',
];

const IIS_EVENT = [
  '10/24/2024 03:14:05 AM',
  'LogName=Microsoft-IIS-Configuration/Operational',
  'EventCode=29',
  'EventType=4',
  'ComputerName=web-02.lab.example',
  'User=NOT_TRANSLATED',
  'Sid=S-1-5-21-9-8-7-500',
  'SidType=0',
  'SourceName=Microsoft-Windows-IIS-Configuration',
  'Type=Information',
  'RecordNumber=77',
  'Keywords=None',
  'TaskCategory=None',
  'OpCode=Info',
  "Message=Changes to '/system.webServer/globalModules/add[@name='SpyModule']' at 'MACHINE/WEBROOT/APPHOST' have successfully been committed.",
];

const SYSMON_EVENT = [
  '01/02/2025 12:00:01 AM',
  'LogName=Microsoft-Windows-Sysmon/Operational',
  'EventCode=1',
  'ComputerName=wks-3',
  'SourceName=Microsoft-Windows-Sysmon',
  'RecordNumber=5',
  'Message=Process Create:',
  'RuleName: -',
  'Image: C:\\Windows\\System32\\whoami.exe',
  'CommandLine: whoami /all',
  'ParentImage: C:\\Windows\\System32\\cmd.exe',
];

async function readText(t: Parameters<typeof tempDir>[0], text: string) {
  const dir = tempDir(t);
  const f = path.join(dir, 'wineventlog.txt');
  writeFileSync(f, text);
  const { inputs } = await openAll([f]);
  return { file: f, items: await readAll(inputs[0]!) };
}

test('WinEventLog blocks: header keys, canonical fields, time, provenance', async (t) => {
  const { file, items } = await readText(t, [...PROCESS_EVENT, ...IIS_EVENT].join('\r\n') + '\r\n');
  const evs = events(items);
  assert.equal(evs.length, 2);
  assert.deepEqual(problems(items, 'record-error'), []);
  const [proc, iis] = evs;
  assert.equal(proc!.eventId, 4688);
  assert.equal(proc!.channel, 'Security');
  assert.equal(proc!.computer, 'wks-17.lab.example');
  // The legacy source name stands for the provider the XML form names; SourceName stays as written.
  assert.equal(proc!.provider, 'Microsoft-Windows-Security-Auditing');
  assert.equal(proc!.fields['SourceName'], 'Microsoft Windows security auditing.');
  assert.equal(proc!.time, '2025-07-04T23:05:09Z');
  assert.equal(proc!.fields['EventCode'], '4688');
  assert.equal(proc!.fields['EventID'], 4688);
  assert.equal(proc!.fields['LogName'], 'Security');
  assert.equal(proc!.fields['Channel'], 'Security');
  assert.equal(proc!.fields['TaskCategory'], 'Process Creation');
  assert.equal(proc!.fields['EventRecordID'], 90211);
  assert.deepEqual(proc!.provenance, { file, format: 'winevtlog', recordId: 90211, offset: 0, line: 1 });
  assert.equal(iis!.provenance.line, PROCESS_EVENT.length + 1);
  assert.equal(iis!.time, '2024-10-24T03:14:05Z');
  assert.equal(iis!.fields['Security_UserID'], 'S-1-5-21-9-8-7-500');
  assert.match(String(iis!.fields['Message']), /^Changes to '\/system\.webServer\/globalModules\/add\[@name='SpyModule'\]'/);
});

test('WinEventLog message labels: names, sections, repeats and collisions', async (t) => {
  const { items } = await readText(t, PROCESS_EVENT.join('\n'));
  const f = events(items)[0]!.fields;
  assert.equal(f['New_Process_Name'], 'C:\\Tools\\probe.exe');
  assert.equal(f['Process_Command_Line'], '"C:\\Tools\\probe.exe" --scan http://intranet.example/x');
  assert.deepEqual(f['Security_ID'], ['S-1-5-21-1111-2222-3333-1001', 'S-1-0-0']);
  assert.equal(f['Creator_Subject.Account_Name'], 'kim');
  assert.equal(f['Target_Subject.Account_Name'], '-');
  assert.equal(f['Process_Information.New_Process_ID'], '0x1c2c');
  // A label colliding with a header key never overwrites it.
  assert.equal(f['EventCode'], '4688');
  assert.equal(f['Process_Information.EventCode'], 'fake');
  const message = String(f['Message']);
  assert.ok(message.startsWith('A new process has been created.\n\nCreator Subject:\n\tSecurity ID:'));
  assert.ok(message.endsWith('\tEventCode:\tfake'), 'trailing blank lines are trimmed');
});

test('WinEventLog Sysmon-style messages give the EventData names directly', async (t) => {
  const { items } = await readText(t, SYSMON_EVENT.join('\n'));
  const f = events(items)[0]!.fields;
  assert.equal(f['Image'], 'C:\\Windows\\System32\\whoami.exe');
  assert.equal(f['CommandLine'], 'whoami /all');
  assert.equal(f['Process_Create.Image'], undefined);
  assert.equal(events(items)[0]!.time, '2025-01-02T00:00:01Z');
});

test('WinEventLog: malformed blocks in the middle are located errors; reading goes on', async (t) => {
  const text = [
    'stray line before any event',
    ...SYSMON_EVENT,
    '02/30/2025 10:00:00 AM',
    'LogName=Security',
    'EventCode=4624',
    '03/01/2025 10:00:00 AM',
    'LogName=Security',
    'ComputerName=no-code',
    '03/01/2025 10:00:01 AM',
    'LogName=Security',
    'EventCode=forty',
    ...IIS_EVENT,
  ].join('\n');
  const { file, items } = await readText(t, text);
  assert.deepEqual(events(items).map((e) => e.eventId), [1, 29]);
  const errs = problems(items, 'record-error');
  assert.deepEqual(
    errs.map((d) => [d.code, d.location.line]),
    [
      ['winevtlog.orphan-lines', 1],
      ['winevtlog.bad-time', SYSMON_EVENT.length + 2],
      ['winevtlog.no-event-code', SYSMON_EVENT.length + 5],
      ['winevtlog.bad-event-code', SYSMON_EVENT.length + 8],
    ],
  );
  assert.ok(errs.every((d) => d.location.file === file && typeof d.location.offset === 'number'));
});

test('WinEventLog: synthesized XML carries the System facts and message fields', async (t) => {
  const { items } = await readText(t, IIS_EVENT.join('\n'));
  const ev = events(items)[0]!;
  const xml = ev.render('xml');
  assert.match(xml, /<EventID>29<\/EventID>/);
  assert.match(xml, /<Channel>Microsoft-IIS-Configuration\/Operational<\/Channel>/);
  assert.match(xml, /<TimeCreated SystemTime="2024-10-24T03:14:05Z"\/>/);
  assert.match(xml, /<Data Name="OpCode">Info<\/Data>/);
  assert.equal(JSON.parse(ev.render('json'))['ComputerName'], 'web-02.lab.example');
});

test('cleanLabel follows Splunk CLEAN_KEYS', () => {
  assert.equal(cleanLabel('New Process Name'), 'New_Process_Name');
  assert.equal(cleanLabel('Process ID (PID)'), 'Process_ID_PID');
  assert.equal(cleanLabel('  Logon GUID '), 'Logon_GUID');
});

test('WinEventLog: a bare timestamp line inside a Message does not split the event', async (t) => {
  const withStamp = [...SYSMON_EVENT.slice(0, 7), 'Scheduled at:', '01/02/2025 12:00:00 AM', 'Image: C:\\a.exe'];
  const { items } = await readText(t, [...withStamp, ...IIS_EVENT, '05/05/2025 05:05:05 AM'].join('\n'));
  const evs = events(items);
  assert.deepEqual(evs.map((e) => e.eventId), [1, 29]);
  assert.match(String(evs[0]!.fields['Message']), /Scheduled at:\n01\/02\/2025 12:00:00 AM\nImage: C:\\a\.exe$/);
  // A trailing timestamp with nothing after it is an event block without EventCode.
  assert.deepEqual(problems(items, 'record-error').map((d) => [d.code, d.location.line]), [['winevtlog.no-event-code', withStamp.length + IIS_EVENT.length + 1]]);
});
