/**
 * Splunk-style detection results → risk events and notables, as ES's risk and notable alert
 * actions write them (spl-and-rba.md §5.1, §5.4): one risk event per result row × risk object
 * with a value, one notable per result row of a detection whose deployment raises notables.
 *
 * The input is a narrow view that `DetectionRun` (src/engine/spl/runner.ts) satisfies as it is.
 */
import type { Row } from '../spl/exec/types.js';
import type { RiskObject, ThreatObject } from '../content/model.js';
import { tagsRiskScore } from '../content/model.js';
import type { AttackCatalog } from './attack.js';
import { defaultAttackCatalog } from './attack.js';
import { distinctNonEmpty, fillMessage, mitreAnnotations, rowEventTime, rowRecord, severityForScore, textValues } from './common.js';
import type { DetectionRef, MitreAnnotations, Notable, RiskEvent, RiskWarn } from './types.js';

/** The part of a detection's risk block the risk action reads (RbaRisk and TagsRisk fit). */
export interface RiskSpec {
  readonly kind?: 'rba' | 'tags';
  readonly message: string;
  readonly riskObjects: readonly RiskObject[];
  readonly threatObjects: readonly ThreatObject[];
  /** tags-style only: score = round(impact × confidence / 100) for every risk object. */
  readonly impact?: number;
  readonly confidence?: number;
}

export interface RiskDetectionView {
  readonly name: string;
  readonly id: string;
  readonly type: string;
  readonly description: string;
  readonly risk: RiskSpec | null;
  readonly tags: {
    readonly analyticStory: readonly string[];
    readonly mitreAttackId: readonly string[];
    readonly securityDomain: string | null;
  };
  readonly origin?: { readonly file: string };
}

export interface RiskRunInput {
  readonly plan: {
    readonly detection: RiskDetectionView;
    readonly actions: { readonly risk: boolean; readonly notable: boolean };
  };
  readonly window: { readonly time: number; readonly earliest: number | null; readonly latest: number | null };
  readonly rows: readonly Row[];
}

export interface RiskContext {
  /** ATT&CK facts; the shipped catalog when absent. */
  readonly attack?: AttackCatalog;
  /** Put before `<name> - Rule` in search_name/source (`ESCU - ` reproduces ESCU's stanzas). */
  readonly searchNamePrefix?: string;
  readonly warn?: RiskWarn;
}

const IGNORE: RiskWarn = () => undefined;

/** Risk-object values that mean "no value" (see docs/risk.md: `null` is tstats' fillnull). */
const NO_VALUE = new Set(['null']);

export function searchNameOf(detectionName: string, prefix = ''): string {
  return `${prefix}${detectionName} - Rule`;
}

/** The score a risk object carries: its own (rba), or impact × confidence / 100 (tags). */
export function riskObjectScore(risk: RiskSpec, object: RiskObject): number {
  if (risk.kind === 'tags' && risk.impact !== undefined && risk.confidence !== undefined) return tagsRiskScore(risk.impact, risk.confidence);
  return object.score;
}

/** The detection's highest risk-object score (contentctl's detection-level risk_score), or null. */
export function detectionRiskScore(risk: RiskSpec | null): number | null {
  if (risk === null || risk.riskObjects.length === 0) return null;
  return Math.max(...risk.riskObjects.map((o) => riskObjectScore(risk, o)));
}

function detectionRef(d: RiskDetectionView): DetectionRef {
  return { id: d.id, name: d.name, type: d.type, origin: 'spl' };
}

interface RunShared {
  readonly detection: DetectionRef;
  readonly searchName: string;
  readonly annotations: MitreAnnotations;
  readonly stories: readonly string[];
  readonly window: RiskRunInput['window'];
  readonly warn: RiskWarn;
  readonly file: string;
}

function shared(run: RiskRunInput, context: RiskContext): RunShared {
  const d = run.plan.detection;
  const warn = context.warn ?? IGNORE;
  const file = d.origin?.file ?? d.name;
  const attack = context.attack ?? defaultAttackCatalog();
  const annotations = mitreAnnotations(d.tags.mitreAttackId, attack, (t) =>
    warn({ severity: 'warning', code: 'risk.unknown-technique', message: `detection '${d.name}': ATT&CK technique ${t} is not in mappings/attack/techniques.yml; it adds no tactic`, location: { file } }),
  );
  return {
    detection: detectionRef(d),
    searchName: searchNameOf(d.name, context.searchNamePrefix),
    annotations,
    stories: d.tags.analyticStory,
    window: run.window,
    warn,
    file,
  };
}

