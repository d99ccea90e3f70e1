/**
 * SPL syntax tree. Immutable nodes tagged by `kind`, each with `loc` offsets into the parsed text
 * (no source object per node: thousands of detections stay cheap in memory).
 * Only syntax lives here; meaning (search semantics, eval) belongs to the later executor.
 */

export interface Loc {
  readonly start: number;
  readonly end: number;
}

// ---------------------------------------------------------------- shared pieces

/** `` `name` `` or `` `name(a, b)` ``: kept unexpanded when the parser meets it. */
export interface MacroCall {
  readonly kind: 'macro';
  readonly name: string;
  /** Raw argument texts (trimmed), or null for a call without parentheses. */
  readonly args: readonly string[] | null;
  readonly loc: Loc;
}

/** A literal in search syntax. `text` is decoded (escapes applied for quoted values). */
export type SearchValue =
  | { readonly kind: 'string'; readonly text: string; readonly quoted: boolean; readonly loc: Loc }
  | { readonly kind: 'number'; readonly text: string; readonly value: number; readonly loc: Loc }
  /** Contains `*`; matched anchored against the whole value by the executor. */
  | { readonly kind: 'wildcard'; readonly text: string; readonly quoted: boolean; readonly loc: Loc }
  /** A word glued to a parenthesised group, kept raw: `TERM(10.0.0.1)`, `CASE(Admin)`, `latest=now()`. */
  | { readonly kind: 'function'; readonly text: string; readonly loc: Loc };

/** `name=value` option of a command (`summariesonly=false`, `max_match=0`, `type=left`). */
export interface CommandOption {
  readonly kind: 'option';
  readonly name: string;
  readonly value: SearchValue | MacroCall;
  readonly loc: Loc;
}

/** A field name in a field list; `quoted` when written as "x y". May contain `*`. */
export interface FieldName {
  readonly kind: 'field-name';
  readonly name: string;
  readonly quoted: boolean;
  readonly loc: Loc;
}

/** `from AS to` (rename, lookup field maps, convert aliases). */
export interface FieldMapping {
  readonly kind: 'field-mapping';
  readonly from: FieldName;
  readonly to: FieldName | null;
  readonly loc: Loc;
}

// ---------------------------------------------------------------- search expressions

export type SearchOperator = '=' | '!=' | '<' | '<=' | '>' | '>=';

export type SearchExpr =
  /** Bare keyword or quoted phrase matched against `_raw`. */
  | { readonly kind: 'search-term'; readonly value: SearchValue; readonly loc: Loc }
  | { readonly kind: 'search-compare'; readonly field: FieldName; readonly op: SearchOperator; readonly value: SearchValue; readonly loc: Loc }
  | { readonly kind: 'search-in'; readonly field: FieldName; readonly values: readonly SearchValue[]; readonly loc: Loc }
  | { readonly kind: 'search-not'; readonly operand: SearchExpr; readonly loc: Loc }
  /** Implicit or explicit AND; `explicit[i]` tells whether `AND` was written before operand i+1. */
  | { readonly kind: 'search-and'; readonly operands: readonly SearchExpr[]; readonly explicit: readonly boolean[]; readonly loc: Loc }
  | { readonly kind: 'search-or'; readonly operands: readonly SearchExpr[]; readonly loc: Loc }
  | { readonly kind: 'search-group'; readonly inner: SearchExpr; readonly loc: Loc }
  | { readonly kind: 'search-subsearch'; readonly pipeline: Pipeline; readonly loc: Loc }
  | MacroCall;

// ---------------------------------------------------------------- eval expressions

export type EvalBinaryOperator =
  | 'OR' | 'XOR' | 'AND'
  | '=' | '==' | '!=' | '<' | '<=' | '>' | '>=' | 'LIKE'
  | '+' | '-' | '.' | '*' | '/' | '%';

export type EvalExpr =
  | { readonly kind: 'eval-number'; readonly text: string; readonly value: number; readonly loc: Loc }
  | { readonly kind: 'eval-string'; readonly value: string; readonly loc: Loc }
  /** Field reference: bare (`process_name`, `Processes.dest`) or single-quoted (`'a b'`). */
  | { readonly kind: 'eval-field'; readonly name: string; readonly quoted: boolean; readonly loc: Loc }
  | { readonly kind: 'eval-call'; readonly name: string; readonly args: readonly EvalExpr[]; readonly loc: Loc }
  | { readonly kind: 'eval-unary'; readonly op: 'NOT' | '-'; readonly operand: EvalExpr; readonly loc: Loc }
  | { readonly kind: 'eval-binary'; readonly op: EvalBinaryOperator; readonly left: EvalExpr; readonly right: EvalExpr; readonly loc: Loc }
  /** `x IN ("a", "b")` operator form (the function form is an eval-call named `in`). */
  | { readonly kind: 'eval-in'; readonly operand: EvalExpr; readonly values: readonly EvalExpr[]; readonly loc: Loc }
  | { readonly kind: 'eval-group'; readonly inner: EvalExpr; readonly loc: Loc }
  | MacroCall;

