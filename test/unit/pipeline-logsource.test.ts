/**
 * Logsource resolution: every row of the shipped mapping files (table-driven from the YAML,
 * read here with the plain `yaml` parser), hand-written expectations for the key rows, the
 * field-map pass checked by evaluating its output on 4688 / 4657 / 5156 shaped events, and
 * located errors for bad mapping files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import type { DetectionVariant, Expr, PatternMatch, PatternPart, Scope, ValueMatch } from '../../src/ir/nodes.js';
import { createLogsourceResolver, defaultSigmaMappingsDir, loadLogsourceMappings, type LogsourceResolution } from '../../src/pipeline/index.js';
import { tempDirs } from '../helpers/temp-dirs.js';

const tempDir = tempDirs();

const MAPPINGS = path.join(process.cwd(), 'mappings', 'sigma');
const resolver = createLogsourceResolver({ mappingsDir: MAPPINGS });

// ---------------------------------------------------------------------------------------------
// IR builders and a naive evaluator (independent of src/pipeline)

const any: PatternPart = { kind: 'any' };
const txt = (text: string): PatternPart => ({ kind: 'text', text });
const pat = (field: string, ...parts: PatternPart[]): Expr => ({ kind: 'field', field, match: { kind: 'pattern', parts, cased: false } });
const eq = (field: string, text: string): Expr => pat(field, txt(text));
const endswith = (field: string, text: string): Expr => pat(field, any, txt(text));
const startswith = (field: string, text: string): Expr => pat(field, txt(text), any);
const contains = (field: string, text: string): Expr => pat(field, any, txt(text), any);
const andE = (...items: Expr[]): Expr => ({ kind: 'and', items });
const orE = (...items: Expr[]): Expr => ({ kind: 'or', items });
const notE = (item: Expr): Expr => ({ kind: 'not', item });

type TestFields = Record<string, string | number | undefined>;

function patternToRegExp(p: PatternMatch): RegExp {
  const src = p.parts
    .map((part) => (part.kind === 'text' ? part.text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : part.kind === 'any' ? '.*' : '.'))
    .join('');
  return new RegExp(`^${src}$`, p.cased ? 's' : 'is');
}

function parseNumber(v: string): number {
  return /^0x[0-9a-f]+$/i.test(v) ? parseInt(v.slice(2), 16) : /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : NaN;
}

function testValue(m: ValueMatch, value: string): boolean {
  switch (m.kind) {
    case 'pattern':
      return patternToRegExp(m).test(value);
    case 'regex':
      return new RegExp(m.source, m.flags).test(value);
    case 'number': {
      const n = parseNumber(value);
      if (Number.isNaN(n)) return false;
      return { eq: n === m.value, lt: n < m.value, lte: n <= m.value, gt: n > m.value, gte: n >= m.value }[m.op];
    }
    default:
      throw new Error(`test evaluator does not support ${m.kind}`);
  }
}

function evaluate(e: Expr, f: TestFields): boolean {
  switch (e.kind) {
    case 'field': {
      const v = f[e.field];
      return v !== undefined && testValue(e.match, String(v));
    }
    case 'keyword':
      return Object.values(f).some((v) => v !== undefined && testValue(e.match, String(v)));
    case 'exists':
      return f[e.field] !== undefined;
    case 'null':
      return f[e.field] === undefined;
    case 'fieldref':
      return f[e.field] !== undefined && String(f[e.field]).toLowerCase() === String(f[e.other]).toLowerCase();
    case 'and':
      return e.items.every((i) => evaluate(i, f));
    case 'or':
      return e.items.some((i) => evaluate(i, f));
    case 'not':
      return !evaluate(e.item, f);
    case 'const':
      return e.value;
  }
}

/** Whether an event (Channel, Provider_Name, EventID in `f`) is inside a scope. */
function inScope(s: Scope, f: TestFields): boolean {
  const ci = (list: readonly string[], v: unknown): boolean => list.length === 0 || list.some((x) => x.toLowerCase() === String(v ?? '').toLowerCase());
  return (
    ci(s.channels, f.Channel) &&
    ci(s.providers, f.Provider_Name) &&
    (s.eventIds.length === 0 || s.eventIds.includes(Number(f.EventID))) &&
    (s.extra === null || evaluate(s.extra, f))
  );
}

function ok(r: LogsourceResolution): { variants: DetectionVariant[]; warnings: string[] } {
  if ('error' in r) assert.fail(`unexpected error: ${r.error}`);
  return r;
}

function variant(r: LogsourceResolution, label: string): DetectionVariant {
  const v = ok(r).variants.find((x) => x.label === label);
  assert.ok(v, `variant ${label} missing`);
  return v;
}

