/**
 * The shared rule IR. Every rule front end (Sigma now, SPL later) lowers into it, and every
 * consumer reads it: the in-process engine compiles it to matchers, and future query compilers
 * (DuckDB / ClickHouse SQL, Splunk SPL) will print it. So it says *what* to match, explicitly
 * and without front-end quirks (wildcards parsed, modifiers applied, expansions spelled out as
 * OR groups, logsources resolved to channel/EventID scopes), and never *how* to match it.
 *
 * Nodes are small immutable objects tagged by `kind`; walk them with exhaustive switches.
 */

// ---------------------------------------------------------------------------------------------
// Values

/** A parsed string pattern: literal text and wildcards. No escaping is left in `text`. */
export type PatternPart =
  | { readonly kind: 'text'; readonly text: string }
  /** `*`: any run of characters, possibly empty. */
  | { readonly kind: 'any' }
  /** `?`: exactly one character. */
  | { readonly kind: 'one' };

/** Whole-value match of a pattern (a substring test is a pattern starting and ending with `any`). */
export interface PatternMatch {
  readonly kind: 'pattern';
  readonly parts: readonly PatternPart[];
  /** Case-sensitive (Sigma `|cased`); default is case-insensitive. */
  readonly cased: boolean;
}

/** Regular expression, searched (unanchored) in the value; JS syntax after translation. */
export interface RegexMatch {
  readonly kind: 'regex';
  readonly source: string;
  /** Any of `i`, `m`, `s`. */
  readonly flags: string;
}

export type CompareOp = 'lt' | 'lte' | 'gt' | 'gte' | 'eq';

/** Numeric comparison: the event value is parsed as a number (decimal, or hex with 0x). */
export interface NumberMatch {
  readonly kind: 'number';
  readonly op: CompareOp;
  readonly value: number;
}

/** IPv4 or IPv6 network membership. */
export interface CidrMatch {
  readonly kind: 'cidr';
  /** Normalised `address/prefix`. */
  readonly network: string;
}

export type TimePart = 'minute' | 'hour' | 'day' | 'week' | 'month' | 'year';

/** A part of a timestamp value compared as a number (Sigma 2.1 time modifiers). */
export interface TimePartMatch {
  readonly kind: 'time-part';
  readonly part: TimePart;
  readonly op: CompareOp;
  readonly value: number;
}

export type ValueMatch = PatternMatch | RegexMatch | NumberMatch | CidrMatch | TimePartMatch;

// ---------------------------------------------------------------------------------------------
// Expressions

/** True when some value of `field` (a list field matches if any item does) satisfies `match`. */
export interface FieldMatch {
  readonly kind: 'field';
  readonly field: string;
  readonly match: ValueMatch;
}

/** Field-less search: true when any field value satisfies `match` (Sigma keywords). */
export interface KeywordMatch {
  readonly kind: 'keyword';
  readonly match: ValueMatch;
}

/** The field is present (any value, including empty). */
export interface FieldExists {
  readonly kind: 'exists';
  readonly field: string;
}

/** The field is absent or null (Sigma `Field: null`, `Field:` and `Field: []`). */
export interface FieldNull {
  readonly kind: 'null';
  readonly field: string;
}

/** Compares two fields of the same event (Sigma `|fieldref`). False if either is absent. */
export interface FieldRef {
  readonly kind: 'fieldref';
  readonly field: string;
  readonly other: string;
  readonly op: 'eq' | 'contains' | 'startswith' | 'endswith';
  readonly cased: boolean;
}

export interface And {
  readonly kind: 'and';
  readonly items: readonly Expr[];
}

export interface Or {
  readonly kind: 'or';
  readonly items: readonly Expr[];
}

export interface Not {
  readonly kind: 'not';
  readonly item: Expr;
}

export interface Const {
  readonly kind: 'const';
  readonly value: boolean;
}

export type Expr = FieldMatch | KeywordMatch | FieldExists | FieldNull | FieldRef | And | Or | Not | Const;

// ---------------------------------------------------------------------------------------------
// Rules

export type Level = 'informational' | 'low' | 'medium' | 'high' | 'critical';

export interface SourceRef {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
}

/** Metadata every rule kind carries (what output, catalogs and filters need). */
export interface RuleMeta {
  readonly id: string;
  readonly name?: string;
  readonly title: string;
  readonly description?: string;
  readonly status?: string;
  readonly level: Level;
  readonly tags: readonly string[];
  readonly author?: string;
  readonly references?: readonly string[];
  readonly falsePositives?: readonly string[];
  readonly date?: string;
  readonly modified?: string;
  /** Front end the rule came from. */
  readonly origin: 'sigma' | 'spl';
  readonly source: SourceRef;
}

/**
 * Where a rule applies: the events a routing index may send it. Empty lists mean "any".
 * Sigma logsources resolve to one scope per variant (e.g. process_creation → Sysmon 1, and
 * Security 4688 with translated field names).
 */
export interface Scope {
  readonly channels: readonly string[];
  readonly providers: readonly string[];
  readonly eventIds: readonly number[];
  /** Any further precondition the logsource implies (e.g. Sysmon 12 with EventType CreateKey). */
  readonly extra: Expr | null;
}

/** One way a detection can fire: a scope and the condition to test inside it. */
export interface DetectionVariant {
  /** Short label for output and explain, e.g. `sysmon` or `security-4688`. */
  readonly label: string;
  readonly scope: Scope;
  readonly condition: Expr;
}

export interface DetectionRule {
  readonly kind: 'detection';
  readonly meta: RuleMeta;
  /** The rule's logsource as written (category/product/service/definition). */
  readonly logsource: Readonly<Record<string, string>>;
  /** ORed: the rule fires on an event when any variant's scope and condition hold. */
  readonly variants: readonly DetectionVariant[];
  /** Fields to show with a finding (Sigma `fields`), if the rule names them. */
  readonly outputFields: readonly string[];
}

export type CorrelationType =
  | 'event_count'
  | 'value_count'
  | 'temporal'
  | 'temporal_ordered'
  | 'value_sum'
  | 'value_avg'
  | 'value_percentile'
  | 'value_median';

export interface CorrelationCondition {
  readonly op: 'gt' | 'gte' | 'lt' | 'lte' | 'eq' | 'neq';
  readonly value: number;
}

export interface CorrelationRule {
  readonly kind: 'correlation';
  readonly meta: RuleMeta;
  readonly type: CorrelationType;
  /** Ids of the referenced rules (resolved from ids or names); may name other correlations. */
  readonly rules: readonly string[];
  /** Group-by field names (after alias resolution per referenced rule, see `aliases`). */
  readonly groupBy: readonly string[];
  readonly timespanMs: number;
  /** Null for temporal types without an explicit condition (all referenced rules must be seen). */
  readonly condition: CorrelationCondition | null;
  /** For value_* types: the field(s) aggregated. */
  readonly fields: readonly string[];
  /** value_percentile: which percentile (default 50). */
  readonly percentile?: number;
  /** alias → (rule id → field name in that rule's events). */
  readonly aliases: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Whether the referenced rules also report on their own. */
  readonly generate: boolean;
}

export type Rule = DetectionRule | CorrelationRule;
