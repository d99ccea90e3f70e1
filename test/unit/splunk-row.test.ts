/** Splunk rows: events read through the real readers, as Splunk's Windows add-on would show them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { VigilEvent } from '../../src/core/event.js';
import { compileView, applyView, applyTransform } from '../../src/normalize/views.js';
import { compileWildcard, loadEventtypes, wildcardMatches } from '../../src/splunk/eventtypes.js';
import { LocatedError } from '../../src/core/diagnostics.js';
import { splunkRow } from '../../src/splunk/row.js';
import { epochSeconds } from '../../src/splunk/values.js';
import type { Row, SplValue } from '../../src/spl/exec/types.js';
import { events, openAll, readAll, tempDir } from './inputs-helpers.js';

interface XmlSpec {
  readonly provider: string;
  readonly eventId: number;
  readonly channel: string;
  readonly qualifiers?: number;
  readonly computer?: string;
  readonly time?: string;
  readonly userId?: string;
  readonly opcode?: number;
  readonly keywords?: string;
  readonly data: ReadonlyArray<readonly [string, string]>;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** One event in the XmlWinEventLog shape (single-quoted attributes, one line). */
function eventXml(s: XmlSpec): string {
  const eventId = s.qualifiers === undefined ? `<EventID>${s.eventId}</EventID>` : `<EventID Qualifiers='${s.qualifiers}'>${s.eventId}</EventID>`;
  const security = s.userId === undefined ? '<Security/>' : `<Security UserID='${s.userId}'/>`;
  const data = s.data.map(([n, v]) => (v === '' ? `<Data Name='${n}'/>` : `<Data Name='${n}'>${esc(v)}</Data>`)).join('');
  return (
    `<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='${s.provider}'/>${eventId}` +
    `<Version>0</Version><Level>4</Level><Task>0</Task><Opcode>${s.opcode ?? 0}</Opcode><Keywords>${s.keywords ?? '0x8000000000000000'}</Keywords>` +
    `<TimeCreated SystemTime='${s.time ?? '2024-06-19T01:48:34.734884800Z'}'/><EventRecordID>42</EventRecordID><Correlation/>` +
    `<Execution ProcessID='4' ThreadID='8'/><Channel>${s.channel}</Channel><Computer>${s.computer ?? 'web-01.corp.example'}</Computer>${security}</System>` +
    `<EventData>${data}</EventData></Event>`
  );
}

async function readText(t: { after(fn: () => void): void }, name: string, text: string): Promise<VigilEvent[]> {
  const dir = tempDir(t);
  const file = path.join(dir, name);
  writeFileSync(file, text);
  const { inputs, errors } = await openAll([file]);
  assert.deepEqual(errors, []);
  const out = events(await readAll(inputs[0]!));
  assert.ok(out.length > 0, `no event read from ${name}`);
  return out;
}

async function readXml(t: { after(fn: () => void): void }, spec: XmlSpec): Promise<VigilEvent> {
  return (await readText(t, 'events.xml', eventXml(spec) + '\n'))[0]!;
}

