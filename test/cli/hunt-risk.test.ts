/**
 * Risk-based alerting end to end, against values computed by hand: a small XmlWinEventLog case
 * (written here, one attack event per IIS detection) hunted with the built-in Splunk-style pack
 * only. Scores are the pack's impact × confidence / 100: D1 appcmd module install 64 (dest and
 * user), D2 IIS module commit 48 (dest, TTP), D3 module failed to load 25 (dest), D8 gacutil 49
 * (dest and user, TTP), D9 Publish.GacInstall 64 (Computer, TTP).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makeHuntCommand } from '../../src/cli/commands/hunt.js';

const HOST = 'WEB-07.corp.example.com';
let dir = '';

function system(provider: string, guid: string, eventId: string, channel: string, time: string, record: number, user = 'S-1-5-18'): string {
  return (
    `<System><Provider Name='${provider}' Guid='${guid}'/><EventID>${eventId}</EventID><Version>0</Version><Level>4</Level><Task>0</Task><Opcode>0</Opcode>` +
    `<Keywords>0x8000000000000000</Keywords><TimeCreated SystemTime='${time}'/><EventRecordID>${record}</EventRecordID><Correlation/>` +
    `<Execution ProcessID='4' ThreadID='8'/><Channel>${channel}</Channel><Computer>${HOST}</Computer><Security UserID='${user}'/></System>`
  );
}

function event(sys: string, data: Record<string, string>): string {
  const body = Object.entries(data)
    .map(([k, v]) => `<Data Name='${k}'>${v.replaceAll('&', '&amp;').replaceAll('<', '&lt;')}</Data>`)
    .join('');
  return `<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'>${sys}<EventData>${body}</EventData></Event>`;
}

const SYSMON = ['Microsoft-Windows-Sysmon', '{5770385F-C22A-43E0-BF4C-06F5698FFBD9}'] as const;

function sysmon1(time: string, record: number, image: string, commandLine: string): string {
  return event(system(...SYSMON, '1', 'Microsoft-Windows-Sysmon/Operational', time, record), {
    RuleName: '-',
    UtcTime: time.replace('T', ' ').slice(0, 23),
    ProcessGuid: `{2BF94659-0000-0000-0000-00000000${String(record).padStart(4, '0')}}`,
    ProcessId: String(4000 + record),
    Image: image,
    OriginalFileName: path.win32.basename(image),
    CommandLine: commandLine,
    CurrentDirectory: 'C:\\Windows\\system32\\',
    User: 'CORP\\mallory',
    IntegrityLevel: 'High',
    ParentProcessGuid: '{2BF94659-0000-0000-0000-000000000001}',
    ParentProcessId: '2944',
    ParentImage: 'C:\\Windows\\System32\\cmd.exe',
    ParentCommandLine: 'cmd.exe',
  });
}

function caseLines(): Record<string, string[]> {
  return {
    'Sysmon.xml': [
      sysmon1('2024-06-19T03:10:00.000000000Z', 11, 'C:\\Windows\\System32\\inetsrv\\appcmd.exe', 'C:\\Windows\\System32\\inetsrv\\appcmd.exe install module /name:Rogue /image:C:\\Windows\\Temp\\rogue.dll'),
      sysmon1('2024-06-19T03:20:00.000000000Z', 12, 'C:\\Program Files (x86)\\Microsoft SDKs\\Windows\\v10.0A\\bin\\NETFX 4.8 Tools\\gacutil.exe', '"C:\\Program Files (x86)\\Microsoft SDKs\\Windows\\v10.0A\\bin\\NETFX 4.8 Tools\\gacutil.exe" /i C:\\Windows\\Temp\\Rogue.dll'),
      // Benign: an admin lists modules (no install/module + image, no gacutil).
      sysmon1('2024-06-19T03:30:00.000000000Z', 13, 'C:\\Windows\\System32\\inetsrv\\appcmd.exe', 'C:\\Windows\\System32\\inetsrv\\appcmd.exe list sites'),
    ],
    'IIS-Configuration.xml': [
      event(system('Microsoft-Windows-IIS-Configuration', '{DC0B8E51-4863-407A-BC3C-1B479B2978AC}', '29', 'Microsoft-IIS-Configuration/Operational', '2024-06-19T03:10:01.000000000Z', 21), {
        ConfigPath: 'MACHINE/WEBROOT/APPHOST',
        Configuration: "/system.webServer/globalModules/add[@name='Rogue']",
        OldValue: '',
        NewValue: '',
      }),
    ],
    'Application.xml': [
      event(
        system('Microsoft-Windows-IIS-W3SVC-WP', '{670080D9-742A-4187-8D16-41143D1290BD}', '2282', 'Application', '2024-06-19T03:15:00.000000000Z', 31).replace('<EventID>2282</EventID>', "<EventID Qualifiers='49152'>2282</EventID>"),
        { ModuleDll: 'C:\\Windows\\Temp\\rogue.dll', ProcessorArchitecture: 'AMD64' },
      ),
    ],
    'PowerShell.xml': [
      event(system('Microsoft-Windows-PowerShell', '{A0C1853B-5C40-4B15-8766-3CF1C58F985A}', '4104', 'Microsoft-Windows-PowerShell/Operational', '2024-06-19T03:25:00.000000000Z', 41, 'S-1-5-21-1-2-3-1105'), {
        MessageNumber: '1',
        MessageTotal: '1',
        ScriptBlockText: "$p = New-Object System.EnterpriseServices.Internal.Publish; $p.GacInstall('C:\\Windows\\Temp\\Rogue.dll')",
        ScriptBlockId: 'b1c2d3e4-0000-0000-0000-000000000041',
        Path: '',
      }),
    ],
  };
}

interface Rec {
  kind: string;
  risk_object?: string;
  risk_object_type?: string;
  risk_score?: number;
  rule_title?: string;
  detection?: { name: string };
  rank?: number;
}

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'vigil-risk-'));
  await mkdir(path.join(dir, 'xml'));
  for (const [name, lines] of Object.entries(caseLines())) await writeFile(path.join(dir, 'xml', name), lines.join('\n') + '\n');
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function huntJsonl(extra: string[] = []): Promise<{ code: number; records: Rec[]; stderr: string }> {
  let stderr = '';
  const out = path.join(dir, `out-${Math.random().toString(36).slice(2)}.jsonl`);
  const code = await makeHuntCommand({ stderr: (t) => (stderr += t) }).run([path.join(dir, 'xml'), '--detections', 'content/splunk', '--format', 'jsonl', '--threads', '1', '--output', out, ...extra]);
  const records = (await readFile(out, 'utf8'))
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Rec);
  return { code, records, stderr };
}

test('each attack event fires its detection once; the benign appcmd does not', async () => {
  const r = await huntJsonl();
  assert.equal(r.code, 0, r.stderr);
  const fired = r.records.filter((x) => x.kind === 'detection').map((x) => x.detection!.name).sort();
  assert.deepEqual(fired, [
    'Windows IIS Components Add New Module',
    'Windows IIS Components Module Failed to Load',
    'Windows IIS Components New Module Added',
    'Windows PowerShell Add Module to Global Assembly Cache',
    'Windows Server Software Component GACUtil Install to GAC',
  ]);
});

test('risk per entity equals the hand-computed totals', async () => {
  const r = await huntJsonl();
  const total = (type: string, object: string): number =>
    r.records.filter((x) => x.kind === 'risk' && x.risk_object_type === type && x.risk_object === object).reduce((n, x) => n + (x.risk_score ?? 0), 0);
  // Host: D1 64 + D2 48 + D3 25 + D8 49 + D9 64.
  assert.equal(total('system', HOST), 64 + 48 + 25 + 49 + 64);
  // User (domain stripped): D1 64 + D8 49.
  assert.equal(total('user', 'mallory'), 64 + 49);
  const entities = r.records.filter((x) => x.kind === 'entity');
  assert.deepEqual(
    entities.map((e) => [e.rank, e.risk_object_type, e.risk_object, e.risk_score]),
    [
      [1, 'system', HOST, 250],
      [2, 'user', 'mallory', 113],
    ],
  );
});

test('notables: one per TTP result row (D2, D8, D9); anomalies raise none', async () => {
  const r = await huntJsonl();
  const notables = r.records.filter((x) => x.kind === 'notable').map((x) => x.rule_title).sort();
  assert.deepEqual(notables, ['Windows IIS Components New Module Added', 'Windows PowerShell Add Module to Global Assembly Cache', 'Windows Server Software Component GACUtil Install to GAC']);
});

test('risk incidents: host (250) and user (113) both exceed 100 within 24 hours', async () => {
  const r = await huntJsonl();
  const incidents = r.records.filter((x) => x.kind === 'risk-notable').map((x) => `${x.risk_object_type}=${x.risk_object}`).sort();
  assert.deepEqual(incidents, [`system=${HOST}`, 'user=mallory']);
});

test('--no-risk: detection rows only', async () => {
  const r = await huntJsonl(['--no-risk']);
  assert.deepEqual([...new Set(r.records.map((x) => x.kind))], ['detection']);
});

test('--replay-schedule: the same rows, each from the hourly run whose window holds it', async () => {
  const r = await huntJsonl(['--replay-schedule']);
  const rows = r.records.filter((x) => x.kind === 'detection') as unknown as { run: { time: string; earliest: string; latest: string } }[];
  assert.equal(rows.length, 5);
  // Events between 03:10 and 03:25 fall in [02:50, 03:50), the window of the 04:00 run.
  for (const row of rows) assert.deepEqual(row.run, { time: '2024-06-19T04:00:00Z', earliest: '2024-06-19T02:50:00Z', latest: '2024-06-19T03:50:00Z' });
});

test('--incident-rules: a stricter threshold of the user leaves only the host (250 > 200, 113 is not)', async () => {
  const file = path.join(dir, 'rules.yml');
  await writeFile(
    file,
    ['rules:', '  - kind: score-threshold', '    name: Strict', '    title: "strict $risk_object$"', '    window_seconds: 3600', '    threshold: 200', '    security_domain: threat', '    default_severity: high', ''].join('\n'),
  );
  const r = await huntJsonl(['--incident-rules', file]);
  assert.equal(r.code, 0, r.stderr);
  const incidents = r.records.filter((x) => x.kind === 'risk-notable');
  assert.deepEqual(incidents.map((x) => [x.risk_object, x.rule_title]), [[HOST, `strict ${HOST}`]]);
});

test('--incident-rules: a broken file is a usage error naming the file and line', async () => {
  const file = path.join(dir, 'broken.yml');
  await writeFile(file, 'rules:\n  - kind: score-threshold\n    name: Broken\n    threshold: lots\n');
  await assert.rejects(huntJsonl(['--incident-rules', file]), (e: unknown) => e instanceof Error && e.message.includes('broken.yml'));
});
