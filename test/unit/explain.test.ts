/**
 * `vigil explain` library: Sigma stages and indicators (selections, filters, modifiers, variant
 * field names), Splunk-style detections from the built-in content, SPL value classification,
 * correlations, and the indicator index on a small hand-made corpus.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadSigmaRules, loadSigmaText } from '../../src/sigma/index.js';
import type { Rule } from '../../src/ir/nodes.js';
import {
  buildIndicatorIndex, loadSigmaParallel, classifyLike, classifySearchValue, explainDetection, explainSigmaRule, explanationText, loadDetections,
  type ConditionNode, type Indicator, type Predicate, type RuleExplanation,
} from '../../src/devtools/explain/index.js';
import { evalNode } from '../../src/devtools/explain/spl.js';
import { parseEvalExpressionText } from '../../src/spl/index.js';
import { tempDirs } from '../helpers/temp-dirs.js';

/** Temporary folders of this file, removed when its tests end. */
const tempDir = tempDirs();

const APPCMD_RULE = `title: Appcmd Listing
id: 0f3a1c52-5a7e-4b57-9d2e-111111111111
status: test
logsource:
  category: process_creation
  product: windows
detection:
  selection_img:
    - Image|endswith: '\\appcmd.exe'
    - OriginalFileName: 'appcmd.exe'
  selection_cli:
    CommandLine|contains|all:
      - 'LIST '
      - '/config'
  filter_main:
    ParentImage|startswith: 'C:\\Windows\\System32\\'
  filter_cased:
    CommandLine|contains|cased: 'SafeTool'
  condition: all of selection_* and not 1 of filter_*
level: high
`;

