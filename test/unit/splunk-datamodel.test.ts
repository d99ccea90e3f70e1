/** CIM data-model rows: one golden row per data set, from events read through the real readers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { VigilEvent } from '../../src/core/event.js';
import { datamodelRow, datasets, knownDatasets } from '../../src/splunk/datamodel.js';
import { splunkRow } from '../../src/splunk/row.js';
import type { Row, SplValue } from '../../src/spl/exec/types.js';
import { events, openAll, readAll, tempDir } from './inputs-helpers.js';

interface XmlSpec {
  readonly provider: string;
  readonly eventId: number;
  readonly channel: string;
  readonly keywords?: string;
  readonly data: ReadonlyArray<readonly [string, string]>;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function eventXml(s: XmlSpec): string {
  const data = s.data.map(([n, v]) => `<Data Name='${n}'>${esc(v)}</Data>`).join('');
  return (
    `<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='${s.provider}'/><EventID>${s.eventId}</EventID>` +
    `<Version>0</Version><Level>4</Level><Task>0</Task><Opcode>0</Opcode><Keywords>${s.keywords ?? '0x8000000000000000'}</Keywords>` +
    `<TimeCreated SystemTime='2024-06-19T01:48:34.500000000Z'/><EventRecordID>7</EventRecordID><Correlation/><Execution ProcessID='4' ThreadID='8'/>` +
    `<Channel>${s.channel}</Channel><Computer>web-01</Computer><Security/></System><EventData>${data}</EventData></Event>`
  );
}

/** Reads every spec from one XML file, in order. */
async function readXml(t: { after(fn: () => void): void }, ...specs: XmlSpec[]): Promise<VigilEvent[]> {
  const dir = tempDir(t);
  const file = path.join(dir, 'events.xml');
  writeFileSync(file, specs.map(eventXml).join('\n') + '\n');
  const { inputs } = await openAll([file]);
  const out = events(await readAll(inputs[0]!));
  assert.equal(out.length, specs.length);
  return out;
}

const SYSMON = { provider: 'Microsoft-Windows-Sysmon', channel: 'Microsoft-Windows-Sysmon/Operational' };
const SECURITY = { provider: 'Microsoft-Windows-Security-Auditing', channel: 'Security' };

function prefixed(row: Row | null, prefix: string): Record<string, SplValue> {
  assert.ok(row !== null, 'expected a row');
  const out: Record<string, SplValue> = {};
  for (const [k, v] of row) if (k.startsWith(prefix + '.')) out[k.slice(prefix.length + 1)] = v;
  return out;
}

test('known data sets, unknown ones give null', async (t) => {
  assert.deepEqual(knownDatasets(), ['Endpoint.Filesystem', 'Endpoint.Processes', 'Endpoint.Registry', 'Endpoint.Services', 'Network_Traffic.All_Traffic']);
  const [e] = await readXml(t, { ...SYSMON, eventId: 1, data: [['Image', 'C:\\a.exe']] });
  assert.equal(datamodelRow(e!, 'Endpoint.Nope'), null);
  assert.equal(datamodelRow(e!, 'Processes'), null);
});

