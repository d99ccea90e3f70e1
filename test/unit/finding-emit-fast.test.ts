/**
 * The per-finding work of `vigil hunt` made once per rule (src/cli/hunt/finding-record.ts,
 * finding-risk.ts, held-risk.ts `encodeSigmaRisk`, src/risk/sigma-risk.ts) must write the same
 * bytes as building each object in full and handing it to JSON.stringify. The reference below
 * builds risk events and finding records the plain way, from docs/risk.md and
 * mappings/risk/sigma.yml, on seeded random findings full of awkward values.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Diagnostic } from '../../src/core/diagnostics.js';
import type { FieldScalar, FieldValue, VigilEvent } from '../../src/core/event.js';
import type { Level, RuleMeta } from '../../src/ir/nodes.js';
import type { Finding } from '../../src/cli/hunt/api.js';
import { createFindingFormatter } from '../../src/cli/hunt/finding-format.js';
import { findingRecord, findingRecordJson, ruleRecord, type FindingRecord } from '../../src/cli/hunt/finding-record.js';
import { FindingRisk } from '../../src/cli/hunt/finding-risk.js';
import { encodeRisk, riskLine } from '../../src/cli/hunt/held-risk.js';
import { defaultAttackCatalog, loadSigmaRiskConfig, riskEventsFromSigmaFinding, sigmaRiskConfigFromText, type RiskEvent } from '../../src/risk/index.js';
import type { SigmaRiskConfig } from '../../src/risk/config.js';
import type { SplValue } from '../../src/spl/exec/types.js';
import { seededRandom, type SeededRandom } from '../fuzz/evtx-synth.js';

// ---------------------------------------------------------------------------------------------
// Seeded random findings


const AWKWARD_TEXT = [
  'plain',
  // Looks like a null, a boolean and an empty list in JSON text, inside a string.
  'a:null,true[false,[]',
  'say "hi"',
  'back\\slash\\',
  'C:\\Windows\\System32\\cmd.exe',
  'C:\\Program Files\\A "B"\\tool.exe',
  '/usr/bin/curl',
  'line\nbreak\r\n\ttab',
  'control \u0000\u0001\u001f\u007f',
  'é ü ß 中文 🙂',
  'lone high \ud800 here',
  'lone low \udfff',
  '\udc00',
  'pair 😀 \ud83d\ude00',
  'separators \u2028\u2029',
  '',
  '   ',
  '</script>',
  'cmd.exe /c "echo %PATH%" > out.txt',
  'https://example.test/a?b=c&d=e',
];
const USER_VALUES = ['-', 'N/A', 'SYSTEM', 'system', 'NT AUTHORITY\\SYSTEM', 'Local Service', 'NETWORK SERVICE', 'ANONYMOUS LOGON', 'CORP\\alice', 'bob@corp.local', ' carol ', 'WEB01$', 'CORP\\DB01$', 'dave', 'é\\ñ', '\\', '@x'];
const NUMBERS = [0, -0, 1, -5, 1.5, -0.25, 1e21, 1.5e300, 2 ** 53 + 2, 123_456_789_012, 1e-7, Number.NaN, Number.POSITIVE_INFINITY];
const HOSTS = ['WEB01.corp.local', 'db02', 'Ŵéb "3"', 'host\\x', ''];
const RISK_FIELDS = ['Computer', 'ComputerName', 'Hostname', 'host', 'dest', 'TargetUserName', 'SubjectUserName', 'User', 'UserName', 'AccountName', 'user'];
const THREAT_FIELDS = ['Image', 'NewProcessName', 'ParentImage', 'ParentProcessName', 'CommandLine', 'TargetFilename', 'TargetObject', 'DestinationIp', 'QueryName'];
const OTHER_FIELDS = ['EventID', 'ProcessId', 'a"b', 'back\\key', 'é', '1', '42', 'Payload', 'Flag', 'constructor', 'toString'];
const TAG_POOL = [
  'attack.execution',
  'attack.t1059.001',
  'attack.T1505.004',
  'attack.persistence',
  'attack.defense_evasion',
  'attack.defense-evasion',
  'attack.t9999',
  'attack.t1234.999',
  'attack.g0016',
  'attack.s0002',
  'attack.not-a-tactic',
  'cve.2021-1234',
  'car.2016-04-005',
  'attack.t1003',
];
const LEVELS: readonly Level[] = ['informational', 'low', 'medium', 'high', 'critical'];

type Rand = SeededRandom;

function scalar(r: Rand): FieldScalar {
  switch (r.int(5)) {
    case 0:
    case 1:
      return r.pick(AWKWARD_TEXT);
    case 2:
      return r.pick(NUMBERS);
    case 3:
      return r.chance(0.5);
    default:
      return null;
  }
}

function value(r: Rand, field: string): FieldValue {
  if (r.chance(0.15)) return Array.from({ length: r.int(4) }, () => (r.chance(0.5) ? scalar(r) : r.pick(USER_VALUES)));
  if (RISK_FIELDS.includes(field) && r.chance(0.7)) return field.endsWith('Name') || field.startsWith('User') || field === 'user' ? r.pick(USER_VALUES) : r.pick(HOSTS);
  return scalar(r);
}

function randomFields(r: Rand): Record<string, FieldValue> {
  const fields: Record<string, FieldValue> = {};
  const names = [...RISK_FIELDS, ...THREAT_FIELDS, ...OTHER_FIELDS];
  for (const name of names) if (r.chance(0.3)) fields[name] = value(r, name);
  return fields;
}

function randomRule(r: Rand, i: number): RuleMeta {
  const tags = Array.from({ length: r.int(6) }, () => r.pick(TAG_POOL));
  return {
    id: `rule-${i}-${r.pick(['a', 'é', '"q"', '\\'])}`,
    title: `Rule ${i} ${r.pick(AWKWARD_TEXT)}`,
    level: r.pick(LEVELS),
    tags,
    origin: 'sigma',
    source: r.chance(0.5) ? { file: `rules/r${i}.yml`, line: i + 1 } : { file: `rules/"r${i}".yml` },
  };
}

const TIMES = ['2024-05-14T08:30:00.000Z', '2024-05-14T08:30:00.123456Z', '2012-03-15T21:11:54.822Z', '1999-12-31T23:59:59Z', 'not a time', null];

function randomEvent(r: Rand, i: number): VigilEvent {
  return {
    fields: randomFields(r),
    provenance: { file: r.pick(['a.evtx', 'dir\\b "c".evtx', 'é.evtx']), format: 'evtx', recordId: r.chance(0.9) ? i : null, offset: 0 },
    time: r.pick(TIMES),
    channel: r.chance(0.8) ? 'Security' : null,
    provider: r.chance(0.8) ? 'Microsoft-Windows-Security-Auditing' : null,
    eventId: r.chance(0.9) ? 4688 : null,
    computer: r.chance(0.7) ? r.pick(HOSTS) : null,
    render: () => '',
  };
}

function randomFinding(r: Rand, rules: readonly RuleMeta[], i: number): Finding {
  const rule = r.pick(rules);
  if (r.chance(0.1)) {
    const group: Record<string, FieldScalar> = {};
    for (const name of ['Computer', 'SubjectUserName', 'Image', 'Other']) if (r.chance(0.6)) group[name] = name === 'Computer' ? r.pick(HOSTS) : scalar(r);
    return { kind: 'correlation', rule, group, value: r.pick(NUMBERS), first: r.pick(TIMES), last: r.pick(TIMES), events: [{ file: 'a.evtx', recordId: i, time: r.pick(TIMES), ruleId: rule.id }] };
  }
  const event = randomEvent(r, i);
  const matched: Record<string, FieldValue> = {};
  for (const [k, v] of Object.entries(event.fields)) if (r.chance(0.4)) matched[k] = v;
  return { kind: 'match', rule, variant: r.pick(['default', 'security-4688', 'v "2"']), event, matched };
}

// ---------------------------------------------------------------------------------------------
// The plain way (docs/risk.md "Sigma findings", mappings/risk/sigma.yml)

function scalarText(v: FieldScalar): string | null {
  if (v === null) return null;
  if (typeof v === 'number') return Number.isInteger(v) ? v.toFixed(0) : String(v);
  return String(v);
}

function texts(fields: Readonly<Record<string, FieldValue>>, name: string): string[] {
  const v = Object.hasOwn(fields, name) ? fields[name] : undefined;
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? (v as FieldScalar[]) : [v as FieldScalar];
  return list.map(scalarText).filter((s): s is string => s !== null);
}

function distinctNonEmpty(values: readonly string[]): string[] {
  const out: string[] = [];
  for (const v of values) if (v.trim() !== '' && !out.includes(v)) out.push(v);
  return out;
}

function user(value: string, config: SigmaRiskConfig): string | null {
  const trimmed = value.trim();
  let bare = trimmed.includes('\\') ? trimmed.slice(trimmed.lastIndexOf('\\') + 1) : trimmed;
  if (bare.indexOf('@') > 0) bare = bare.slice(0, bare.indexOf('@'));
  if (bare === '') return null;
  const skip = config.userValuesToSkip.map((s) => s.toLowerCase());
  if (skip.includes(bare.toLowerCase()) || skip.includes(trimmed.toLowerCase())) return null;
  if (config.skipMachineAccounts && bare.endsWith('$')) return null;
  return config.stripUserDomain ? bare : trimmed;
}

/** ES's enrichment: stated techniques, the known ones with names, their tactics plus named tactics in matrix order. */
function annotations(tags: readonly string[], unknown: (t: string) => void): RiskEvent['annotations'] {
  const attack = defaultAttackCatalog();
  const stated: string[] = [];
  const ids: string[] = [];
  const names: string[] = [];
  const tactics: string[] = [];
  for (const tag of tags) {
    if (!tag.toLowerCase().startsWith('attack.')) continue;
    const rest = tag.slice('attack.'.length);
    if (/^t\d{4}(\.\d{3})?$/i.test(rest)) {
      const id = rest.toUpperCase();
      if (stated.includes(id)) continue;
      stated.push(id);
      const t = attack.technique(id);
      if (t === undefined) unknown(id);
      else {
        ids.push(t.id);
        names.push(t.name);
        tactics.push(...t.tactics);
      }
    }
  }
  for (const tag of tags) {
    if (!tag.toLowerCase().startsWith('attack.') || /^t\d{4}(\.\d{3})?$/i.test(tag.slice(7))) continue;
    const t = attack.tactic(tag.slice(7));
    if (t !== undefined) tactics.push(t.id);
  }
  const tacticIds = attack.sortTacticIds(tactics);
  return { mitre_attack: stated, mitre_technique_id: ids, mitre_technique: names, mitre_tactic_id: tacticIds, mitre_tactic: tacticIds.map((id) => attack.tactic(id)!.short) };
}

