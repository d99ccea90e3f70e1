/** Views: the shipped mapping files load, and each view names fields as its consumer expects. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Fields, InputFormat, VigilEvent } from '../../src/core/event.js';
import { applyTransform, applyView, compileView, getView, shippedViews } from '../../src/normalize/views.js';

interface EventSpec {
  channel: string;
  provider: string;
  eventId: number;
  computer?: string;
  format?: InputFormat;
  recordId?: number;
  fields: Record<string, string | number>;
}

/** A VigilEvent built by hand, shaped as the sources produce them (System fields + EventData). */
function makeEvent(spec: EventSpec): VigilEvent {
  const computer = spec.computer ?? 'host-1.example.com';
  const fields: Fields = {
    Provider_Name: spec.provider,
    EventID: spec.eventId,
    Channel: spec.channel,
    Computer: computer,
    EventRecordID: spec.recordId ?? 7,
    ...spec.fields,
  };
  return {
    fields,
    provenance: { file: 'test.evtx', format: spec.format ?? 'evtx', recordId: spec.recordId ?? 7, offset: 4608 },
    time: '2024-01-02T03:04:05.000000000Z',
    channel: spec.channel,
    provider: spec.provider,
    eventId: spec.eventId,
    computer,
    render: () => {
      throw new Error('not rendered in this test');
    },
  };
}

const SECURITY_4688 = makeEvent({
  channel: 'Security',
  provider: 'Microsoft-Windows-Security-Auditing',
  eventId: 4688,
  fields: {
    SubjectUserName: 'AR-WIN-1$',
    TargetUserName: '-',
    NewProcessId: '0xf84',
    NewProcessName: 'C:\\Program Files\\Tool\\bin\\tool.exe',
    ProcessId: '0x0000000000000b2c',
    CommandLine: 'tool.exe --ps2 -x',
    ParentProcessName: 'C:\\Program Files\\Tool\\bin\\svc.exe',
  },
});

const SYSMON_1 = makeEvent({
  channel: 'Microsoft-Windows-Sysmon/Operational',
  provider: 'Microsoft-Windows-Sysmon',
  eventId: 1,
  fields: {
    ProcessId: 2296,
    Image: 'C:\\Windows\\System32\\cmd.exe',
    CommandLine: '"C:\\Windows\\system32\\cmd.exe" /c whoami',
    User: 'CORP\\bob',
    IntegrityLevel: 'High',
    OriginalFileName: '-',
    ParentProcessId: 4624,
    ParentImage: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
    ParentCommandLine: '"powershell.exe" -noninteractive',
  },
});

test('the shipped views load and include windows, splunk and cim', () => {
  const names = [...shippedViews().keys()].sort();
  assert.deepEqual(names, ['cim', 'splunk', 'windows']);
});

test('windows view is the identity (same object, no copy)', () => {
  assert.equal(applyView(SYSMON_1, 'windows'), SYSMON_1.fields);
});

test('splunk view: TA names for Security 4688', () => {
  const f = applyView(SECURITY_4688, 'splunk');
  assert.equal(f.EventCode, 4688);
  assert.equal(f.signature_id, 4688);
  assert.equal(f.dest, 'host-1.example.com');
  assert.equal(f.dvc, 'host-1.example.com');
  assert.equal(f.ComputerName, 'host-1.example.com');
  assert.equal(f.LogName, 'Security');
  assert.equal(f.RecordNumber, 7);
  assert.equal(f.source, 'XmlWinEventLog:Security');
  assert.equal(f.sourcetype, 'XmlWinEventLog');
  // user falls back to src_user (SubjectUserName) when TargetUserName is '-'
  assert.equal(f.user, 'AR-WIN-1$');
  assert.equal(f.src_user, 'AR-WIN-1$');
  // the first token of CommandLine has no path: "NewProcessName" + arguments
  assert.equal(f.process, '"C:\\Program Files\\Tool\\bin\\tool.exe" --ps2 -x');
  assert.equal(f.process_name, 'tool.exe');
  // Splunk keeps the hex text; parent_process is a path for 4688
  assert.equal(f.process_id, '0xf84');
  assert.equal(f.parent_process, 'C:\\Program Files\\Tool\\bin\\svc.exe');
  assert.equal(f.parent_process_name, 'svc.exe');
  // source fields are kept
  assert.equal(f.NewProcessName, 'C:\\Program Files\\Tool\\bin\\tool.exe');
});

test('splunk view: a CommandLine whose first token has a path is the process as is', () => {
  const e = makeEvent({
    channel: 'Security',
    provider: 'Microsoft-Windows-Security-Auditing',
    eventId: 4688,
    fields: { NewProcessName: 'C:\\a\\b.exe', CommandLine: '"C:\\a\\b.exe" run' },
  });
  assert.equal(applyView(e, 'splunk').process, '"C:\\a\\b.exe" run');
});

test('splunk view: classic WinEventLog text gets WinEventLog source names', () => {
  const e = makeEvent({ channel: 'System', provider: 'Service Control Manager', eventId: 7045, format: 'winevtlog', fields: {} });
  const f = applyView(e, 'splunk');
  assert.equal(f.source, 'WinEventLog:System');
  assert.equal(f.sourcetype, 'WinEventLog');
  assert.equal(f.SourceName, 'Service Control Manager');
});

