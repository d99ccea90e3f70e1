/**
 * The security_content model: detections, stories, macros, lookups, data sources, deployments
 * (splunk-iis-components.md §1-§9, spl-and-rba.md §3-§5). Everything is readonly and carries the
 * file and position it was read from, so later layers can report located problems.
 */
import type { Diagnostic } from '../core/diagnostics.js';
import type { Pos, ValuePositions } from './yaml-located.js';

export interface Origin {
  readonly file: string;
  readonly pos: Pos;
}

/** Detection types contentctl knows; anything else is kept as written with a warning. */
export const DETECTION_TYPES = ['TTP', 'Anomaly', 'Hunting', 'Correlation', 'Baseline', 'Investigation'] as const;
export type KnownDetectionType = (typeof DETECTION_TYPES)[number];

export type RiskObjectType = 'user' | 'system' | 'other';

export interface RiskObject {
  readonly field: string;
  readonly type: RiskObjectType;
  readonly score: number;
}

export interface ThreatObject {
  readonly field: string;
  /** contentctl enum (process_name, file_name, ip_address, url, ...); kept as written. */
  readonly type: string;
}

/** contentctl v5+ `rba:` block. */
export interface RbaRisk {
  readonly kind: 'rba';
  readonly message: string;
  readonly riskObjects: readonly RiskObject[];
  readonly threatObjects: readonly ThreatObject[];
  readonly origin: Origin;
}

export interface Observable {
  readonly name: string;
  readonly type: string;
  readonly roles: readonly string[];
}

/**
 * contentctl ≤ v4 risk in `tags`: impact × confidence / 100 (rounded) for every risk object; the
 * risk and threat objects are derived from the observables (spl-and-rba.md §5.1).
 */
export interface TagsRisk {
  readonly kind: 'tags';
  readonly impact: number;
  readonly confidence: number;
  readonly riskScore: number;
  /** `tags.risk_score` as written (informational; contentctl recomputes it). */
  readonly declaredRiskScore: number | null;
  readonly message: string;
  readonly observables: readonly Observable[];
  readonly riskObjects: readonly RiskObject[];
  readonly threatObjects: readonly ThreatObject[];
  readonly origin: Origin;
}

export type DetectionRisk = RbaRisk | TagsRisk;

export interface DetectionTags {
  readonly analyticStory: readonly string[];
  readonly assetType: string | null;
  readonly mitreAttackId: readonly string[];
  readonly killChainPhases: readonly string[];
  readonly cis20: readonly string[];
  readonly nist: readonly string[];
  readonly product: readonly string[];
  readonly securityDomain: string | null;
  readonly requiredFields: readonly string[];
}

export interface AttackData {
  readonly data: string;
  readonly source: string | null;
  readonly sourcetype: string | null;
  readonly customIndex: string | null;
  readonly host: string | null;
}

export interface DetectionTest {
  readonly name: string;
  readonly testType: string | null;
  readonly attackData: readonly AttackData[];
}

export interface DrilldownSearch {
  readonly name: string;
  readonly search: string;
  readonly earliestOffset: string | null;
  readonly latestOffset: string | null;
}

export interface Detection {
  readonly kind: 'detection';
  readonly name: string;
  readonly id: string;
  readonly version: number | null;
  readonly date: string | null;
  readonly author: string | null;
  readonly status: string | null;
  /** TTP, Anomaly, Hunting, Correlation, ... as written. */
  readonly type: string;
  readonly description: string;
  readonly dataSource: readonly string[];
  readonly search: string;
  /** Where each character of `search` sits in the file (for located SPL errors). */
  readonly searchPositions: ValuePositions;
  readonly howToImplement: string;
  readonly knownFalsePositives: string;
  readonly references: readonly string[];
  readonly drilldownSearches: readonly DrilldownSearch[];
  readonly risk: DetectionRisk | null;
  readonly tags: DetectionTags;
  readonly tests: readonly DetectionTest[];
  /** An inline `deployment:` block (older content); normally chosen by type from deployments/. */
  readonly deployment: Deployment | null;
  /** `<file stem>_filter`, the macro every ESCU search ends with. */
  readonly filterMacro: string;
  readonly origin: Origin;
}