/** Does the rule (any variant, scope and condition) fire on this event? */
function fires(r: LogsourceResolution, event: TestFields): string[] {
  return ok(r).variants.filter((v) => inScope(v.scope, event) && evaluate(v.condition, event)).map((v) => v.label);
}

function deepFreeze<T>(x: T): T {
  if (x && typeof x === 'object') {
    for (const v of Object.values(x)) deepFreeze(v);
    Object.freeze(x);
  }
  return x;
}

// Events shaped like the real ones (4688 from EVTX-to-MITRE-Attack PsExec sample, rendered by libevtx).
const SECURITY_4688: TestFields = {
  Channel: 'Security',
  Provider_Name: 'Microsoft-Windows-Security-Auditing',
  EventID: 4688,
  SubjectUserSid: 'S-1-5-18',
  SubjectUserName: 'SRVDEFENDER01$',
  SubjectDomainName: 'OFFSEC',
  SubjectLogonId: '0x00000000000003e7',
  NewProcessId: '0x0000000000000c24',
  NewProcessName: 'C:\\Windows\\PSEXESVC.exe',
  TokenElevationType: '%%1936',
  ProcessId: '0x0000000000000238',
  CommandLine: 'C:\\Windows\\PSEXESVC.exe',
  TargetUserSid: 'S-1-0-0',
  TargetUserName: '-',
  TargetDomainName: '-',
  TargetLogonId: '0x0000000000000000',
  ParentProcessName: 'C:\\Windows\\System32\\services.exe',
  MandatoryLabel: 'S-1-16-16384',
};

const SYSMON_1: TestFields = {
  Channel: 'Microsoft-Windows-Sysmon/Operational',
  Provider_Name: 'Microsoft-Windows-Sysmon',
  EventID: 1,
  Image: 'C:\\Windows\\PSEXESVC.exe',
  ProcessId: 3108,
  ParentImage: 'C:\\Windows\\System32\\services.exe',
  ParentProcessId: 568,
  IntegrityLevel: 'System',
  User: 'NT AUTHORITY\\SYSTEM',
  LogonId: '0x3e7',
  OriginalFileName: 'psexesvc.exe',
  CommandLine: 'C:\\Windows\\PSEXESVC.exe',
};

// ---------------------------------------------------------------------------------------------
// Table-driven: every row of the data files

interface ServiceRow {
  channels?: string | string[];
  providers?: string | string[];
}
interface VariantRow {
  label: string;
  service?: string;
  channels?: string | string[];
  providers?: string | string[];
  event_ids?: number[];
  where?: Record<string, string | string[]>;
}
const list = (x: string | string[] | undefined): string[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);
const servicesDoc = parse(readFileSync(path.join(MAPPINGS, 'windows-services.yml'), 'utf8')) as {
  services: Record<string, ServiceRow>;
  aliases: Record<string, string>;
};
const categoriesDoc = parse(readFileSync(path.join(MAPPINGS, 'windows-categories.yml'), 'utf8')) as {
  categories: Record<string, { variants: VariantRow[]; without_product?: boolean }>;
};

test('every service row resolves to exactly its channels, with no EventID restriction', () => {
  const names = Object.keys(servicesDoc.services);
  assert.ok(names.length >= 45, `only ${names.length} services`);
  for (const name of names) {
    const row = servicesDoc.services[name]!;
    const r = ok(resolver.resolve({ product: 'windows', service: name }, eq('X', 'y')));
    assert.equal(r.variants.length, 1, name);
    const scope = r.variants[0]!.scope;
    assert.deepEqual(scope.channels, list(row.channels), name);
    assert.deepEqual(scope.providers, list(row.providers), name);
    assert.deepEqual(scope.eventIds, [], name);
    assert.equal(scope.extra, null, name);
  }
  for (const [alias, target] of Object.entries(servicesDoc.aliases)) {
    const a = ok(resolver.resolve({ product: 'windows', service: alias }, eq('X', 'y')));
    const t = ok(resolver.resolve({ product: 'windows', service: target }, eq('X', 'y')));
    assert.deepEqual(a.variants[0]!.scope, t.variants[0]!.scope, alias);
  }
});

