/**
 * Sigma findings as risk events, so Sigma rules and Splunk-style detections add up on the same
 * entities. A Sigma rule has no risk block: its level gives the score and mappings/risk/sigma.yml
 * says which event fields are the risk objects (host, user) and threat objects (process, command).
 *
 * The input is plain so callers adapt to it: from a hunt `MatchRecord`
 * `{rule: r.rule, time: r.event.time, fields: r.matched, computer: r.event.computer}`, or from a
 * live `Finding` `{rule: f.rule, time: f.event.time, fields: f.event.fields, computer: f.event.computer}`.
 */
import type { FieldScalar, FieldValue } from '../core/event.js';
import { assertNever } from '../core/xml-tree.js';
import type { Level } from '../ir/nodes.js';
import type { SplScalar, SplValue } from '../spl/exec/types.js';
import { defaultAttackCatalog, normalizeTechniqueId, type AttackCatalog } from './attack.js';
import { distinctNonEmpty, fillMessageParts, messageParts, mitreAnnotations, type MessagePart } from './common.js';
import { loadSigmaRiskConfig, type SigmaRiskConfig, type SigmaThreatObjectSpec } from './config.js';
import { searchNameOf } from './detection-risk.js';
import type { DetectionRef, MitreAnnotations, RiskEvent, RiskObjectKind, RiskWarn } from './types.js';

export interface SigmaRuleView {
  readonly id: string;
  readonly title: string;
  readonly level: Level;
  readonly tags: readonly string[];
}

export interface SigmaFindingInput {
  readonly rule: SigmaRuleView;
  /** ISO-8601 text or epoch seconds; null when the event has no time. */
  readonly time: string | number | null;
  /** Event fields (all of them, or only the matched ones); read by name, never copied. */
  readonly fields: Readonly<Record<string, FieldValue>>;
  /** The event's System/Computer, used when `fields` has no `Computer`. */
  readonly computer?: string | null;
  /**
   * The fields the risk events carry. Default: all of `fields` (with the `Computer` above) as SPL
   * values; a caller that keeps fewer (a hunt keeps the matched ones) passes them so the rest are
   * not converted only to be dropped.
   */
  readonly eventFields?: Readonly<Record<string, SplValue>>;
}

export interface SigmaRiskContext {
  readonly config?: SigmaRiskConfig;
  readonly attack?: AttackCatalog;
  /** Time used when the event has none (epoch seconds). */
  readonly fallbackTime?: number;
  /** Before `<title> - Rule` in source/search_name (default `Sigma - `). */
  readonly searchNamePrefix?: string;
  readonly warn?: RiskWarn;
}

/** What a Sigma rule gives every one of its risk events: the same for each of its findings. */
export interface SigmaRuleRisk {
  readonly rule: SigmaRuleView;
  readonly score: number;
  /** `source` and `search_name`. */
  readonly searchName: string;
  readonly detection: DetectionRef;
  readonly annotations: MitreAnnotations;
  /** The risk message with the rule's own tokens (`$sigma_title$`...) filled in. */
  readonly message: readonly MessagePart[];
}

export interface SigmaRiskObject {
  readonly value: string;
  readonly type: RiskObjectKind;
}

/** What one finding adds to its rule's part: one risk event per object. */
export interface SigmaFindingRisk {
  readonly rule: SigmaRuleRisk;
  /** Epoch seconds: `_time` and `info_search_time`. */
  readonly time: number;
  readonly objects: readonly SigmaRiskObject[];
  readonly message: string;
  readonly threatObjects: readonly string[];
  readonly threatObjectTypes: readonly string[];
}

const IGNORE: RiskWarn = () => undefined;

let cachedConfig: SigmaRiskConfig | null = null;

function defaultConfig(): SigmaRiskConfig {
  cachedConfig ??= loadSigmaRiskConfig();
  return cachedConfig;
}

/** What each finding would otherwise work out again from the configuration. */
interface PreparedConfig {
  /** `user_values_to_skip`, lower-cased. */
  readonly skip: ReadonlySet<string>;
  readonly message: readonly MessagePart[];
}