function tempFile(name: string, text: string): string {
  const dir = tempDir('vigil-explain-');
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

async function loadOne(text: string): Promise<Rule> {
  const set = await loadSigmaRules([tempFile('rule.yml', text)]);
  assert.equal(set.rules.length, 1, JSON.stringify(set.reports.flatMap((r) => r.problems.map((p) => p.message))));
  return set.rules[0]!;
}

function predicates(node: ConditionNode | null): Predicate[] {
  if (node === null) return [];
  switch (node.kind) {
    case 'predicate':
      return [node.predicate];
    case 'selection':
      return predicates(node.body);
    case 'and':
    case 'or':
    case 'of':
      return node.items.flatMap(predicates);
    case 'not':
      return predicates(node.item);
    default:
      return [];
  }
}

function has(list: readonly Indicator[], field: string, op: string, value: string): boolean {
  return list.some((i) => i.field === field && i.op === op && i.value === value);
}

test('Sigma: condition stages keep selection names, quantifiers, filters and modifiers', async () => {
  const e = explainSigmaRule(await loadOne(APPCMD_RULE));
  assert.equal(e.kind, 'sigma');
  assert.deepEqual(e.conditionText, ['all of selection_* and not 1 of filter_*']);
  const root = e.condition!;
  assert.equal(root.kind, 'and');
  if (root.kind !== 'and') return;
  const [sel, neg] = root.items;
  assert.equal(sel?.kind, 'of');
  if (sel?.kind !== 'of') return;
  assert.equal(sel.quantifier, 'all');
  assert.deepEqual(sel.items.map((i) => (i.kind === 'selection' ? `${i.role}:${i.name}` : i.kind)), ['selection:selection_img', 'selection:selection_cli']);
  assert.equal(neg?.kind, 'not');
  if (neg?.kind !== 'not' || neg.item.kind !== 'of') return assert.fail('not 1 of filter_*');
  assert.equal(neg.item.quantifier, 'one');
  assert.deepEqual(neg.item.items.map((i) => (i.kind === 'selection' ? `${i.role}:${i.name}` : i.kind)), ['filter:filter_main', 'filter:filter_cased']);

  const all = predicates(root);
  const image = all.find((p) => p.field === 'Image')!;
  assert.equal(image.op, 'endswith');
  assert.deepEqual(image.values, ['\\appcmd.exe']);
  assert.equal(image.translations?.['security-4688'], 'NewProcessName');
  assert.equal(all.find((p) => p.field === 'OriginalFileName')?.translations?.['security-4688'], null, '4688 has no OriginalFileName');
  const cli = all.find((p) => p.field === 'CommandLine' && p.op === 'contains' && !p.caseSensitive)!;
  assert.deepEqual(cli.values, ['LIST ', '/config']);
  assert.ok(cli.modifiers.includes('all'));
  const cased = all.find((p) => p.field === 'CommandLine' && p.caseSensitive)!;
  assert.deepEqual(cased.values, ['SafeTool']);
  assert.ok(cased.modifiers.includes('cased'));
  assert.equal(all.find((p) => p.field === 'ParentImage')?.op, 'startswith');
});

test('Sigma: log source variants and indicators (both spellings, case-folded, filters left out)', async () => {
  const e = explainSigmaRule(await loadOne(APPCMD_RULE));
  const labels = e.logsource!.variants.map((v) => `${v.label}:${v.eventIds.join(',')}`);
  assert.ok(labels.includes('sysmon:1'), labels.join(' '));
  assert.ok(labels.includes('security-4688:4688'), labels.join(' '));
  assert.equal(e.logsource!.variants.find((v) => v.label === 'sysmon')?.fieldMap, null);
  assert.ok(has(e.indicators, 'Image', 'endswith', '\\appcmd.exe'));
  assert.ok(has(e.indicators, 'NewProcessName', 'endswith', '\\appcmd.exe'));
  assert.ok(has(e.indicators, 'CommandLine', 'contains', 'list '), 'case-insensitive value folded');
  assert.ok(!e.indicators.some((i) => i.field === 'ParentImage'), 'negated filter is not an indicator');
  assert.ok(!e.indicators.some((i) => i.value.toLowerCase() === 'safetool'));
  const keys = e.indicators.map((i) => `${i.field}|${i.op}|${i.value}`);
  assert.equal(new Set(keys).size, keys.length, 'indicators are distinct');
  const text = explanationText(e);
  assert.match(text, /selection selection_img:/);
  assert.match(text, /filter filter_main:/);
  assert.match(text, /security-4688: NewProcessName/);
});

test('Sigma: regex kept as written, numbers, keywords, null and IR fallback without the file', () => {
  const text = `title: Misc
id: 0f3a1c52-5a7e-4b57-9d2e-222222222222
logsource:
  product: windows
  service: security
detection:
  sel:
    EventID: 4625
    TargetUserName|re: 'Adm\\D+'
    LogonType|gte: 3
    WorkstationName: null
  kw:
    - 'Mimikatz'
  condition: sel or kw
level: low
`;
  const set = loadSigmaText(text, '/nonexistent/misc.yml');
  assert.equal(set.rules.length, 1);
  const e = explainSigmaRule(set.rules[0]!);
  assert.ok(e.notes.some((n) => n.includes('compiled condition')), e.notes.join('; '));
  assert.ok(e.condition !== null);
  assert.ok(has(e.indicators, 'EventID', 'equals', '4625'));
  assert.ok(e.indicators.some((i) => i.field === 'TargetUserName' && i.op === 'regex' && i.value.endsWith('Adm\\D+')), JSON.stringify(e.indicators));
  assert.ok(has(e.indicators, 'LogonType', 'gte', '3'));
  assert.ok(has(e.indicators, '*', 'contains', 'mimikatz'));
  assert.ok(!e.indicators.some((i) => i.field === 'WorkstationName'), 'absence is not an indicator');
  assert.ok(predicates(e.condition).some((p) => p.field === 'WorkstationName' && p.op === 'null'));
});

test('Sigma correlation: type, group-by, timespan, condition and referenced rules', () => {
  const text = `title: Failed logon
id: 0f3a1c52-5a7e-4b57-9d2e-333333333333
name: failed_logon
logsource:
  product: windows
  service: security
detection:
  sel:
    EventID: 4625
  condition: sel
level: low
---
title: Many failed logons
id: 0f3a1c52-5a7e-4b57-9d2e-444444444444
correlation:
  type: event_count
  rules:
    - failed_logon
  group-by:
    - TargetUserName
  timespan: 5m
  condition:
    gte: 10
level: high
`;
  const set = loadSigmaText(text, '/nonexistent/corr.yml');
  const corr = set.rules.find((r) => r.kind === 'correlation');
  assert.ok(corr, JSON.stringify(set.reports.flatMap((r) => r.problems.map((p) => p.message))));
  const e = explainSigmaRule(corr, { rulesById: new Map(set.rules.map((r) => [r.meta.id, r])) });
  assert.equal(e.kind, 'sigma-correlation');
  const c = e.correlation!;
  assert.equal(c.type, 'event_count');
  assert.deepEqual(c.groupBy, ['TargetUserName']);
  assert.equal(c.timespan, '5m');
  assert.equal(c.timespanMs, 300_000);
  assert.equal(c.condition, 'gte 10');
  assert.deepEqual(c.rules, [{ id: '0f3a1c52-5a7e-4b57-9d2e-333333333333', title: 'Failed logon' }]);
  assert.deepEqual(e.indicators, []);
});

async function builtinDetection(name: string): Promise<RuleExplanation> {
  const { detections } = await loadDetections(path.join(process.cwd(), 'content', 'splunk'));
  const d = detections.find((x) => x.detection.name === name);
  assert.ok(d, `built-in detection '${name}'`);
  return explainDetection(d);
}

test('SPL: a tstats detection from content/splunk → stages and indicators', async () => {
  const e = await builtinDetection('Windows IIS Components Add New Module');
  assert.equal(e.kind, 'spl');
  const first = e.pipeline[0]!;
  assert.equal(first.command, 'tstats');
  assert.equal(first.datamodel, 'Endpoint.Processes');
  assert.ok(first.by.includes('Processes.dest'));
  assert.ok(first.aggregations.includes('count'));
  assert.ok(first.aggregations.some((a) => /^min\(_time\) AS firstTime$/.test(a)), first.aggregations.join(', '));
  const preds = predicates(first.where);
  const parent = preds.find((p) => p.field === 'Processes.parent_process_name')!;
  assert.deepEqual(parent.values, ['msiexec.exe', 'iissetup.exe']);
  assert.ok(e.pipeline.some((s) => s.command === 'rename' && s.renames.some((r) => r.from === 'Processes.*' && r.to === '*')));
  assert.ok(e.macros.includes('security_content_summariesonly'));
  assert.ok(e.macros.includes('drop_dm_object_name'));
  assert.ok(has(e.indicators, 'Processes.process_name', 'equals', 'appcmd.exe'));
  assert.ok(has(e.indicators, 'Processes.process', 'contains', 'install '));
  assert.ok(has(e.indicators, 'Processes.process', 'contains', 'image'));
  assert.ok(!e.indicators.some((i) => i.field === 'Processes.parent_process_name'), 'NOT (...) is not an indicator');
  assert.ok(!e.indicators.some((i) => i.op === 'wildcard' && i.value === '*'), '`search *` says nothing');
});

test('SPL: a search detection: IN lists with wildcards become contains, values case-folded; stats and BY', async () => {
  const e = await builtinDetection('Windows PowerShell IIS Components WebGlobalModule Usage');
  assert.ok(has(e.indicators, 'EventCode', 'equals', '4104'));
  assert.ok(has(e.indicators, 'ScriptBlockText', 'contains', 'new-webglobalmodule'));
  const stats = e.pipeline.find((s) => s.command === 'stats')!;
  assert.deepEqual(stats.by, ['EventCode', 'ScriptBlockText', 'Computer', 'user_id']);
  assert.ok(e.macros.includes('powershell'));
});

test('SPL: without macro definitions the search is parsed as written and macros stay visible', async () => {
  const { detections } = await loadDetections(path.join(process.cwd(), 'content', 'splunk'));
  const d = detections.find((x) => x.detection.name === 'Windows PowerShell IIS Components WebGlobalModule Usage')!;
  const e = explainDetection({ detection: d.detection });
  assert.ok(e.notes.some((n) => n.includes('macros not expanded')));
  assert.ok(e.pipeline.some((s) => s.command === '`security_content_ctime`'), e.pipeline.map((s) => s.command).join(' '));
  assert.ok(has(e.indicators, 'ScriptBlockText', 'contains', 'set-webglobalmodule'));
});

test('SPL value classification and where expressions', () => {
  assert.deepEqual(classifySearchValue('*\\appcmd.exe'), { op: 'endswith', value: '\\appcmd.exe' });
  assert.deepEqual(classifySearchValue('cmd*'), { op: 'startswith', value: 'cmd' });
  assert.deepEqual(classifySearchValue('**x**'), { op: 'contains', value: 'x' });
  assert.deepEqual(classifySearchValue('a*b'), { op: 'wildcard', value: 'a*b' });
  assert.deepEqual(classifySearchValue('plain'), { op: 'equals', value: 'plain' });
  assert.deepEqual(classifyLike('%rundll32%'), { op: 'contains', value: 'rundll32' });
  assert.deepEqual(classifyLike('a_c'), { op: 'wildcard', value: 'a?c' });
  const node = evalNode(parseEvalExpressionText('match(process, "(?i)x.*y") AND NOT like(user, "%$") AND host=="Web01"'), 0);
  assert.equal(node.kind, 'and');
  const preds = predicates(node);
  assert.deepEqual(preds.map((p) => `${p.field} ${p.op} ${p.values.join(',')}`), ['process regex (?i)x.*y', 'user endswith $', 'host equals Web01']);
  assert.ok(preds.every((p) => p.caseSensitive), 'eval comparisons are case-sensitive');
});

test('indicator index: counts, rule lists and others-sharing on a hand-made corpus', () => {
  const img: Indicator = { field: 'Image', op: 'endswith', value: '\\appcmd.exe' };
  const cmd: Indicator = { field: 'CommandLine', op: 'contains', value: 'list ' };
  const only: Indicator = { field: 'CommandLine', op: 'contains', value: '/xml' };
  const index = buildIndicatorIndex([
    { id: 'r3', indicators: [img, cmd] },
    { id: 'r1', indicators: [img] },
    { id: 'r2', indicators: [img, only, { ...cmd }] },
    { id: 'r1', indicators: [img] }, // the same rule twice is counted once
  ]);
  assert.equal(index.ruleCount, 3);
  assert.equal(index.size, 3);
  assert.equal(index.count(img), 3);
  assert.equal(index.count({ field: 'CommandLine', op: 'contains', value: 'list ' }), 2);
  assert.equal(index.count({ field: 'CommandLine', op: 'startswith', value: 'list ' }), 0, 'operator is part of the key');
  assert.equal(index.count({ field: 'commandline', op: 'contains', value: 'list ' }), 0, 'field names as written');
  assert.deepEqual(index.rulesFor(img), ['r1', 'r2', 'r3']);
  assert.deepEqual(index.rulesFor({ field: 'X', op: 'equals', value: 'y' }), []);
  assert.equal(index.othersSharing(img, 'r1'), 2);
  assert.equal(index.othersSharing(only, 'r2'), 0);
  assert.equal(index.othersSharing(only, 'zzz'), 1);
  assert.deepEqual(index.entries().map((x) => x.rules.length), [3, 2, 1]);
});

test('parallel Sigma load gives the ordinary loader\'s rules; a correlation makes it load in one piece', async () => {
  const dir = tempDir('vigil-explain-par-');
  for (let i = 0; i < 6; i++) {
    writeFileSync(path.join(dir, `r${i}.yml`), APPCMD_RULE.replace('111111111111', `00000000000${i}`).replace('Appcmd Listing', `Rule ${i}`));
  }
  const byId = (rules: readonly Rule[]): Rule[] => [...rules].sort((a, b) => (a.meta.id < b.meta.id ? -1 : 1));
  const plain = await loadSigmaRules([dir]);
  const par = await loadSigmaParallel([dir], { threads: 2, minFiles: 0 });
  assert.equal(par.threads, 2);
  assert.deepEqual(byId(par.rules), byId(plain.rules));
  // A correlation in one slice naming a rule in another: only a one-piece load resolves it.
  writeFileSync(path.join(dir, 'z-corr.yml'), `title: Many
id: 0f3a1c52-5a7e-4b57-9d2e-555555555555
correlation:
  type: event_count
  rules: [0f3a1c52-5a7e-4b57-9d2e-000000000000]
  group-by: [User]
  timespan: 1h
  condition: {gte: 2}
level: high
`);
  const again = await loadSigmaParallel([dir], { threads: 2, minFiles: 0 });
  assert.equal(again.threads, 1);
  assert.ok(again.rules.some((r) => r.kind === 'correlation'));
});
