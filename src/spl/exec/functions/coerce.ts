/**
 * How eval reads its operands (spl-and-rba.md §2.4): numbers from numeric text, text from
 * scalars, three-valued truth, and the comparison every operator and function shares.
 * Null (an absent field, `null()`) is JavaScript null; a multivalue is an array.
 */
import type { EvalExpr, Loc } from '../../ast.js';
import type { EvalResult, ExecContext, Row, SplScalar, SplValue } from '../types.js';
import { fromValues, numberOf, textOf } from '../values.js';

/** A compiled eval sub-expression. */
export type Evaluator = (row: Row, ctx: ExecContext) => EvalResult;

/** The values of an eval result: [] for null and Booleans, one element for a scalar. */
export function valuesOfResult(r: EvalResult): readonly SplScalar[] {
  if (r === null || typeof r === 'boolean') return [];
  return Array.isArray(r) ? (r as readonly SplScalar[]) : [r as SplScalar];
}

/** A single scalar: the value itself, the only element of a one-value array, else null. */
export function scalarOf(r: EvalResult): SplScalar | null {
  if (r === null || typeof r === 'boolean') return null;
  if (!Array.isArray(r)) return r as SplScalar;
  return r.length === 1 ? (r[0] as SplScalar) : null;
}

/** The first value (multivalue functions taking a plain argument read the first value). */
export function firstOf(r: EvalResult): SplScalar | null {
  if (r === null || typeof r === 'boolean') return null;
  if (!Array.isArray(r)) return r as SplScalar;
  return (r[0] as SplScalar | undefined) ?? null;
}

/** The number a result stands for (numbers, numeric text), else null. */
export function numericOf(r: EvalResult): number | null {
  const s = scalarOf(r);
  return s === null ? null : numberOf(s);
}

/** Text of the first value, or null. */
export function textOfResult(r: EvalResult): string | null {
  const s = firstOf(r);
  return s === null ? null : textOf(s);
}

/** A finite number, or null (NaN and infinities are Splunk's null). */
export function finite(n: number): number | null {
  return Number.isFinite(n) ? n : null;
}

/** Builds a result from values: null when empty, a scalar for one, else a multivalue (capped). */
export function resultOf(values: readonly SplScalar[], ctx: ExecContext): SplValue | null {
  const capped = values.length > ctx.limits.maxMultivalue ? values.slice(0, ctx.limits.maxMultivalue) : values;
  return fromValues(capped) ?? null;
}

/**
 * Orders two scalars the way eval comparisons do: numerically when both are numbers (unless
 * `textual`, i.e. one side was written as a string literal), else by code unit, case-sensitive.
 */
export function compareForEval(a: SplScalar, b: SplScalar, textual: boolean): number {
  if (!textual) {
    const na = numberOf(a);
    const nb = numberOf(b);
    if (na !== null && nb !== null) return na < nb ? -1 : na > nb ? 1 : 0;
  }
  const ta = textOf(a);
  const tb = textOf(b);
  return ta < tb ? -1 : ta > tb ? 1 : 0;
}

/** Eval equality: null when either side is null; a multivalue is equal when any value is. */
export function evalEquals(a: EvalResult, b: EvalResult, textual: boolean): boolean | null {
  if (a === null || b === null) return null;
  if (typeof a === 'boolean' || typeof b === 'boolean') return typeof a === typeof b ? a === b : null;
  const left = valuesOfResult(a);
  const right = valuesOfResult(b);
  for (const x of left) for (const y of right) if (compareForEval(x, y, textual) === 0) return true;
  return false;
}

/** Three-valued NOT: null stays null, non-Booleans are null. */
export function not3(v: EvalResult): boolean | null {
  return typeof v === 'boolean' ? !v : null;
}

/** Truth of a condition: only `true` holds (null and false do not). */
export function holds(v: EvalResult): boolean {
  return v === true;
}

/** A call site, for errors and for functions that look at their literal arguments. */
export interface CallSite {
  readonly name: string;
  readonly loc: Loc;
}

/** An eval function: arity bounds and a builder from compiled arguments (and their trees, for literals). */
export interface FunctionSpec {
  readonly min: number;
  readonly max: number;
  readonly build: (args: readonly Evaluator[], exprs: readonly EvalExpr[], site: CallSite) => Evaluator;
}

export type FunctionTable = Readonly<Record<string, FunctionSpec>>;

export function fnSpec(min: number, max: number, build: FunctionSpec['build']): FunctionSpec {
  return { min, max, build };
}

/** The text of a string-literal argument (possibly parenthesised), else null. */
export function literalString(expr: EvalExpr | undefined): string | null {
  if (expr === undefined) return null;
  if (expr.kind === 'eval-string') return expr.value;
  if (expr.kind === 'eval-group') return literalString(expr.inner);
  return null;
}

/** Reports a run-time problem once per key (per compiled call site), never throwing. */
export function warnOnceAt(seen: Set<string>, ctx: ExecContext, key: string, code: string, message: string, loc: Loc): void {
  if (seen.has(key) || seen.size > 64) return;
  seen.add(key);
  ctx.warn({ severity: 'warning', code, message, location: { file: '', offset: loc.start } });
}

/**
 * True when an operand was written as text (a string literal or a `.` concatenation): eval then
 * compares it as a string even when both sides look numeric (`"1" != "1.0"`).
 */
export function isTextualExpr(expr: EvalExpr): boolean {
  if (expr.kind === 'eval-string') return true;
  if (expr.kind === 'eval-group') return isTextualExpr(expr.inner);
  return expr.kind === 'eval-binary' && expr.op === '.';
}
