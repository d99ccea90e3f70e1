/**
 * The IIS components scenario (MITRE T1505.004): an intruder on an IIS server registers a rogue
 * native module and a GAC assembly, and turns HTTP logging off, while the server goes about its
 * usual business. Everything is built from a seed, so a seed always yields the same events.
 *
 * Each event is a WriterEvent (what the EVTX writer takes); attack events carry the behaviour
 * they belong to and the rule (content/sigma/iis) meant to catch them.
 */
import { assertNever } from '../core/xml-tree.js';
import type { WriterEvent, WriterValue } from '../sinks/evtx-writer/types.js';
import { IIS_RULES, type IisRuleKey } from './iis-rules.js';

export const TECHNIQUE = 'T1505.004';

/** The five channels the scenario writes, with the file stem used for each. */
export const CHANNELS = {
  security: { channel: 'Security', stem: 'Security' },
  sysmon: { channel: 'Microsoft-Windows-Sysmon/Operational', stem: 'Sysmon' },
  powershell: { channel: 'Microsoft-Windows-PowerShell/Operational', stem: 'PowerShell' },
  application: { channel: 'Application', stem: 'Application' },
  iisConfiguration: { channel: 'Microsoft-IIS-Configuration/Operational', stem: 'IIS-Configuration' },
} as const;
export type ChannelKey = keyof typeof CHANNELS;

export const BEHAVIOURS = [
  'appcmd-install-module',
  'appcmd-add-module',
  'ps-new-webglobalmodule',
  'ps-enable-webglobalmodule',
  'ps-set-webglobalmodule',
  'gacutil-install',
  'ps-gac-publish-install',
  'iis-config-globalmodule-add',
  'w3svc-module-load-failed',
  'appcmd-disable-http-logging',
  'ps-disable-http-logging',
  'ps-disable-site-logfile',
] as const;
export type BehaviourId = (typeof BEHAVIOURS)[number];

export const BENIGN_KINDS = [
  'w3wp-start', 'inetmgr', 'appcmd-list', 'appcmd-benign-set', 'iisreset', 'ps-admin-script',
  'iis-config-change', 'sysmon-network', 'sysmon-file', 'logon', 'application-spp',
] as const;
export type BenignKind = (typeof BENIGN_KINDS)[number];

export type SimLabel =
  | { readonly kind: 'attack'; readonly behaviour: BehaviourId; readonly rule: IisRuleKey }
  | { readonly kind: 'benign'; readonly benign: BenignKind };

export interface SimEvent {
  readonly key: ChannelKey;
  readonly label: SimLabel;
  /** Without recordId: record ids are given per channel once events are in time order. */
  readonly event: WriterEvent;
}

export interface Scenario {
  readonly seed: number;
  readonly host: string;
  readonly module: { readonly name: string; readonly image: string; readonly assembly: string };
  /** Per channel, in time order, with record ids set. */
  readonly channels: ReadonlyMap<ChannelKey, readonly SimEvent[]>;
}