test('every thor.yml / spec service the brief names is present', () => {
  for (const name of [
    'security', 'system', 'application', 'sysmon', 'powershell', 'powershell-classic', 'taskscheduler', 'wmi', 'dns-server',
    'driver-framework', 'ntlm', 'dhcp', 'msexchange-management', 'applocker', 'printservice-admin', 'printservice-operational',
    'codeintegrity-operational', 'smbclient-security', 'firewall-as', 'bits-client', 'windefend', 'terminalservices-localsessionmanager',
    'security-mitigations', 'diagnosis-scripted', 'shell-core', 'openssh', 'bitlocker', 'vhdmp', 'appxdeployment-server', 'lsa-server',
    'appxpackaging-om', 'dns-client', 'appmodel-runtime', 'capi2', 'certificateservicesclient-lifecycle-system', 'iis-configuration',
    'ldap', 'servicebus-client', 'kernel-shimengine', 'application-experience', 'ntfs', 'hyper-v-worker', 'kernel-event-tracing', 'sense',
    'smbclient-connectivity', 'smbserver-connectivity',
  ]) {
    assert.ok(servicesDoc.services[name], name);
  }
  assert.equal(list(servicesDoc.services.applocker!.channels).length, 4);
  assert.equal(list(servicesDoc.services.powershell!.channels).length, 2);
});

test('every category row resolves to its variants, scopes and preconditions', () => {
  const names = Object.keys(categoriesDoc.categories);
  assert.ok(names.length >= 35, `only ${names.length} categories`);
  for (const name of names) {
    const row = categoriesDoc.categories[name]!;
    const logsource: Record<string, string> = row.without_product ? { category: name } : { product: 'windows', category: name };
    // A condition on a field no map touches keeps every variant.
    const r = ok(resolver.resolve(logsource, eq('FieldNoMapTouches', 'x')));
    assert.deepEqual(r.variants.map((v) => v.label), row.variants.map((v) => v.label), name);
    row.variants.forEach((vr, i) => {
      const scope: Scope = r.variants[i]!.scope;
      const channels = [...(vr.service ? list(servicesDoc.services[vr.service]!.channels) : []), ...list(vr.channels)];
      assert.deepEqual(scope.channels, channels, `${name}/${vr.label} channels`);
      assert.deepEqual(scope.providers, [...(vr.service ? list(servicesDoc.services[vr.service]!.providers) : []), ...list(vr.providers)], `${name}/${vr.label}`);
      assert.deepEqual(scope.eventIds, vr.event_ids ?? [], `${name}/${vr.label} ids`);
      // Preconditions: each listed value passes, a foreign value does not.
      if (vr.where) {
        assert.ok(scope.extra, `${name}/${vr.label} extra`);
        const [field, values] = Object.entries(vr.where)[0]!;
        for (const v of list(values)) assert.ok(evaluate(scope.extra, { [field]: v.toLowerCase() }), `${name} ${field}=${v}`);
        assert.ok(!evaluate(scope.extra, { [field]: 'SomethingElse' }));
      } else assert.equal(scope.extra, null, `${name}/${vr.label}`);
    });
  }
});

test('Sysmon categories carry the taxonomy EventIDs (spec + thor.yml)', () => {
  const expected: Record<string, number[]> = {
    process_creation: [1], file_change: [2], network_connection: [3], sysmon_status: [4, 16], process_termination: [5],
    driver_load: [6], image_load: [7], create_remote_thread: [8], raw_access_thread: [9], process_access: [10], file_event: [11],
    registry_event: [12, 13, 14], registry_add: [12], registry_delete: [12], registry_set: [13], registry_rename: [14],
    create_stream_hash: [15], pipe_created: [17, 18], wmi_event: [19, 20, 21], dns_query: [22], file_delete: [23],
    clipboard_capture: [24], process_tampering: [25], file_delete_detected: [26], file_block_executable: [27],
    file_block_shredding: [28], file_executable_detected: [29], sysmon_error: [255],
  };
  for (const [category, ids] of Object.entries(expected)) {
    const v = variant(resolver.resolve({ product: 'windows', category }, eq('CommandLine', 'x')), 'sysmon');
    assert.deepEqual(v.scope.channels, ['Microsoft-Windows-Sysmon/Operational'], category);
    assert.deepEqual(v.scope.eventIds, ids, category);
  }
});

// ---------------------------------------------------------------------------------------------
// Key rows by hand

test('process_creation gives a Sysmon 1 and a Security 4688 variant, both firing on the same process', () => {
  const cond = andE(endswith('Image', '\\PSEXESVC.exe'), endswith('ParentImage', '\\services.exe'));
  const r = resolver.resolve({ product: 'windows', category: 'process_creation' }, cond);
  assert.deepEqual(ok(r).variants.map((v) => v.label), ['sysmon', 'security-4688']);
  const sec = variant(r, 'security-4688');
  assert.deepEqual(sec.scope, { channels: ['Security'], providers: [], eventIds: [4688], extra: null });
  assert.deepEqual(sec.condition, andE(endswith('NewProcessName', '\\PSEXESVC.exe'), endswith('ParentProcessName', '\\services.exe')));
  assert.equal(variant(r, 'sysmon').condition, cond, 'the Sysmon variant keeps the condition as written');
  assert.deepEqual(fires(r, SYSMON_1), ['sysmon']);
  assert.deepEqual(fires(r, SECURITY_4688), ['security-4688']);
  assert.deepEqual(ok(r).warnings, []);
});

