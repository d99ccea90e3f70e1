/**
 * Classic Splunk WinEventLog text (renderXml=false) for the simulated events: a timestamp line,
 * `Key=Value` header lines, then `Message=` with the text Windows renders for the event, whose
 * `Label: value` lines are all a reader can pull fields from. Only the event IDs the simulations
 * write have a message layout; others get a generic `Name: value` list.
 */
import type { WriterEvent } from '../sinks/evtx-writer/types.js';
import { valueText } from '../cli/example/example-files.js';

/** `MM/DD/YYYY hh:mm:ss AM` (UTC: the simulation has no local time zone). */
function classicTime(iso: string): string {
  const d = new Date(iso);
  const two = (n: number): string => String(n).padStart(2, '0');
  const h = d.getUTCHours();
  const h12 = h % 12 === 0 ? 12 : h % 12;
  return `${two(d.getUTCMonth() + 1)}/${two(d.getUTCDate())}/${d.getUTCFullYear()} ${two(h12)}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} ${h < 12 ? 'AM' : 'PM'}`;
}

function dataOf(e: WriterEvent): (name: string) => string {
  const map = new Map<string, string>();
  for (const [name, value] of e.eventData ?? []) if (name !== '') map.set(name, valueText(value));
  return (name) => map.get(name) ?? '-';
}

const SECURITY_TASKS: Readonly<Record<number, string>> = { 4624: 'Logon', 4688: 'Process Creation' };
const SYSMON_TITLES: Readonly<Record<number, string>> = { 1: 'Process Create', 3: 'Network connection detected', 11: 'File created' };
const SYSMON_TASKS: Readonly<Record<number, string>> = { 1: 'Process Create (rule: ProcessCreate)', 3: 'Network connection detected (rule: NetworkConnect)', 11: 'File created (rule: FileCreate)' };