// ---------------------------------------------------------------- aggregations

export type AggregationArg =
  | FieldName
  | { readonly kind: 'agg-eval'; readonly expr: EvalExpr; readonly loc: Loc };

/** `count`, `min(_time) as firstTime`, `count(eval(EventCode=4648)) as n`. */
export interface Aggregation {
  readonly kind: 'aggregation';
  readonly fn: string;
  readonly arg: AggregationArg | null;
  readonly alias: FieldName | null;
  readonly loc: Loc;
}

// ---------------------------------------------------------------- commands

export interface SearchCommand {
  readonly kind: 'search';
  /** True for the first segment written without the `search` keyword. */
  readonly implicit: boolean;
  readonly expr: SearchExpr | null;
  readonly loc: Loc;
}

/** `Endpoint.Processes` → model `Endpoint`, path `['Processes']`. */
export interface DatamodelRef {
  readonly kind: 'datamodel-ref';
  readonly model: string;
  readonly path: readonly string[];
  readonly loc: Loc;
}

export interface TstatsCommand {
  readonly kind: 'tstats';
  readonly options: readonly (CommandOption | MacroCall)[];
  readonly aggregations: readonly Aggregation[];
  readonly from: DatamodelRef | null;
  /** WHERE clause, search-command syntax and precedence (OR binds tighter than AND). */
  readonly where: SearchExpr | null;
  readonly by: readonly FieldName[];
  /** Options after BY (`span=1h`). */
  readonly byOptions: readonly CommandOption[];
  readonly loc: Loc;
}

export interface StatsCommand {
  readonly kind: 'stats';
  readonly name: 'stats' | 'eventstats' | 'streamstats';
  readonly options: readonly CommandOption[];
  readonly aggregations: readonly Aggregation[];
  readonly by: readonly FieldName[];
  readonly loc: Loc;
}

export interface EvalAssignment {
  readonly kind: 'eval-assignment';
  readonly field: FieldName;
  readonly expr: EvalExpr;
  readonly loc: Loc;
}

export interface EvalCommand {
  readonly kind: 'eval';
  readonly assignments: readonly EvalAssignment[];
  readonly loc: Loc;
}

export interface WhereCommand {
  readonly kind: 'where';
  readonly expr: EvalExpr;
  readonly loc: Loc;
}

export interface RenameCommand {
  readonly kind: 'rename';
  readonly mappings: readonly FieldMapping[];
  readonly loc: Loc;
}

export interface TableCommand {
  readonly kind: 'table';
  readonly fields: readonly FieldName[];
  readonly loc: Loc;
}

export interface FieldsCommand {
  readonly kind: 'fields';
  readonly mode: '+' | '-' | null;
  readonly fields: readonly FieldName[];
  readonly loc: Loc;
}

/** `ctime(firstTime) as first` inside convert. */
export interface Conversion {
  readonly kind: 'conversion';
  readonly fn: string;
  readonly field: FieldName;
  readonly alias: FieldName | null;
  readonly loc: Loc;
}

export interface ConvertCommand {
  readonly kind: 'convert';
  readonly options: readonly CommandOption[];
  readonly conversions: readonly Conversion[];
  readonly loc: Loc;
}

export interface LookupCommand {
  readonly kind: 'lookup';
  readonly options: readonly CommandOption[];
  readonly table: string;
  readonly inputs: readonly FieldMapping[];
  readonly output: { readonly mode: 'OUTPUT' | 'OUTPUTNEW'; readonly fields: readonly FieldMapping[] } | null;
  readonly loc: Loc;
}

export interface InputlookupCommand {
  readonly kind: 'inputlookup';
  readonly options: readonly CommandOption[];
  readonly table: string;
  readonly where: SearchExpr | null;
  readonly loc: Loc;
}

export interface RexCommand {
  readonly kind: 'rex';
  readonly options: readonly CommandOption[];
  /** Decoded regex (SPL string escapes applied, regex escapes untouched). */
  readonly regex: string;
  readonly loc: Loc;
}

export interface RegexCommand {
  readonly kind: 'regex';
  readonly field: string | null;
  readonly negated: boolean;
  readonly regex: string;
  readonly loc: Loc;
}