test('cim view: Endpoint.Processes from Sysmon 1', () => {
  const f = applyView(SYSMON_1, 'cim');
  assert.equal(f.process, '"C:\\Windows\\system32\\cmd.exe" /c whoami');
  assert.equal(f.process_name, 'cmd.exe');
  assert.equal(f.process_id, 2296);
  assert.equal(f.parent_process, '"powershell.exe" -noninteractive');
  assert.equal(f.parent_process_name, 'powershell.exe');
  assert.equal(f.parent_process_id, 4624);
  assert.equal(f.user, 'CORP\\bob');
  assert.equal(f.dest, 'host-1.example.com');
  assert.equal(f.process_integrity_level, 'high');
  assert.equal(f.vendor_product, 'Microsoft Sysmon');
  // '-' is dropped, then the data model's calculated field makes it 'unknown'
  assert.equal(f.original_file_name, 'unknown');
  // only CIM names: the Windows names are not carried
  assert.equal(f.Image, undefined);
});

test('cim view: Security 4688 hex process ids become decimal numbers', () => {
  const f = applyView(SECURITY_4688, 'cim');
  assert.equal(f.process_id, 0xf84);
  assert.equal(f.parent_process_id, 0xb2c);
  assert.equal(f.parent_process, 'C:\\Program Files\\Tool\\bin\\svc.exe');
  assert.equal(f.user, 'AR-WIN-1$');
  assert.equal(f.action, 'allowed');
  assert.equal(f.original_file_name, 'unknown');
  assert.equal(f.vendor_product, 'Microsoft Windows');
});

test('cim view: non-process events get no Processes defaults', () => {
  const e = makeEvent({ channel: 'Security', provider: 'Microsoft-Windows-Security-Auditing', eventId: 4624, fields: { TargetUserName: 'alice', IpAddress: '10.1.2.3' } });
  const f = applyView(e, 'cim');
  assert.equal(f.process, undefined);
  assert.equal(f.action, 'success');
  assert.equal(f.user, 'alice');
  assert.equal(f.src, '10.1.2.3');
});

test('transforms', () => {
  assert.equal(applyTransform('basename', 'C:\\x\\y\\z.exe'), 'z.exe');
  assert.equal(applyTransform('basename', '/usr/bin/env'), 'env');
  assert.equal(applyTransform('hex-to-decimal', '0xF84'), 3972);
  assert.equal(applyTransform('hex-to-decimal', '0x0000000000000b2c'), 2860);
  assert.equal(applyTransform('hex-to-decimal', '2296'), 2296);
  assert.equal(applyTransform('hex-to-decimal', 'n/a'), undefined);
  assert.equal(applyTransform('first-token', '"C:\\p q\\r.exe" -a b'), 'C:\\p q\\r.exe');
  assert.equal(applyTransform('first-token', 'cmd.exe /c x'), 'cmd.exe');
  assert.equal(applyTransform('arguments', '"C:\\p q\\r.exe" -a b'), '-a b');
  assert.equal(applyTransform('lowercase', 'High'), 'high');
  assert.equal(applyTransform('unquote', '"x y"'), 'x y');
});

test('rules: first-of sources, conditions, ignore, list values, templates', () => {
  const view = compileView(
    [
      'view: t',
      'keep_fields: false',
      'conditions:',
      '  sec: { channel: security, event_id: [4688, 4689] }',
      'fields:',
      '  a: { from: [Missing, TargetUserName, SubjectUserName], ignore: ["-"] }',
      '  b: [{ when: sec, value: yes }, { value: no }]',
      '  c: { template: "{@channel}/{NewProcessName|basename|uppercase}" }',
      '  d: { from: Multi, transform: lowercase }',
      '  e: { template: "{Missing}!" }',
    ].join('\n'),
    'inline.yml',
  );
  const e = makeEvent({ channel: 'Security', provider: 'p', eventId: 4688, fields: { TargetUserName: '-', SubjectUserName: 'svc', NewProcessName: 'C:\\a\\b.exe' } });
  const withList: VigilEvent = { ...e, fields: { ...e.fields, Multi: ['A', 'B'] } };
  const f = applyView(withList, view);
  assert.deepEqual(f, { a: 'svc', b: 'yes', c: 'Security/B.EXE', d: ['a', 'b'] });
  const other = applyView(makeEvent({ channel: 'System', provider: 'p', eventId: 1, fields: {} }), view);
  assert.deepEqual(other, { b: 'no' });
});

test('invalid view files give every error with file:line:column', () => {
  const text = [
    'view: broken', // 1
    'keep_fields: maybe', // 2
    'fields:', // 3
    '  a: { from: X, transform: rot13 }', // 4
    '  b: { when: nosuch, value: 1 }', // 5
    '  c: { value: 1, from: Y }', // 6
    '  d: { from: "@nosuch" }', // 7
    '  e: { from: X, match: "(" }', // 8
    '  f: { when: { channel: S, bogus: 1 }, from: X }', // 9
  ].join('\n');
  let caught: unknown;
  try {
    compileView(text, 'broken.yml');
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof AggregateError);
  const found = (caught.errors as Array<{ code: string; location: { file: string; line?: number } }>).map((e) => `${e.code}@${e.location.line}`);
  for (const expected of [
    'view.bad-keep-fields@2',
    'view.unknown-transform@4',
    'view.unknown-condition@5',
    'view.bad-rule@6',
    'view.unknown-fact@7',
    'view.bad-regex@8',
    'view.unknown-key@9',
  ]) {
    assert.ok(found.includes(expected), `expected ${expected} in ${found.join(', ')}`);
  }
  for (const e of caught.errors as Array<{ location: { file: string } }>) assert.equal(e.location.file, 'broken.yml');
});

test('YAML syntax errors are located', () => {
  assert.throws(
    () => compileView('view: x\nfields:\n  a: [unclosed\n', 'syntax.yml'),
    (err: unknown) => err instanceof AggregateError && (err.errors[0] as { location: { line?: number } }).location.line !== undefined,
  );
});

test('unknown view names list the available ones', () => {
  assert.throws(() => getView('nope'), /available: .*windows/);
});