function toSpl(v: FieldValue): SplValue | undefined {
  const list = Array.isArray(v) ? (v as FieldScalar[]) : [v as FieldScalar];
  const out = list.filter((x) => x !== null).map((x) => (typeof x === 'number' ? x : String(x)));
  return out.length === 0 ? undefined : out.length === 1 ? out[0]! : out;
}

/** The matched fields as a hunt's risk event carries them: null dropped, booleans as text, lists kept. */
function matchedSpl(fields: Readonly<Record<string, FieldValue>>): Record<string, SplValue> {
  const out: Record<string, SplValue> = {};
  for (const [k, v] of Object.entries(fields)) {
    const list = (Array.isArray(v) ? v : [v]) as FieldScalar[];
    const kept = list.filter((x) => x !== null).map((x) => (typeof x === 'boolean' ? String(x) : x));
    if (kept.length === 0) continue;
    out[k] = Array.isArray(v) ? kept : kept[0]!;
  }
  return out;
}

interface PlainInput {
  readonly rule: { readonly id: string; readonly title: string; readonly level: Level; readonly tags: readonly string[] };
  readonly time: string | null;
  readonly fields: Readonly<Record<string, FieldValue>>;
  readonly computer?: string | null;
}

/** Risk events the plain way: copy the fields, fill Computer, work everything out, build each event in full. */
function plainRiskEvents(input: PlainInput, config: SigmaRiskConfig, keep: Record<string, SplValue> | null, warn: (d: Diagnostic) => void, prefix = 'Sigma - '): RiskEvent[] {
  const fields: Record<string, FieldValue> = { ...input.fields };
  if ((fields['Computer'] === undefined || fields['Computer'] === null) && input.computer) fields['Computer'] = input.computer;
  const objects: { value: string; type: RiskEvent['risk_object_type'] }[] = [];
  for (const spec of config.riskObjects) {
    for (const f of spec.fields) {
      const values = distinctNonEmpty(texts(fields, f));
      const usable = spec.type === 'user' ? values.map((v) => user(v, config)).filter((v): v is string => v !== null) : values;
      if (usable.length === 0) continue;
      if (!objects.some((o) => o.value === usable[0] && o.type === spec.type)) objects.push({ value: usable[0]!, type: spec.type });
      break;
    }
  }
  if (objects.length === 0) return [];
  const threat: string[] = [];
  const threatType: string[] = [];
  for (const spec of config.threatObjects) {
    for (const v of distinctNonEmpty(texts(fields, spec.field))) {
      const shown = spec.transform === 'basename' ? v.slice(Math.max(v.lastIndexOf('\\'), v.lastIndexOf('/')) + 1) : v;
      if (shown === '' || threat.some((t, i) => t === shown && threatType[i] === spec.type)) continue;
      threat.push(shown);
      threatType.push(spec.type);
    }
  }
  const rule = input.rule;
  const file = `sigma:${rule.id}`;
  const notes = annotations(rule.tags, (t) =>
    warn({ severity: 'warning', code: 'risk.unknown-technique', message: `Sigma rule '${rule.title}': ATT&CK technique ${t} is not in mappings/attack/techniques.yml; it adds no tactic`, location: { file } }),
  );
  const special: Record<string, string> = { sigma_title: rule.title, sigma_level: rule.level, sigma_id: rule.id };
  const missing: string[] = [];
  let message = config.message.replace(/\$([A-Za-z0-9_.:@-]{1,200})\$/g, (_all, f: string) => {
    const values = Object.hasOwn(special, f) ? [special[f]!] : texts(fields, f);
    if (values.length === 0 && !missing.includes(f)) missing.push(f);
    return values.join(', ');
  });
  if (message.length > 8192) message = message.slice(0, 8191) + '…';
  for (const f of missing) warn({ severity: 'warning', code: 'risk.message-field-missing', message: `Sigma rule '${rule.title}': risk message field '${f}' has no value in the event; left empty`, location: { file } });
  const all: Record<string, SplValue> = {};
  for (const [k, v] of Object.entries(fields)) {
    const s = toSpl(v);
    if (s !== undefined) all[k] = s;
  }
  const ms = input.time === null ? Number.NaN : Date.parse(input.time);
  const time = Number.isFinite(ms) ? ms / 1000 : 0;
  const score = config.scores[rule.level];
  const name = `${prefix}${rule.title} - Rule`;
  return objects.map((o) => ({
    kind: 'risk',
    _time: time,
    risk_object: o.value,
    risk_object_type: o.type,
    risk_score: score,
    calculated_risk_score: score,
    risk_message: message,
    threat_object: threat,
    threat_object_type: threatType,
    source: name,
    search_name: name,
    detection: { id: rule.id, name: rule.title, type: 'Sigma', origin: 'sigma' },
    analytic_stories: [],
    annotations: notes,
    info_min_time: null,
    info_max_time: null,
    info_search_time: time,
    fields: keep ?? all,
  }));
}