function message(e: WriterEvent): string[] {
  const d = dataOf(e);
  if (e.channel === 'Security' && e.eventId === 4688) {
    return [
      'A new process has been created.', '',
      'Creator Subject:', `\tSecurity ID:\t\t${d('SubjectUserSid')}`, `\tAccount Name:\t\t${d('SubjectUserName')}`,
      `\tAccount Domain:\t\t${d('SubjectDomainName')}`, `\tLogon ID:\t\t${d('SubjectLogonId')}`, '',
      'Target Subject:', `\tSecurity ID:\t\t${d('TargetUserSid')}`, `\tAccount Name:\t\t${d('TargetUserName')}`,
      `\tAccount Domain:\t\t${d('TargetDomainName')}`, `\tLogon ID:\t\t${d('TargetLogonId')}`, '',
      'Process Information:', `\tNew Process ID:\t\t${d('NewProcessId')}`, `\tNew Process Name:\t${d('NewProcessName')}`,
      `\tToken Elevation Type:\t${d('TokenElevationType')}`, `\tMandatory Label:\t\t${d('MandatoryLabel')}`,
      `\tCreator Process ID:\t${d('ProcessId')}`, `\tCreator Process Name:\t${d('ParentProcessName')}`,
      `\tProcess Command Line:\t${d('CommandLine')}`,
    ];
  }
  if (e.channel === 'Security' && e.eventId === 4624) {
    return [
      'An account was successfully logged on.', '',
      'Subject:', `\tSecurity ID:\t\t${d('SubjectUserSid')}`, `\tAccount Name:\t\t${d('SubjectUserName')}`,
      `\tAccount Domain:\t\t${d('SubjectDomainName')}`, `\tLogon ID:\t\t${d('SubjectLogonId')}`, '',
      'Logon Information:', `\tLogon Type:\t\t${d('LogonType')}`, `\tRestricted Admin Mode:\t${d('RestrictedAdminMode')}`, '',
      'New Logon:', `\tSecurity ID:\t\t${d('TargetUserSid')}`, `\tAccount Name:\t\t${d('TargetUserName')}`,
      `\tAccount Domain:\t\t${d('TargetDomainName')}`, `\tLogon ID:\t\t${d('TargetLogonId')}`, `\tLogon GUID:\t\t${d('LogonGuid')}`, '',
      'Process Information:', `\tProcess ID:\t\t${d('ProcessId')}`, `\tProcess Name:\t\t${d('ProcessName')}`, '',
      'Network Information:', `\tWorkstation Name:\t${d('WorkstationName')}`, `\tSource Network Address:\t${d('IpAddress')}`,
      `\tSource Port:\t\t${d('IpPort')}`, '',
      'Detailed Authentication Information:', `\tLogon Process:\t\t${d('LogonProcessName').trim()}`,
      `\tAuthentication Package:\t${d('AuthenticationPackageName')}`,
    ];
  }
  if (e.provider.name === 'Microsoft-Windows-Sysmon') {
    const lines = [`${SYSMON_TITLES[e.eventId] ?? 'Sysmon event'}:`];
    for (const [name, value] of e.eventData ?? []) lines.push(`${name}: ${valueText(value)}`);
    return lines;
  }
  if (e.provider.name === 'Microsoft-Windows-PowerShell' && e.eventId === 4104) {
    return [
      `Creating Scriptblock text (${d('MessageNumber')} of ${d('MessageTotal')}):`, ...d('ScriptBlockText').split('\n'), '',
      `ScriptBlock ID: ${d('ScriptBlockId')}`, `Path: ${d('Path') === '-' ? '' : d('Path')}`,
    ];
  }
  if (e.provider.name === 'Microsoft-Windows-IIS-Configuration' && e.eventId === 29) {
    return [`Changes to '${d('Configuration')}' at '${d('ConfigPath')}' have successfully been committed.`];
  }
  if (e.provider.name === 'Microsoft-Windows-IIS-W3SVC-WP' && e.eventId === 2282) {
    return [`The Module DLL ${d('ModuleDll')} failed to load.  The data is the error.`];
  }
  if (e.provider.name === 'Microsoft-Windows-Security-SPP' && e.eventId === 16384) {
    const [at, reason] = (e.eventData ?? []).map(([, v]) => valueText(v));
    return [`Successfully scheduled Software Protection service for re-start at ${at ?? ''}. Reason: ${reason ?? ''}.`];
  }
  return (e.eventData ?? []).map(([name, value]) => `${name || 'Data'}: ${valueText(value)}`);
}

function typeName(level: number | undefined): { type: string; eventType: number } {
  switch (level) {
    case 1:
    case 2:
      return { type: 'Error', eventType: 2 };
    case 3:
      return { type: 'Warning', eventType: 3 };
    default:
      return { type: 'Information', eventType: 4 };
  }
}

/** One event as a classic WinEventLog block (lines joined with `\n`, no trailing newline). */
export function eventWinEventLog(e: WriterEvent): string {
  const isSecurity = e.channel === 'Security';
  const { type, eventType } = typeName(e.level);
  const lines = [
    classicTime(typeof e.timeCreated === 'string' ? e.timeCreated : e.timeCreated.toISOString()),
    `LogName=${e.channel}`,
    `EventCode=${e.eventId}`,
    `EventType=${isSecurity ? 0 : eventType}`,
    `ComputerName=${e.computer}`,
  ];
  if (e.userId !== undefined) lines.push('User=NOT_TRANSLATED', `Sid=${e.userId}`, 'SidType=0');
  lines.push(
    `SourceName=${isSecurity ? 'Microsoft Windows security auditing.' : e.provider.name}`,
    `Type=${isSecurity ? 'Information' : type}`,
    `RecordNumber=${e.recordId ?? 0}`,
    `Keywords=${isSecurity ? 'Audit Success' : 'None'}`,
    `TaskCategory=${isSecurity ? SECURITY_TASKS[e.eventId] ?? 'None' : e.provider.name === 'Microsoft-Windows-Sysmon' ? SYSMON_TASKS[e.eventId] ?? 'None' : 'None'}`,
    'OpCode=Info',
  );
  const body = message(e);
  lines.push(`Message=${body[0] ?? ''}`, ...body.slice(1));
  return lines.join('\n');
}