test('Endpoint.Processes from Sysmon 1: CIM names, calculated defaults, lower-cased integrity level', async (t) => {
  const [e] = await readXml(t, {
    ...SYSMON,
    eventId: 1,
    data: [
      ['ProcessGuid', '{96128EA2-F212-5F7E-E400-000000007F01}'],
      ['ProcessId', '2296'],
      ['Image', 'C:\\Windows\\System32\\inetsrv\\appcmd.exe'],
      ['OriginalFileName', '-'],
      ['CommandLine', 'C:\\Windows\\System32\\inetsrv\\appcmd.exe install module /name:x /image:c:\\x.dll 2>&1'],
      ['CurrentDirectory', 'C:\\Windows\\system32\\'],
      ['User', 'CORP\\bob'],
      ['IntegrityLevel', 'High'],
      ['ParentProcessId', '4624'],
      ['ParentImage', 'C:\\Windows\\System32\\cmd.exe'],
      ['ParentCommandLine', 'cmd.exe /c run.bat'],
    ],
  });
  const row = datamodelRow(e!, 'Endpoint.Processes');
  assert.equal(row?.get('_time'), 1718761714.5);
  assert.equal(row?.get('host'), 'web-01');
  assert.equal(row?.get('source'), 'XmlWinEventLog:Microsoft-Windows-Sysmon/Operational');
  assert.equal(row?.get('sourcetype'), 'XmlWinEventLog');
  assert.deepEqual(prefixed(row, 'Processes'), {
    action: 'allowed',
    dest: 'web-01',
    user: 'CORP\\bob',
    process: 'C:\\Windows\\System32\\inetsrv\\appcmd.exe install module /name:x /image:c:\\x.dll 2&gt;&amp;1',
    process_name: 'appcmd.exe',
    process_path: 'C:\\Windows\\System32\\inetsrv\\appcmd.exe',
    process_exec: 'appcmd.exe',
    process_id: '2296',
    process_guid: '{96128EA2-F212-5F7E-E400-000000007F01}',
    process_current_directory: 'C:\\Windows\\system32\\',
    process_integrity_level: 'high',
    parent_process: 'cmd.exe /c run.bat',
    parent_process_name: 'cmd.exe',
    parent_process_path: 'C:\\Windows\\System32\\cmd.exe',
    parent_process_exec: 'cmd.exe',
    parent_process_id: '4624',
    original_file_name: 'unknown',
    parent_user: 'unknown',
    loaded_file: 'unknown',
    vendor_product: 'Microsoft Sysmon',
  });
});

