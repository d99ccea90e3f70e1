/**
 * A finding as `vigil hunt` prints it: a plain, JSON-ready object (snake_case keys like `vigil
 * dump`). Worker threads build these and post them to the main thread, so every output format
 * is written from the record alone, never from the live event.
 */
import type { FieldScalar, FieldValue } from '../../core/event.js';
import type { Level, RuleMeta } from '../../ir/nodes.js';
import type { Finding } from './api.js';
import { assertNever } from '../../core/xml-tree.js';

export interface AttackRefs {
  /** Tactic slugs from `attack.<tactic>` tags, e.g. `execution`, `defense-evasion`. */
  readonly tactics: readonly string[];
  /** Technique ids from `attack.tNNNN[.NNN]` tags, upper-cased: `T1059.001`. */
  readonly techniques: readonly string[];
}

export interface RuleRecord {
  readonly id: string;
  readonly title: string;
  readonly level: Level;
  readonly tags: readonly string[];
  readonly attack: AttackRefs;
  readonly file: string;
}

export interface EventRecord {
  readonly file: string;
  readonly record_id: number | null;
  readonly time: string | null;
  readonly computer: string | null;
  readonly channel: string | null;
  readonly provider: string | null;
  readonly event_id: number | null;
}

export interface MatchRecord {
  readonly kind: 'match';
  readonly rule: RuleRecord;
  readonly variant: string;
  readonly event: EventRecord;
  readonly matched: Readonly<Record<string, FieldValue>>;
}

export interface CorrelationRecord {
  readonly kind: 'correlation';
  readonly rule: RuleRecord;
  readonly group: Readonly<Record<string, FieldScalar>>;
  readonly value: number;
  readonly first: string | null;
  readonly last: string | null;
  readonly events: readonly { readonly file: string; readonly record_id: number | null; readonly time: string | null; readonly rule_id: string }[];
}

export type FindingRecord = MatchRecord | CorrelationRecord;

/** ATT&CK references a rule's tags carry (tags such as `attack.t1059.001`, `attack.execution`). */
export function attackRefs(tags: readonly string[]): AttackRefs {
  const tactics: string[] = [];
  const techniques: string[] = [];
  for (const tag of tags) {
    const lower = tag.toLowerCase();
    if (!lower.startsWith('attack.')) continue;
    const rest = lower.slice('attack.'.length);
    if (/^t\d{4}(\.\d{3})?$/.test(rest)) techniques.push(rest.toUpperCase());
    // Group (gNNNN) and software (sNNNN) ids are neither tactics nor techniques.
    else if (/^[a-z][a-z_-]*$/.test(rest)) tactics.push(rest.replaceAll('_', '-'));
  }
  return { tactics, techniques };
}

function buildRuleRecord(meta: RuleMeta): RuleRecord {
  return {
    id: meta.id,
    title: meta.title,
    level: meta.level,
    tags: meta.tags,
    attack: attackRefs(meta.tags),
    file: meta.source.line !== undefined ? `${meta.source.file}:${meta.source.line}` : meta.source.file,
  };
}

/** Every finding of a rule carries the same meta object, so its record is made once. */
const ruleRecords = new WeakMap<RuleMeta, RuleRecord>();

export function ruleRecord(meta: RuleMeta): RuleRecord {
  let record = ruleRecords.get(meta);
  if (record === undefined) {
    record = buildRuleRecord(meta);
    ruleRecords.set(meta, record);
  }
  return record;
}

/** Records `findingRecord` made: their members and order are known, so their JSON is pasted. */
const madeHere = new WeakSet<FindingRecord>();
/** The JSON of each rule record, rendered on first use. */
const ruleJsons = new WeakMap<RuleRecord, string>();

export function findingRecord(finding: Finding): FindingRecord {
  const record = buildFindingRecord(finding);
  madeHere.add(record);
  return record;
}

function buildFindingRecord(finding: Finding): FindingRecord {
  switch (finding.kind) {
    case 'match': {
      const e = finding.event;
      return {
        kind: 'match',
        rule: ruleRecord(finding.rule),
        variant: finding.variant,
        event: {
          file: e.provenance.file,
          record_id: e.provenance.recordId,
          time: e.time,
          computer: e.computer,
          channel: e.channel,
          provider: e.provider,
          event_id: e.eventId,
        },
        matched: finding.matched,
      };
    }
    case 'correlation':
      return {
        kind: 'correlation',
        rule: ruleRecord(finding.rule),
        group: finding.group,
        value: finding.value,
        first: finding.first,
        last: finding.last,
        events: finding.events.map((r) => ({ file: r.file, record_id: r.recordId, time: r.time, rule_id: r.ruleId })),
      };
    default:
      return assertNever(finding, 'finding');
  }
}

function ruleJson(rule: RuleRecord): string {
  let json = ruleJsons.get(rule);
  if (json === undefined) {
    json = JSON.stringify(rule);
    ruleJsons.set(rule, json);
  }
  return json;
}

/**
 * The JSON of a match's matched fields. A hunt writes them twice in a row, in the finding's line
 * and in its risk events' `fields` (finding-risk.ts), so the last object's text is kept (matched
 * objects are made per finding and never changed).
 */
let lastMatched: object | null = null;
let lastMatchedJson = '';

export function matchedJson(matched: Readonly<Record<string, FieldValue>>): string {
  if (matched !== lastMatched) {
    lastMatchedJson = JSON.stringify(matched);
    lastMatched = matched;
  }
  return lastMatchedJson;
}

/** `,"key":value` as JSON.stringify writes a member ('' for a value it leaves out). */
function member(key: string, value: unknown): string {
  const json = JSON.stringify(value) as string | undefined;
  return json === undefined ? '' : `,"${key}":${json}`;
}

/**
 * Exactly `JSON.stringify(record)`, with the rule's part rendered once per rule for records
 * `findingRecord` made (members in the order it writes them).
 */
export function findingRecordJson(record: FindingRecord): string {
  if (!madeHere.has(record)) return JSON.stringify(record);
  switch (record.kind) {
    case 'match':
      return '{"kind":"match","rule":' + ruleJson(record.rule) + member('variant', record.variant) + member('event', record.event) + ',"matched":' + matchedJson(record.matched) + '}';
    case 'correlation':
      return (
        '{"kind":"correlation","rule":' +
        ruleJson(record.rule) +
        member('group', record.group) +
        member('value', record.value) +
        member('first', record.first) +
        member('last', record.last) +
        member('events', record.events) +
        '}'
      );
    default:
      return assertNever(record, 'finding record');
  }
}