const preparedConfigs = new WeakMap<SigmaRiskConfig, PreparedConfig>();

function prepared(config: SigmaRiskConfig): PreparedConfig {
  let p = preparedConfigs.get(config);
  if (p === undefined) {
    p = { skip: new Set(config.userValuesToSkip.map((s) => s.toLowerCase())), message: messageParts(config.message) };
    preparedConfigs.set(config, p);
  }
  return p;
}

function scalarText(v: FieldScalar): string | null {
  if (v === null) return null;
  if (typeof v === 'number') return Number.isInteger(v) ? v.toFixed(0) : String(v);
  return String(v);
}

function valueTexts(v: FieldValue | undefined): string[] {
  if (v === undefined || v === null) return [];
  const list: readonly FieldScalar[] = Array.isArray(v) ? (v as readonly FieldScalar[]) : [v as FieldScalar];
  return list.map(scalarText).filter((s): s is string => s !== null);
}

function toSplValue(v: FieldValue): SplValue | undefined {
  const list: readonly FieldScalar[] = Array.isArray(v) ? (v as readonly FieldScalar[]) : [v as FieldScalar];
  const out: SplScalar[] = [];
  for (const item of list) {
    if (item === null) continue;
    out.push(typeof item === 'number' ? item : String(item));
  }
  if (out.length === 0) return undefined;
  return out.length === 1 ? out[0]! : out;
}

function eventTime(time: string | number | null, fallback: number): number {
  if (typeof time === 'number') return Number.isFinite(time) ? time : fallback;
  if (time === null) return fallback;
  const ms = Date.parse(time);
  return Number.isFinite(ms) ? ms / 1000 : fallback;
}

/** `CORP\alice` / `alice@corp.local` → `alice`. */
export function bareUserName(user: string): string {
  const slash = user.lastIndexOf('\\');
  let name = slash >= 0 ? user.slice(slash + 1) : user;
  const at = name.indexOf('@');
  if (at > 0) name = name.slice(0, at);
  return name;
}

/** The user value to use as a risk object, or null when it names no person (docs/risk.md). */
export function usableUser(value: string, config: SigmaRiskConfig): string | null {
  const trimmed = value.trim();
  const bare = bareUserName(trimmed);
  if (bare === '') return null;
  const skip = prepared(config).skip;
  if (skip.has(bare.toLowerCase()) || skip.has(trimmed.toLowerCase())) return null;
  if (config.skipMachineAccounts && bare.endsWith('$')) return null;
  return config.stripUserDomain ? bare : trimmed;
}

function basename(path: string): string {
  const cut = Math.max(path.lastIndexOf('\\'), path.lastIndexOf('/'));
  return cut >= 0 ? path.slice(cut + 1) : path;
}

function threatValue(spec: SigmaThreatObjectSpec, value: string): string {
  switch (spec.transform) {
    case 'basename':
      return basename(value);
    case 'none':
      return value;
    default:
      return assertNever(spec.transform, 'threat-object transform');
  }
}

/** Splits `attack.*` tags into technique ids and tactic short names (groups/software ignored). */
export function sigmaAttackTags(tags: readonly string[], catalog: AttackCatalog): { techniques: string[]; tactics: string[] } {
  const techniques: string[] = [];
  const tactics: string[] = [];
  for (const tag of tags) {
    if (!tag.toLowerCase().startsWith('attack.')) continue;
    const technique = normalizeTechniqueId(tag);
    if (technique !== null) techniques.push(technique);
    else if (catalog.tactic(tag.slice('attack.'.length)) !== undefined) tactics.push(tag.slice('attack.'.length));
  }
  return { techniques, tactics };
}

/**
 * A field of the finding's event, read in place: own fields only (never `constructor` and the
 * like), and the finding's `computer` when the event has no `Computer`.
 */
function fieldOf(finding: SigmaFindingInput, name: string): FieldValue | undefined {
  const v = Object.hasOwn(finding.fields, name) ? finding.fields[name] : undefined;
  if (name === 'Computer' && (v === undefined || v === null) && finding.computer) return finding.computer;
  return v;
}

