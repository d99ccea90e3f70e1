/**
 * Synthetic throughput check of routing + matching (not a test): ~2,000 rules shaped like the
 * SigmaHQ Windows set (process_creation dominant, endswith/contains lists, filters, a few
 * regexes) over a Sysmon/Security event mix. Run: `node <build>/src/engine/micro-bench.js [events]`.
 */
import type { FieldValue, Fields, VigilEvent } from '../core/event.js';
import type { DetectionRule, DetectionVariant, Expr, PatternPart, Rule } from '../ir/nodes.js';
import { compileRules } from './engine.js';

let seed = 12345;
function rand(): number {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
}
function pick<T>(xs: readonly T[]): T {
  return xs[Math.floor(rand() * xs.length)]!;
}
function word(n = 6): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(97 + Math.floor(rand() * 26));
  return s;
}

const text = (t: string): PatternPart => ({ kind: 'text', text: t });
const any: PatternPart = { kind: 'any' };
const field = (f: string, parts: PatternPart[]): Expr => ({ kind: 'field', field: f, match: { kind: 'pattern', parts, cased: false } });
const endswith = (f: string, v: string): Expr => field(f, [any, text(v)]);
const contains = (f: string, v: string): Expr => field(f, [any, text(v), any]);
const startswith = (f: string, v: string): Expr => field(f, [text(v), any]);
const or = (items: Expr[]): Expr => ({ kind: 'or', items });
const and = (items: Expr[]): Expr => ({ kind: 'and', items });

const SYSMON = 'Microsoft-Windows-Sysmon/Operational';
const SYSMON_PROVIDER = 'Microsoft-Windows-Sysmon';
const BINARIES = ['powershell.exe', 'cmd.exe', 'rundll32.exe', 'regsvr32.exe', 'mshta.exe', 'wmic.exe', 'certutil.exe', 'schtasks.exe', 'net.exe', 'reg.exe'];

function scope(channel: string, provider: string, ids: number[]): DetectionVariant['scope'] {
  return { channels: [channel], providers: [provider], eventIds: ids, extra: null };
}

function makeRule(i: number): Rule {
  const r = rand();
  const variants: DetectionVariant[] = [];
  if (r < 0.6) {
    const img = or(Array.from({ length: 1 + Math.floor(rand() * 3) }, () => endswith('Image', `\\${rand() < 0.3 ? pick(BINARIES) : word() + '.exe'}`)));
    const cli = rand() < 0.5 ? and([contains('CommandLine', ` -${word(4)}`), contains('CommandLine', word(5))]) : or([contains('CommandLine', word(7)), contains('CommandLine', word(8))]);
    const filter = { kind: 'not', item: startswith('ParentImage', `C:\\Program Files\\${word()}`) } as Expr;
    let cond: Expr = and([img, cli, filter]);
    if (rand() < 0.05) cond = and([img, { kind: 'field', field: 'CommandLine', match: { kind: 'regex', source: `${word(4)}\\s+-[a-z]{2,}`, flags: 'i' } }]);
    variants.push({ label: 'sysmon', scope: scope(SYSMON, SYSMON_PROVIDER, [1]), condition: cond });
    variants.push({ label: 'security-4688', scope: scope('Security', 'Microsoft-Windows-Security-Auditing', [4688]), condition: cond });
  } else if (r < 0.75) {
    variants.push({ label: 'sysmon', scope: scope(SYSMON, SYSMON_PROVIDER, [13]), condition: and([contains('TargetObject', `\\${word()}\\`), endswith('Details', word(4))]) });
  } else if (r < 0.85) {
    variants.push({ label: 'sysmon', scope: scope(SYSMON, SYSMON_PROVIDER, [11]), condition: and([endswith('TargetFilename', `.${word(3)}`), contains('TargetFilename', `\\${word()}\\`)]) });
  } else if (r < 0.92) {
    variants.push({ label: 'sysmon', scope: scope(SYSMON, SYSMON_PROVIDER, [7]), condition: and([endswith('ImageLoaded', `\\${word()}.dll`), { kind: 'not', item: startswith('Image', 'C:\\Windows\\') }]) });
  } else {
    variants.push({ label: 'security', scope: scope('Security', 'Microsoft-Windows-Security-Auditing', [pick([4624, 4625, 4672, 4698, 5145])]), condition: and([field('LogonType', [text(String(pick([3, 10])))]), endswith('TargetUserName', word(4))]) });
  }
  const rule: DetectionRule = {
    kind: 'detection',
    meta: { id: `bench-${i}`, title: `bench ${i}`, level: 'medium', tags: [], origin: 'sigma', source: { file: 'bench' } },
    logsource: {},
    variants,
    outputFields: [],
  };
  return rule;
}

