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
import { distinctNonEmpty, fillMessage, mitreAnnotations } from './common.js';
import { loadSigmaRiskConfig, type SigmaRiskConfig, type SigmaThreatObjectSpec } from './config.js';
import { searchNameOf } from './detection-risk.js';
import type { RiskEvent, RiskWarn } from './types.js';

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
  /** Event fields (all of them, or only the matched ones). */
  readonly fields: Readonly<Record<string, FieldValue>>;
  /** The event's System/Computer, used when `fields` has no `Computer`. */
  readonly computer?: string | null;
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

const IGNORE: RiskWarn = () => undefined;

let cachedConfig: SigmaRiskConfig | null = null;

function defaultConfig(): SigmaRiskConfig {
  cachedConfig ??= loadSigmaRiskConfig();
  return cachedConfig;
}

function scalarText(v: FieldScalar): string | null {
  if (v === null) return null;
  if (typeof v === 'number') return Number.isInteger(v) ? v.toFixed(0) : String(v);
  return String(v);
}

function fieldTexts(fields: Readonly<Record<string, FieldValue>>, name: string): string[] {
  const v = fields[name];
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
  const skip = config.userValuesToSkip.map((s) => s.toLowerCase());
  if (skip.includes(bare.toLowerCase()) || skip.includes(trimmed.toLowerCase())) return null;
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
 * One risk event per risk object the finding's event names (the host, the user), scored by the
 * rule's level; threat objects from the process, command line and similar fields.
 */
export function riskEventsFromSigmaFinding(finding: SigmaFindingInput, context: SigmaRiskContext = {}): RiskEvent[] {
  const config = context.config ?? defaultConfig();
  const attack = context.attack ?? defaultAttackCatalog();
  const warn = context.warn ?? IGNORE;
  const rule = finding.rule;
  const fields: Record<string, FieldValue> = { ...finding.fields };
  if ((fields['Computer'] === undefined || fields['Computer'] === null) && finding.computer) fields['Computer'] = finding.computer;

  const objects: { value: string; type: 'user' | 'system' | 'other' }[] = [];
  for (const spec of config.riskObjects) {
    for (const field of spec.fields) {
      const values = distinctNonEmpty(fieldTexts(fields, field));
      const usable = spec.type === 'user' ? values.map((v) => usableUser(v, config)).filter((v): v is string => v !== null) : values;
      if (usable.length === 0) continue;
      if (!objects.some((o) => o.value === usable[0] && o.type === spec.type)) objects.push({ value: usable[0]!, type: spec.type });
      break;
    }
  }
  if (objects.length === 0) return [];

  const threatValues: string[] = [];
  const threatTypes: string[] = [];
  for (const spec of config.threatObjects) {
    for (const v of distinctNonEmpty(fieldTexts(fields, spec.field))) {
      const value = threatValue(spec, v);
      if (value === '' || threatValues.some((tv, i) => tv === value && threatTypes[i] === spec.type)) continue;
      threatValues.push(value);
      threatTypes.push(spec.type);
    }
  }

  const { techniques, tactics } = sigmaAttackTags(rule.tags, attack);
  const file = `sigma:${rule.id}`;
  const annotations = mitreAnnotations(
    techniques,
    attack,
    (t) => warn({ severity: 'warning', code: 'risk.unknown-technique', message: `Sigma rule '${rule.title}': ATT&CK technique ${t} is not in mappings/attack/techniques.yml; it adds no tactic`, location: { file } }),
    tactics,
  );
  const special: Record<string, string> = { sigma_title: rule.title, sigma_level: rule.level, sigma_id: rule.id };
  const filled = fillMessage(config.message, (f) => (special[f] !== undefined ? [special[f]!] : fieldTexts(fields, f)));
  for (const f of filled.missing) {
    warn({ severity: 'warning', code: 'risk.message-field-missing', message: `Sigma rule '${rule.title}': risk message field '${f}' has no value in the event; left empty`, location: { file } });
  }
  const record: Record<string, SplValue> = {};
  for (const [k, v] of Object.entries(fields)) {
    const s = toSplValue(v);
    if (s !== undefined) record[k] = s;
  }
  const score = config.scores[rule.level];
  const searchName = searchNameOf(rule.title, context.searchNamePrefix ?? 'Sigma - ');
  const time = eventTime(finding.time, context.fallbackTime ?? 0);
  return objects.map((o) => ({
    kind: 'risk',
    _time: time,
    risk_object: o.value,
    risk_object_type: o.type,
    risk_score: score,
    calculated_risk_score: score,
    risk_message: filled.text,
    threat_object: threatValues,
    threat_object_type: threatTypes,
    source: searchName,
    search_name: searchName,
    detection: { id: rule.id, name: rule.title, type: 'Sigma', origin: 'sigma' },
    analytic_stories: [],
    annotations,
    info_min_time: null,
    info_max_time: null,
    info_search_time: time,
    fields: record,
  }));
}