/**
 * All the event's fields as SPL values (what a risk event carries by default), `Computer` from
 * `computer` when the fields have none.
 */
export function sigmaEventFields(fields: Readonly<Record<string, FieldValue>>, computer?: string | null): Record<string, SplValue> {
  const out: Record<string, SplValue> = {};
  let sawComputer = false;
  for (const [k, v] of Object.entries(fields)) {
    let value = v;
    if (k === 'Computer') {
      sawComputer = true;
      if ((v === undefined || v === null) && computer) value = computer;
    }
    const s = toSplValue(value);
    if (s !== undefined) out[k] = s;
  }
  if (!sawComputer && computer) out['Computer'] = computer;
  return out;
}

/**
 * The rule's part of its risk events: score, search name, detection, ATT&CK annotations (an
 * unknown technique is reported here, so once per call) and the message with the rule's tokens.
 */
export function sigmaRuleRisk(rule: SigmaRuleView, context: SigmaRiskContext = {}): SigmaRuleRisk {
  const config = context.config ?? defaultConfig();
  const attack = context.attack ?? defaultAttackCatalog();
  const warn = context.warn ?? IGNORE;
  const { techniques, tactics } = sigmaAttackTags(rule.tags, attack);
  const annotations = mitreAnnotations(
    techniques,
    attack,
    (t) => warn({ severity: 'warning', code: 'risk.unknown-technique', message: `Sigma rule '${rule.title}': ATT&CK technique ${t} is not in mappings/attack/techniques.yml; it adds no tactic`, location: { file: `sigma:${rule.id}` } }),
    tactics,
  );
  const searchName = searchNameOf(rule.title, context.searchNamePrefix ?? 'Sigma - ');
  return {
    rule,
    score: config.scores[rule.level],
    searchName,
    detection: { id: rule.id, name: rule.title, type: 'Sigma', origin: 'sigma' },
    annotations,
    message: withRuleTokens(prepared(config).message, rule),
  };
}

/** `$sigma_title$`, `$sigma_level$` and `$sigma_id$` as text, so only event fields are left open. */
function withRuleTokens(parts: readonly MessagePart[], rule: SigmaRuleView): MessagePart[] {
  const special = new Map<string, string>([
    ['sigma_title', rule.title],
    ['sigma_level', rule.level],
    ['sigma_id', rule.id],
  ]);
  const out: MessagePart[] = [];
  for (const part of parts) {
    const text = part.kind === 'text' ? part.text : special.get(part.field);
    if (text === undefined) {
      out.push(part);
      continue;
    }
    const last = out[out.length - 1];
    if (last !== undefined && last.kind === 'text') out[out.length - 1] = { kind: 'text', text: last.text + text };
    else out.push({ kind: 'text', text });
  }
  return out;
}

const NO_TEXTS: readonly string[] = [];

/**
 * A field's distinct non-empty texts (`distinctNonEmpty(valueTexts(v))`), a one-value field (the
 * usual case) without the intermediate lists: risk and threat objects are read for every finding.
 */
function fieldTexts(v: FieldValue): readonly string[] {
  if (Array.isArray(v)) return distinctNonEmpty(valueTexts(v));
  const t = scalarText(v as FieldScalar);
  return t === null || t.trim() === '' ? NO_TEXTS : [t];
}

/** The first of a field's texts usable as a risk object of this type (user names filtered), or null. */
function firstUsable(texts: readonly string[], type: RiskObjectKind, config: SigmaRiskConfig): string | null {
  if (type !== 'user') return texts[0] ?? null;
  for (const t of texts) {
    const user = usableUser(t, config);
    if (user !== null) return user;
  }
  return null;
}

function riskObjectsOf(finding: SigmaFindingInput, config: SigmaRiskConfig): SigmaRiskObject[] {
  const objects: SigmaRiskObject[] = [];
  for (const spec of config.riskObjects) {
    for (const field of spec.fields) {
      const value = fieldOf(finding, field);
      if (value === undefined || value === null) continue;
      const usable = firstUsable(fieldTexts(value), spec.type, config);
      if (usable === null) continue;
      if (!objects.some((o) => o.value === usable && o.type === spec.type)) objects.push({ value: usable, type: spec.type });
      break;
    }
  }
  return objects;
}