/** A hunt's risk events for a finding: the match's event with only the matched fields kept; a correlation's group. */
const defaultConfig = loadSigmaRiskConfig();

function plainFindingRisk(f: Finding, warn: (d: Diagnostic) => void): RiskEvent[] {
  const config = defaultConfig;
  const rule = { id: f.rule.id, title: f.rule.title, level: f.rule.level, tags: f.rule.tags };
  return f.kind === 'match'
    ? plainRiskEvents({ rule, time: f.event.time, fields: f.event.fields, computer: f.event.computer }, config, matchedSpl(f.matched), warn)
    : plainRiskEvents({ rule, time: f.last, fields: f.group }, config, null, warn);
}

function plainRecord(f: Finding): object {
  const attack = { tactics: [] as string[], techniques: [] as string[] };
  for (const tag of f.rule.tags) {
    const rest = tag.toLowerCase().startsWith('attack.') ? tag.toLowerCase().slice(7) : null;
    if (rest === null) continue;
    if (/^t\d{4}(\.\d{3})?$/.test(rest)) attack.techniques.push(rest.toUpperCase());
    else if (/^[a-z][a-z_-]*$/.test(rest)) attack.tactics.push(rest.replaceAll('_', '-'));
  }
  const src = f.rule.source;
  const rule = { id: f.rule.id, title: f.rule.title, level: f.rule.level, tags: f.rule.tags, attack, file: src.line !== undefined ? `${src.file}:${src.line}` : src.file };
  if (f.kind === 'correlation') {
    return { kind: 'correlation', rule, group: f.group, value: f.value, first: f.first, last: f.last, events: f.events.map((e) => ({ file: e.file, record_id: e.recordId, time: e.time, rule_id: e.ruleId })) };
  }
  const e = f.event;
  return {
    kind: 'match',
    rule,
    variant: f.variant,
    event: { file: e.provenance.file, record_id: e.provenance.recordId, time: e.time, computer: e.computer, channel: e.channel, provider: e.provider, event_id: e.eventId },
    matched: f.matched,
  };
}