test('a rule sees only its own log source: EventID 1 of another channel does not fire', () => {
  const r = resolver.resolve({ product: 'windows', category: 'process_creation' }, endswith('Image', '.exe'));
  assert.deepEqual(fires(r, { ...SYSMON_1, Channel: 'Application', Provider_Name: 'Other' }), []);
  assert.deepEqual(fires(r, { ...SECURITY_4688, EventID: 4689 }), []);
});

test('decimal process ids compare with the hex ids 4688 writes', () => {
  const r = resolver.resolve({ product: 'windows', category: 'process_creation' }, andE(eq('ProcessId', '3108'), eq('ParentProcessId', '568')));
  assert.deepEqual(fires(r, SYSMON_1), ['sysmon']);
  assert.deepEqual(fires(r, SECURITY_4688), ['security-4688'], '0x...0c24 = 3108, 0x...0238 = 568');
  assert.deepEqual(fires(r, { ...SECURITY_4688, NewProcessId: '0xc25' }), []);
  // Hex in the rule (LogonId is hex on both sides).
  const l = resolver.resolve({ product: 'windows', category: 'process_creation' }, eq('LogonId', '0x3e7'));
  assert.deepEqual(fires(l, SECURITY_4688), ['security-4688']);
  // A wildcard number cannot be translated: pessimistic false + warning.
  const w = resolver.resolve({ product: 'windows', category: 'process_creation' }, orE(startswith('ProcessId', '31'), endswith('Image', 'x.exe')));
  assert.deepEqual(variant(w, 'security-4688').condition, endswith('NewProcessName', 'x.exe'));
  assert.match(ok(w).warnings.join('\n'), /ProcessId: a number with wildcards/);
});

test('integrity levels translate to mandatory-label SIDs, keeping SID spellings', () => {
  const r = resolver.resolve({ product: 'windows', category: 'process_creation' }, eq('IntegrityLevel', 'system'));
  assert.deepEqual(fires(r, SECURITY_4688), ['security-4688']);
  assert.deepEqual(fires(r, { ...SECURITY_4688, MandatoryLabel: 'S-1-16-12288' }), []);
  const pairs: [string, string][] = [['Low', 'S-1-16-4096'], ['Medium', 'S-1-16-8192'], ['High', 'S-1-16-12288'], ['System', 'S-1-16-16384']];
  for (const [label, sid] of pairs) {
    const c = resolver.resolve({ product: 'windows', category: 'process_creation' }, eq('IntegrityLevel', label));
    assert.deepEqual(fires(c, { ...SECURITY_4688, MandatoryLabel: sid }), ['security-4688'], label);
  }
  const s = resolver.resolve({ product: 'windows', category: 'process_creation' }, eq('IntegrityLevel', 'S-1-16-16384'));
  assert.deepEqual(fires(s, SECURITY_4688), ['security-4688']);
  const h = resolver.resolve({ product: 'windows', category: 'process_creation' }, contains('IntegrityLevel', 'igh'));
  assert.deepEqual(fires(h, { ...SECURITY_4688, MandatoryLabel: 'S-1-16-12288' }), ['security-4688']);
});

test('User DOMAIN\\user is split over 4688 account fields, with well-known SIDs and Target* precedence', () => {
  const system = resolver.resolve({ product: 'windows', category: 'process_creation' }, eq('User', 'NT AUTHORITY\\SYSTEM'));
  assert.deepEqual(fires(system, SECURITY_4688), ['security-4688'], 'SYSTEM shows as SID S-1-5-18 with the machine account');
  const authority = resolver.resolve(
    { product: 'windows', category: 'process_creation' },
    andE(orE(contains('User', 'AUTHORI'), contains('User', 'AUTORI')), endswith('User', 'SYSTEM')),
  );
  assert.deepEqual(fires(authority, SECURITY_4688), ['security-4688']);
  assert.deepEqual(fires(authority, SYSMON_1), ['sysmon']);
  const named = resolver.resolve({ product: 'windows', category: 'process_creation' }, eq('User', 'OFFSEC\\alice'));
  const asAlice: TestFields = { ...SECURITY_4688, SubjectUserSid: 'S-1-5-21-1', SubjectUserName: 'alice', SubjectDomainName: 'OFFSEC' };
  assert.deepEqual(fires(named, asAlice), ['security-4688']);
  assert.deepEqual(fires(named, { ...asAlice, SubjectDomainName: 'OTHER' }), []);
  // Created for another account (runas): Target* names the new process's user.
  const runas: TestFields = { ...asAlice, SubjectUserName: 'bob', TargetUserName: 'alice', TargetDomainName: 'OFFSEC' };
  assert.deepEqual(fires(named, runas), ['security-4688']);
  assert.deepEqual(fires(named, { ...asAlice, TargetUserName: 'bob', TargetDomainName: 'OFFSEC' }), []);
});

