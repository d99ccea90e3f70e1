/**
 * `vigil explain` data model: what a rule catalog page shows for one rule, as plain JSON-able
 * data. Sigma detections, Sigma correlations and Splunk-style detections share the predicate
 * and indicator vocabulary so that indicators can be counted across both kinds.
 */

/** One operator vocabulary for Sigma and SPL predicates and indicators. */
export type MatchOp =
  | 'equals'
  | 'contains'
  | 'startswith'
  | 'endswith'
  /** A glob with inner wildcards (`a*b`, `?`): the value is the glob text. */
  | 'wildcard'
  | 'regex'
  | 'cidr'
  /** The field is present / absent (Sigma `Field: null` is `null`). */
  | 'exists'
  | 'null'
  | 'lt'
  | 'lte'
  | 'gt'
  | 'gte'
  /** SPL `!=` (Sigma writes `not` around a selection instead). */
  | 'not-equals'
  /** Sigma `|fieldref` (value: the other field, prefixed with its op: `endswith:ParentImage`). */
  | 'fieldref'
  /** Sigma time modifiers (`|minute`, `|hour`...): value `hour gte 8`. */
  | 'time-part'
  /** SPL `lookup` membership: value is the lookup table name. */
  | 'lookup';

/** One test the rule makes. `field` is null for a field-less keyword / raw search term. */
export interface Predicate {
  readonly field: string | null;
  readonly op: MatchOp;
  /** Values as written (ORed unless `modifiers` has `all`). Empty for exists/null. */
  readonly values: readonly string[];
  /** Sigma-style modifiers in effect: `all` (values ANDed), `cased` (case-sensitive). */
  readonly modifiers: readonly string[];
  readonly caseSensitive: boolean;
  /**
   * Sigma only: how the field reads in each translated variant (variant label → field name(s),
   * or null when those events lack it), e.g. `{ 'security-4688': 'NewProcessName' }`.
   */
  readonly translations?: Readonly<Record<string, string | null>>;
}

/** The condition as a tree of stages (Sigma) or one command's search expression (SPL). */
export type ConditionNode =
  /** A named search identifier; `role` is `filter` when it is only ever used under `not`. */
  | { readonly kind: 'selection'; readonly name: string; readonly role: 'selection' | 'filter'; readonly body: ConditionNode }
  | { readonly kind: 'and'; readonly items: readonly ConditionNode[] }
  | { readonly kind: 'or'; readonly items: readonly ConditionNode[] }
  /** `1 of pattern*` / `all of them`, with the identifiers it selected. */
  | { readonly kind: 'of'; readonly quantifier: 'one' | 'all'; readonly pattern: string | null; readonly items: readonly ConditionNode[] }
  | { readonly kind: 'not'; readonly item: ConditionNode }
  | { readonly kind: 'predicate'; readonly predicate: Predicate }
  | { readonly kind: 'const'; readonly value: boolean }
  /** Something shown as text only (SPL subsearch, macro left unexpanded). */
  | { readonly kind: 'opaque'; readonly text: string };

/** One resolved variant of a Sigma logsource. */
export interface VariantExplanation {
  readonly label: string;
  readonly channels: readonly string[];
  readonly providers: readonly string[];
  readonly eventIds: readonly number[];
  /** The scope's precondition, printed (e.g. `EventType = CreateKey`), or null. */
  readonly extra: string | null;
  /** Description of the field translation this variant applies, or null when it reads Sigma names. */
  readonly fieldMap: string | null;
}

export interface LogsourceExplanation {
  /** category / product / service / definition as written. */
  readonly written: Readonly<Record<string, string>>;
  readonly variants: readonly VariantExplanation[];
}

export interface CorrelationExplanation {
  readonly type: string;
  readonly groupBy: readonly string[];
  readonly timespanMs: number;
  /** Printed timespan (`5m`, `1h`). */
  readonly timespan: string;
  /** `gte 10`, or null (temporal: all referenced rules seen). */
  readonly condition: string | null;
  readonly fields: readonly string[];
  readonly rules: readonly { readonly id: string; readonly title: string | null }[];
  readonly aliases: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly generate: boolean;
}