/** mulberry32: small, fast, and the same on every platform. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SECURITY = { name: 'Microsoft-Windows-Security-Auditing', guid: '{54849625-5478-4994-A5BA-3E3B0328C30D}' };
const SYSMON = { name: 'Microsoft-Windows-Sysmon', guid: '{5770385F-C22A-43E0-BF4C-06F5698FFBD9}' };
const POWERSHELL = { name: 'Microsoft-Windows-PowerShell', guid: '{A0C1853B-5C40-4B15-8766-3CF1C58F985A}' };
const W3SVC_WP = { name: 'Microsoft-Windows-IIS-W3SVC-WP', guid: '{670080D9-742A-4187-8D16-41143D1290BD}', eventSourceName: 'W3SVC-WP' };
const SPP = { name: 'Microsoft-Windows-Security-SPP', guid: '{E23B33B0-C8C9-472C-A5F9-F2BDFEA0F156}', eventSourceName: 'Software Protection Platform Service' };
const IIS_CONFIG = { name: 'Microsoft-Windows-IIS-Configuration', guid: '{DC0B8E51-4863-407A-BC3C-1B479B2978AC}' };

const INETSRV = 'C:\\Windows\\System32\\inetsrv';
const APPCMD = `${INETSRV}\\appcmd.exe`;
const W3WP = `${INETSRV}\\w3wp.exe`;
const CMD = 'C:\\Windows\\System32\\cmd.exe';
const POWERSHELL_EXE = 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe';
const SVCHOST = 'C:\\Windows\\System32\\svchost.exe';
const EXPLORER = 'C:\\Windows\\explorer.exe';
const GACUTIL = 'C:\\Program Files (x86)\\Microsoft SDKs\\Windows\\v10.0A\\bin\\NETFX 4.8 Tools\\x64\\gacutil.exe';
const WSMPROVHOST = 'C:\\Windows\\System32\\wsmprovhost.exe';
const DOMAIN_SID = 'S-1-5-21-3311245701-2398110458-1739462801';

const HOSTS = ['WEB-IIS-01.corp.example.com', 'WEB-IIS-02.corp.example.com', 'EXTWEB-03.dmz.example.com', 'OWA-FE-01.corp.example.com'];
const ROGUE_MODULES = [
  { name: 'IISHttpCompressExt', image: 'C:\\Windows\\Temp\\iiscmp.dll', assembly: 'C:\\ProgramData\\Microsoft\\Crypto\\HttpCompressExt.dll' },
  { name: 'ProtocolSupportHelper', image: 'C:\\ProgramData\\Iis\\psh64.dll', assembly: 'C:\\ProgramData\\Iis\\ProtocolHelper.dll' },
  { name: 'UriCacheModuleV2', image: 'C:\\inetpub\\temp\\uricache2.dll', assembly: 'C:\\inetpub\\temp\\UriCacheV2.dll' },
  { name: 'OwaAuthFilter', image: 'C:\\Users\\Public\\Libraries\\owaauth.dll', assembly: 'C:\\Users\\Public\\Libraries\\OwaAuth.Managed.dll' },
];

interface Account { readonly domain: string; readonly user: string; readonly sid: string; readonly logonId: number }
const ADMIN: Account = { domain: 'CORP', user: 'svc-webdeploy', sid: `${DOMAIN_SID}-1187`, logonId: 0x8d41e2 };
const OPERATOR: Account = { domain: 'CORP', user: 'jlee-adm', sid: `${DOMAIN_SID}-1342`, logonId: 0x6c03a9 };
const SYSTEM: Account = { domain: 'NT AUTHORITY', user: 'SYSTEM', sid: 'S-1-5-18', logonId: 0x3e7 };

function hex(value: number): WriterValue {
  return { type: 'hex64', value };
}
function guid(value: string): WriterValue {
  return { type: 'guid', value };
}
function sid(value: string): WriterValue {
  return { type: 'sid', value };
}

/** ISO text with 7 fractional digits, as the EVTX writer takes it. */
function isoTime(ms: number, sub100ns: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, (_m, f: string) => `.${f}${String(sub100ns).padStart(4, '0')}Z`);
}
function utcTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

interface ProcessSpec {
  readonly image: string;
  readonly commandLine: string;
  readonly parentImage: string;
  readonly parentCommandLine: string;
  readonly account: Account;
  readonly integrity: 'Medium' | 'High' | 'System';
  readonly fileVersion: string;
  readonly description: string;
  readonly originalFileName: string;
  readonly currentDirectory: string;
  /** The parent's process id when it matters (one shell starting several tools); else random. */
  readonly parentPid?: number;
}

const INTEGRITY_SIDS = { Medium: 'S-1-16-8192', High: 'S-1-16-12288', System: 'S-1-16-16384' } as const;

class Builder {
  readonly events: SimEvent[] = [];
  private readonly random: () => number;
  private pid: number;

  constructor(readonly seed: number, readonly host: string) {
    this.random = prng(seed ^ 0x5eed1e55);
    this.pid = 1200 + this.int(0, 2000) * 4;
  }

