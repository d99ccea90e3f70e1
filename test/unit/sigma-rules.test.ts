/**
 * Sigma documents: metadata checks, duplicate keys (§3.3), located errors, multi-document files,
 * legacy content (§6.17), logsource resolution, filters (§1.8, §6.13), correlations (§1.7, §6.14),
 * placeholder config and folder loading. Every document gets exactly one report.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import type { CorrelationRule, DetectionRule } from '../../src/ir/nodes.js';
import { loadSigmaRules, parsePlaceholderConfig } from '../../src/sigma/index.js';
import type { LogsourceResolver } from '../../src/sigma/index.js';
import { ANY, T, and, fm, load, not, or, passThroughResolver, rule } from './sigma-test-helpers.js';

const codes = (problems: readonly { code: string; severity: string }[], severity: string): string[] =>
  problems.filter((p) => p.severity === severity).map((p) => p.code);

describe('sigma rules: duplicate keys (§3.3)', () => {
  // The mdecrevoisier "Webserver IIS module installed (command)" shape.
  const iis = rule(`  selection:
    NewProcessName|endswith: '\\appcmd.exe'
    CommandLine|contains:
      - install
      - add
    CommandLine|contains: module
  condition: selection
`);
  test('default: a warning, and both keys are ANDed', () => {
    const res = load(iis);
    const r = res.rules[0] as DetectionRule;
    assert.equal(res.reports[0]!.status, 'loaded-with-warnings');
    const dup = res.reports[0]!.problems.find((p) => p.code === 'sigma.detection.duplicate-key')!;
    assert.equal(dup.severity, 'warning');
    assert.equal(dup.location.line, 14);
    assert.equal(dup.location.column, 5);
    assert.match(dup.message, /first at line 11/);
    assert.deepEqual(
      r.variants[0]!.condition,
      and(
        fm('NewProcessName', [ANY, T('\\appcmd.exe')]),
        or(fm('CommandLine', [ANY, T('install'), ANY]), fm('CommandLine', [ANY, T('add'), ANY])),
        fm('CommandLine', [ANY, T('module'), ANY]),
      ),
    );
  });
  test('strict: an error, rule not loaded', () => {
    const res = load(iis, { strict: true });
    assert.equal(res.rules.length, 0);
    assert.equal(res.reports[0]!.status, 'not-loaded');
    assert.deepEqual(codes(res.reports[0]!.problems, 'error'), ['sigma.detection.duplicate-key']);
  });
  test('a repeated condition: warning and ORed; strict: error. A repeated identifier is always an error', () => {
    const twice = rule(`  a:\n    A: x\n  b:\n    B: y\n  condition: a\n  condition: b\n`);
    const res = load(twice);
    assert.deepEqual((res.rules[0] as DetectionRule).variants[0]!.condition, or(fm('A', [T('x')]), fm('B', [T('y')])));
    assert.deepEqual(codes(res.reports[0]!.problems, 'warning'), ['sigma.detection.duplicate-key']);
    assert.equal(load(twice, { strict: true }).reports[0]!.status, 'not-loaded');
    const dupId = load(rule(`  a:\n    A: x\n  a:\n    B: y\n  condition: a\n`));
    assert.deepEqual(codes(dupId.reports[0]!.problems, 'error'), ['sigma.detection.duplicate-identifier']);
  });
  test('duplicate top-level keys: warning (last wins), error with strict', () => {
    const text = rule(`  sel:\n    A: x\n  condition: sel\n`, 'tags:\n  - attack.t1\ntags:\n  - attack.t2\n');
    const res = load(text);
    assert.equal(res.reports[0]!.status, 'loaded-with-warnings');
    assert.deepEqual((res.rules[0] as DetectionRule).meta.tags, ['attack.t2']);
    assert.equal(load(text, { strict: true }).reports[0]!.status, 'not-loaded');
  });
});

describe('sigma rules: metadata and located errors', () => {
  test('a clean rule loads with its metadata', () => {
    const res = load(rule(`  sel:\n    A: x\n  condition: sel\n`, 'tags:\n  - attack.execution\n  - attack.t1059.001\ndate: 2024-01-02\nfields:\n  - A\n'));
    assert.equal(res.reports[0]!.status, 'loaded');
    const r = res.rules[0] as DetectionRule;
    assert.equal(r.meta.id, '11111111-2222-4333-8444-555555555555');
    assert.equal(r.meta.title, 'Test rule');
    assert.equal(r.meta.level, 'high');
    assert.equal(r.meta.status, 'test');
    assert.equal(r.meta.date, '2024-01-02');
    assert.deepEqual(r.meta.tags, ['attack.execution', 'attack.t1059.001']);
    assert.deepEqual(r.outputFields, ['A']);
    assert.deepEqual(r.logsource, { product: 'windows', category: 'process_creation' });
    assert.deepEqual(r.meta.source, { file: 'rule.yml', line: 1, column: 1 });
  });
  test('bad enums, dates and tags are located warnings; unknown keys are custom attributes', () => {
    const text = `title: T\nid: not-a-uuid\nstatus: experimental|\nlevel: severe\ndate: 2019/10/25\ntags:\n  - Attack.Bad\n  - notag\nregression_tests_path: x\nlogsource:\n  product: windows\ndetection:\n  sel:\n    A: x\n  condition: sel\n`;
    const res = load(text);
    assert.equal(res.reports[0]!.status, 'loaded-with-warnings');
    const w = res.reports[0]!.problems.filter((p) => p.severity === 'warning');
    assert.deepEqual(w.map((p) => [p.code, p.location.line]), [
      ['sigma.meta.id', 2], ['sigma.meta.status', 3], ['sigma.meta.level', 4], ['sigma.meta.date', 5], ['sigma.meta.tag', 7], ['sigma.meta.tag', 7],
    ]);
    assert.equal((res.rules[0] as DetectionRule).meta.level, 'medium');
  });
  test('title, logsource and detection are required', () => {
    assert.deepEqual(codes(load(`id: x\nlogsource: {product: windows}\ndetection: {s: {A: x}, condition: s}\n`).reports[0]!.problems, 'error'), ['sigma.meta.title']);
    assert.deepEqual(codes(load(`title: t\ndetection: {s: {A: x}, condition: s}\n`).reports[0]!.problems, 'error'), ['sigma.logsource.missing']);
    assert.deepEqual(codes(load(`title: t\nlogsource: {product: windows}\ndetection: {s: {A: x}}\n`).reports[0]!.problems, 'error'), ['sigma.detection.condition-missing']);
    assert.deepEqual(codes(load(`title: t\nlogsource: {product: windows}\n`).reports[0]!.problems, 'error'), ['sigma.document.kind']);
  });
  test('a rule without id gets a derived one (name first), with an info note', () => {
    const res = load(`title: t\nname: my_rule\nlogsource: {product: windows}\ndetection: {s: {A: x}, condition: s}\n`);
    assert.equal(res.rules[0]!.meta.id, 'my_rule');
    assert.equal(res.reports[0]!.status, 'loaded');
  });
  test('YAML syntax errors are located and the other documents still load', () => {
    const good = rule(`  sel:\n    A: x\n  condition: sel\n`);
    const res = load(`${good}---\ntitle: broken\n\tlogsource: x\n---\n${good.replace('11111111', '22222222')}`);
    assert.equal(res.reports.length, 3);
    assert.deepEqual(res.reports.map((r) => r.status), ['loaded', 'not-loaded', 'loaded']);
    const e = res.reports[1]!.problems[0]!;
    assert.equal(e.code, 'sigma.yaml');
    assert.equal(e.location.line, 14);
    assert.equal(res.rules.length, 2);
  });
  test('errors inside the detection carry file, line and column', () => {
    const res = load(rule(`  sel:\n    A|gte: 'ten'\n  condition: sel\n`), {}, 'rules/x.yml');
    const e = res.reports[0]!.problems[0]!;
    assert.deepEqual([e.code, e.location.file, e.location.line, e.location.column], ['sigma.detection.type', 'rules/x.yml', 10, 12]);
  });
});

describe('sigma rules: legacy content (§6.17)', () => {
  test('timeframe is reported as a v1 aggregation', () => {
    const res = load(rule(`  sel:\n    A: x\n  timeframe: 5m\n  condition: sel | count() > 5\n`));
    assert.deepEqual(codes(res.reports[0]!.problems, 'error'), ['sigma.legacy.timeframe']);
  });
  test('action: global collections: every document is reported with the reason', () => {
    const res = load(`action: global\ntitle: t\ndetection:\n  condition: all of sel*\n---\nlogsource: {product: windows}\ndetection:\n  sel1: {A: x}\n---\nlogsource: {product: windows}\ndetection:\n  sel2: {A: y}\n`);
    assert.equal(res.rules.length, 0);
    assert.equal(res.reports.length, 3);
    for (const r of res.reports) assert.deepEqual(codes(r.problems, 'error'), ['sigma.legacy.collection']);
  });
  test('correlation as free text (mdecrevoisier) does not crash; the detection loads', () => {
    const res = load(rule(`  sel:\n    A: x\n  condition: sel\n`, 'correlation: check with rule X for the same host\n'));
    assert.equal(res.rules.length, 1);
    assert.ok(res.reports[0]!.problems.some((p) => p.code === 'sigma.correlation.free-text'));
  });
  test('a free-text correlation without detection is reported', () => {
    const res = load(`title: t\ncorrelation: some note\n`);
    assert.equal(res.reports[0]!.status, 'not-loaded');
  });
});

describe('sigma rules: logsource resolution', () => {
  test('the resolver gets the logsource and the condition; its variants are used', () => {
    const seen: Record<string, string>[] = [];
    const resolver: LogsourceResolver = {
      resolve: (ls, condition) => {
        seen.push({ ...ls });
        return { variants: [{ label: 'sysmon', scope: { channels: ['Microsoft-Windows-Sysmon/Operational'], providers: [], eventIds: [1], extra: null }, condition }], warnings: ['w1'] };
      },
    };
    const res = load(rule(`  sel:\n    A: x\n  condition: sel\n`), { logsources: resolver });
    assert.deepEqual(seen, [{ product: 'windows', category: 'process_creation' }]);
    const r = res.rules[0] as DetectionRule;
    assert.deepEqual(r.variants.map((v) => [v.label, v.scope.eventIds, v.condition]), [['sysmon', [1], fm('A', [T('x')])]]);
    assert.deepEqual(res.reports[0]!.problems.map((p) => [p.code, p.message, p.location.line]), [['sigma.logsource', 'w1', 6]]);
  });
  test('a resolver error means not loaded, with that reason at the logsource', () => {
    const resolver: LogsourceResolver = { resolve: () => ({ error: 'unknown category foo' }) };
    const res = load(rule(`  sel:\n    A: x\n  condition: sel\n`), { logsources: resolver });
    assert.equal(res.rules.length, 0);
    const e = res.reports[0]!.problems[0]!;
    assert.deepEqual([e.code, e.message, e.location.line], ['sigma.logsource.unmapped', 'unknown category foo', 6]);
  });
  test('list-valued logsource keys resolve per value (with a warning)', () => {
    const resolver: LogsourceResolver = {
      resolve: (ls, condition) => (ls.category === 'bad' ? { error: 'no' } : { variants: [{ label: ls.category!, scope: { channels: [], providers: [], eventIds: [], extra: null }, condition }], warnings: [] }),
    };
    const res = load(`title: t\nlogsource:\n  product: windows\n  category: [ps_module, ps_script, bad]\ndetection: {s: {A: x}, condition: s}\n`, { logsources: resolver });
    const r = res.rules[0] as DetectionRule;
    assert.deepEqual(r.variants.map((v) => v.label), ['ps_module', 'ps_script']);
    assert.deepEqual(codes(res.reports[0]!.problems, 'warning'), ['sigma.logsource.list', 'sigma.logsource.unmapped']);
  });
});

describe('sigma rules: filters (§1.8, §6.13)', () => {
  const base = rule(`  selection:\n    Image|endswith: '\\rar.exe'\n  condition: selection\n`, 'name: rar_rule\n');
  const filter = (targets: string, condition = 'not selection', logsource = '  category: process_creation\n  product: windows\n'): string =>
    `title: Filter admins\nlogsource:\n${logsource}filter:\n  rules: ${targets}\n  selection:\n    User|startswith: 'adm_'\n  condition: ${condition}\n`;
  const filtered = and(fm('Image', [ANY, T('\\rar.exe')]), not(fm('User', [T('adm_'), ANY])));
  test('by id: (rule) and (filter condition)', () => {
    const res = load(`${base}---\n${filter('[11111111-2222-4333-8444-555555555555]')}`);
    assert.deepEqual((res.rules[0] as DetectionRule).variants[0]!.condition, filtered);
    assert.equal(res.reports[1]!.kind, 'filter');
    assert.equal(res.reports[1]!.status, 'loaded');
  });
  test('by name and by any (logsource must match)', () => {
    assert.deepEqual((load(`${base}---\n${filter('[rar_rule]')}`).rules[0] as DetectionRule).variants[0]!.condition, filtered);
    assert.deepEqual((load(`${base}---\n${filter('any')}`).rules[0] as DetectionRule).variants[0]!.condition, filtered);
    const other = load(`${base}---\n${filter('any', 'not selection', '  category: file_event\n  product: windows\n')}`);
    assert.deepEqual((other.rules[0] as DetectionRule).variants[0]!.condition, fm('Image', [ANY, T('\\rar.exe')]));
    assert.deepEqual(codes(other.reports[1]!.problems, 'warning'), ['sigma.filter.unused']);
  });
  test('a filter that targets nothing is reported', () => {
    const res = load(`${base}---\n${filter('[does-not-exist]')}`);
    assert.equal(res.reports[1]!.status, 'loaded-with-warnings');
    assert.ok(res.reports[1]!.problems.some((p) => p.code === 'sigma.filter.unused'));
  });
  test('a filter condition without not is flagged (the spec example restricts instead of excluding)', () => {
    const res = load(`${base}---\n${filter('any', 'selection')}`);
    assert.ok(res.reports[1]!.problems.some((p) => p.code === 'sigma.filter.semantics'));
  });
});

describe('sigma rules: correlations (§1.7)', () => {
  const base = (id: string, name: string): string => `title: base ${name}\nid: ${id}\nname: ${name}\nlogsource: {product: windows, service: security}\ndetection: {s: {EventID: 4625}, condition: s}\n`;
  const A = 'aaaaaaaa-0000-4000-8000-000000000001';
  const B = 'bbbbbbbb-0000-4000-8000-000000000002';
  test('event_count with group-by, timespan and condition; references by name resolve to ids', () => {
    const res = load(`${base(A, 'failed_logon')}---\ntitle: Many failures\nid: cccccccc-0000-4000-8000-000000000003\nlevel: high\ncorrelation:\n  type: event_count\n  rules: [failed_logon]\n  group-by: [IpAddress]\n  timespan: 10m\n  condition: {gte: 20}\n`);
    const c = res.rules.find((r) => r.kind === 'correlation') as CorrelationRule;
    assert.deepEqual(
      { type: c.type, rules: c.rules, groupBy: c.groupBy, timespanMs: c.timespanMs, condition: c.condition, fields: c.fields, generate: c.generate, level: c.meta.level },
      { type: 'event_count', rules: [A], groupBy: ['IpAddress'], timespanMs: 600_000, condition: { op: 'gte', value: 20 }, fields: [], generate: false, level: 'high' },
    );
  });
  test('timespan units s/m/h/d/w/M/y', () => {
    const spans: [string, number][] = [['30s', 30_000], ['2h', 7_200_000], ['1d', 86_400_000], ['1w', 604_800_000], ['1M', 2_592_000_000], ['1y', 31_536_000_000]];
    for (const [span, ms] of spans) {
      const res = load(`${base(A, 'r')}---\ntitle: c\ncorrelation: {type: event_count, rules: [r], timespan: ${span}, condition: {gt: 1}}\n`);
      assert.equal((res.rules[1] as CorrelationRule).timespanMs, ms, span);
    }
    assert.equal(load(`${base(A, 'r')}---\ntitle: c\ncorrelation: {type: event_count, rules: [r], timespan: 5x, condition: {gt: 1}}\n`).reports[1]!.status, 'not-loaded');
  });
  test('value_count / value_sum / value_avg / value_percentile / value_median need field', () => {
    for (const type of ['value_count', 'value_sum', 'value_avg', 'value_percentile', 'value_median']) {
      const ok = load(`${base(A, 'r')}---\ntitle: c\ncorrelation: {type: ${type}, rules: [r], group-by: [Computer], timespan: 30m, condition: {gte: 20, field: TargetUserName}}\n`);
      const c = ok.rules[1] as CorrelationRule;
      assert.deepEqual([c.type, c.fields, c.condition], [type, ['TargetUserName'], { op: 'gte', value: 20 }]);
      if (type === 'value_percentile') assert.equal(c.percentile, 50);
      const bad = load(`${base(A, 'r')}---\ntitle: c\ncorrelation: {type: ${type}, rules: [r], timespan: 30m, condition: {gte: 20}}\n`);
      assert.deepEqual(codes(bad.reports[1]!.problems, 'error'), ['sigma.correlation.field']);
    }
  });
  test('condition needs exactly one operator (neq allowed)', () => {
    const two = load(`${base(A, 'r')}---\ntitle: c\ncorrelation: {type: event_count, rules: [r], timespan: 1h, condition: {gte: 1, lte: 5}}\n`);
    assert.deepEqual(codes(two.reports[1]!.problems, 'error'), ['sigma.correlation.condition']);
    const neq = load(`${base(A, 'r')}---\ntitle: c\ncorrelation: {type: event_count, rules: [r], timespan: 1h, condition: {neq: 3}}\n`);
    assert.deepEqual((neq.rules[1] as CorrelationRule).condition, { op: 'neq', value: 3 });
  });
  test('temporal: default condition null, aliases resolved to ids, generate, chaining', () => {
    const text = `${base(A, 'rule_a')}---\n${base(B, 'rule_b')}---\ntitle: both\nid: dddddddd-0000-4000-8000-000000000004\nname: both\ncorrelation:\n  type: temporal_ordered\n  rules: [rule_a, ${B}]\n  group-by: [user]\n  timespan: 5m\n  generate: true\n  aliases:\n    user:\n      rule_a: TargetUserName\n      rule_b: SubjectUserName\n---\ntitle: chained\ncorrelation: {type: event_count, rules: [both], timespan: 1h, condition: {gte: 3}}\n`;
    const res = load(text);
    assert.deepEqual(res.reports.map((r) => r.status), ['loaded', 'loaded', 'loaded', 'loaded']);
    const t = res.rules.find((r) => r.meta.title === 'both') as CorrelationRule;
    assert.deepEqual([t.type, t.rules, t.condition, t.generate, t.aliases], ['temporal_ordered', [A, B], null, true, { user: { [A]: 'TargetUserName', [B]: 'SubjectUserName' } }]);
    const chained = res.rules.find((r) => r.meta.title === 'chained') as CorrelationRule;
    assert.deepEqual(chained.rules, ['dddddddd-0000-4000-8000-000000000004']);
  });
  test('unresolved references and references to rules that did not load are reported', () => {
    const missing = load(`title: c\ncorrelation: {type: event_count, rules: [nope], timespan: 1h, condition: {gte: 1}}\n`);
    const e = missing.reports[0]!.problems.find((p) => p.severity === 'error')!;
    assert.deepEqual([e.code, e.location.line], ['sigma.correlation.reference', 2]);
    const broken = load(`title: b\nname: broken\nlogsource: {product: windows}\ndetection: {s: {A|nope: x}, condition: s}\n---\ntitle: c\ncorrelation: {type: event_count, rules: [broken], timespan: 1h, condition: {gte: 1}}\n`);
    assert.match(broken.reports[1]!.problems.find((p) => p.severity === 'error')!.message, /was not loaded/);
  });
  test('correlation cycles are reported, not looped on', () => {
    const res = load(`title: x\nname: x\ncorrelation: {type: event_count, rules: [y], timespan: 1h, condition: {gte: 1}}\n---\ntitle: y\nname: y\ncorrelation: {type: event_count, rules: [x], timespan: 1h, condition: {gte: 1}}\n`);
    assert.equal(res.rules.length, 0);
    assert.deepEqual(res.reports.map((r) => r.status), ['not-loaded', 'not-loaded']);
  });
});

describe('sigma rules: files, folders and placeholder config', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-sigma-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  test('folders are walked recursively (.yml/.yaml), several rules per file, placeholder config from a file', async () => {
    mkdirSync(path.join(dir, 'rules', 'sub dir'), { recursive: true });
    writeFileSync(path.join(dir, 'rules', 'a.yml'), `${rule(`  s:\n    A: x\n  condition: s\n`)}\n---\n${rule(`  s:\n    B: y\n  condition: s\n`).replace('11111111', '22222222')}`);
    writeFileSync(path.join(dir, 'rules', 'sub dir', 'b (1).yaml'), rule(`  s:\n    User|expand: '%Admins%'\n  condition: s\n`).replace('11111111', '33333333'));
    writeFileSync(path.join(dir, 'rules', 'notes.txt'), 'not a rule');
    writeFileSync(path.join(dir, 'placeholders.yml'), 'placeholders:\n  Admins:\n    - root\n    - adm_*\n');
    const res = await loadSigmaRules([path.join(dir, 'rules')], { logsources: passThroughResolver, placeholderConfig: path.join(dir, 'placeholders.yml') });
    assert.equal(res.reports.length, 3);
    assert.ok(res.reports.every((r) => r.status === 'loaded'), JSON.stringify(res.reports));
    const overlapping = await loadSigmaRules([path.join(dir, 'rules'), path.join(dir, 'rules', 'sub dir')], { logsources: passThroughResolver, placeholderConfig: path.join(dir, 'placeholders.yml') });
    assert.equal(overlapping.reports.length, 3, 'a file reached through two arguments loads once');
    const expanded = res.rules.find((r) => r.meta.id.startsWith('33333333')) as DetectionRule;
    assert.deepEqual(expanded.variants[0]!.condition, or(fm('User', [T('root')]), fm('User', [T('adm_'), ANY])));
  });
  test('a missing path is reported, not thrown', async () => {
    const res = await loadSigmaRules([path.join(dir, 'nope')], { logsources: passThroughResolver });
    assert.equal(res.reports[0]!.status, 'not-loaded');
    assert.equal(res.reports[0]!.problems[0]!.code, 'sigma.file');
  });
  test('a rule file over 8 MB is refused unread, a file with a byte order mark loads, and the folder goes on', async () => {
    const folder = path.join(dir, 'sized');
    mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(folder, 'huge.yml'), Buffer.alloc(8 * 1024 * 1024 + 1, 0x20));
    writeFileSync(path.join(folder, 'marked.yml'), '\ufeff' + rule(`  s:\n    A: x\n  condition: s\n`));
    const res = await loadSigmaRules([folder], { logsources: passThroughResolver });
    const huge = res.reports.find((r) => r.file.endsWith('huge.yml'))!;
    assert.equal(huge.status, 'not-loaded');
    assert.match(huge.problems[0]!.message, /^file is 8388609 bytes; rule files are limited to 8388608$/);
    assert.equal(res.reports.find((r) => r.file.endsWith('marked.yml'))?.status, 'loaded');
    assert.equal(res.rules.length, 1);
  });
  test('placeholder config: both the wrapped and the bare form', () => {
    assert.deepEqual(parsePlaceholderConfig('placeholders:\n  A: [x, y]\n', 'p.yml').placeholders, { A: ['x', 'y'] });
    assert.deepEqual(parsePlaceholderConfig(''.concat('B:\n  - 1\n'), 'p.yml').placeholders, { B: ['1'] });
  });
});

describe('sigma rules: hostile input stays bounded', () => {
  test('alias bombs are refused with a located error', () => {
    let text = 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n';
    for (let i = 1; i < 10; i++) text += `a${i}: &a${i} [*a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}]\n`;
    const res = load(text);
    assert.equal(res.reports[0]!.status, 'not-loaded');
  });
  test('windash with many dash positions is refused, not expanded', () => {
    const res = load(rule(`  s:\n    F|windash: '-a -b -c -d -e -f -g -h'\n  condition: s\n`));
    assert.deepEqual(codes(res.reports[0]!.problems, 'error'), ['sigma.expansion']);
  });
  test('non-map documents and scalars are reported', () => {
    assert.deepEqual(codes(load('just a string\n').reports[0]!.problems, 'error'), ['sigma.document.shape']);
    assert.deepEqual(codes(load('- a\n- b\n').reports[0]!.problems, 'error'), ['sigma.document.shape']);
  });
});