function makeEvent(i: number): VigilEvent {
  const r = rand();
  const base = (channel: string, provider: string, id: number, extra: Record<string, FieldValue>): Fields => ({
    Provider_Name: provider,
    EventID: id,
    Version: 5,
    Level: 4,
    Task: 1,
    Keywords: '0x8000000000000000',
    TimeCreated: '2024-04-23T08:48:30.449376800Z',
    EventRecordID: i,
    Execution_ProcessID: 3000,
    Channel: channel,
    Computer: 'WS01.corp.local',
    Security_UserID: 'S-1-5-18',
    ...extra,
  });
  let fields: Fields;
  if (r < 0.35) {
    const exe = rand() < 0.3 ? pick(BINARIES) : `${word()}.exe`;
    fields = base(SYSMON, SYSMON_PROVIDER, 1, {
      RuleName: '-', UtcTime: '2024-04-23 08:48:30.449', ProcessGuid: '{5770385f-c22a-43e0-bf4c-06f5698ffbd9}', ProcessId: 4242,
      Image: `C:\\Windows\\System32\\${exe}`, FileVersion: '10.0.19041.1', Description: 'Windows Command Processor', Product: 'Microsoft Windows Operating System',
      Company: 'Microsoft Corporation', OriginalFileName: exe.toUpperCase(), CommandLine: `"C:\\Windows\\System32\\${exe}" /c ${word(8)} -${word(4)} ${word(12)}`,
      CurrentDirectory: 'C:\\Users\\alice\\', User: 'CORP\\alice', LogonGuid: '{5770385f-c22a-43e0-0000-0020e7030000}', LogonId: '0x3e7', TerminalSessionId: 1,
      IntegrityLevel: 'High', Hashes: 'SHA256=ABCDEF0123456789', ParentProcessGuid: '{5770385f-c22a-43e0-bf4c-06f5698ffbd8}', ParentProcessId: 1000,
      ParentImage: 'C:\\Windows\\explorer.exe', ParentCommandLine: 'C:\\Windows\\explorer.exe', ParentUser: 'CORP\\alice',
    });
  } else if (r < 0.55) {
    fields = base(SYSMON, SYSMON_PROVIDER, 13, { RuleName: '-', EventType: 'SetValue', UtcTime: '2024-04-23 08:48:30.449', ProcessGuid: '{x}', ProcessId: 4, Image: 'C:\\Windows\\system32\\svchost.exe', TargetObject: `HKLM\\SOFTWARE\\${word()}\\${word()}\\Start`, Details: 'DWORD (0x00000002)', User: 'NT AUTHORITY\\SYSTEM' });
  } else if (r < 0.7) {
    fields = base(SYSMON, SYSMON_PROVIDER, 11, { RuleName: '-', UtcTime: '2024-04-23 08:48:30.449', ProcessGuid: '{x}', ProcessId: 4, Image: 'C:\\Windows\\system32\\svchost.exe', TargetFilename: `C:\\Users\\alice\\AppData\\${word()}\\${word()}.tmp`, CreationUtcTime: '2024-04-23 08:48:30.449', User: 'NT AUTHORITY\\SYSTEM' });
  } else if (r < 0.8) {
    fields = base(SYSMON, SYSMON_PROVIDER, 7, { RuleName: '-', UtcTime: '2024-04-23 08:48:30.449', ProcessGuid: '{x}', ProcessId: 4, Image: `C:\\Program Files\\${word()}\\app.exe`, ImageLoaded: `C:\\Windows\\System32\\${word()}.dll`, Signed: 'true', Signature: 'Microsoft Windows', SignatureStatus: 'Valid', User: 'CORP\\alice' });
  } else if (r < 0.9) {
    fields = base(SYSMON, SYSMON_PROVIDER, 3, { RuleName: '-', UtcTime: '2024-04-23 08:48:30.449', ProcessGuid: '{x}', ProcessId: 4, Image: 'C:\\Windows\\system32\\svchost.exe', Protocol: 'tcp', Initiated: 'true', SourceIp: '10.0.0.5', SourcePort: 50000, DestinationIp: '10.0.0.1', DestinationPort: 445 });
  } else {
    fields = base('Security', 'Microsoft-Windows-Security-Auditing', pick([4624, 4688, 4672]), {
      SubjectUserSid: 'S-1-5-18', SubjectUserName: 'WS01$', SubjectDomainName: 'CORP', SubjectLogonId: '0x3e7', TargetUserName: word(5), TargetDomainName: 'CORP', LogonType: pick([2, 3, 10]),
      NewProcessName: `C:\\Windows\\System32\\${pick(BINARIES)}`, CommandLine: `${word()} -${word(4)}`, IpAddress: '10.1.2.3', IpPort: '50123',
    });
  }
  return {
    fields,
    provenance: { file: 'bench.evtx', format: 'evtx', recordId: i, offset: 0 },
    time: '2024-04-23T08:48:30.449376800Z',
    channel: fields['Channel'] as string,
    provider: fields['Provider_Name'] as string,
    eventId: fields['EventID'] as number,
    computer: 'WS01.corp.local',
    render: () => '',
  };
}

function main(): void {
  const ruleCount = 2000;
  const eventCount = Number(process.argv[2] ?? 300_000);
  const rules = Array.from({ length: ruleCount }, (_, i) => makeRule(i));
  const t0 = performance.now();
  const { engine, problems } = compileRules(rules);
  const compileMs = performance.now() - t0;
  const events = Array.from({ length: 20_000 }, (_, i) => makeEvent(i));
  let findings = 0;
  const emit = (): void => {
    findings++;
  };
  // Warm up, then measure.
  for (const e of events) engine.process(e, emit);
  const t1 = performance.now();
  for (let i = 0; i < eventCount; i++) engine.process(events[i % events.length]!, emit);
  const ms = performance.now() - t1;
  const rate = Math.round((eventCount / ms) * 1000);
  process.stdout.write(
    `rules ${ruleCount} (problems ${problems.length}), compile ${compileMs.toFixed(0)} ms; events ${eventCount} in ${ms.toFixed(0)} ms = ${rate} events/s; ` +
      `variants tested/event ${(engine.stats.variantsTested / engine.stats.events).toFixed(1)}; findings ${findings}\n`,
  );
}

main();
