/**
 * The Sigma specification's example correlations, filters and rules
 * (corpus/sigma/spec-examples/tests/schema/) run by `vigil hunt` as written, with the base
 * rules they reference and EVTX events written here by our own EVTX writer. Each case has
 * groups that must fire and groups that must not (too few events, too spread out, wrong order).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { corpusPath, NO_CORPUS } from '../helpers/corpus.js';
import { makeHuntCommand } from '../../src/cli/commands/hunt.js';
import type { FindingRecord, CorrelationRecord, MatchRecord } from '../../src/cli/hunt/finding-record.js';
import { writeEvtx, type WriterEvent, type WriterProvider, type WriterValue } from '../../src/sinks/evtx-writer/index.js';
import { imageRuleYaml } from '../helpers/image-rule.js';

const SCHEMA = corpusPath('sigma', 'spec-examples', 'tests', 'schema');
const skip = SCHEMA === null ? NO_CORPUS : false;

const SECURITY = { name: 'Microsoft-Windows-Security-Auditing', guid: '{54849625-5478-4994-A5BA-3E3B0328C30D}' };
const SYSMON = { name: 'Microsoft-Windows-Sysmon', guid: '{5770385F-C22A-43E0-BF4C-06F5698FFBD9}' };
const SYSMON_CHANNEL = 'Microsoft-Windows-Sysmon/Operational';
const T0 = Date.parse('2024-05-14T09:00:00Z');

let dir = '';
let recordId = 1;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'vigil-spec-examples-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function example(...parts: string[]): string {
  return readFileSync(path.join(SCHEMA as string, ...parts), 'utf8');
}

function time(seconds: number): string {
  return new Date(T0 + seconds * 1000).toISOString();
}

function event(provider: WriterProvider, channel: string, eventId: number, seconds: number, computer: string, data: [string, WriterValue][]): WriterEvent {
  return { provider, eventId, channel, computer, timeCreated: time(seconds), recordId: recordId++, eventData: data };
}

function failedLogon(seconds: number, computer: string, data: [string, WriterValue][] = []): WriterEvent {
  return event(SECURITY, 'Security', 4625, seconds, computer, [['TargetUserName', 'alice'], ['ComputerName', computer], ...data]);
}

function processCreated(seconds: number, computer: string, user: string, image: string, commandLine: string): WriterEvent {
  return event(SYSMON, SYSMON_CHANNEL, 1, seconds, computer, [
    ['Image', image],
    ['CommandLine', commandLine],
    ['User', user],
    ['ComputerName', computer],
  ]);
}

function connection(seconds: number, sourceIp: string, user: string, data: [string, WriterValue][]): WriterEvent {
  return event(SYSMON, SYSMON_CHANNEL, 3, seconds, 'ws-1', [['DestinationPort', 443], ['SourceIP', sourceIp], ['User', user], ...data]);
}

interface HuntResult {
  readonly findings: FindingRecord[];
  readonly stderr: string;
}

let runNo = 0;
async function hunt(rules: string, events: readonly WriterEvent[]): Promise<HuntResult> {
  const n = runNo++;
  const rulesFile = path.join(dir, `rules-${n}.yml`);
  const evtx = path.join(dir, `events-${n}.evtx`);
  const out = path.join(dir, `findings-${n}.jsonl`);
  await writeFile(rulesFile, rules);
  await writeFile(evtx, writeEvtx(events));
  let stderr = '';
  const code = await makeHuntCommand({ stderr: (t) => (stderr += t) }).run([evtx, '--rules', rulesFile, '--format', 'jsonl', '--threads', '1', '--output', out]);
  assert.equal(code, 0, stderr);
  assert.doesNotMatch(stderr, /not loaded:/, stderr);
  const text = await readFile(out, 'utf8');
  const findings = text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as FindingRecord)
    // Risk records (risk events, notables, entities) follow the findings; these tests count findings.
    .filter((f) => f.kind === 'match' || f.kind === 'correlation');
  return { findings, stderr };
}

function correlations(r: HuntResult): CorrelationRecord[] {
  return r.findings.filter((f): f is CorrelationRecord => f.kind === 'correlation');
}

function matches(r: HuntResult): MatchRecord[] {
  return r.findings.filter((f): f is MatchRecord => f.kind === 'match');
}

const FAILED_LOGON_RULE = `title: Failed logon
id: 5638f7c0-ac70-491d-8465-2a65075e0d86
status: test
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID: 4625
    condition: selection
level: low
`;

test('event_count: 100 failed logons within 1h on one computer fire; 99, or 100 spread over hours, do not', { skip }, async () => {
  const events: WriterEvent[] = [];
  for (let i = 0; i < 100; i++) events.push(failedLogon(i * 10, 'host-a'));
  for (let i = 0; i < 99; i++) events.push(failedLogon(i * 5, 'host-b'));
  for (let i = 0; i < 100; i++) events.push(failedLogon(i * 120, 'host-c'));
  const r = await hunt(`${FAILED_LOGON_RULE}---\n${example('correlation', 'event_count.yml')}\n`, events);
  const found = correlations(r);
  assert.equal(found.length, 1, JSON.stringify(found.map((f) => f.group)));
  assert.deepEqual(found[0]!.group, { ComputerName: 'host-a' });
  assert.equal(found[0]!.value, 100);
  assert.equal(found[0]!.events.length, 100);
  assert.equal(found[0]!.rule.id, '0e95725d-7320-415d-80f7-004da920fc11');
  // generate is false by default: the base rule does not report on its own.
  assert.equal(matches(r).length, 0);
});

test('value_count: 100 distinct users per computer and workstation fire; 150 logons by 50 users do not', { skip }, async () => {
  const events: WriterEvent[] = [];
  for (let i = 0; i < 100; i++) events.push(failedLogon(i * 20, 'host-a', [['WorkstationName', 'WS1'], ['User', `user${i}`]]));
  for (let i = 0; i < 150; i++) events.push(failedLogon(i * 20, 'host-b', [['WorkstationName', 'WS1'], ['User', `user${i % 50}`]]));
  const r = await hunt(`${FAILED_LOGON_RULE}---\n${example('correlation', 'value_count.yml')}\n`, events);
  const found = correlations(r);
  assert.equal(found.length, 1, JSON.stringify(found.map((f) => f.group)));
  assert.deepEqual(found[0]!.group, { ComputerName: 'host-a', WorkstationName: 'WS1' });
  assert.equal(found[0]!.value, 100);
});

const RECON_RULES = ['whoami', 'net group', 'nltest']
  .map(
    (word, i) => `title: Recon command ${word}
id: 00000000-0000-4000-8000-00000000000${i}
name: recon_cmd_${'abc'[i]}
status: test
logsource:
    category: process_creation
    product: windows
detection:
    selection:
        CommandLine|contains: '${word}'
    condition: selection
level: low
`,
  )
  .join('---\n');

function recon(seconds: number, computer: string, user: string, which: 'a' | 'b' | 'c'): WriterEvent {
  const cmd = { a: 'whoami /all', b: 'net group "domain admins" /domain', c: 'nltest /dclist:corp' }[which];
  return processCreated(seconds, computer, user, 'C:\\Windows\\System32\\cmd.exe', `cmd.exe /c ${cmd}`);
}

test('temporal: all three recon commands within 5m for one computer and user fire, in any order', { skip }, async () => {
  const events = [
    recon(0, 'host-a', 'alice', 'c'),
    recon(60, 'host-a', 'alice', 'a'),
    recon(120, 'host-a', 'alice', 'b'),
    recon(0, 'host-b', 'bob', 'a'),
    recon(30, 'host-b', 'bob', 'b'),
    recon(0, 'host-c', 'carol', 'a'),
    recon(30, 'host-c', 'carol', 'b'),
    recon(600, 'host-c', 'carol', 'c'),
  ];
  const r = await hunt(`${RECON_RULES}---\n${example('correlation', 'temporal.yml')}\n`, events);
  const found = correlations(r);
  assert.equal(found.length, 1, JSON.stringify(found.map((f) => f.group)));
  assert.deepEqual(found[0]!.group, { ComputerName: 'host-a', User: 'alice' });
  assert.equal(found[0]!.events.length, 3);
});

test('temporal_ordered: the recon commands fire only in the order the rule lists them', { skip }, async () => {
  const events = [
    recon(0, 'host-a', 'alice', 'a'),
    recon(60, 'host-a', 'alice', 'b'),
    recon(120, 'host-a', 'alice', 'c'),
    recon(0, 'host-b', 'bob', 'c'),
    recon(60, 'host-b', 'bob', 'b'),
    recon(120, 'host-b', 'bob', 'a'),
  ];
  const r = await hunt(`${RECON_RULES}---\n${example('correlation', 'temporal_ordered.yml')}\n`, events);
  const found = correlations(r);
  assert.equal(found.length, 1, JSON.stringify(found.map((f) => f.group)));
  assert.deepEqual(found[0]!.group, { ComputerName: 'host-a', User: 'alice' });
});

function connectionRule(name: string): string {
  return `title: Connection ${name}
id: 00000000-0000-4000-8000-0000000001${name.length.toString().padStart(2, '0')}
name: ${name}
status: test
logsource:
    category: network_connection
    product: windows
detection:
    selection:
        DestinationPort: 443
    condition: selection
level: low
`;
}

test('value_sum: more than 1,000,000 bytes sent within 1h by one source and user fire', { skip }, async () => {
  const events = [
    connection(0, '10.0.0.5', 'alice', [['bytes_sent', 600000]]),
    connection(600, '10.0.0.5', 'alice', [['bytes_sent', 600000]]),
    connection(0, '10.0.0.6', 'bob', [['bytes_sent', 400000]]),
    connection(600, '10.0.0.6', 'bob', [['bytes_sent', 500000]]),
  ];
  const r = await hunt(`${connectionRule('website_access')}---\n${example('correlation', 'value_sum.yml')}\n`, events);
  const found = correlations(r);
  assert.equal(found.length, 1, JSON.stringify(found.map((f) => f.group)));
  assert.deepEqual(found[0]!.group, { SourceIP: '10.0.0.5', User: 'alice' });
  assert.equal(found[0]!.value, 1200000);
});

test('value_avg: an average BytesOut above 500 fires; 200 does not', { skip }, async () => {
  const events = [
    connection(0, '10.0.0.5', 'alice', [['BytesOut', 400]]),
    connection(60, '10.0.0.5', 'alice', [['BytesOut', 800]]),
    connection(0, '10.0.0.6', 'bob', [['BytesOut', 100]]),
    connection(60, '10.0.0.6', 'bob', [['BytesOut', 300]]),
  ];
  const r = await hunt(`${connectionRule('rule_a_id')}---\n${example('correlation', 'value_avg.yml')}\n`, events);
  const found = correlations(r);
  assert.equal(found.length, 1, JSON.stringify(found.map((f) => f.group)));
  assert.deepEqual(found[0]!.group, { SourceIP: '10.0.0.5', User: 'alice' });
  assert.equal(found[0]!.value, 600);
});

test('value_percentile: the example loads; a non-numeric field (Image) never fires', { skip }, async () => {
  const base = `title: Process creation
id: 00000000-0000-4000-8000-000000000200
name: process_creation
status: test
logsource:
    category: process_creation
    product: windows
detection:
    selection:
        Image|endswith: '.exe'
    condition: selection
level: low
`;
  const events = [processCreated(0, 'host-a', 'alice', 'C:\\x\\rare.exe', 'rare.exe'), processCreated(60, 'host-a', 'alice', 'C:\\x\\common.exe', 'common.exe')];
  const r = await hunt(`${base}---\n${example('correlation', 'value_percentile.yml')}\n`, events);
  assert.equal(correlations(r).length, 0);
});

test('value_percentile: the example on a numeric field fires where the median is at most 1', { skip }, async () => {
  const base = `title: Process creation
id: 00000000-0000-4000-8000-000000000201
name: process_creation
status: test
logsource:
    category: process_creation
    product: windows
detection:
    selection:
        Image|endswith: '.exe'
    condition: selection
level: low
`;
  const withSession = (seconds: number, computer: string, session: number): WriterEvent => {
    const e = processCreated(seconds, computer, 'alice', 'C:\\x\\a.exe', 'a.exe');
    return { ...e, eventData: [...(e.eventData ?? []), ['TerminalSessionId', session]] };
  };
  const events = [withSession(0, 'host-a', 0), withSession(60, 'host-a', 1), withSession(120, 'host-a', 1), withSession(0, 'host-b', 5), withSession(60, 'host-b', 6), withSession(120, 'host-b', 7)];
  const correlation = example('correlation', 'value_percentile.yml').replace(/field:\s*Image/, 'field: TerminalSessionId');
  const r = await hunt(`${base}---\n${correlation}\n`, events);
  const found = correlations(r);
  assert.equal(found.length, 1, JSON.stringify(found.map((f) => f.group)));
  assert.deepEqual(found[0]!.group, { ComputerName: 'host-a' });
  assert.equal(found[0]!.value, 1);
});

function filterBase(id: string, title: string, image: string): string {
  return imageRuleYaml(id, title, image);
}

const FILTER_BASES = [
  filterBase('6f3e2987-db24-4c78-a860-b4f4095a7095', 'Data Compressed - rar.exe', '\\rar.exe'),
  filterBase('df0841c0-9846-4e9f-ad8a-7df91571771b', 'Jump host client', '\\mstsc.exe'),
].join('---\n');

const FILTER_EVENTS = (): WriterEvent[] => [
  processCreated(0, 'host-a', 'adm_alice', 'C:\\Program Files\\WinRAR\\rar.exe', 'rar a x.rar secrets'),
  processCreated(10, 'host-a', 'bob', 'C:\\Program Files\\WinRAR\\rar.exe', 'rar a y.rar secrets'),
  processCreated(20, 'host-a', 'adm_alice', 'C:\\Windows\\System32\\mstsc.exe', 'mstsc /v:jump'),
  processCreated(30, 'host-a', 'bob', 'C:\\Windows\\System32\\mstsc.exe', 'mstsc /v:jump'),
  processCreated(40, 'host-a', 'adm_alice', 'C:\\Windows\\System32\\notepad.exe', 'notepad'),
];

function userOf(e: WriterEvent): string {
  return String(e.eventData?.find(([name]) => name === 'User')?.[1]);
}

/** Record ids of the events the filtered rules should report. */
function expectedIds(events: readonly WriterEvent[], keep: (user: string) => boolean): number[] {
  return events
    .filter((e) => /\\(rar|mstsc)\.exe$/.test(String(e.eventData?.find(([n]) => n === 'Image')?.[1])) && keep(userOf(e)))
    .map((e) => e.recordId as number)
    .sort((a, b) => a - b);
}