function threatObjectsOf(finding: SigmaFindingInput, config: SigmaRiskConfig): { values: string[]; types: string[] } {
  const values: string[] = [];
  const types: string[] = [];
  for (const spec of config.threatObjects) {
    const value = fieldOf(finding, spec.field);
    if (value === undefined || value === null) continue;
    for (const v of fieldTexts(value)) {
      const threat = threatValue(spec, v);
      if (threat === '' || values.some((tv, i) => tv === threat && types[i] === spec.type)) continue;
      values.push(threat);
      types.push(spec.type);
    }
  }
  return { values, types };
}

/**
 * The finding's part of its risk events, or null when its event names no risk object. `ruleRisk`
 * gives the rule's part (made with the same context); it is asked only when there are objects,
 * so a caller can make it once per rule, on first use.
 */
export function sigmaFindingRisk(finding: SigmaFindingInput, ruleRisk: () => SigmaRuleRisk, context: SigmaRiskContext = {}): SigmaFindingRisk | null {
  const config = context.config ?? defaultConfig();
  const warn = context.warn ?? IGNORE;
  const objects = riskObjectsOf(finding, config);
  if (objects.length === 0) return null;
  const threats = threatObjectsOf(finding, config);
  const rule = ruleRisk();
  const filled = fillMessageParts(rule.message, (f) => valueTexts(fieldOf(finding, f)));
  for (const f of filled.missing) {
    warn({ severity: 'warning', code: 'risk.message-field-missing', message: `Sigma rule '${rule.rule.title}': risk message field '${f}' has no value in the event; left empty`, location: { file: `sigma:${rule.rule.id}` } });
  }
  return {
    rule,
    time: eventTime(finding.time, context.fallbackTime ?? 0),
    objects,
    message: filled.text,
    threatObjects: threats.values,
    threatObjectTypes: threats.types,
  };
}

/**
 * The members every risk event of a rule has alike, as two runs in event order: the scores (after
 * the risk object) and `source` to `info_max_time` (after the threat objects). A hunt renders
 * their JSON once per rule and pastes it into each event (src/cli/hunt/held-risk.ts).
 */
export function sigmaRuleMembers(rule: SigmaRuleRisk): {
  readonly scores: Pick<RiskEvent, 'risk_score' | 'calculated_risk_score'>;
  readonly shared: Pick<RiskEvent, 'source' | 'search_name' | 'detection' | 'analytic_stories' | 'annotations' | 'info_min_time' | 'info_max_time'>;
} {
  return {
    scores: { risk_score: rule.score, calculated_risk_score: rule.score },
    shared: {
      source: rule.searchName,
      search_name: rule.searchName,
      detection: rule.detection,
      analytic_stories: [],
      annotations: rule.annotations,
      info_min_time: null,
      info_max_time: null,
    },
  };
}

/** One risk event per object of the finding; `fields` is what each event carries. */
export function sigmaRiskEvents(risk: SigmaFindingRisk, fields: Readonly<Record<string, SplValue>>): RiskEvent[] {
  const { rule, time } = risk;
  const { scores, shared } = sigmaRuleMembers(rule);
  return risk.objects.map((o) => ({
    kind: 'risk',
    _time: time,
    risk_object: o.value,
    risk_object_type: o.type,
    ...scores,
    risk_message: risk.message,
    threat_object: risk.threatObjects,
    threat_object_type: risk.threatObjectTypes,
    ...shared,
    info_search_time: time,
    fields,
  }));
}

/**
 * One risk event per risk object the finding's event names (the host, the user), scored by the
 * rule's level; threat objects from the process, command line and similar fields.
 */
export function riskEventsFromSigmaFinding(finding: SigmaFindingInput, context: SigmaRiskContext = {}): RiskEvent[] {
  const risk = sigmaFindingRisk(finding, () => sigmaRuleRisk(finding.rule, context), context);
  if (risk === null) return [];
  return sigmaRiskEvents(risk, finding.eventFields ?? sigmaEventFields(finding.fields, finding.computer));
}
