/**
 * Pieces every command compiler shares: the run environment, the step signature, option reading,
 * field-name patterns (`Processes.*`) and located errors.
 */
import { LocatedError } from '../../../core/diagnostics.js';
import type { CommandOption, Command, FieldName, MacroCall, Pipeline, SearchValue } from '../../ast.js';
import type { ExecContext, Row, SplScalar, SplValue } from '../types.js';

/** What one run of a compiled search sees: the heads' kept rows, the context, warn-once memory. */
export interface RunEnv {
  readonly headRows: readonly (readonly Row[])[];
  readonly ctx: ExecContext;
  /** Keys of warnings already given in this run (each problem is reported once per run). */
  readonly warned: Set<string>;
}

/** A non-generating command: rows in, rows out (it may modify the rows it is handed). */
export type Step = (rows: Row[], env: RunEnv) => Row[];

/** A generating search: produces rows from nothing (heads, inputlookup, subsearches). */
export type Source = (env: RunEnv) => Row[];

/** What command compilers may ask of the pipeline compiler. */
export interface PipelineServices {
  /** Compiles a subsearch (its first search becomes a head); its rows are capped at maxSubsearchRows. */
  compileSubsearch(pipeline: Pipeline): Source;
  /** Compiles commands that need no head (the body of `foreach`). */
  compileSteps(commands: readonly Command[]): Step[];
}

/** Reports a problem once per run (row caps, unknown lookups, bad regex at run time). */
export function warnOnce(env: RunEnv, key: string, code: string, message: string, offset: number): void {
  if (env.warned.has(key)) return;
  env.warned.add(key);
  env.ctx.warn({ severity: 'warning', code, message, location: { file: '', offset } });
}

export function unsupported(what: string, offset: number, code = 'spl.unsupported-command'): LocatedError {
  return new LocatedError(code, what, { file: '', offset });
}

export function badArgument(message: string, offset: number): LocatedError {
  return new LocatedError('spl.bad-argument', message, { file: '', offset });
}

/** Throws for a macro left in place (macros must be expanded before execution). */
export function unexpandedMacro(m: MacroCall): LocatedError {
  return new LocatedError('spl.unexpanded-macro', `macro \`${m.name}\` was not expanded`, { file: '', offset: m.loc.start });
}

// ------------------------------------------------------------------ options

export type Options = ReadonlyMap<string, CommandOption>;

/** Options by lower-cased name (a later one wins); a macro value is an error. */
export function optionMap(options: readonly (CommandOption | MacroCall)[]): Options {
  const map = new Map<string, CommandOption>();
  for (const o of options) {
    if (o.kind === 'macro') throw unexpandedMacro(o);
    if (o.value.kind === 'macro') throw unexpandedMacro(o.value);
    map.set(o.name.toLowerCase(), o);
  }
  return map;
}

export function optionText(options: Options, name: string): string | null {
  const o = options.get(name);
  if (o === undefined) return null;
  return (o.value as SearchValue).text;
}

/** Splunk Booleans: true/t/1/yes and false/f/0/no (case-insensitive). */
export function optionBool(options: Options, name: string, fallback: boolean): boolean {
  const text = optionText(options, name);
  if (text === null) return fallback;
  const t = text.toLowerCase();
  if (['true', 't', '1', 'yes', 'y'].includes(t)) return true;
  if (['false', 'f', '0', 'no', 'n'].includes(t)) return false;
  throw badArgument(`option ${name} must be a Boolean, not '${text}'`, options.get(name)!.loc.start);
}

export function optionInt(options: Options, name: string, fallback: number): number {
  const text = optionText(options, name);
  if (text === null) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw badArgument(`option ${name} must be a whole number, not '${text}'`, options.get(name)!.loc.start);
  return n;
}

/** Rejects options a command does not know (so a detection relying on one is reported, not misrun). */
export function checkOptions(options: Options, known: readonly string[], command: string): void {
  for (const [name, o] of options) {
    if (!known.includes(name)) throw unsupported(`option '${o.name}' of ${command} is not supported`, o.loc.start, 'spl.unsupported-option');
  }
}

// ------------------------------------------------------------------ field-name patterns

/** A field-name pattern: `*` matches any run of characters (field names are case-sensitive). */
export interface FieldPattern {
  readonly text: string;
  readonly wildcard: boolean;
  /** The parts captured by each `*`, or null when the name does not match. */
  match(name: string): string[] | null;
}

const PATTERN_CACHE = new Map<string, FieldPattern>();

export function fieldPattern(text: string): FieldPattern {
  const cached = PATTERN_CACHE.get(text);
  if (cached !== undefined) return cached;
  const wildcard = text.includes('*');
  const source = text
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('(.*?)');
  const re = new RegExp(`^${source}$`, 's');
  const pattern: FieldPattern = {
    text,
    wildcard,
    match: (name) => {
      if (!wildcard) return name === text ? [] : null;
      const m = re.exec(name);
      return m === null ? null : m.slice(1);
    },
  };
  if (PATTERN_CACHE.size < 10_000) PATTERN_CACHE.set(text, pattern);
  return pattern;
}

/** Fills the `*`s of a target pattern with captured parts (extra `*`s become empty). */
export function fillPattern(target: string, parts: readonly string[]): string {
  let i = 0;
  return target.replace(/\*/g, () => parts[i++] ?? '');
}

/** Field names of a row matching any of the patterns, in row order. */
export function matchingFields(row: Row, patterns: readonly FieldPattern[]): string[] {
  const out: string[] = [];
  for (const name of row.keys()) if (patterns.some((p) => p.match(name) !== null)) out.push(name);
  return out;
}

export function namesOf(fields: readonly FieldName[]): string[] {
  return fields.map((f) => f.name);
}

// ------------------------------------------------------------------ values

/** Caps a multivalue at the limit (warning once). */
export function capValues(values: SplScalar[], env: RunEnv, offset: number): SplScalar[] {
  const max = env.ctx.limits.maxMultivalue;
  if (values.length <= max) return values;
  warnOnce(env, `mv-cap:${offset}`, 'spl.multivalue-capped', `a multivalue field was cut to ${max} values`, offset);
  return values.slice(0, max);
}

/** Caps a row list at maxRows (warning once). */
export function capRows(rows: Row[], env: RunEnv, offset: number): Row[] {
  const max = env.ctx.limits.maxRows;
  if (rows.length <= max) return rows;
  warnOnce(env, `row-cap:${offset}`, 'spl.rows-capped', `a command produced more than ${max} rows; the rest were dropped`, offset);
  return rows.slice(0, max);
}

/** The value as one text for keys (multivalues joined with a newline, as Splunk prints them). */
export function keyText(v: SplValue | undefined): string | null {
  if (v === undefined) return null;
  if (Array.isArray(v)) return (v as readonly SplScalar[]).map(scalarKey).join('\n');
  return scalarKey(v as SplScalar);
}

function scalarKey(v: SplScalar): string {
  return typeof v === 'number' ? (Number.isInteger(v) && Math.abs(v) < 1e21 ? v.toFixed(0) : String(v)) : v;
}
