/**
 * The SPL executor's data model (spl-and-rba.md §2). A search runs in two phases:
 *  1. heads: every generating search over events (the first `search`, a `tstats`/`from` over a
 *     data model, the first search of each subsearch) is a predicate the runner applies to each
 *     event's Splunk row while the input streams; matching rows are kept, nothing else is;
 *  2. the rest of the pipeline runs over the kept rows when the input (or a scheduled window) ends.
 * So memory holds only rows that some search keeps, never the whole input.
 */
import type { Diagnostic } from '../../core/diagnostics.js';
import type { SearchExpr } from '../ast.js';
import type { Lookup } from '../../content/model.js';

/** One value of a field: Splunk stores text; numbers stay numbers when they were computed. */
export type SplScalar = string | number;
/** A field's value: one scalar, or a multivalue (an array of at least one scalar). */
export type SplValue = SplScalar | readonly SplScalar[];
/**
 * A result row or event. An absent key is Splunk's null. Rows belong to the pipeline that holds
 * them: a command may modify a row it was given and pass it on, never a row it also keeps elsewhere.
 * `_time` is epoch seconds (number, fractional allowed); `_raw` the event text when there is one.
 */
export type Row = Map<string, SplValue>;

/** Result of an eval expression: a value, a Boolean (only inside conditions), or null. */
export type EvalResult = SplValue | boolean | null;

export interface ExecLimits {
  /** Rows one head may keep before further matches are counted and dropped (default 1,000,000). */
  readonly maxHeadRows: number;
  /** Rows any command may produce (default 1,000,000). */
  readonly maxRows: number;
  /** Subsearch results (join/append/`[...]`), Splunk's default 50,000. */
  readonly maxSubsearchRows: number;
  /** Values one multivalue field may hold (default 10,000). */
  readonly maxMultivalue: number;
  /** Characters of input one regex test may see (default 65,536). */
  readonly maxRegexInput: number;
}

export const DEFAULT_LIMITS: ExecLimits = {
  maxHeadRows: 1_000_000,
  maxRows: 1_000_000,
  maxSubsearchRows: 50_000,
  maxMultivalue: 10_000,
  maxRegexInput: 65_536,
};

export interface ExecContext {
  /** The search's `now()` in epoch seconds (for a scheduled run: its nominal cron time). */
  readonly now: number;
  /** The dispatch window [earliest, latest), epoch seconds, or null for all time. */
  readonly earliest: number | null;
  readonly latest: number | null;
  /** Lookup definitions by name (security_content lookups/*.yml + CSV), undefined when unknown. */
  readonly lookup: (name: string) => Lookup | undefined;
  readonly limits: ExecLimits;
  /** Problems met while running (row caps hit, bad regex at run time); never thrown. */
  readonly warn: (d: Diagnostic) => void;
}

/**
 * Where a head reads from:
 *  - `events`: the Splunk row of every event (spl `search`; fields as the Windows add-on extracts them);
 *  - `datamodel`: the rows of a CIM dataset, fields prefixed with the dataset name
 *    (`Processes.process_name`) plus `_time`, `host`, `source`, `sourcetype`.
 */
export type HeadSource =
  | { readonly kind: 'events' }
  | { readonly kind: 'datamodel'; readonly model: string; readonly dataset: string };

/** A search predicate compiled from SearchExpr (search-command semantics). */
export type SearchPredicate = (row: Row, ctx: ExecContext) => boolean;

/** An eval expression compiled from EvalExpr (eval/where semantics). */
export type EvalFunction = (row: Row, ctx: ExecContext) => EvalResult;

export interface EventHead {
  readonly source: HeadSource;
  /** True when the row belongs to this head's results (time window is applied by the runner). */
  readonly test: SearchPredicate;
  /** Fields the predicate reads (for routing/pre-filtering; may be empty = unknown). */
  readonly fields: readonly string[];
  /** Literal EventCode values the head requires, when it requires some (routing hint), else null. */
  readonly eventCodes: readonly string[] | null;
  /** The head's search expression (null: every row), for cheaper pre-tests such as on sourcetype. */
  readonly expr: SearchExpr | null;
}

export interface CompiledSearch {
  /** The heads in a fixed order; `run` receives their kept rows in the same order. */
  readonly heads: readonly EventHead[];
  /** Data-model datasets the search reads (`Endpoint.Processes`), for the runner to build rows. */
  readonly datasets: readonly string[];
  /**
   * True when an events head or a later command reads `_raw` (bare search terms, rex/regex/spath
   * without a field): the runner must then build event rows with `_raw`.
   */
  readonly needsRaw: boolean;
  /** Runs the pipeline over the heads' rows (each array in event order); returns the result rows. */
  run(headRows: readonly (readonly Row[])[], ctx: ExecContext): Row[];
}