function firedIds(r: HuntResult): number[] {
  return matches(r)
    .map((m) => m.event.record_id as number)
    .sort((a, b) => a - b);
}

test('filter: ANDed with its rules; the spec example as written (`condition: selection`) keeps only adm_ users', { skip }, async () => {
  // pySigma's semantics: (rule) and (filter condition). Written with `condition: selection`, the
  // example restricts both rules to administrators, the opposite of what its title says.
  const events = FILTER_EVENTS();
  const r = await hunt(`${FILTER_BASES}---\n${example('filter', 'filter_1.yml')}\n`, events);
  assert.deepEqual(firedIds(r), expectedIds(events, (u) => u.startsWith('adm_')));
  assert.equal(firedIds(r).length, 2);
});

test('filter: written as an exclusion (`condition: not selection`), the administrators are filtered out', { skip }, async () => {
  const filter = example('filter', 'filter_1.yml').replace(/condition:\s*selection/, 'condition: not selection');
  const events = FILTER_EVENTS();
  const r = await hunt(`${FILTER_BASES}---\n${filter}\n`, events);
  assert.deepEqual(firedIds(r), expectedIds(events, (u) => !u.startsWith('adm_')));
  assert.equal(firedIds(r).length, 2);
});

test('filter: without the filter every rar and mstsc event fires', { skip }, async () => {
  const events = FILTER_EVENTS();
  const r = await hunt(FILTER_BASES, events);
  assert.deepEqual(firedIds(r), expectedIds(events, () => true));
  assert.equal(firedIds(r).length, 4);
});