export interface BinCommand {
  readonly kind: 'bin';
  readonly name: 'bin' | 'bucket';
  readonly options: readonly CommandOption[];
  readonly field: FieldName;
  readonly alias: FieldName | null;
  readonly loc: Loc;
}

export interface DedupCommand {
  readonly kind: 'dedup';
  readonly count: number | null;
  readonly options: readonly CommandOption[];
  readonly fields: readonly FieldName[];
  /** `sortby -_time +user` (empty when absent). */
  readonly sortBy: readonly SortKey[];
  readonly loc: Loc;
}

export interface SortKey {
  readonly kind: 'sort-key';
  readonly field: FieldName;
  readonly descending: boolean;
  /** Whether a +/- sign was written. */
  readonly signed: boolean;
  readonly loc: Loc;
}

export interface SortCommand {
  readonly kind: 'sort';
  readonly limit: number | null;
  readonly keys: readonly SortKey[];
  readonly loc: Loc;
}

export interface HeadTailCommand {
  readonly kind: 'head-tail';
  readonly name: 'head' | 'tail';
  readonly count: number | null;
  readonly options: readonly CommandOption[];
  readonly loc: Loc;
}

export interface FillnullCommand {
  readonly kind: 'fillnull';
  readonly options: readonly CommandOption[];
  readonly fields: readonly FieldName[];
  readonly loc: Loc;
}

export interface SpathCommand {
  readonly kind: 'spath';
  readonly options: readonly CommandOption[];
  /** Positional path (`spath a.b{}`), when written without `path=`. */
  readonly path: string | null;
  readonly loc: Loc;
}

export interface MakemvCommand {
  readonly kind: 'makemv';
  readonly options: readonly CommandOption[];
  readonly field: FieldName;
  readonly loc: Loc;
}

export interface MvexpandCommand {
  readonly kind: 'mvexpand';
  readonly options: readonly CommandOption[];
  readonly field: FieldName;
  readonly loc: Loc;
}

export interface JoinCommand {
  readonly kind: 'join';
  readonly options: readonly CommandOption[];
  readonly fields: readonly FieldName[];
  readonly subsearch: Pipeline;
  readonly loc: Loc;
}

export interface AppendCommand {
  readonly kind: 'append';
  readonly options: readonly CommandOption[];
  readonly subsearch: Pipeline;
  readonly loc: Loc;
}

/**
 * `foreach f* [eval <<FIELD>> = ...]`: the body is a template (it contains `<<FIELD>>` tokens),
 * so it is kept as raw text and parsed per instantiation by the executor.
 */
export interface ForeachCommand {
  readonly kind: 'foreach';
  readonly options: readonly CommandOption[];
  readonly fields: readonly FieldName[];
  readonly body: string;
  readonly loc: Loc;
}

/** `| from datamodel:Endpoint.Processes` (or any other dataset reference, kept verbatim). */
export interface FromCommand {
  readonly kind: 'from';
  readonly dataset: string;
  readonly loc: Loc;
}

/** A pipeline segment that is just a macro call (`` | `drop_dm_object_name(Processes)` ``). */
export interface MacroCommand {
  readonly kind: 'macro-command';
  readonly macro: MacroCall;
  readonly loc: Loc;
}

/** Any other command: kept as name + raw argument text so the executor can report it as unsupported. */
export interface GenericCommand {
  readonly kind: 'generic';
  readonly name: string;
  readonly raw: string;
  readonly loc: Loc;
}

export type Command =
  | SearchCommand
  | TstatsCommand
  | StatsCommand
  | EvalCommand
  | WhereCommand
  | RenameCommand
  | TableCommand
  | FieldsCommand
  | ConvertCommand
  | LookupCommand
  | InputlookupCommand
  | RexCommand
  | RegexCommand
  | BinCommand
  | DedupCommand
  | SortCommand
  | HeadTailCommand
  | FillnullCommand
  | SpathCommand
  | MakemvCommand
  | MvexpandCommand
  | JoinCommand
  | AppendCommand
  | ForeachCommand
  | FromCommand
  | MacroCommand
  | GenericCommand;

export interface Pipeline {
  readonly kind: 'pipeline';
  /** True when the text starts with `|` (generating commands: `| tstats`, `| inputlookup`). */
  readonly leadingPipe: boolean;
  readonly commands: readonly Command[];
  readonly loc: Loc;
}

/** Deep copy without `loc` properties: for comparing trees from different texts (round trips). */
export function stripLocs<T>(node: T): T {
  if (Array.isArray(node)) return node.map((n: unknown) => stripLocs(n)) as T;
  if (node !== null && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node as Record<string, unknown>)) if (k !== 'loc') out[k] = stripLocs(v);
    return out as T;
  }
  return node;
}