test('Sysmon-only fields: OR branches fall away, AND makes the 4688 variant drop, `not filter` blocks it', () => {
  const pc = { product: 'windows', category: 'process_creation' };
  const orBranch = resolver.resolve(pc, orE(endswith('Image', '\\appcmd.exe'), eq('OriginalFileName', 'appcmd.exe')));
  assert.deepEqual(variant(orBranch, 'security-4688').condition, endswith('NewProcessName', '\\appcmd.exe'));
  assert.deepEqual(ok(orBranch).warnings, [], 'a missing field in a selection behaves as at run time: no warning');

  const onlySysmon = resolver.resolve(pc, andE(endswith('Image', '\\x.exe'), contains('Hashes', 'IMPHASH=')));
  assert.deepEqual(ok(onlySysmon).variants.map((v) => v.label), ['sysmon']);
  assert.match(ok(onlySysmon).warnings.join('\n'), /variant security-4688 .*dropped.*Hashes/);

  // The safer choice for responders: a filter we cannot evaluate must not let through the
  // events its author excluded, so the 4688 variant does not fire at all.
  const filtered = resolver.resolve(pc, andE(endswith('Image', '\\rundll32.exe'), notE(contains('ParentCommandLine', 'legit'))));
  assert.deepEqual(ok(filtered).variants.map((v) => v.label), ['sysmon']);
  // A filter on available fields stays.
  const fine = resolver.resolve(pc, andE(endswith('Image', '\\rundll32.exe'), notE(endswith('ParentImage', '\\svchost.exe'))));
  assert.deepEqual(variant(fine, 'security-4688').condition, andE(endswith('NewProcessName', '\\rundll32.exe'), notE(endswith('ParentProcessName', '\\svchost.exe'))));
  // A filter that only guards one branch: the variant stays, with a warning.
  const partly = resolver.resolve(pc, orE(andE(endswith('Image', '\\a.exe'), notE(eq('Company', 'Microsoft'))), endswith('Image', '\\b.exe')));
  assert.deepEqual(variant(partly, 'security-4688').condition, endswith('NewProcessName', '\\b.exe'));
  assert.match(ok(partly).warnings.join('\n'), /variant security-4688 .*filters on Company cannot be checked/);
  // Null / exists on an unavailable field under `not`.
  const nullFilter = resolver.resolve(pc, andE(endswith('Image', '\\a.exe'), notE({ kind: 'null', field: 'OriginalFileName' })));
  assert.deepEqual(ok(nullFilter).variants.map((v) => v.label), ['sysmon']);
});

test('the pass is pure: frozen input, untouched subtrees shared', () => {
  const keep = endswith('CommandLine', ' -enc ');
  const cond = deepFreeze(andE(keep, endswith('Image', '\\powershell.exe'), notE(eq('IntegrityLevel', 'High'))));
  const before = JSON.stringify(cond);
  const r = resolver.resolve({ product: 'windows', category: 'process_creation' }, cond);
  assert.equal(JSON.stringify(cond), before);
  const sec = variant(r, 'security-4688').condition;
  assert.equal(sec.kind, 'and');
  assert.equal((sec as { items: readonly Expr[] }).items[0], keep);
  // Resolving twice gives equal results.
  assert.deepEqual(resolver.resolve({ product: 'windows', category: 'process_creation' }, cond), r);
});