export interface Story {
  readonly kind: 'story';
  readonly name: string;
  readonly id: string | null;
  readonly version: number | null;
  readonly date: string | null;
  readonly author: string | null;
  readonly description: string;
  readonly narrative: string;
  readonly references: readonly string[];
  readonly category: readonly string[];
  readonly product: readonly string[];
  readonly usecase: string | null;
  readonly origin: Origin;
}

/** Where a macro came from: content YAML, a macros.conf, a CIM built-in, or the implicit empty filter. */
export type MacroSourceKind = 'yaml' | 'conf' | 'builtin' | 'default-filter';

export interface Macro {
  readonly kind: 'macro';
  readonly name: string;
  /** Argument names in order; the macro's arity is their count. */
  readonly arguments: readonly string[];
  readonly definition: string;
  readonly description: string | null;
  readonly source: MacroSourceKind;
  readonly origin: Origin;
}

export interface LookupTable {
  /** Header row. */
  readonly fields: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** True when rows were cut at the row cap. */
  readonly truncated: boolean;
}

export interface Lookup {
  readonly kind: 'lookup';
  readonly name: string;
  readonly description: string | null;
  /** csv / kvstore / mlmodel as written (`lookup_type`), null when absent. */
  readonly lookupType: string | null;
  readonly filename: string | null;
  /** Resolved path of the csv file when it exists. */
  readonly path: string | null;
  readonly defaultMatch: string | null;
  readonly matchType: readonly string[];
  readonly minMatches: number | null;
  readonly maxMatches: number | null;
  readonly caseSensitiveMatch: boolean | null;
  readonly fieldsList: readonly string[];
  readonly filter: string | null;
  readonly collection: string | null;
  readonly table: LookupTable | null;
  readonly origin: Origin;
}

export interface SupportedTa {
  readonly name: string;
  readonly url: string | null;
  readonly version: string | null;
}

export interface DataSource {
  readonly kind: 'data-source';
  readonly name: string;
  readonly id: string | null;
  readonly description: string | null;
  readonly source: string | null;
  readonly sourcetype: string | null;
  readonly separator: string | null;
  readonly supportedTa: readonly SupportedTa[];
  readonly fields: readonly string[];
  readonly outputFields: readonly string[];
  readonly exampleLog: string | null;
  readonly origin: Origin;
}

export interface Scheduling {
  readonly cronSchedule: string;
  readonly earliestTime: string;
  readonly latestTime: string;
  readonly scheduleWindow: string | null;
}

export interface NotableAction {
  readonly kind: 'notable';
  readonly ruleTitle: string | null;
  readonly ruleDescription: string | null;
  readonly nesFields: readonly string[];
}

export interface RiskAction {
  readonly kind: 'risk';
  readonly enabled: boolean;
}

export interface OtherAction {
  readonly kind: 'other';
  readonly name: string;
}

export type AlertAction = NotableAction | RiskAction | OtherAction;

export interface Deployment {
  readonly kind: 'deployment';
  readonly name: string;
  readonly id: string | null;
  readonly description: string | null;
  /** The detection type it applies to, null when absent. */
  readonly type: string | null;
  readonly scheduling: Scheduling | null;
  readonly alertActions: readonly AlertAction[];
  readonly origin: Origin;
}

export interface FileAccount {
  readonly file: string;
  readonly status: 'loaded' | 'failed' | 'ignored';
}

export interface ContentLoad {
  readonly root: string;
  readonly detections: readonly Detection[];
  readonly stories: readonly Story[];
  readonly macros: readonly Macro[];
  readonly lookups: readonly Lookup[];
  readonly dataSources: readonly DataSource[];
  readonly deployments: readonly Deployment[];
  readonly diagnostics: readonly Diagnostic[];
  /** Every file seen under the content folders, with what became of it. */
  readonly files: readonly FileAccount[];
}

/** ESCU's file-stem convention: lower-case, space - . / → _ (contentctl). */
export function contentFileStem(name: string): string {
  return name.toLowerCase().replace(/[ \-./]/g, '_');
}

/** Base score of a tags-based detection: round(impact × confidence / 100). */
export function tagsRiskScore(impact: number, confidence: number): number {
  return Math.round((impact * confidence) / 100);
}