test('Endpoint.Processes from Security 4688: hex ids, parent_process is a path, user falls back to the subject', async (t) => {
  const [e] = await readXml(t, {
    ...SECURITY,
    eventId: 4688,
    keywords: '0x8020000000000000',
    data: [
      ['SubjectUserName', 'WEB-01$'],
      ['NewProcessId', '0xf84'],
      ['NewProcessName', 'C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\gacutil.exe'],
      ['ProcessId', '0xb2c'],
      ['CommandLine', 'gacutil.exe /i evil.dll'],
      ['TargetUserName', '-'],
      ['ParentProcessName', 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe'],
    ],
  });
  assert.deepEqual(prefixed(datamodelRow(e!, 'Endpoint.Processes'), 'Processes'), {
    action: 'allowed',
    dest: 'web-01',
    user: 'WEB-01$',
    process: '"C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\gacutil.exe" /i evil.dll',
    process_name: 'gacutil.exe',
    process_path: 'C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\gacutil.exe',
    process_exec: 'gacutil.exe',
    process_id: '0xf84',
    parent_process: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
    parent_process_name: 'powershell.exe',
    parent_process_path: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
    parent_process_exec: 'powershell.exe',
    parent_process_id: '0xb2c',
    original_file_name: 'unknown',
    parent_user: 'unknown',
    loaded_file: 'unknown',
    vendor_product: 'Microsoft Windows',
  });
});

test('PowerShell 4104 and other events are not Endpoint.Processes rows', async (t) => {
  const [ps, logon] = await readXml(
    t,
    { provider: 'Microsoft-Windows-PowerShell', channel: 'Microsoft-Windows-PowerShell/Operational', eventId: 4104, data: [['ScriptBlockText', 'gacutil /i x']] },
    { ...SECURITY, eventId: 4624, data: [['TargetUserName', 'bob']] },
  );
  for (const ds of knownDatasets()) {
    assert.equal(datamodelRow(ps!, ds), null, ds);
    assert.equal(datamodelRow(logon!, ds), null, ds);
  }
});

test('Endpoint.Filesystem: Sysmon 11 and Security 4663 on a file (not on a registry key)', async (t) => {
  const [created, access, key] = await readXml(
    t,
    { ...SYSMON, eventId: 11, data: [['ProcessGuid', '{G}'], ['ProcessId', '9488'], ['Image', 'C:\\w3wp.exe'], ['TargetFilename', 'C:\\inetpub\\wwwroot\\shell.aspx'], ['CreationUtcTime', '2024-06-19 02:04:19.630'], ['User', 'IIS APPPOOL\\Web']] },
    { ...SECURITY, eventId: 4663, data: [['SubjectUserName', 'bob'], ['ObjectType', 'File'], ['ObjectName', 'C:\\secret\\a.txt'], ['AccessMask', '0x10000'], ['ProcessId', '0x1a4'], ['ProcessName', 'C:\\Windows\\explorer.exe']] },
    { ...SECURITY, eventId: 4663, data: [['ObjectType', 'Key'], ['ObjectName', '\\REGISTRY\\MACHINE\\SOFTWARE']] },
  );
  assert.deepEqual(prefixed(datamodelRow(created!, 'Endpoint.Filesystem'), 'Filesystem'), {
    action: 'created',
    dest: 'web-01',
    user: 'IIS APPPOOL\\Web',
    file_path: 'C:\\inetpub\\wwwroot\\shell.aspx',
    file_name: 'shell.aspx',
    file_create_time: '2024-06-19 02:04:19.630',
    process_guid: '{G}',
    process_id: '9488',
    process_path: 'C:\\w3wp.exe',
    vendor_product: 'Microsoft Sysmon',
  });
  const r = prefixed(datamodelRow(access!, 'Endpoint.Filesystem'), 'Filesystem');
  assert.equal(r['action'], 'deleted');
  assert.equal(r['file_name'], 'a.txt');
  assert.equal(r['user'], 'bob');
  assert.equal(r['process_id'], '0x1a4');
  assert.equal(datamodelRow(key!, 'Endpoint.Filesystem'), null);
});

test('Endpoint.Registry: Sysmon 13 value set and Security 4657', async (t) => {
  const [set, sec] = await readXml(
    t,
    { ...SYSMON, eventId: 13, data: [['EventType', 'SetValue'], ['ProcessId', '77'], ['Image', 'C:\\reg.exe'], ['TargetObject', 'HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\evil'], ['Details', 'C:\\evil.exe'], ['User', 'CORP\\bob']] },
    { ...SECURITY, eventId: 4657, data: [['SubjectUserName', 'bob'], ['ObjectName', '\\REGISTRY\\MACHINE\\SOFTWARE\\Run'], ['ObjectValueName', 'evil'], ['OperationType', '%%1904'], ['NewValueType', '%%1873'], ['NewValue', 'C:\\evil.exe'], ['ProcessId', '0x4d'], ['ProcessName', 'C:\\reg.exe']] },
  );
  assert.deepEqual(prefixed(datamodelRow(set!, 'Endpoint.Registry'), 'Registry'), {
    action: 'modified',
    dest: 'web-01',
    user: 'CORP\\bob',
    registry_path: 'HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\evil',
    registry_key_name: 'Run',
    registry_value_name: 'evil',
    registry_value_data: 'C:\\evil.exe',
    process_id: '77',
    process_path: 'C:\\reg.exe',
    vendor_product: 'Microsoft Sysmon',
  });
  const r = prefixed(datamodelRow(sec!, 'Endpoint.Registry'), 'Registry');
  assert.equal(r['action'], 'created');
  assert.equal(r['registry_key_name'], 'Run');
  assert.equal(r['registry_value_name'], 'evil');
  assert.equal(r['registry_value_data'], 'C:\\evil.exe');
});

test('Endpoint.Services: System 7045', async (t) => {
  const [e] = await readXml(t, {
    provider: 'Service Control Manager',
    channel: 'System',
    eventId: 7045,
    data: [['ServiceName', 'PSEXESVC'], ['ImagePath', '"C:\\Windows\\PSEXESVC.exe" -k'], ['ServiceType', 'user mode service'], ['StartType', 'demand start'], ['AccountName', 'LocalSystem']],
  });
  assert.deepEqual(prefixed(datamodelRow(e!, 'Endpoint.Services'), 'Services'), {
    action: 'created',
    dest: 'web-01',
    user: 'LocalSystem',
    service_name: 'PSEXESVC',
    service_path: '"C:\\Windows\\PSEXESVC.exe" -k',
    service_exec: 'PSEXESVC.exe',
    start_mode: 'manual',
    service_type: 'user mode service',
    vendor_product: 'Microsoft Windows',
  });
});

test('Network_Traffic.All_Traffic: Sysmon 3 and Security 5156', async (t) => {
  const [net, wfp] = await readXml(
    t,
    { ...SYSMON, eventId: 3, data: [['ProcessId', '4'], ['Image', 'System'], ['User', 'NT AUTHORITY\\SYSTEM'], ['Protocol', 'tcp'], ['Initiated', 'false'], ['SourceIp', '10.0.0.5'], ['SourceHostname', '-'], ['SourcePort', '54041'], ['DestinationIp', '10.0.0.15'], ['DestinationHostname', 'web-01'], ['DestinationPort', '443']] },
    { ...SECURITY, eventId: 5156, data: [['ProcessID', '1234'], ['Application', '\\device\\harddiskvolume2\\windows\\system32\\svchost.exe'], ['Direction', '%%14593'], ['SourceAddress', '10.0.0.15'], ['SourcePort', '50000'], ['DestAddress', '8.8.8.8'], ['DestPort', '53'], ['Protocol', '17']] },
  );
  assert.deepEqual(prefixed(datamodelRow(net!, 'Network_Traffic.All_Traffic'), 'All_Traffic'), {
    action: 'allowed',
    src: '10.0.0.5',
    src_ip: '10.0.0.5',
    src_port: '54041',
    dest: 'web-01',
    dest_ip: '10.0.0.15',
    dest_port: '443',
    transport: 'tcp',
    direction: 'inbound',
    app: 'System',
    process_id: '4',
    user: 'NT AUTHORITY\\SYSTEM',
    dvc: 'web-01',
    vendor_product: 'Microsoft Sysmon',
  });
  const r = prefixed(datamodelRow(wfp!, 'Network_Traffic.All_Traffic'), 'All_Traffic');
  assert.equal(r['transport'], 'udp');
  assert.equal(r['direction'], 'outbound');
  assert.equal(r['dest'], '8.8.8.8');
  assert.equal(r['process_id'], '1234');
});

test("each data set's members carry the data set's tags in their Splunk row", async (t) => {
  const members = await readXml(
    t,
    { ...SYSMON, eventId: 1, data: [['Image', 'C:\\a.exe']] },
    { ...SECURITY, eventId: 4688, data: [['NewProcessName', 'C:\\a.exe']] },
    { ...SYSMON, eventId: 11, data: [['TargetFilename', 'C:\\a.txt']] },
    { ...SECURITY, eventId: 4663, data: [['ObjectType', 'File'], ['ObjectName', 'C:\\a.txt']] },
    { ...SYSMON, eventId: 13, data: [['TargetObject', 'HKLM\\a\\b']] },
    { ...SECURITY, eventId: 4657, data: [['ObjectName', '\\REGISTRY\\MACHINE\\a']] },
    { provider: 'Service Control Manager', channel: 'System', eventId: 7045, data: [['ServiceName', 'x']] },
    { ...SECURITY, eventId: 4697, data: [['ServiceName', 'x']] },
    { ...SYSMON, eventId: 3, data: [['DestinationIp', '10.0.0.1']] },
    { ...SECURITY, eventId: 5156, data: [['DestAddress', '10.0.0.1']] },
  );
  let rows = 0;
  for (const e of members) {
    const tags = splunkRow(e).get('tag');
    const have = tags === undefined ? [] : Array.isArray(tags) ? tags : [tags];
    for (const ds of datasets().values()) {
      if (datamodelRow(e, ds.name) === null) continue;
      rows++;
      for (const tag of ds.tags) assert.ok(have.includes(tag), `${ds.name}: event ${e.eventId} lacks tag ${tag}`);
    }
  }
  assert.equal(rows, members.length);
});