test('registry categories: 4657 with kernel key paths, value names and operation preconditions', () => {
  const r = resolver.resolve(
    { product: 'windows', category: 'registry_set' },
    andE(endswith('TargetObject', '\\CurrentVersion\\Run\\evil'), eq('Details', 'C:\\evil.exe')),
  );
  const e4657: TestFields = {
    Channel: 'Security',
    EventID: 4657,
    ObjectName: '\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run',
    ObjectValueName: 'evil',
    OperationType: '%%1905',
    NewValue: 'C:\\evil.exe',
  };
  assert.deepEqual(fires(r, e4657), ['security-4657']);
  assert.deepEqual(fires(r, { ...e4657, OperationType: '%%1906' }), [], 'a deletion is not a set');
  assert.deepEqual(fires(r, { ...e4657, ObjectValueName: 'other' }), []);

  const hklm = resolver.resolve({ product: 'windows', category: 'registry_set' }, startswith('TargetObject', 'HKLM\\System\\CurrentControlSet\\Services\\'));
  const svc: TestFields = { ...e4657, ObjectName: '\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\evil', ObjectValueName: 'ImagePath' };
  assert.deepEqual(fires(hklm, svc), ['security-4657']);
  assert.deepEqual(fires(hklm, { ...svc, ObjectName: '\\REGISTRY\\USER\\S-1-5-21\\System\\ControlSet001\\Services\\evil' }), []);
  const hku = resolver.resolve({ product: 'windows', category: 'registry_set' }, startswith('TargetObject', 'HKU\\'));
  assert.deepEqual(fires(hku, { ...e4657, ObjectName: '\\REGISTRY\\USER\\S-1-5-21-1\\Software' }), ['security-4657']);

  // Sysmon registry_add / registry_delete preconditions from thor.yml.
  const add = variant(resolver.resolve({ product: 'windows', category: 'registry_add' }, contains('TargetObject', 'x')), 'sysmon');
  assert.ok(evaluate(add.scope.extra!, { EventType: 'CreateKey' }));
  assert.ok(!evaluate(add.scope.extra!, { EventType: 'SetValue' }));
  const del = variant(resolver.resolve({ product: 'windows', category: 'registry_delete' }, contains('TargetObject', 'x')), 'sysmon');
  assert.ok(evaluate(del.scope.extra!, { EventType: 'DeleteKey' }) && evaluate(del.scope.extra!, { EventType: 'DeleteValue' }));
  assert.ok(!evaluate(del.scope.extra!, { EventType: 'CreateKey' }));
  // EventType translated to 4657 OperationType.
  const ev = resolver.resolve({ product: 'windows', category: 'registry_event' }, eq('EventType', 'SetValue'));
  assert.deepEqual(fires(ev, e4657), ['security-4657']);
});

test('network_connection: Sysmon 3 and Security 5156 with address, direction and protocol translation', () => {
  const r = resolver.resolve(
    { product: 'windows', category: 'network_connection' },
    andE(endswith('Image', '\\rundll32.exe'), eq('Initiated', 'true'), eq('DestinationPort', '443'), eq('Protocol', 'tcp')),
  );
  const e5156: TestFields = {
    Channel: 'Security',
    EventID: 5156,
    Application: '\\device\\harddiskvolume2\\windows\\system32\\rundll32.exe',
    Direction: '%%14593',
    DestPort: '443',
    Protocol: '6',
  };
  assert.deepEqual(fires(r, e5156), ['security-5156']);
  assert.deepEqual(fires(r, { ...e5156, Direction: '%%14592' }), []);
  const drive = resolver.resolve({ product: 'windows', category: 'network_connection' }, startswith('Image', 'C:\\Users\\'));
  assert.deepEqual(fires(drive, { ...e5156, Application: '\\device\\harddiskvolume3\\users\\bob\\a.exe' }), ['security-5156']);
  const host = resolver.resolve({ product: 'windows', category: 'network_connection' }, endswith('DestinationHostname', '.onion'));
  assert.deepEqual(ok(host).variants.map((v) => v.label), ['sysmon']);
});

test('PowerShell categories: ps_script is 4104 on both PowerShell channels', () => {
  const v = variant(resolver.resolve({ product: 'windows', category: 'ps_script' }, contains('ScriptBlockText', 'x')), 'powershell');
  assert.deepEqual(v.scope, { channels: ['Microsoft-Windows-PowerShell/Operational', 'PowerShellCore/Operational'], providers: [], eventIds: [4104], extra: null });
  assert.deepEqual(variant(resolver.resolve({ product: 'windows', category: 'ps_module' }, eq('a', 'b')), 'powershell').scope.eventIds, [4103]);
  const classic = variant(resolver.resolve({ product: 'windows', category: 'ps_classic_start' }, eq('a', 'b')), 'powershell-classic');
  assert.deepEqual([classic.scope.channels, classic.scope.eventIds], [['Windows PowerShell'], [400]]);
});

test('iis-configuration is the IIS configuration channel only (rules name EventID 29 themselves)', () => {
  const v = ok(resolver.resolve({ product: 'windows', service: 'iis-configuration' }, eq('EventID', '29'))).variants[0]!;
  assert.deepEqual(v.scope, { channels: ['Microsoft-IIS-Configuration/Operational'], providers: [], eventIds: [], extra: null });
});