function threatObjectsOf(row: Row, threats: readonly ThreatObject[]): { values: string[]; types: string[] } {
  const values: string[] = [];
  const types: string[] = [];
  for (const t of threats) {
    for (const v of distinctNonEmpty(textValues(row.get(t.field)))) {
      if (NO_VALUE.has(v)) continue;
      values.push(v);
      types.push(t.type);
    }
  }
  return { values, types };
}

function messageFor(risk: RiskSpec, row: Row, s: RunShared): string {
  const filled = fillMessage(risk.message, (field) => textValues(row.get(field)));
  for (const field of filled.missing) {
    s.warn({ severity: 'warning', code: 'risk.message-field-missing', message: `detection '${s.detection.name}': risk message field '${field}' has no value in a result row; left empty`, location: { file: s.file } });
  }
  return filled.text;
}

function eventsForRow(row: Row, risk: RiskSpec, s: RunShared): RiskEvent[] {
  const out: RiskEvent[] = [];
  let message: string | null = null;
  let threats: { values: string[]; types: string[] } | null = null;
  const time = rowEventTime(row, s.window.time);
  for (const object of risk.riskObjects) {
    const values = distinctNonEmpty(textValues(row.get(object.field)));
    for (const value of values) {
      if (NO_VALUE.has(value)) {
        s.warn({ severity: 'info', code: 'risk.object-null', message: `detection '${s.detection.name}': risk object field '${object.field}' is the text 'null' (a fillnull placeholder); no risk event`, location: { file: s.file } });
        continue;
      }
      message ??= messageFor(risk, row, s);
      threats ??= threatObjectsOf(row, risk.threatObjects);
      const score = riskObjectScore(risk, object);
      out.push({
        kind: 'risk',
        _time: time,
        risk_object: value,
        risk_object_type: object.type,
        risk_score: score,
        calculated_risk_score: score,
        risk_message: message,
        threat_object: threats.values,
        threat_object_type: threats.types,
        source: s.searchName,
        search_name: s.searchName,
        detection: s.detection,
        analytic_stories: s.stories,
        annotations: s.annotations,
        info_min_time: s.window.earliest,
        info_max_time: s.window.latest,
        info_search_time: s.window.time,
        fields: rowRecord(row),
      });
    }
  }
  return out;
}

/**
 * The risk events one detection run writes: for each result row and each risk object whose field
 * has a value there, one event per distinct value. Nothing unless the plan's risk action is on.
 */
export function riskEventsFromRun(run: RiskRunInput, context: RiskContext = {}): RiskEvent[] {
  const risk = run.plan.detection.risk;
  if (!run.plan.actions.risk || risk === null || run.rows.length === 0) return [];
  const s = shared(run, context);
  const out: RiskEvent[] = [];
  for (const row of run.rows) out.push(...eventsForRow(row, risk, s));
  return out;
}

/**
 * The notables one detection run writes: one per result row when the plan's notable action is on
 * (TTP and Correlation by default). Severity comes from the detection's highest risk score.
 */
export function notablesFromRun(run: RiskRunInput, context: RiskContext = {}): Notable[] {
  if (!run.plan.actions.notable || run.rows.length === 0) return [];
  const d = run.plan.detection;
  const s = shared(run, context);
  const score = detectionRiskScore(d.risk);
  const severity = severityForScore(score);
  return run.rows.map((row) => ({
    kind: 'notable',
    _time: rowEventTime(row, run.window.time),
    rule_title: d.name,
    rule_name: s.searchName,
    rule_description: d.description,
    search_name: s.searchName,
    source: s.searchName,
    security_domain: d.tags.securityDomain ?? 'threat',
    severity,
    risk_score: score,
    status: 'new',
    owner: 'unassigned',
    detection: s.detection,
    analytic_stories: s.stories,
    annotations: s.annotations,
    info_min_time: run.window.earliest,
    info_max_time: run.window.latest,
    info_search_time: run.window.time,
    fields: rowRecord(row),
  }));
}

/** Risk events and notables of many runs, in run order. */
export function riskFromRuns(runs: readonly RiskRunInput[], context: RiskContext = {}): { events: RiskEvent[]; notables: Notable[] } {
  const events: RiskEvent[] = [];
  const notables: Notable[] = [];
  for (const r of runs) {
    // Appended one by one: a run can hold more rows than a spread call accepts arguments.
    for (const e of riskEventsFromRun(r, context)) events.push(e);
    for (const n of notablesFromRun(r, context)) notables.push(n);
  }
  return { events, notables };
}