  int(lo: number, hi: number): number {
    return lo + Math.floor(this.random() * (hi - lo + 1));
  }
  pick<T>(list: readonly T[]): T {
    return list[this.int(0, list.length - 1)]!;
  }
  nextPid(): number {
    this.pid += 4 * this.int(1, 40);
    return this.pid;
  }
  guidText(): string {
    const h = (n: number): string => Array.from({ length: n }, () => this.int(0, 15).toString(16)).join('').toUpperCase();
    return `{${h(8)}-${h(4)}-${h(4)}-${h(4)}-${h(12)}}`;
  }
  lowerGuid(): string {
    return this.guidText().slice(1, -1).toLowerCase();
  }
  hashes(): string {
    const h = (n: number): string => Array.from({ length: n }, () => this.int(0, 15).toString(16)).join('').toUpperCase();
    return `SHA1=${h(40)},MD5=${h(32)},SHA256=${h(64)},IMPHASH=${h(32)}`;
  }

  push(key: ChannelKey, label: SimLabel, event: WriterEvent): void {
    this.events.push({ key, label, event });
  }

  /** One process start as both Sysmon 1 and Security 4688 (the 4688 a few ms earlier). */
  process(ms: number, p: ProcessSpec, label: SimLabel): void {
    const pid = this.nextPid();
    const ppid = p.parentPid ?? this.int(300, 3000) * 4;
    // Processes running as SYSTEM show the machine account as creator in 4688.
    const creator = p.account === SYSTEM ? { ...SYSTEM, user: `${this.host.split('.')[0]!.toUpperCase()}$`, domain: 'CORP' } : p.account;
    const parentGuid = this.guidText();
    this.push('security', label, {
      provider: SECURITY, eventId: 4688, version: 2, level: 0, task: 13312, opcode: 0, keywords: '0x8020000000000000',
      timeCreated: isoTime(ms - this.int(1, 9), this.int(0, 9999)), execution: { processId: 4, threadId: this.int(100, 900) },
      channel: CHANNELS.security.channel, computer: this.host,
      eventData: [
        ['SubjectUserSid', sid(creator.sid)], ['SubjectUserName', creator.user], ['SubjectDomainName', creator.domain],
        ['SubjectLogonId', hex(creator.logonId)], ['NewProcessId', hex(pid)], ['NewProcessName', p.image],
        ['TokenElevationType', p.integrity === 'Medium' ? '%%1938' : p.integrity === 'System' ? '%%1936' : '%%1937'], ['ProcessId', hex(ppid)], ['CommandLine', p.commandLine],
        ['TargetUserSid', sid('S-1-0-0')], ['TargetUserName', '-'], ['TargetDomainName', '-'], ['TargetLogonId', hex(0)],
        ['ParentProcessName', p.parentImage], ['MandatoryLabel', sid(INTEGRITY_SIDS[p.integrity])],
      ],
    });
    this.push('sysmon', label, {
      provider: SYSMON, eventId: 1, version: 5, level: 4, task: 1, opcode: 0, keywords: '0x8000000000000000',
      timeCreated: isoTime(ms, this.int(0, 9999)), execution: { processId: 2448, threadId: this.int(3000, 4000) },
      channel: CHANNELS.sysmon.channel, computer: this.host, userId: 'S-1-5-18',
      eventData: [
        ['RuleName', '-'], ['UtcTime', utcTime(ms)], ['ProcessGuid', guid(this.guidText())], ['ProcessId', pid], ['Image', p.image],
        ['FileVersion', p.fileVersion], ['Description', p.description], ['Product', 'Microsoft® Windows® Operating System'],
        ['Company', 'Microsoft Corporation'], ['OriginalFileName', p.originalFileName], ['CommandLine', p.commandLine],
        ['CurrentDirectory', p.currentDirectory], ['User', `${p.account.domain}\\${p.account.user}`],
        ['LogonGuid', guid(this.guidText())], ['LogonId', hex(p.account.logonId)], ['TerminalSessionId', p.account === SYSTEM ? 0 : 2],
        ['IntegrityLevel', p.integrity], ['Hashes', this.hashes()], ['ParentProcessGuid', guid(parentGuid)], ['ParentProcessId', ppid],
        ['ParentImage', p.parentImage], ['ParentCommandLine', p.parentCommandLine], ['ParentUser', `${p.account.domain}\\${p.account.user}`],
      ],
    });
  }