test('antivirus without a product maps to Defender with its field names', () => {
  const r = resolver.resolve({ category: 'antivirus' }, startswith('Signature', 'HackTool'));
  const v = variant(r, 'windefend');
  assert.ok(v.scope.eventIds.includes(1116) && v.scope.eventIds.includes(1006));
  assert.deepEqual(v.condition, startswith('ThreatName', 'HackTool'));
  assert.match(ok(r).warnings.join(), /Microsoft Defender only/);
});

test('ETW-only categories scope by provider, with a warning', () => {
  const r = ok(resolver.resolve({ product: 'windows', category: 'file_access' }, contains('FileName', 'x')));
  assert.deepEqual(r.variants[0]!.scope, { channels: [], providers: ['Microsoft-Windows-Kernel-File'], eventIds: [], extra: null });
  assert.match(r.warnings.join(), /Kernel-File/);
});

test('unmappable log sources give precise errors', () => {
  const err = (ls: Record<string, string>): string => {
    const r = resolver.resolve(ls, eq('a', 'b'));
    assert.ok('error' in r, JSON.stringify(ls));
    return r.error;
  };
  assert.equal(err({ product: 'linux', category: 'process_creation' }), 'logsource product linux is not a Windows event log source Vigil reads (product: linux, category: process_creation)');
  assert.match(err({ product: 'aws', service: 'cloudtrail' }), /^logsource product aws is not a Windows event log source Vigil reads/);
  assert.match(err({ product: 'windows', category: 'rdp' }), /^cannot map logsource category rdp$/);
  assert.match(err({ product: 'windows', category: 'file_creation' }), /^cannot map logsource category file_creation/);
  assert.match(err({ product: 'windows', service: 'bits' }), /cannot map logsource service bits .*did you mean 'bits-client'/);
  assert.match(err({ category: 'webserver' }), /^logsource without a product \(category: webserver\) is not a Windows event log source/);
  assert.match(err({}), /names no product/);
  assert.match(err({ product: 'windows', category: 'process_creation', service: 'system' }), /category process_creation has no events in the channels of service system/);
});

test('category and service together narrow the category; product-only and upper-case inputs warn', () => {
  const r = ok(resolver.resolve({ product: 'windows', category: 'process_creation', service: 'security' }, endswith('Image', 'x')));
  assert.deepEqual(r.variants.map((v) => v.label), ['security-4688']);
  const only = ok(resolver.resolve({ product: 'windows' }, { kind: 'keyword', match: { kind: 'pattern', parts: [any, txt('sekurlsa::'), any], cased: false } }));
  assert.deepEqual(only.variants[0]!.scope, { channels: [], providers: [], eventIds: [], extra: null });
  assert.match(only.warnings.join(), /every channel/);
  const upper = ok(resolver.resolve({ product: 'Windows', service: 'security' }, eq('a', 'b')));
  assert.deepEqual(upper.variants[0]!.scope.channels, ['Security']);
  assert.match(upper.warnings.join(), /'Windows' read as 'windows'/);
  // `definition` and custom keys are documentation only.
  ok(resolver.resolve({ product: 'windows', service: 'security', definition: 'needs auditing' }, eq('a', 'b')));
});

test('list values (mdecrevoisier) resolve as the union of their items', () => {
  const r = ok(resolver.resolve({ product: 'windows', category: ['ps_module', 'ps_classic_script', 'ps_script'] }, contains('Payload', 'x')));
  assert.deepEqual(r.variants.map((v) => [v.label, v.scope.channels.length, v.scope.eventIds]), [
    ['powershell', 2, [4103, 4104]],
    ['powershell-classic', 1, [800]],
  ]);
  assert.match(r.warnings.join(), /category lists ps_module, ps_classic_script, ps_script: resolved as their union/);
  const s = ok(resolver.resolve({ product: 'windows', service: ['system', 'security'] }, eq('EventID', '1102')));
  assert.deepEqual(s.variants.map((v) => v.scope.channels), [['System'], ['Security']]);
  const bad = resolver.resolve({ product: 'windows', category: ['ps_script', 'nosuch'] }, eq('a', 'b'));
  assert.ok('error' in bad && /cannot map logsource category nosuch/.test(bad.error), 'one unmappable item fails the rule');
  const empty = resolver.resolve({ product: 'windows', category: [] }, eq('a', 'b'));
  assert.ok('error' in empty && /empty list/.test(empty.error));
});