/** One command of an SPL pipeline and what it contributes. */
export interface PipelineStage {
  /** 0-based position in the (macro-expanded) pipeline. */
  readonly index: number;
  /** Command name: search, tstats, stats, eval, where, rename, lookup, ... */
  readonly command: string;
  /** The command printed back as SPL (shortened when long). */
  readonly text: string;
  /** Search / tstats WHERE / inputlookup WHERE terms as a tree, or null. */
  readonly where: ConditionNode | null;
  /** tstats / from: the data model dataset (`Endpoint.Processes`). */
  readonly datamodel: string | null;
  readonly by: readonly string[];
  /** Printed aggregations (`count`, `min(_time) AS firstTime`). */
  readonly aggregations: readonly string[];
  /** eval assignments (`field = expr`) and where expressions, printed with printEvalExpr. */
  readonly expressions: readonly string[];
  /** rename: `from → to`. */
  readonly renames: readonly { readonly from: string; readonly to: string }[];
  /** lookup / inputlookup table name. */
  readonly lookup: string | null;
  /** Fields named by table / fields / dedup / sort and the like. */
  readonly fields: readonly string[];
}

/** A normalised (field, operator, value) triple: the unit the indicator index counts. */
export interface Indicator {
  /** Field name as written in the rule (or its variant translation); `*` for keywords / raw terms. */
  readonly field: string;
  readonly op: MatchOp;
  /** Case-folded (lower case) when the match is case-insensitive. */
  readonly value: string;
}

export type RuleKindExplained = 'sigma' | 'sigma-correlation' | 'spl';

export interface RuleExplanation {
  readonly kind: RuleKindExplained;
  readonly id: string;
  readonly title: string;
  readonly description: string | null;
  /** Sigma level, or the detection type for SPL (TTP, Anomaly...). */
  readonly level: string | null;
  readonly tags: readonly string[];
  readonly source: { readonly file: string; readonly line: number | null };
  /** Sigma detections. */
  readonly logsource: LogsourceExplanation | null;
  /** Condition strings as written (Sigma), for display next to the tree. */
  readonly conditionText: readonly string[];
  /** Sigma detection condition as stages; null for correlations and SPL. */
  readonly condition: ConditionNode | null;
  readonly correlation: CorrelationExplanation | null;
  /** SPL: each command of the expanded search. */
  readonly pipeline: readonly PipelineStage[];
  /** SPL: macros the search calls, as written before expansion. */
  readonly macros: readonly string[];
  /** SPL: data sources named by the detection. */
  readonly dataSources: readonly string[];
  /** Distinct indicators, in first-seen order. Negated tests (filters) are not indicators. */
  readonly indicators: readonly Indicator[];
  /** Notes on what could not be shown exactly (e.g. source file unreadable: stages from the IR). */
  readonly notes: readonly string[];
}

export interface IndicatorEntry {
  readonly indicator: Indicator;
  /** Ids of the rules that look for it, sorted. */
  readonly rules: readonly string[];
}

/** Triple → rule ids over a loaded corpus. Built once; lookups are O(1). */
export interface IndicatorIndex {
  /** Rules indexed. */
  readonly ruleCount: number;
  /** Distinct indicators. */
  readonly size: number;
  /** Number of rules that look for `indicator`. */
  count(indicator: Indicator): number;
  /** Ids of the rules that look for `indicator` (sorted; empty when none). */
  rulesFor(indicator: Indicator): readonly string[];
  /** Rules other than `ruleId` that look for `indicator`. */
  othersSharing(indicator: Indicator, ruleId: string): number;
  /** Every entry, most shared first (ties by key). */
  entries(): readonly IndicatorEntry[];
}