  scriptBlock(ms: number, text: string, account: Account, path: string, label: SimLabel): void {
    this.push('powershell', label, {
      provider: POWERSHELL, eventId: 4104, version: 1, level: label.kind === 'attack' ? 3 : 5, task: 2, opcode: 15, keywords: '0x0',
      timeCreated: isoTime(ms, this.int(0, 9999)), execution: { processId: this.nextPid(), threadId: this.int(4000, 9000) },
      channel: CHANNELS.powershell.channel, computer: this.host, userId: account.sid,
      correlation: { activityId: this.guidText() },
      eventData: [['MessageNumber', 1], ['MessageTotal', 1], ['ScriptBlockText', text], ['ScriptBlockId', this.lowerGuid()], ['Path', path]],
    });
  }

  iisConfig(ms: number, configuration: string, oldValue: string, newValue: string, account: Account, label: SimLabel): void {
    this.push('iisConfiguration', label, {
      provider: IIS_CONFIG, eventId: 29, version: 0, level: 4, task: 0, opcode: 0, keywords: '0x8000000000000000',
      timeCreated: isoTime(ms, this.int(0, 9999)), execution: { processId: this.nextPid(), threadId: this.int(1000, 9000) },
      channel: CHANNELS.iisConfiguration.channel, computer: this.host, userId: account.sid,
      eventData: [['ConfigPath', 'MACHINE/WEBROOT/APPHOST'], ['Configuration', configuration], ['OldValue', oldValue], ['NewValue', newValue]],
    });
  }
}

function tool(image: string, description: string, originalFileName: string, fileVersion = '10.0.20348.1 (WinBuild.160101.0800)') {
  return { image, description, originalFileName, fileVersion };
}
const APPCMD_TOOL = tool(APPCMD, 'Application Server Command Line Admin Tool', 'appcmd.exe');
const PS_TOOL = tool(POWERSHELL_EXE, 'Windows PowerShell', 'PowerShell.EXE');

function attack(behaviour: BehaviourId, rule: IisRuleKey): SimLabel {
  return { kind: 'attack', behaviour, rule };
}

/**
 * The intrusion: about 25 minutes of hands-on-keyboard activity from a webshell's cmd.exe.
 * Returns the time of its last step, where addLateAttack carries on.
 */