// ---------------------------------------------------------------------------------------------
// Loading: folder discovery and located errors

function writeMappings(services: string, categories: string): string {
  const dir = tempDir('vigil-ls-');
  writeFileSync(path.join(dir, 'windows-services.yml'), services);
  writeFileSync(path.join(dir, 'windows-categories.yml'), categories);
  return dir;
}

function loadErrors(dir: string): string[] {
  try {
    loadLogsourceMappings(dir);
  } catch (e) {
    assert.ok(e instanceof AggregateError);
    return e.errors.map((x: { location: { file: string; line?: number }; message: string }) => `${path.basename(x.location.file)}:${x.location.line}: ${x.message}`);
  }
  return assert.fail('expected errors');
}

test('invalid mapping files report file:line for each problem', () => {
  const services = 'services:\n  security:\n    channels: [Security]\n  broken:\n    chanels: [X]\naliases:\n  sec: nosuch\n';
  const categories = [
    'categories:',
    '  process_creation:',
    '    variants:',
    '      - { label: sysmon, service: sysmonx, event_ids: [1] }',
    '      - { label: audit, service: security, event_ids: [70000], field_map: nope }',
    'field_maps:',
    '  m:',
    '    fields:',
    "      IntegrityLevel: { translate: lookup, table: missing }",
    "      Image: { translate: magic }",
    'tables: {}',
  ].join('\n');
  const errs = loadErrors(writeMappings(services, categories));
  const expect = [
    /^windows-services\.yml:5: unknown key 'chanels'/,
    /^windows-services\.yml:4: service 'broken' names no channel/,
    /^windows-services\.yml:7: alias 'sec' names unknown service 'nosuch'/,
    /^windows-categories\.yml:4: .*unknown service 'sysmonx'/,
    /^windows-categories\.yml:5: .*EventIDs are integers from 0 to 65535/,
    /^windows-categories\.yml:5: .*unknown field map 'nope'/,
    /^windows-categories\.yml:9: .*unknown table 'missing'/,
    /^windows-categories\.yml:10: .*unknown translation 'magic'/,
  ];
  for (const re of expect) assert.ok(errs.some((e) => re.test(e)), `${re} not in\n${errs.join('\n')}`);
});

test('YAML syntax errors and duplicate keys are located', () => {
  const errs = loadErrors(writeMappings('services:\n  security:\n    channels: [Security\n', 'categories: {}\n'));
  assert.ok(errs.some((e) => /^windows-services\.yml:\d+: /.test(e)), errs.join('\n'));
  const dup = loadErrors(writeMappings('services:\n  a:\n    channels: [A]\n  a:\n    channels: [B]\n', 'categories:\n  x:\n    variants: [{ label: l, service: a }]\n'));
  assert.ok(dup.some((e) => /^windows-services\.yml:4: .*[Mm]ap keys must be unique/.test(e)), dup.join('\n'));
  const missing = loadErrors(path.join(tmpdir(), 'vigil-no-such-dir'));
  assert.match(missing[0]!, /windows-services\.yml:undefined: cannot read the logsource mapping/);
});

test('the mappings folder comes from options, VIGIL_MAPPINGS_DIR, or the repository', () => {
  assert.equal(path.resolve(defaultSigmaMappingsDir()), path.resolve(MAPPINGS));
  const root = tempDir('vigil-maps-');
  mkdirSync(path.join(root, 'sigma'));
  copyFileSync(path.join(MAPPINGS, 'windows-services.yml'), path.join(root, 'sigma', 'windows-services.yml'));
  writeFileSync(path.join(root, 'sigma', 'windows-categories.yml'), 'categories:\n  only_this:\n    variants: [{ label: s, service: security, event_ids: [1] }]\n');
  const saved = process.env.VIGIL_MAPPINGS_DIR;
  process.env.VIGIL_MAPPINGS_DIR = root;
  try {
    assert.equal(defaultSigmaMappingsDir(), path.join(root, 'sigma'));
    const r = createLogsourceResolver();
    assert.ok(!('error' in r.resolve({ product: 'windows', category: 'only_this' }, eq('a', 'b'))));
    assert.ok('error' in r.resolve({ product: 'windows', category: 'process_creation' }, eq('a', 'b')));
  } finally {
    if (saved === undefined) delete process.env.VIGIL_MAPPINGS_DIR;
    else process.env.VIGIL_MAPPINGS_DIR = saved;
  }
  const viaOption = createLogsourceResolver({ mappingsDir: path.join(root, 'sigma') });
  assert.ok(!('error' in viaOption.resolve({ product: 'windows', category: 'only_this' }, eq('a', 'b'))));
});