// ---------------------------------------------------------------------------------------------

function corpus(seed: number, rules: number, findings: number): Finding[] {
  const r = seededRandom(seed);
  const metas = Array.from({ length: rules }, (_, i) => randomRule(r, i));
  return Array.from({ length: findings }, (_, i) => randomFinding(r, metas, i));
}

describe('finding emit: per-rule work gives the same bytes as the plain way', () => {
  const findings = corpus(20261204, 40, 3000);

  test('the random findings reach every awkward case', () => {
    const withRisk = findings.filter((f) => plainFindingRisk(f, () => undefined).length > 0);
    assert.ok(withRisk.length > 1000, `${withRisk.length} findings with risk`);
    const lines = findings.flatMap((f) => plainFindingRisk(f, () => undefined).map((e) => JSON.stringify(e)));
    for (const needle of ['\\"', '\\\\', '\\n', '\\u0000', '\\ud800', '🙂', '1e+21', '"T1059.001"', '"mitre_tactic_id":["TA0002"', '"risk_object_type":"user"', '"_time":0,', '"threat_object":["cmd.exe"']) {
      assert.ok(lines.some((l) => l.includes(needle)), `some risk event has ${needle}`);
    }
    assert.ok(findings.some((f) => f.kind === 'correlation') && findings.some((f) => f.kind === 'match' && f.event.computer === null && f.event.fields['Computer'] === undefined));
  });

  test('encoded risk: the line put back together, the stored parts and the lean fields match the plain event', () => {
    const risk = new FindingRisk(() => undefined);
    let events = 0;
    let shared = 0;
    for (const f of findings) {
      const plain = plainFindingRisk(f, () => undefined);
      const encoded = risk.encoded(findingRecord(f), f);
      assert.equal(encoded.length, plain.length);
      plain.forEach((p, i) => {
        const e = encoded[i]!;
        const json = JSON.stringify(p);
        assert.equal(e.kind, 'sigma');
        assert.equal(riskLine(e), json);
        // Only what varies per finding is stored: two parts, no rule constants, no entity.
        const parts = e.stored.split('\u0000');
        assert.equal(parts.length, 2);
        assert.ok(parts[0]!.startsWith(',"risk_message":') && parts[1]!.startsWith(',"fields":') && parts[1]!.endsWith('}'));
        assert.ok(!e.stored.includes('"search_name"') && !e.stored.includes('"risk_object"'));
        assert.ok(json.length - e.stored.length > 100, 'the rule constants are left out');
        assert.deepEqual(
          [e._time, e.risk_object, e.risk_object_type, e.risk_score, e.calculated_risk_score, e.source, e.detection, e.annotations],
          [p._time, p.risk_object, p.risk_object_type, p.risk_score, p.calculated_risk_score, p.source, p.detection, p.annotations],
        );
        assert.equal(encodeRisk(p).stored, json, 'encodeRisk stays JSON.stringify');
        assert.equal(riskLine(encodeRisk(p)), json);
        if (i > 0 && e.stored === encoded[0]!.stored && e.pieces === encoded[0]!.pieces) shared++;
        events++;
      });
    }
    assert.ok(events > 1500, `${events} events`);
    assert.ok(shared > 0, 'the events of one finding share their stored text and rule pieces');
  });

  test('order keys follow the content only: another thread (a structured clone, a FindingRisk of its own) gives the same keys', () => {
    const here = new FindingRisk(() => undefined);
    const there = new FindingRisk(() => undefined);
    const byLine = new Map<string, number>();
    for (const f of findings) {
      const a = here.encoded(findingRecord(f), f);
      // What a worker posts arrives as a structured clone, made by a FindingRisk of its own.
      const b = structuredClone(there.encoded(findingRecord(f), f));
      assert.deepEqual(b.map((e) => e.key), a.map((e) => e.key));
      assert.deepEqual(b.map(riskLine), a.map(riskLine));
      for (const e of a) {
        const line = riskLine(e);
        const known = byLine.get(line);
        if (known !== undefined) assert.equal(e.key, known, 'equal content, equal key');
        byLine.set(line, e.key);
      }
    }
    // Different content gets different keys (a 32-bit hash: a rare collision would be harmless).
    const keys = new Set(byLine.values());
    assert.ok(keys.size >= byLine.size - 2, `${keys.size} keys for ${byLine.size} lines`);
  });

  test('huge fields and awkward text survive the split and rebuild, also through a structured clone', () => {
    const r = seededRandom(77);
    const risk = new FindingRisk(() => undefined);
    const rules = Array.from({ length: 5 }, (_, i) => randomRule(r, 100 + i));
    let checked = 0;
    for (let i = 0; i < 60; i++) {
      const f = randomFinding(r, rules, i);
      if (f.kind !== 'match') continue;
      const big = r.pick(['x', 'é', '"', '\\', '\ud800', '😀', '\u0000']).repeat(33_000 + r.int(5000));
      const event = { ...f.event, computer: r.pick(HOSTS), fields: { ...f.event.fields, CommandLine: big, Computer: 'WEB01' } };
      const g: Finding = { ...f, event, matched: { ...f.matched, CommandLine: big } };
      const plain = plainFindingRisk(g, () => undefined);
      const encoded = risk.encoded(findingRecord(g), g);
      assert.equal(encoded.length, plain.length);
      encoded.forEach((e, k) => {
        const json = JSON.stringify(plain[k]);
        assert.ok(json.length > 32 * 1024);
        assert.equal(riskLine(e), json);
        assert.equal(riskLine(structuredClone(e)), json);
        checked++;
      });
    }
    assert.ok(checked > 10, `${checked} events with huge fields`);
  });

  test('risk event objects equal the plain ones (hunt and exported API)', () => {
    const risk = new FindingRisk(() => undefined);
    const config = defaultConfig;
    for (const f of findings) {
      assert.deepEqual(risk.events(findingRecord(f), f), plainFindingRisk(f, () => undefined));
      if (f.kind !== 'match') continue;
      const input = { rule: { id: f.rule.id, title: f.rule.title, level: f.rule.level, tags: f.rule.tags }, time: f.event.time, fields: f.event.fields, computer: f.event.computer };
      assert.deepEqual(riskEventsFromSigmaFinding(input), plainRiskEvents(input, config, null, () => undefined), 'all fields when the caller keeps them');
      assert.deepEqual(riskEventsFromSigmaFinding({ ...input, eventFields: { only: 'this' } }), plainRiskEvents(input, config, { only: 'this' }, () => undefined));
    }
  });

  test('another configuration: message tokens, prefix and scores come out the same', () => {
    const config = sigmaRiskConfigFromText(`scores: {informational: 1, low: 2.5, medium: 3, high: 4, critical: 100}
message: "$$ $sigma_id$ [$sigma_title$/$sigma_level$] $CommandLine$ by $User$ $nothing$ $sigma_id$ $ $Image$$Image$ $nothing$"
risk_objects:
  - {type: other, fields: [Payload, Flag]}
  - {type: user, fields: [User, SubjectUserName]}
user_values_to_skip: ["Dave", "-"]
skip_machine_accounts: false
strip_user_domain: false
threat_objects:
  - {field: CommandLine, type: command}
  - {field: Image, type: process_name, transform: basename}
`);
    let checked = 0;
    for (const f of findings) {
      if (f.kind !== 'match') continue;
      const input = { rule: { id: f.rule.id, title: f.rule.title, level: f.rule.level, tags: f.rule.tags }, time: f.event.time, fields: f.event.fields, computer: f.event.computer };
      const got: Diagnostic[] = [];
      const want: Diagnostic[] = [];
      const events = riskEventsFromSigmaFinding(input, { config, searchNamePrefix: 'X "p" - ', warn: (d) => got.push(d) });
      const plain = plainRiskEvents(input, config, null, (d) => want.push(d), 'X "p" - ');
      assert.deepEqual(events, plain);
      assert.deepEqual(events.map((e) => JSON.stringify(e)), plain.map((e) => JSON.stringify(e)));
      assert.deepEqual(got, want, 'the same warnings, in the same order');
      checked += events.length;
    }
    assert.ok(checked > 300, `${checked} events`);
  });

  test('unknown techniques are told once per rule; missing message fields once per finding', () => {
    const told: Diagnostic[] = [];
    const risk = new FindingRisk((d) => told.push(d));
    const plainTold: Diagnostic[] = [];
    for (const f of findings) {
      risk.encoded(findingRecord(f), f);
      plainFindingRisk(f, (d) => plainTold.push(d));
    }
    const key = (d: Diagnostic): string => `${d.code} ${d.message} ${d.location.file}`;
    const unknown = told.filter((d) => d.code === 'risk.unknown-technique').map(key);
    const plainUnknown = plainTold.filter((d) => d.code === 'risk.unknown-technique').map(key);
    assert.ok(unknown.length > 0);
    assert.deepEqual(unknown, [...new Set(plainUnknown)], 'each (rule, technique) once, in first-seen order');
    assert.deepEqual(told.filter((d) => d.code !== 'risk.unknown-technique').map(key), plainTold.filter((d) => d.code !== 'risk.unknown-technique').map(key));
  });

  test('finding records and their JSONL lines equal the plain record', () => {
    const jsonl = createFindingFormatter('jsonl');
    for (const f of findings) {
      const record = findingRecord(f);
      const plain = plainRecord(f);
      assert.deepEqual(record, plain);
      assert.equal(jsonl.finding(record, f), JSON.stringify(plain) + '\n');
    }
  });

  test('the rule record is made once per rule meta', () => {
    const f = findings[0]!;
    assert.equal(findingRecord(f).rule, findingRecord(f).rule);
    assert.equal(ruleRecord(f.rule), findingRecord(f).rule);
    assert.notEqual(ruleRecord({ ...f.rule }), ruleRecord(f.rule), 'another meta object gets its own record');
    assert.deepEqual(ruleRecord({ ...f.rule }), ruleRecord(f.rule));
  });

  test('a record not made by findingRecord (members in another order) is written as JSON.stringify writes it', () => {
    for (const f of findings.slice(0, 200)) {
      const record = findingRecord(f);
      const reordered = Object.fromEntries(Object.entries(record).reverse()) as unknown as FindingRecord;
      assert.equal(findingRecordJson(reordered), JSON.stringify(reordered));
      assert.notEqual(findingRecordJson(reordered), findingRecordJson(record));
      const extra = { ...record, note: 'x "y"' } as unknown as FindingRecord;
      assert.equal(findingRecordJson(extra), JSON.stringify(extra));
    }
  });
});