test('rule_1: Provider_Name "Application Error" fires in the Application log only', { skip }, async () => {
  const appError = { name: 'Application Error' };
  const events = [
    event(appError, 'Application', 1000, 0, 'host-a', [['AppName', 'x.exe']]),
    event(appError, 'System', 1000, 10, 'host-a', [['AppName', 'y.exe']]),
    event({ name: 'Application Hang' }, 'Application', 1002, 20, 'host-a', [['AppName', 'z.exe']]),
  ];
  const r = await hunt(example('rules', 'rule_1.yml'), events);
  const fired = matches(r);
  assert.equal(fired.length, 1, JSON.stringify(r.findings));
  assert.equal(fired[0]!.event.channel, 'Application');
  assert.equal(fired[0]!.event.provider, 'Application Error');
  assert.deepEqual(fired[0]!.rule.attack, { tactics: ['defense-evasion'], techniques: ['T1211', 'T1562.001'] });
});

test('ECS-taxonomy examples are loaded or reported, never dropped', { skip }, async () => {
  for (const file of [['correlation', 'event_count_ecs.yml'], ['filter', 'filter_ecs.yml'], ['rules', 'rule_ecs.yml']]) {
    const rulesFile = path.join(dir, `ecs-${file[1]}`);
    await writeFile(rulesFile, example(...file));
    let stdout = '';
    const { makeRulesCommand } = await import('../../src/cli/commands/rules-check.js');
    const code = await makeRulesCommand({ stdout: (t) => (stdout += t), stderr: () => undefined }).run(['check', rulesFile, '--format', 'json']);
    assert.equal(code, 0);
    const doc = JSON.parse(stdout) as { rules: { status: string; problems: { message: string }[] }[] };
    assert.equal(doc.rules.length, 1, `${file.join('/')}: one report`);
    const r = doc.rules[0]!;
    if (r.status === 'not-loaded' || r.status === 'not-applicable') assert.ok(r.problems.length > 0 && r.problems[0]!.message.length > 0, `${file.join('/')}: reason given`);
  }
});