function addAttack(b: Builder, startMs: number, module: Scenario['module']): number {
  let t = startMs;
  const step = (): number => (t += b.int(20, 140) * 1000 + b.int(0, 999));
  const shell = { parentPid: b.int(1000, 4000) * 4, parentImage: CMD, parentCommandLine: `${CMD} /c "cd /d C:\\inetpub\\wwwroot&whoami"`, account: ADMIN, integrity: 'High' as const, currentDirectory: 'C:\\inetpub\\wwwroot\\' };

  b.process(step(), { ...APPCMD_TOOL, ...shell, commandLine: `${APPCMD} install module /name:${module.name} /image:${module.image}` },
    attack('appcmd-install-module', 'appcmdModuleInstall'));
  b.iisConfig(t + 350, `/system.webServer/globalModules/add[@name='${module.name}']`, '', module.name, ADMIN,
    attack('iis-config-globalmodule-add', 'configGlobalModuleAdded'));
  b.process(step(), { ...APPCMD_TOOL, ...shell, commandLine: `appcmd.exe add module /name:${module.name} /app.name:"Default Web Site/"` },
    attack('appcmd-add-module', 'appcmdModuleInstall'));
  b.push('application', attack('w3svc-module-load-failed', 'moduleLoadFailed'), {
    provider: W3SVC_WP, eventId: 2282, qualifiers: 49152, version: 0, level: 2, task: 0, opcode: 0, keywords: '0x80000000000000',
    timeCreated: isoTime(step(), b.int(0, 9999)), execution: { processId: 0, threadId: 0 },
    channel: CHANNELS.application.channel, computer: b.host,
    eventData: [['ModuleDll', module.image], ['ProcessorArchitecture', 'AMD64'], ['', { type: 'binary', value: 'C1000000' }]],
  });

  const cmdlets: Array<[BehaviourId, string]> = [
    ['ps-new-webglobalmodule', `New-WebGlobalModule -Name ${module.name}64 -Image '${module.image.replace(/\.dll$/, '64.dll')}' -Precondition bitness64`],
    ['ps-enable-webglobalmodule', `Enable-WebGlobalModule -Name ${module.name}64 -PSPath 'IIS:\\'`],
    ['ps-set-webglobalmodule', `Set-WebGlobalModule -Name ${module.name} -Image '${module.image}'`],
  ];
  for (const [behaviour, cmdlet] of cmdlets) {
    const script = `Import-Module WebAdministration; ${cmdlet}`;
    b.process(step(), { ...PS_TOOL, ...shell, commandLine: `powershell.exe -NoProfile -ExecutionPolicy Bypass -Command "${script}"` },
      attack(behaviour, 'psWebGlobalModuleProcess'));
    b.scriptBlock(t + 900, script, ADMIN, '', attack(behaviour, 'psWebGlobalModuleScript'));
  }

  b.process(step(), { ...tool(GACUTIL, 'Microsoft (R) .NET Global Assembly Cache Utility', 'gacutil.exe', '4.8.3928.0'), ...shell,
    commandLine: `"${GACUTIL}" /i ${module.assembly} /f` }, attack('gacutil-install', 'gacutilInstall'));
  // Over WinRM (wsmprovhost): only the script block is logged, no console command line.
  b.scriptBlock(step(), `$publish = [System.EnterpriseServices.Internal.Publish]::new()\n$publish.GacInstall('${module.assembly}')`,
    ADMIN, '', attack('ps-gac-publish-install', 'psGacPublish'));

  b.process(step(), { ...APPCMD_TOOL, ...shell, commandLine: `${APPCMD} set config /section:httplogging /dontLog:true` },
    attack('appcmd-disable-http-logging', 'appcmdHttpLoggingDisabled'));
  b.scriptBlock(step(), "Set-WebConfigurationProperty -PSPath 'MACHINE/WEBROOT/APPHOST' -Filter 'system.webServer/httpLogging' -Name dontLog -Value true",
    ADMIN, '', attack('ps-disable-http-logging', 'psHttpLoggingDisabled'));
  return t;
}

/**
 * Attack steps added after the first release. They are drawn after the benign activity so that
 * every seed keeps the benign events (and their order) it had before; only record ids after
 * these events move up by one.
 */
function addLateAttack(b: Builder, lastStepMs: number): void {
  // Belt and braces: the site's own log file goes off too, through the WebAdministration
  // provider (IIS: drive), in the same remote session as the dontLog change (script block only).
  const ms = lastStepMs + b.int(20, 140) * 1000 + b.int(0, 999);
  b.scriptBlock(ms, "Set-ItemProperty 'IIS:\\Sites\\Default Web Site' -Name logFile.enabled -Value false",
    ADMIN, '', attack('ps-disable-site-logfile', 'psHttpLoggingDisabled'));
}

const SITES = ['Default Web Site', 'intranet', 'api.corp.example.com', 'owa'];
const POOLS = ['DefaultAppPool', 'IntranetPool', 'ApiPool', 'MSExchangeOWAAppPool'];