function values(row: Row, name: string): readonly SplValue[] {
  const v = row.get(name);
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

const SYSMON = 'Microsoft-Windows-Sysmon';
const SYSMON_CHANNEL = 'Microsoft-Windows-Sysmon/Operational';

test('Sysmon 1: add-on names, metadata, time, entity re-encoding, eventtypes', async (t) => {
  const e = await readXml(t, {
    provider: SYSMON,
    eventId: 1,
    channel: SYSMON_CHANNEL,
    time: '2020-10-08T11:03:46.617920300Z',
    userId: 'S-1-5-18',
    data: [
      ['ProcessId', '2296'],
      ['Image', 'C:\\Windows\\System32\\cmd.exe'],
      ['CommandLine', '"C:\\Windows\\system32\\cmd.exe" /c "whoami & ver > out.txt"'],
      ['User', 'CORP\\bob'],
      ['IntegrityLevel', 'High'],
      ['ParentImage', 'C:\\Windows\\explorer.exe'],
      ['ParentCommandLine', 'C:\\Windows\\Explorer.EXE'],
      ['OriginalFileName', 'Cmd.Exe'],
    ],
  });
  const row = splunkRow(e);
  assert.equal(row.get('_time'), 1602155026.61792);
  assert.equal(row.get('host'), 'web-01.corp.example');
  assert.equal(row.get('index'), 'main');
  assert.equal(row.get('source'), 'XmlWinEventLog:Microsoft-Windows-Sysmon/Operational');
  assert.equal(row.get('sourcetype'), 'XmlWinEventLog');
  assert.equal(row.get('EventCode'), '1');
  assert.equal(row.get('ProcessId'), '2296'); // text, as extracted from the XML
  assert.equal(row.get('dest'), 'web-01.corp.example');
  assert.equal(row.get('user'), 'CORP\\bob');
  assert.equal(row.get('user_id'), 'S-1-5-18');
  assert.equal(row.get('process_name'), 'cmd.exe');
  // The add-on copies raw XML text: & and > stay entities, quotes stay literal.
  assert.equal(row.get('CommandLine'), '"C:\\Windows\\system32\\cmd.exe" /c "whoami &amp; ver &gt; out.txt"');
  assert.equal(row.get('process'), row.get('CommandLine'));
  assert.equal(splunkRow(e, { encodeEntities: false }).get('process'), '"C:\\Windows\\system32\\cmd.exe" /c "whoami & ver > out.txt"');
  // Vigil's flattened System names are not Splunk fields; the bare attribute names are.
  assert.equal(row.has('Provider_Name'), false);
  assert.equal(row.get('Name'), SYSMON);
  assert.equal(row.get('ProcessID'), '4');
  assert.ok(values(row, 'eventtype').includes('ms-sysmon-process'));
  assert.ok(values(row, 'eventtype').includes('endpoint_services_processes'));
  for (const tag of ['process', 'report']) assert.ok(values(row, 'tag').includes(tag), `tag ${tag}`);
  assert.equal(row.has('_raw'), false);
  const raw = splunkRow(e, { raw: true }).get('_raw');
  assert.ok(typeof raw === 'string' && raw.startsWith('<Event') && raw.includes('whoami &amp; ver &gt; out.txt'));
});

test('Security 4688: hex ids kept, user from SubjectUserName, process from NewProcessName + arguments', async (t) => {
  const e = await readXml(t, {
    provider: 'Microsoft-Windows-Security-Auditing',
    eventId: 4688,
    channel: 'Security',
    keywords: '0x8020000000000000',
    data: [
      ['SubjectUserSid', 'S-1-5-18'],
      ['SubjectUserName', 'WEB-01$'],
      ['NewProcessId', '0xf84'],
      ['NewProcessName', 'C:\\Windows\\System32\\inetsrv\\appcmd.exe'],
      ['ProcessId', '0xb2c'],
      ['CommandLine', 'appcmd.exe install module /name:x /image:c:\\x.dll'],
      ['TargetUserSid', 'S-1-0-0'],
      ['TargetUserName', '-'],
      ['ParentProcessName', 'C:\\Windows\\System32\\cmd.exe'],
    ],
  });
  const row = splunkRow(e);
  assert.equal(row.get('EventCode'), '4688');
  assert.equal(row.get('user'), 'WEB-01$');
  assert.equal(row.get('src_user'), 'WEB-01$');
  assert.equal(row.get('process_id'), '0xf84');
  assert.equal(row.get('parent_process_id'), '0xb2c');
  assert.equal(row.get('process'), '"C:\\Windows\\System32\\inetsrv\\appcmd.exe" install module /name:x /image:c:\\x.dll');
  assert.equal(row.get('process_name'), 'appcmd.exe');
  assert.equal(row.get('parent_process'), 'C:\\Windows\\System32\\cmd.exe');
  assert.equal(row.get('source'), 'XmlWinEventLog:Security');
  // No System UserID on Security events: the account SIDs stand in.
  assert.equal(row.get('user_id'), 'S-1-0-0');
  const types = values(row, 'eventtype');
  for (const et of ['wineventlog_security', 'windows_process_new', 'winsec', 'wineventlog_windows']) assert.ok(types.includes(et), et);
  assert.ok(!types.includes('wineventlog_system'));
  for (const tag of ['process', 'execute', 'start', 'report', 'security', 'os', 'windows']) assert.ok(values(row, 'tag').includes(tag), tag);
});

test('IIS-W3SVC-WP 2282 with <EventID Qualifiers=...>: EventCode, Name, dest, ModuleDll', async (t) => {
  const e = await readXml(t, {
    provider: 'Microsoft-Windows-IIS-W3SVC-WP',
    eventId: 2282,
    qualifiers: 49152,
    channel: 'Application',
    computer: 'win-dc-exch01.attackrange.local',
    data: [
      ['ModuleDll', 'c:\\temp\\msf.dll'],
      ['ProcessorArchitecture', 'AMD64'],
    ],
  });
  const row = splunkRow(e);
  assert.equal(row.get('EventCode'), '2282');
  assert.equal(row.get('Qualifiers'), '49152');
  assert.equal(row.get('Name'), 'Microsoft-Windows-IIS-W3SVC-WP');
  assert.equal(row.get('dest'), 'win-dc-exch01.attackrange.local');
  assert.equal(row.get('ModuleDll'), 'c:\\temp\\msf.dll');
  assert.equal(row.get('source'), 'XmlWinEventLog:Application');
  assert.ok(values(row, 'eventtype').includes('wineventlog_application'));
  assert.equal(row.get('Message'), 'The Module DLL c:\\temp\\msf.dll failed to load.  The data is the error.');
});

test('PowerShell 4104: ScriptBlockText, Computer, user_id; empty Data gives no field', async (t) => {
  const e = await readXml(t, {
    provider: 'Microsoft-Windows-PowerShell',
    eventId: 4104,
    channel: 'Microsoft-Windows-PowerShell/Operational',
    opcode: 15,
    userId: 'S-1-5-21-1-2-3-1342',
    data: [
      ['MessageNumber', '1'],
      ['MessageTotal', '1'],
      ['ScriptBlockText', 'Set-WebConfigurationProperty -Filter system.webServer/httpLogging -Name dontLog -Value true'],
      ['ScriptBlockId', 'fd140574-0a17-32cc-8f4f-60878645aed2'],
      ['Path', ''],
    ],
  });
  const row = splunkRow(e);
  assert.equal(row.get('EventCode'), '4104');
  assert.equal(row.get('Computer'), 'web-01.corp.example');
  assert.equal(row.get('user_id'), 'S-1-5-21-1-2-3-1342');
  assert.match(String(row.get('ScriptBlockText')), /dontLog/);
  assert.equal(row.has('Path'), false);
  assert.equal(row.get('source'), 'XmlWinEventLog:Microsoft-Windows-PowerShell/Operational');
  assert.ok(values(row, 'eventtype').includes('powershell_script_block'));
  assert.equal(row.has('OpCode'), false); // opcode 15 has no standard name
});

const IIS_CHANNEL = 'Microsoft-IIS-Configuration/Operational';
const MODULE_PATH = "/system.webServer/globalModules/add[@name='ProxyShellModule']";
const COMMITTED = `Changes to '${MODULE_PATH}' at 'MACHINE/WEBROOT/APPHOST' have successfully been committed.`;

test('IIS-Configuration 29 as XML: ComputerName, OpCode and Message synthesised', async (t) => {
  const e = await readXml(t, {
    provider: 'Microsoft-Windows-IIS-Configuration',
    eventId: 29,
    channel: IIS_CHANNEL,
    data: [
      ['ConfigPath', 'MACHINE/WEBROOT/APPHOST'],
      ['Configuration', MODULE_PATH],
      ['OldValue', ''],
      ['NewValue', 'C:\\inetpub\\proxy.dll'],
    ],
  });
  const row = splunkRow(e);
  assert.equal(row.get('ComputerName'), 'web-01.corp.example');
  assert.equal(row.get('OpCode'), 'Info');
  assert.equal(row.get('Message'), COMMITTED);
  assert.equal(row.get('sourcetype'), 'XmlWinEventLog');
  assert.equal(row.get('source'), `XmlWinEventLog:${IIS_CHANNEL}`);
});

test('IIS-Configuration 29 as classic text: its own sourcetype, Message and OpCode as written, _raw rebuilt', async (t) => {
  const text = [
    '10/24/2024 03:14:05 PM',
    `LogName=${IIS_CHANNEL}`,
    'EventCode=29',
    'EventType=4',
    'ComputerName=win-iis01.example.local',
    'User=NOT_TRANSLATED',
    'Sid=S-1-5-21-1-2-3-500',
    'SidType=0',
    'SourceName=Microsoft-Windows-IIS-Configuration',
    'Type=Information',
    'RecordNumber=42',
    'Keywords=None',
    'TaskCategory=None',
    'OpCode=Info',
    `Message=${COMMITTED}`,
    '',
  ].join('\n');
  const [e] = await readText(t, 'IIS-Configuration.log', text);
  const row = splunkRow(e!, { raw: true });
  assert.equal(row.get('sourcetype'), 'IIS:Configuration:Operational');
  assert.equal(row.get('source'), `WinEventLog:${IIS_CHANNEL}`);
  assert.equal(row.get('EventCode'), '29');
  assert.equal(row.get('ComputerName'), 'win-iis01.example.local');
  // Vigil keeps the XML names beside the classic ones, so XmlWinEventLog searches run on it too.
  assert.equal(row.get('Computer'), 'win-iis01.example.local');
  assert.equal(row.get('Channel'), IIS_CHANNEL);
  assert.equal(row.get('OpCode'), 'Info');
  assert.equal(row.get('Message'), COMMITTED);
  assert.equal(row.get('_time'), Date.UTC(2024, 9, 24, 15, 14, 5) / 1000);
  assert.ok(values(row, 'eventtype').includes('iis_configuration_operational'));
  assert.equal(row.get('_raw'), text.trimEnd());
});

test('Get-WebGlobalModule inventory lines: sourcetype, source and host from the line', async (t) => {
  const line = 'time="2024-06-19T06:44:03.608Z" host="EXTWEB-03" name="ProxyShellModule" image="C:\\inetpub\\proxy.dll" preCondition=""';
  const [e] = await readText(t, 'webglobalmodule.log', line + '\n');
  const row = splunkRow(e!, { raw: true });
  assert.equal(row.get('sourcetype'), 'Pwsh:InstalledIISModules');
  assert.equal(row.get('source'), 'powershell://AppCmdModules');
  assert.equal(row.get('host'), 'EXTWEB-03');
  assert.equal(row.get('name'), 'ProxyShellModule');
  assert.equal(row.get('image'), 'C:\\inetpub\\proxy.dll');
  assert.equal(row.has('preCondition'), false);
  assert.equal(row.get('_time'), Date.UTC(2024, 5, 19, 6, 44, 3, 608) / 1000);
  assert.equal(row.get('_raw'), line);
  // The same line in another file is plain key=value data named after its file.
  const [other] = await readText(t, 'modules.txt', line + '\n');
  const plain = splunkRow(other!);
  assert.equal(plain.get('sourcetype'), 'kv');
  assert.match(String(plain.get('source')), /modules\.txt$/);
});

test('events that carry Splunk metadata keep it (JSON exported from Splunk)', async (t) => {
  const exported = { _time: '2024-06-19T02:00:00.000+00:00', host: 'fwd-7', source: 'XmlWinEventLog:Security', sourcetype: 'XmlWinEventLog', index: 'wineventlog', EventCode: '4688', _raw: '<Event>raw</Event>', process: 'a &amp; b' };
  const [e] = await readText(t, 'export.json', JSON.stringify(exported) + '\n');
  const row = splunkRow(e!, { raw: true });
  assert.equal(row.get('host'), 'fwd-7');
  assert.equal(row.get('index'), 'wineventlog');
  assert.equal(row.get('source'), 'XmlWinEventLog:Security');
  assert.equal(row.get('_raw'), '<Event>raw</Event>');
  assert.equal(row.get('_time'), Date.UTC(2024, 5, 19, 2) / 1000);
  // Values from Splunk are already as Splunk shows them: not encoded twice.
  assert.equal(row.get('process'), 'a &amp; b');
  assert.ok(values(row, 'eventtype').includes('wineventlog_security'));
});

test('_time keeps microseconds; wildcard matching is whole-value', () => {
  assert.equal(epochSeconds('2024-01-02T03:04:05.123456789Z'), 1704164645.123456);
  assert.equal(epochSeconds('2024-01-02T03:04:05Z'), 1704164645);
  assert.equal(epochSeconds(null), null);
  const w = compileWildcard('*WinEventLog:Microsoft-Windows-Sysmon/Operational');
  assert.equal(wildcardMatches(w, 'xmlwineventlog:microsoft-windows-sysmon/operational'), true);
  assert.equal(wildcardMatches(w, 'xmlwineventlog:microsoft-windows-sysmon/operational2'), false);
  assert.equal(wildcardMatches(compileWildcard('a*b*c'), 'abc'), true);
  assert.equal(wildcardMatches(compileWildcard('a*b*c'), 'ac'), false);
  assert.equal(wildcardMatches(compileWildcard('ab*ba'), 'aba'), false);
});

test('view language extensions: file globs, has, fields, map, dirname', () => {
  const view = compileView(
    [
      'view: t',
      'conditions:',
      '  inventory: { file: "*webglobalmodule*" }',
      '  with_channel: { has: "@channel" }',
      '  file_object: { fields: { ObjectType: [File, Directory] } }',
      'fields:',
      '  a: { when: inventory, value: yes }',
      '  b: { when: with_channel, value: yes }',
      '  c: { when: file_object, value: yes }',
      '  d: { from: Protocol, map: { 6: tcp, 17: udp } }',
      '  e: { from: Path, transform: [dirname, basename] }',
    ].join('\n'),
    'inline.yml',
  );
  const base: VigilEvent = {
    fields: { ObjectType: 'file', Protocol: '6', Path: 'HKLM\\Software\\Run\\evil' },
    provenance: { file: '/x/y/WebGlobalModule.log', format: 'kv', recordId: null, offset: 0 },
    time: null,
    channel: null,
    provider: null,
    eventId: null,
    computer: null,
    render: () => '',
  };
  assert.deepEqual(applyView(base, view), { a: 'yes', c: 'yes', d: 'tcp', e: 'Run' });
  const other: VigilEvent = { ...base, fields: { ObjectType: 'Key', Protocol: '99' }, channel: 'Security', provenance: { ...base.provenance, file: 'b.log' } };
  assert.deepEqual(applyView(other, view), { b: 'yes' });
  assert.equal(applyTransform('dirname', 'noslash'), undefined);
});

test('eventtype files: a reference to an eventtype not defined above is a located error', (t) => {
  const file = path.join(tempDir(t), 'eventtypes.yml');
  writeFileSync(file, ['eventtypes:', '  - name: a', '    match: [{ eventtype: b }]', '  - name: b', '    match: [{ source: x }]'].join('\n'));
  assert.throws(
    () => loadEventtypes(file),
    (err: unknown) => err instanceof LocatedError && err.code === 'splunk.eventtypes' && err.location.file === file && err.location.line === 3 && /'b' is not defined/.test(err.message),
  );
});

test('zero-padded hex from EVTX (libevtx style) becomes the unpadded text Windows renders and Splunk extracts', async () => {
  const { splunkValue } = await import('../../src/splunk/values.js');
  assert.equal(splunkValue('0x0000000000001524', null), '0x1524');
  assert.equal(splunkValue('0x00000000', null), '0x0');
  assert.equal(splunkValue('0x00000000000003e7', null), '0x3e7');
  // Not padded, or not a HexInt width: unchanged.
  assert.equal(splunkValue('0x8020000000000000', null), '0x8020000000000000');
  assert.equal(splunkValue('0x1524', null), '0x1524');
  assert.equal(splunkValue('0x000152', null), '0x000152');
});
