/**
 * What the risk layer produces: risk events (ES's `risk` index), notables (the `notable` index)
 * and risk notables raised by risk incident rules. Plain JSON-ready records with ES's field
 * names (docs/risk.md), so every output format can be written from the record alone.
 */
import type { Diagnostic } from '../core/diagnostics.js';
import type { SplValue } from '../spl/exec/types.js';

export type RiskObjectKind = 'user' | 'system' | 'other';

export type NotableSeverity = 'informational' | 'low' | 'medium' | 'high' | 'critical';

/** ES `annotations.mitre_attack.*` after enrichment. */
export interface MitreAnnotations {
  /** Technique ids as the detection states them (`annotations.mitre_attack`). */
  readonly mitre_attack: readonly string[];
  /** The known ones among them (`mitre_technique_id`) and their names (`mitre_technique`). */
  readonly mitre_technique_id: readonly string[];
  readonly mitre_technique: readonly string[];
  /** Tactic ids and short names, matrix order (`mitre_tactic_id`, `mitre_tactic`). */
  readonly mitre_tactic_id: readonly string[];
  readonly mitre_tactic: readonly string[];
}

/** Which detection raised an event. */
export interface DetectionRef {
  readonly id: string;
  readonly name: string;
  /** TTP, Anomaly, ... for Splunk-style detections; `Sigma` for Sigma rules. */
  readonly type: string;
  readonly origin: 'spl' | 'sigma';
}

export interface RiskEvent {
  readonly kind: 'risk';
  /** Epoch seconds (see docs/risk.md for the choice of row time over trigger time). */
  readonly _time: number;
  readonly risk_object: string;
  readonly risk_object_type: RiskObjectKind;
  /** Base score of the risk object. */
  readonly risk_score: number;
  /** ES's score after risk factors; no risk factors here, so equal to risk_score. */
  readonly calculated_risk_score: number;
  readonly risk_message: string;
  /** Parallel lists: threat_object[i] has type threat_object_type[i]. */
  readonly threat_object: readonly string[];
  readonly threat_object_type: readonly string[];
  /** `<detection name> - Rule` (with the configured prefix, e.g. `ESCU - `). */
  readonly source: string;
  readonly search_name: string;
  readonly detection: DetectionRef;
  readonly analytic_stories: readonly string[];
  readonly annotations: MitreAnnotations;
  /** The run's window, epoch seconds; null for an all-time run. */
  readonly info_min_time: number | null;
  readonly info_max_time: number | null;
  /** The run's nominal (trigger) time. */
  readonly info_search_time: number;
  /** The result row's fields (or the Sigma event's), unchanged. */
  readonly fields: Readonly<Record<string, SplValue>>;
}

/**
 * What risk ranking and the incident rules read of a risk event. A hunt holds only this much of
 * each Sigma risk event in memory (the rest waits on disk for printing).
 */
export type RankedRisk = Pick<RiskEvent, '_time' | 'risk_object' | 'risk_object_type' | 'risk_score' | 'calculated_risk_score' | 'source' | 'detection' | 'annotations'>;

export interface Notable {
  readonly kind: 'notable';
  readonly _time: number;
  readonly rule_title: string;
  readonly rule_name: string;
  readonly rule_description: string;
  readonly search_name: string;
  readonly source: string;
  readonly security_domain: string;
  readonly severity: NotableSeverity;
  /** The detection's highest risk-object score, null when it has no risk. */
  readonly risk_score: number | null;
  readonly status: 'new';
  readonly owner: 'unassigned';
  readonly detection: DetectionRef;
  readonly analytic_stories: readonly string[];
  readonly annotations: MitreAnnotations;
  readonly info_min_time: number | null;
  readonly info_max_time: number | null;
  readonly info_search_time: number;
  readonly fields: Readonly<Record<string, SplValue>>;
}

/** One detection's share of an entity's or a window's risk. */
export interface ContributingSource {
  readonly source: string;
  readonly detection: DetectionRef;
  readonly score: number;
  readonly count: number;
}

export interface RiskWindow {
  readonly start: number;
  readonly end: number;
  readonly risk_score: number;
  readonly risk_event_count: number;
  readonly tactic_count: number;
  readonly source_count: number;
}

/** A notable raised by a risk incident rule. */
export interface RiskNotable {
  readonly kind: 'risk-notable';
  /** Time of the event that made the window cross the rule's threshold. */
  readonly _time: number;
  readonly rule_name: string;
  readonly rule_title: string;
  readonly rule_kind: 'score-threshold' | 'tactic-threshold';
  readonly severity: NotableSeverity;
  readonly security_domain: string;
  readonly status: 'new';
  readonly owner: 'unassigned';
  readonly risk_object: string;
  readonly risk_object_type: RiskObjectKind;
  /** The first window that crossed the threshold ... */
  readonly window: RiskWindow;
  /** ... and the window with the highest value the rule measures. */
  readonly peak: RiskWindow;
  /** Sources, tactics and techniques of the peak window. */
  readonly contributing: readonly ContributingSource[];
  readonly mitre_tactic_id: readonly string[];
  readonly mitre_tactic: readonly string[];
  readonly mitre_technique_id: readonly string[];
}

export interface EntityRisk {
  readonly risk_object: string;
  readonly risk_object_type: RiskObjectKind;
  readonly risk_score: number;
  readonly risk_event_count: number;
  readonly detections: readonly ContributingSource[];
  readonly mitre_tactic_id: readonly string[];
  readonly mitre_technique_id: readonly string[];
  readonly first_time: number;
  readonly last_time: number;
}

/** Where risk functions report problems (missing message fields, unknown techniques, ...). */
export type RiskWarn = (d: Diagnostic) => void;
