/**
 * `vigil hunt` and `vigil rules check` with a stand-in front end and engine (hunt-fakes.ts):
 * output shapes (JSONL, table), the summary, not-loaded reporting, worker threads, correlations,
 * exit statuses. Events come from the example incident our own EVTX writer produces.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeExampleFiles } from '../../src/cli/example/example-files.js';
import { EXAMPLE_EVENTS } from '../../src/cli/example/example-events.js';
import { UsageError } from '../../src/cli/command.js';
import { makeHuntCommand } from '../../src/cli/commands/hunt.js';
import { makeRulesCommand } from '../../src/cli/commands/rules-check.js';
import type { RuleReport } from '../../src/cli/hunt/api.js';
import type { Rule } from '../../src/ir/nodes.js';
import { attackRefs, type CorrelationRecord, type FindingRecord, type MatchRecord } from '../../src/cli/hunt/finding-record.js';
import { expandRuleArgs } from '../../src/cli/hunt/load-rules.js';
import { readPlaceholders } from '../../src/cli/hunt/rule-reports.js';
import { detection, eventCount, fakeBackend } from './hunt-fakes.js';

const FAKE_ENGINE = new URL('./hunt-fakes.js', import.meta.url).href;
let dir = '';
let evtxDir = '';
let rulesDir = '';

const SYSMON_1 = EXAMPLE_EVENTS.filter((e) => e.eventId === 1).length;
const SEC_4688 = EXAMPLE_EVENTS.filter((e) => e.eventId === 4688).length;
const EVTX_FILES = new Set(EXAMPLE_EVENTS.map((e) => e.channel)).size;

const RULES: Rule[] = [
  detection('r-sysmon-1', 'Process created (Sysmon)', 'high', [1], ['attack.execution', 'attack.t1059.001', 'attack.g0016']),
  detection('r-4688', 'Process created (Security)', 'medium', [4688]),
];
const NOT_LOADED: RuleReport = {
  file: 'rules/bad.yml',
  line: 7,
  id: 'r-bad',
  title: 'Bad logsource',
  status: 'not-loaded',
  kind: 'detection',
  problems: [{ severity: 'error', code: 'sigma.logsource.unmapped', message: 'logsource category=nope cannot be mapped', location: { file: 'rules/bad.yml', line: 7 } }],
};

interface Result {
  code: number;
  stderr: string;
  output: string;
}

async function hunt(args: string[], rules: Rule[] = RULES, extra: RuleReport[] = [NOT_LOADED]): Promise<Result> {
  let stderr = '';
  const out = path.join(dir, `out-${Math.random().toString(36).slice(2)}.txt`);
  const command = makeHuntCommand({ backend: fakeBackend(rules, extra), workerEngineModule: FAKE_ENGINE, stderr: (t) => (stderr += t) });
  // These tests are about the finding stream; risk output has its own tests (hunt-risk.test.ts).
  const code = await command.run([...args, '--output', out, ...(args.includes('--risk') ? [] : ['--no-risk'])].filter((a) => a !== '--risk'));
  const output = await readFile(out, 'utf8').catch(() => '');
  return { code, stderr, output };
}

function jsonLines(text: string): FindingRecord[] {
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as FindingRecord);
}

function matchLines(text: string): MatchRecord[] {
  return jsonLines(text).filter((l): l is MatchRecord => l.kind === 'match');
}

interface CheckJson {
  readonly rules: readonly { id: string | null; status: string; reason_category: string | null; line: number | null }[];
  readonly missing: readonly string[];
  readonly totals: { not_loaded_by_reason: Record<string, number> };
}

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'vigil-hunt-test-'));
  await writeExampleFiles(path.join(dir, 'example'));
  evtxDir = path.join(dir, 'example', 'evtx');
  rulesDir = path.join(dir, 'rules');
  await writeFile(path.join(dir, 'rules.yml'), 'title: placeholder for the fake loader\n');
  rulesDir = path.join(dir, 'rules.yml');
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('jsonl: one finding per matching event, with rule, event and matched fields', async () => {
  const r = await hunt([evtxDir, '--rules', rulesDir, '--format', 'jsonl', '--threads', '1']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(jsonLines(r.output).length, SYSMON_1 + SEC_4688);
  const lines = matchLines(r.output);
  const sysmon = lines.filter((l) => l.rule.id === 'r-sysmon-1');
  assert.equal(sysmon.length, SYSMON_1);
  const f = sysmon[0]!;
  assert.equal(f.kind, 'match');
  assert.deepEqual(Object.keys(f.rule), ['id', 'title', 'level', 'tags', 'attack', 'file']);
  assert.deepEqual(f.rule.attack, { tactics: ['execution'], techniques: ['T1059.001'] });
  assert.equal(f.event.event_id, 1);
  assert.equal(f.event.channel, 'Microsoft-Windows-Sysmon/Operational');
  assert.match(f.event.file, /\.evtx$/);
  assert.equal(typeof f.event.record_id, 'number');
  assert.match(String(f.event.time), /^2024-05-14T/);
  assert.deepEqual(f.matched, { EventID: 1 });
  assert.equal(f.variant, 'fake');
});

test('summary: inputs, rules loaded and not loaded by reason, findings per level, rates', async () => {
  const r = await hunt([evtxDir, '--rules', rulesDir, '--format', 'jsonl', '--threads', '1']);
  const events = EXAMPLE_EVENTS.length;
  assert.match(r.stderr, /rules\/bad\.yml:7: not loaded: 'Bad logsource' \(r-bad\): logsource category=nope cannot be mapped \[sigma\.logsource\.unmapped\]/);
  assert.match(r.stderr, new RegExp(`vigil hunt: ${EVTX_FILES} inputs: ${EVTX_FILES} read, 0 failed`));
  assert.match(r.stderr, /rules: 2 loaded, 1 not loaded \(1 logsource\)/);
  assert.match(r.stderr, new RegExp(`events: ${events} checked; 0 records failed`));
  assert.match(r.stderr, new RegExp(`findings: ${SYSMON_1 + SEC_4688} \\(${SYSMON_1} high, ${SEC_4688} medium\\)`));
  assert.match(r.stderr, /events\/s, [\d.]+ MB\/s/);
});

test('--quiet hides not-loaded lines but the summary still counts them', async () => {
  const r = await hunt([evtxDir, '--rules', rulesDir, '--quiet', '--threads', '1']);
  assert.doesNotMatch(r.stderr, /not loaded: 'Bad/);
  assert.match(r.stderr, /1 not loaded \(1 logsource\)/);
});

test('table: a header and one fixed-width row per finding', async () => {
  const r = await hunt([evtxDir, '--rules', rulesDir, '--threads', '1']);
  assert.equal(r.code, 0);
  const rows = r.output.trimEnd().split('\n');
  assert.match(rows[0]!, /^LEVEL +TIME +COMPUTER +EVENT +RULE +MATCHED$/);
  assert.equal(rows.length, 1 + SYSMON_1 + SEC_4688);
  const row = rows.find((l) => l.includes('Process created (Security)'))!;
  assert.match(row, /^medium +2024-05-14 09:\d\d:\d\d +WS-FIN-07\.corp\.example\.com +4688 +Process created \(Security\) +EventID=4688$/);
  // Columns line up: the RULE column starts at the same offset in every row.
  const at = rows[0]!.indexOf('RULE');
  for (const l of rows.slice(1)) assert.equal(l.slice(at - 1, at), ' ');
});

test('worker threads give the same findings as one thread', async () => {
  const one = await hunt([evtxDir, '--rules', rulesDir, '--format', 'jsonl', '--threads', '1']);
  const two = await hunt([evtxDir, '--rules', rulesDir, '--format', 'jsonl', '--threads', '3']);
  assert.equal(two.code, 0, two.stderr);
  assert.match(two.stderr, /\(3 threads: the main thread and 2 workers\)/);
  assert.match(one.stderr, /\(main thread\)/);
  const key = (l: MatchRecord): string => `${l.rule.id} ${l.event.file} ${l.event.record_id}`;
  assert.deepEqual(matchLines(two.output).map(key).sort(), matchLines(one.output).map(key).sort());
  assert.equal(matchLines(one.output).length, SYSMON_1 + SEC_4688);
  assert.match(two.stderr, new RegExp(`events: ${EXAMPLE_EVENTS.length} checked`));
});

test('a correlation rule keeps matching on the main thread and reports at the end of input', async () => {
  const rules = [...RULES, eventCount('c-many', 'Many process creations', ['r-sysmon-1', 'r-4688'], 2)];
  const r = await hunt([evtxDir, '--rules', rulesDir, '--format', 'jsonl', '--threads', '3'], rules, []);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /\(main thread\)/);
  const corr = jsonLines(r.output).filter((l): l is CorrelationRecord => l.kind === 'correlation');
  assert.equal(corr.length, 1);
  assert.equal(corr[0]!.value, SYSMON_1 + SEC_4688);
  assert.equal(corr[0]!.events.length, SYSMON_1 + SEC_4688);
  assert.deepEqual(Object.keys(corr[0]!.events[0]!), ['file', 'record_id', 'time', 'rule_id']);
  assert.match(r.stderr, /1 critical/);
});

test('rules the engine refuses are reported as not loaded (engine) and do not run', async () => {
  const rules = [...RULES, detection('r-broken', 'BROKEN rule', 'low', [4624])];
  const r = await hunt([evtxDir, '--rules', rulesDir, '--format', 'jsonl', '--threads', '1'], rules, []);
  assert.match(r.stderr, /not loaded: 'BROKEN rule' \(r-broken\): fake engine refuses this rule \[engine\.compile\]/);
  assert.match(r.stderr, /rules: 2 loaded, 1 not loaded \(1 engine\)/);
  assert.equal(jsonLines(r.output).filter((l) => l.rule.id === 'r-broken').length, 0);
});

test('exit statuses: missing input 1, missing rules or detections 2, bad format 2, no input 2', async () => {
  const missing = await hunt([evtxDir, path.join(dir, 'nope.evtx'), '--rules', rulesDir, '--threads', '1']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /1 failed/);
  assert.match(missing.stderr, /nope\.evtx/);
  await assert.rejects(hunt([evtxDir, '--rules', path.join(dir, 'no-rules')]), (e: unknown) => e instanceof UsageError && /rules not found/.test(e.message));
  await assert.rejects(hunt([evtxDir, '--rules', rulesDir, '--format', 'xml']), UsageError);
  await assert.rejects(hunt(['--rules', rulesDir]), UsageError);
  await assert.rejects(hunt([evtxDir, '--detections', path.join(dir, 'no-content')]), (e: unknown) => e instanceof UsageError && /detections not found/.test(e.message));
});

test('an event the engine throws on is reported with its location; the run goes on', async () => {
  const jsonl = path.join(dir, 'explode.jsonl');
  await writeFile(jsonl, [{ EventID: 1, Channel: 'x' }, { EventID: 1, Explode: 1 }, { EventID: 4688 }].map((o) => JSON.stringify(o)).join('\n') + '\n');
  const r = await hunt([jsonl, '--rules', rulesDir, '--format', 'jsonl', '--threads', '1']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /explode\.jsonl.*matching failed on this event: fake engine explodes \[hunt\.engine-failed\]/);
  assert.match(r.stderr, /1 events failed matching/);
  assert.equal(jsonLines(r.output).length, 2);
});

test('--rules takes several paths; the words after it up to the next option', () => {
  assert.deepEqual(expandRuleArgs(['logs', '--rules', 'a', 'b', '-f', 'jsonl', 'more']), ['logs', '--rules', 'a', '--rules', 'b', '-f', 'jsonl', 'more']);
  assert.deepEqual(expandRuleArgs(['-r', 'a', '--', 'logs']), ['--rules', 'a', '--', 'logs']);
  assert.deepEqual(expandRuleArgs(['logs', '--rules']), ['logs', '--rules']);
});

test('ATT&CK references come from attack.* tags', () => {
  assert.deepEqual(attackRefs(['attack.defense_evasion', 'attack.T1562.001', 'attack.s0002', 'cve.2021-1', 'attack.t1003']), {
    tactics: ['defense-evasion'],
    techniques: ['T1562.001', 'T1003'],
  });
});

test('placeholder files: lists, single values, %name% keys; bad entries are named', async () => {
  const good = path.join(dir, 'ph.yml');
  await writeFile(good, "admins: [adm_alice, adm_bob]\n'%domain_controllers%': dc01\nports: [445, 139]\n");
  assert.deepEqual(await readPlaceholders(good), { admins: ['adm_alice', 'adm_bob'], domain_controllers: ['dc01'], ports: ['445', '139'] });
  const bad = path.join(dir, 'ph-bad.yml');
  await writeFile(bad, 'admins:\n  - {x: 1}\n');
  await assert.rejects(readPlaceholders(bad), /ph-bad\.yml: placeholder 'admins' must hold strings/);
  await writeFile(bad, '- a\n- b\n');
  await assert.rejects(readPlaceholders(bad), /expected a map/);
});

async function rulesCheck(args: string[], extra: RuleReport[] = [NOT_LOADED]): Promise<Result> {
  let stdout = '';
  let stderr = '';
  const command = makeRulesCommand({ backend: fakeBackend(RULES, extra), stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  const code = await command.run(args);
  return { code, stderr, output: stdout };
}

test('rules check: each rule with status, kind, id, title, location and reasons, then totals', async () => {
  const warned: RuleReport = {
    file: 'rules/dup.yml',
    line: 3,
    id: 'r-dup',
    title: 'Duplicate keys',
    status: 'loaded-with-warnings',
    kind: 'detection',
    problems: [{ severity: 'warning', code: 'sigma.duplicate-key', message: "duplicate key 'CommandLine|contains' ANDed", location: { file: 'rules/dup.yml', line: 5 } }],
  };
  const r = await rulesCheck(['check', rulesDir], [NOT_LOADED, warned]);
  assert.equal(r.code, 0);
  const lines = r.output.trimEnd().split('\n');
  assert.match(lines[0]!, /^STATUS +KIND +ID +TITLE/);
  assert.ok(lines.some((l) => /^not-loaded +detection +r-bad +Bad logsource +\(rules\/bad\.yml:7\)$/.test(l)));
  assert.ok(lines.some((l) => /^ +error: logsource category=nope cannot be mapped \[sigma\.logsource\.unmapped\]$/.test(l)));
  assert.ok(lines.some((l) => /^loaded-with-warnings +detection +r-dup/.test(l)));
  assert.equal(lines.at(-1), 'total: 4 rule documents (4 detection): 3 loaded (1 with warnings), 1 not loaded (1 logsource)');
});

test('rules check --format json, and a missing path gives status 1', async () => {
  const r = await rulesCheck(['check', rulesDir, path.join(dir, 'missing-rules'), '--format', 'json']);
  assert.equal(r.code, 1);
  const doc = JSON.parse(r.output) as CheckJson;
  assert.equal(doc.rules.length, 3);
  const bad = doc.rules.find((x) => x.id === 'r-bad');
  assert.ok(bad !== undefined);
  assert.equal(bad.status, 'not-loaded');
  assert.equal(bad.reason_category, 'logsource');
  assert.equal(bad.line, 7);
  assert.deepEqual(doc.totals.not_loaded_by_reason, { logsource: 1 });
  assert.equal(doc.missing.length, 1);
  assert.match(r.stderr, /missing-rules: no such file or folder/);
  await assert.rejects(rulesCheck(['verify', rulesDir]), UsageError);
});

test('worker threads that cannot start fail the files given to them with a reason; the main thread hunts the rest', async () => {
  let stderr = '';
  const out = path.join(dir, 'broken-workers.jsonl');
  const command = makeHuntCommand({
    backend: fakeBackend(RULES, []),
    workerEngineModule: new URL('./no-such-engine-module.js', import.meta.url).href,
    stderr: (t) => (stderr += t),
  });
  const code = await command.run([evtxDir, '--rules', rulesDir, '--threads', '2', '--output', out]);
  assert.equal(code, 1);
  assert.match(stderr, /hunt\.worker-failed/);
  // Every input is accounted for: failed with the worker's reason, or read on the main thread.
  const m = new RegExp(`${EVTX_FILES} inputs: (\\d+) read, (\\d+) failed`).exec(stderr);
  assert.ok(m !== null, stderr);
  assert.equal(Number(m[1]) + Number(m[2]), EVTX_FILES);
  assert.ok(Number(m[2]) >= 1, stderr);
});

test('a single input stays on the main thread (its EVTX chunks may still be parsed on threads)', async () => {
  const one = path.join(evtxDir, 'Security.evtx');
  const r = await hunt([one, '--rules', rulesDir, '--format', 'jsonl', '--threads', '3']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /\(main thread\)/);
  assert.equal(jsonLines(r.output).length, SEC_4688);
});

test('an engine warning (duplicate rule id) keeps both rules running, loaded with warnings', async () => {
  const rules = [detection('r-same', 'First of two', 'low', [4688]), detection('r-same', 'Second of two', 'low', [4688])];
  const r = await hunt([evtxDir, '--rules', rulesDir, '--format', 'jsonl', '--threads', '1'], rules, []);
  assert.match(r.stderr, /rules: 2 loaded \(2 with warnings\), 0 not loaded/);
  assert.equal(jsonLines(r.output).length, 2 * SEC_4688);
  const checked = await makeRulesCommand({ backend: fakeBackend(rules, []), stdout: () => undefined, stderr: () => undefined });
  assert.equal(await checked.run(['check', rulesDir]), 0);
});

test('table: a correlation row shows corr, the group and value/events counts', async () => {
  const rules = [...RULES, eventCount('c-many', 'Many process creations', ['r-sysmon-1', 'r-4688'], 2)];
  const r = await hunt([evtxDir, '--rules', rulesDir, '--threads', '1'], rules, []);
  const row = r.output.split('\n').find((l) => l.includes('Many process creations'));
  assert.ok(row !== undefined, r.output);
  assert.match(row, new RegExp(`^critical +2024-05-14 09:\\d\\d:\\d\\d +any +corr +Many process creations +value=${SYSMON_1 + SEC_4688} events=${SYSMON_1 + SEC_4688} Computer=any$`));
});

test('rules for logs Vigil does not read are counted as not applicable, not listed as failures', async () => {
  const linux: RuleReport = {
    file: 'rules/linux.yml',
    line: 1,
    id: 'r-linux',
    title: 'Linux thing',
    status: 'not-applicable',
    kind: 'detection',
    problems: [{ severity: 'info', code: 'sigma.logsource.not-windows', message: 'product linux is not a Windows event log', location: { file: 'rules/linux.yml', line: 4 } }],
  };
  const r = await hunt([evtxDir, '--rules', rulesDir, '--threads', '1'], RULES, [linux]);
  assert.doesNotMatch(r.stderr, /Linux thing/);
  assert.match(r.stderr, /rules: 2 loaded, 0 not loaded, 1 not applicable \(not Windows event logs\)/);
  const check = await rulesCheck(['check', rulesDir, '--format', 'json'], [linux]);
  const doc = JSON.parse(check.output) as { totals: { not_applicable: number }; rules: { status: string }[] };
  assert.equal(doc.totals.not_applicable, 1);
  assert.ok(doc.rules.some((x) => x.status === 'not-applicable'));
});