/** One benign activity (see benignSize for how many events it writes). */
function addBenign(b: Builder, ms: number, kind: BenignKind): void {
  const label: SimLabel = { kind: 'benign', benign: kind };
  const pool = b.pick(POOLS);
  const site = b.pick(SITES);
  switch (kind) {
    case 'w3wp-start':
      b.process(ms, { ...tool(W3WP, 'IIS Worker Process', 'w3wp.exe'), parentImage: SVCHOST, parentCommandLine: `${SVCHOST} -k iissvcs`,
        account: SYSTEM, integrity: 'System', currentDirectory: `${INETSRV}\\`,
        commandLine: `${W3WP} -ap "${pool}" -v "v4.0" -l "webengine4.dll" -a \\\\.\\pipe\\iisipm${b.lowerGuid()} -h "C:\\inetpub\\temp\\apppools\\${pool}\\${pool}.config" -w "" -m 0 -t 20 -ta 0` }, label);
      return;
    case 'inetmgr':
      b.process(ms, { ...tool(`${INETSRV}\\InetMgr.exe`, 'Internet Information Services (IIS) Manager', 'InetMgr.exe'), parentImage: EXPLORER,
        parentCommandLine: EXPLORER, account: OPERATOR, integrity: 'High', currentDirectory: 'C:\\Windows\\system32\\',
        commandLine: `"${INETSRV}\\InetMgr.exe" ` }, label);
      return;
    case 'appcmd-list': {
      const what = b.pick(['list site', 'list apppool', 'list modules', 'list config /section:httpLogging', `list app /site.name:"${site}"`, 'list wp']);
      b.process(ms, { ...APPCMD_TOOL, parentImage: POWERSHELL_EXE, parentCommandLine: `"${POWERSHELL_EXE}"`, account: OPERATOR, integrity: 'High',
        currentDirectory: 'C:\\Users\\jlee-adm\\', commandLine: `"${APPCMD}" ${what}` }, label);
      return;
    }
    case 'appcmd-benign-set': {
      const what = b.pick([
        `set config "${site}" /section:defaultDocument /+files.[value='index.aspx']`,
        'set config /section:httpLogging /dontLog:false',
        `set apppool "${pool}" /recycling.periodicRestart.time:00:00:00`,
        `recycle apppool /apppool.name:"${pool}"`,
      ]);
      b.process(ms, { ...APPCMD_TOOL, parentImage: CMD, parentCommandLine: `${CMD} /c C:\\Scripts\\iis-maint.cmd`, account: ADMIN, integrity: 'High',
        currentDirectory: 'C:\\Scripts\\', commandLine: `${APPCMD} ${what}` }, label);
      return;
    }
    case 'iisreset':
      b.process(ms, { ...tool('C:\\Windows\\System32\\iisreset.exe', 'IIS Reset Command Line Utility', 'iisreset.exe'), parentImage: CMD,
        parentCommandLine: `${CMD} /c C:\\Scripts\\nightly-restart.cmd`, account: ADMIN, integrity: 'High', currentDirectory: 'C:\\Scripts\\',
        commandLine: `iisreset.exe /noforce /timeout:60` }, label);
      return;
    case 'ps-admin-script': {
      const text = b.pick([
        'Import-Module WebAdministration',
        'Get-Website | Select-Object Name, State, PhysicalPath',
        'Get-WebGlobalModule | Sort-Object Name | Format-Table Name, Image -AutoSize',
        "Get-WebConfigurationProperty -PSPath 'MACHINE/WEBROOT/APPHOST' -Filter 'system.webServer/httpLogging' -Name dontLog",
        `Get-ChildItem IIS:\\AppPools | Where-Object { $_.State -ne 'Started' } | Start-WebAppPool`,
        "Set-WebConfigurationProperty -PSPath 'MACHINE/WEBROOT/APPHOST' -Filter 'system.webServer/httpLogging' -Name selectiveLogging -Value LogAll",
        'Get-Service W3SVC, WAS | Select-Object Name, Status',
        `Restart-WebAppPool -Name '${pool}'`,
      ]);
      b.scriptBlock(ms, text, OPERATOR, b.pick(['', 'C:\\Scripts\\iis-health.ps1']), label);
      return;
    }
    case 'iis-config-change': {
      const [conf, oldValue, newValue] = b.pick<readonly [string, string, string]>([
        [`/system.webServer/defaultDocument/files/add[@value='index.aspx']`, '', 'index.aspx'],
        [`/system.applicationHost/applicationPools/add[@name='${pool}']/recycling/periodicRestart/@time`, '1.05:00:00', '00:00:00'],
        [`/system.applicationHost/sites/site[@name='${site}']/limits/@connectionTimeout`, '00:02:00', '00:01:30'],
        ['/system.webServer/httpErrors/@errorMode', 'DetailedLocalOnly', 'Custom'],
        ['/system.webServer/httpLogging/@selectiveLogging', 'LogAll', 'LogAll'],
      ]);
      b.iisConfig(ms, conf, oldValue, newValue, OPERATOR, label);
      return;
    }
    case 'sysmon-network':
      b.push('sysmon', label, {
        provider: SYSMON, eventId: 3, version: 5, level: 4, task: 3, opcode: 0, keywords: '0x8000000000000000',
        timeCreated: isoTime(ms, b.int(0, 9999)), execution: { processId: 2448, threadId: b.int(3000, 4000) },
        channel: CHANNELS.sysmon.channel, computer: b.host, userId: 'S-1-5-18',
        eventData: [
          ['RuleName', '-'], ['UtcTime', utcTime(ms)], ['ProcessGuid', guid(b.guidText())], ['ProcessId', 4], ['Image', 'System'],
          ['User', 'NT AUTHORITY\\SYSTEM'], ['Protocol', 'tcp'], ['Initiated', false], ['SourceIsIpv6', false],
          ['SourceIp', `10.40.${b.int(1, 20)}.${b.int(2, 250)}`], ['SourceHostname', '-'], ['SourcePort', b.int(49152, 65000)], ['SourcePortName', '-'],
          ['DestinationIsIpv6', false], ['DestinationIp', '10.40.0.15'], ['DestinationHostname', b.host], ['DestinationPort', 443], ['DestinationPortName', 'https'],
        ],
      });
      return;
    case 'sysmon-file':
      b.push('sysmon', label, {
        provider: SYSMON, eventId: 11, version: 2, level: 4, task: 11, opcode: 0, keywords: '0x8000000000000000',
        timeCreated: isoTime(ms, b.int(0, 9999)), execution: { processId: 2448, threadId: b.int(3000, 4000) },
        channel: CHANNELS.sysmon.channel, computer: b.host, userId: 'S-1-5-18',
        eventData: [
          ['RuleName', '-'], ['UtcTime', utcTime(ms)], ['ProcessGuid', guid(b.guidText())], ['ProcessId', b.nextPid()], ['Image', W3WP],
          ['TargetFilename', b.pick([
            `C:\\inetpub\\logs\\LogFiles\\W3SVC1\\u_ex${new Date(ms).toISOString().slice(2, 10).replace(/-/g, '')}.log`,
            `C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\Temporary ASP.NET Files\\root\\${b.int(10000000, 99999999).toString(16)}\\App_global.asax.${b.int(1000, 9999)}.compiled`,
            `C:\\inetpub\\temp\\IIS Temporary Compressed Files\\${pool}\\$^_gzip_D^\\INETPUB\\WWWROOT\\SITE.CSS`,
          ])],
          ['CreationUtcTime', utcTime(ms)], ['User', `IIS APPPOOL\\${pool}`],
        ],
      });
      return;
    case 'logon': {
      const account = b.pick([OPERATOR, ADMIN]);
      const network = b.int(0, 1) === 1;
      b.push('security', label, {
        provider: SECURITY, eventId: 4624, version: 2, level: 0, task: 12544, opcode: 0, keywords: '0x8020000000000000',
        timeCreated: isoTime(ms, b.int(0, 9999)), execution: { processId: 712, threadId: b.int(700, 2000) },
        channel: CHANNELS.security.channel, computer: b.host,
        eventData: [
          ['SubjectUserSid', sid(network ? 'S-1-0-0' : 'S-1-5-18')], ['SubjectUserName', network ? '-' : b.host.split('.')[0]!.toUpperCase() + '$'],
          ['SubjectDomainName', network ? '-' : 'CORP'], ['SubjectLogonId', hex(network ? 0 : 0x3e7)],
          ['TargetUserSid', sid(account.sid)], ['TargetUserName', account.user], ['TargetDomainName', account.domain],
          ['TargetLogonId', hex(account.logonId + b.int(1, 5000))], ['LogonType', network ? 3 : 5],
          ['LogonProcessName', network ? 'Kerberos' : 'Advapi  '], ['AuthenticationPackageName', network ? 'Kerberos' : 'Negotiate'],
          ['WorkstationName', '-'], ['LogonGuid', guid(b.guidText())], ['TransmittedServices', '-'], ['LmPackageName', '-'], ['KeyLength', 0],
          ['ProcessId', hex(network ? 0 : 0x2a8)], ['ProcessName', network ? '-' : 'C:\\Windows\\System32\\services.exe'],
          ['IpAddress', network ? `10.40.${b.int(1, 20)}.${b.int(2, 250)}` : '-'], ['IpPort', network ? String(b.int(49152, 65000)) : '-'],
          ['ImpersonationLevel', '%%1833'], ['RestrictedAdminMode', '-'], ['TargetOutboundUserName', '-'], ['TargetOutboundDomainName', '-'],
          ['VirtualAccount', '%%1843'], ['TargetLinkedLogonId', hex(0)], ['ElevatedToken', '%%1842'],
        ],
      });
      return;
    }
    case 'application-spp': {
      // The Software Protection service schedules its own restart: the commonest Application event.
      const restart = new Date(ms + b.int(1, 48) * 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      b.push('application', label, {
        provider: SPP, eventId: 16384, qualifiers: 16384, version: 0, level: 4, task: 0, opcode: 0, keywords: '0x80000000000000',
        timeCreated: isoTime(ms, b.int(0, 9999)), execution: { processId: 0, threadId: 0 },
        channel: CHANNELS.application.channel, computer: b.host,
        eventData: [['', restart], ['', 'RulesEngine']],
      });
      return;
    }
    default:
      return assertNever(kind, 'benign kind');
  }
}


/** How many events one benign activity writes (process starts write two). */
function benignSize(kind: BenignKind): number {
  switch (kind) {
    case 'w3wp-start':
    case 'inetmgr':
    case 'appcmd-list':
    case 'appcmd-benign-set':
    case 'iisreset':
      return 2;
    case 'ps-admin-script':
    case 'iis-config-change':
    case 'sysmon-network':
    case 'sysmon-file':
    case 'logon':
    case 'application-spp':
      return 1;
    default:
      return assertNever(kind, 'benign kind');
  }
}

export const DEFAULT_BENIGN = 300;
export const MAX_BENIGN = 1_000_000;
/** Seconds covered by the scenario: benign activity spreads over it; the attack starts in its middle. */
const SPAN_SECONDS = 4 * 3600;

/** Builds the whole scenario for a seed: `benign` benign events exactly, plus the attack. */
export function buildIisScenario(seed: number, benign: number = DEFAULT_BENIGN): Scenario {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`seed must be a whole number 0..4294967295 (got ${seed})`);
  if (!Number.isInteger(benign) || benign < 0 || benign > MAX_BENIGN) throw new RangeError(`benign must be 0..${MAX_BENIGN} (got ${benign})`);
  const r = prng(seed);
  const host = HOSTS[Math.floor(r() * HOSTS.length)]!;
  const module = ROGUE_MODULES[Math.floor(r() * ROGUE_MODULES.length)]!;
  const startMs = Date.UTC(2024, 5, 3, 6, 0, 0) + Math.floor(r() * 30 * 86400) * 1000;
  const b = new Builder(seed, host);

  const attackEnd = addAttack(b, startMs + (SPAN_SECONDS / 2) * 1000, module);
  let written = 0;
  while (written < benign) {
    let kind = b.pick(BENIGN_KINDS);
    if (written + benignSize(kind) > benign) kind = 'logon';
    addBenign(b, startMs + b.int(0, SPAN_SECONDS * 1000), kind);
    written += benignSize(kind);
  }
  addLateAttack(b, attackEnd);

  const channels = new Map<ChannelKey, SimEvent[]>();
  const firstRecord: Record<ChannelKey, number> = { security: 480000, sysmon: 1200000, powershell: 33000, application: 91000, iisConfiguration: 200 };
  for (const key of Object.keys(CHANNELS) as ChannelKey[]) {
    const list = b.events
      .map((e, index) => ({ e, index }))
      .filter(({ e }) => e.key === key)
      .sort((x, y) => String(x.e.event.timeCreated).localeCompare(String(y.e.event.timeCreated)) || x.index - y.index);
    let record = firstRecord[key] + Math.floor(r() * 5000);
    channels.set(key, list.map(({ e }) => ({ ...e, event: { ...e.event, recordId: record++ } })));
  }
  return { seed, host, module, channels };
}

export function ruleFor(label: SimLabel): { readonly id: string; readonly file: string } | null {
  return label.kind === 'attack' ? IIS_RULES[label.rule] : null;
}
