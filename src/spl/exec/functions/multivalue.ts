/**
 * Multivalue eval functions (spl-and-rba.md §2.4): split, mvindex, mvcount, mvjoin, mvfilter,
 * mvfind, mvdedup, mvappend, mvzip, mvmap, mvsort, mvrange. Indexes are 0-based; negative
 * indexes count from the end. Results never exceed ExecLimits.maxMultivalue values.
 */
import type { EvalExpr } from '../../ast.js';
import { regexInput } from '../pcre.js';
import type { EvalResult, ExecContext, Row, SplScalar } from '../types.js';
import { execError, textOf } from '../values.js';
import { type FunctionTable, type Evaluator, fnSpec, holds, numericOf, resultOf, textOfResult, valuesOfResult } from './coerce.js';
import { regexArgument } from './text.js';

/** The distinct field names an expression reads. */
function fieldsRead(expr: EvalExpr, out = new Set<string>()): Set<string> {
  switch (expr.kind) {
    case 'eval-field':
      out.add(expr.name);
      break;
    case 'eval-call':
      expr.args.forEach((a) => fieldsRead(a, out));
      break;
    case 'eval-unary':
      fieldsRead(expr.operand, out);
      break;
    case 'eval-binary':
      fieldsRead(expr.left, out);
      fieldsRead(expr.right, out);
      break;
    case 'eval-in':
      fieldsRead(expr.operand, out);
      expr.values.forEach((a) => fieldsRead(a, out));
      break;
    case 'eval-group':
      fieldsRead(expr.inner, out);
      break;
    default:
      break;
  }
  return out;
}

/**
 * Evaluates `body` once per value with the field `name` bound to that single value. The row is
 * changed for the duration of each evaluation and restored afterwards (eval is synchronous).
 */
function perValue(row: Row, ctx: ExecContext, name: string, values: readonly SplScalar[], body: Evaluator, use: (v: SplScalar, r: EvalResult) => void): void {
  const saved = row.get(name);
  try {
    for (const v of values) {
      row.set(name, v);
      use(v, body(row, ctx));
    }
  } finally {
    if (saved === undefined) row.delete(name);
    else row.set(name, saved);
  }
}

/** mvindex's start/end: 0-based, negative from the end; null when outside the values. */
function position(index: number, count: number): number | null {
  const i = Math.trunc(index) < 0 ? count + Math.trunc(index) : Math.trunc(index);
  return i >= 0 && i < count ? i : null;
}

export function mvindex(values: readonly SplScalar[], start: number, end: number | null): readonly SplScalar[] {
  const s = position(start, values.length);
  if (s === null) return [];
  if (end === null) return [values[s]!];
  let e = Math.trunc(end) < 0 ? values.length + Math.trunc(end) : Math.trunc(end);
  e = Math.min(e, values.length - 1);
  return e < s ? [] : values.slice(s, e + 1);
}

/** split(text, delimiter): an empty delimiter splits into characters. */
export function splitText(text: string, delimiter: string, limit: number): string[] {
  if (delimiter === '') return [...text].slice(0, limit);
  const out: string[] = [];
  let from = 0;
  while (out.length < limit - 1) {
    const at = text.indexOf(delimiter, from);
    if (at < 0) break;
    out.push(text.slice(from, at));
    from = at + delimiter.length;
  }
  out.push(text.slice(from));
  return out;
}

export const MULTIVALUE_FUNCTIONS: FunctionTable = {
  split: fnSpec(2, 2, ([s, d]) => (row, ctx) => {
    const text = textOfResult(s!(row, ctx));
    const delimiter = textOfResult(d!(row, ctx));
    if (text === null || delimiter === null) return null;
    return resultOf(splitText(text, delimiter, ctx.limits.maxMultivalue), ctx);
  }),
  mvcount: fnSpec(1, 1, ([a]) => (row, ctx) => {
    const n = valuesOfResult(a!(row, ctx)).length;
    return n === 0 ? null : n;
  }),
  mvindex: fnSpec(2, 3, ([a, start, end]) => (row, ctx) => {
    const s = numericOf(start!(row, ctx));
    const e = end === undefined ? null : numericOf(end(row, ctx));
    if (s === null || (end !== undefined && e === null)) return null;
    return resultOf(mvindex(valuesOfResult(a!(row, ctx)), s, e), ctx);
  }),
  mvjoin: fnSpec(2, 2, ([a, d]) => (row, ctx) => {
    const values = valuesOfResult(a!(row, ctx));
    const delimiter = textOfResult(d!(row, ctx));
    if (values.length === 0 || delimiter === null) return null;
    return values.map(textOf).join(delimiter);
  }),
  mvfilter: fnSpec(1, 1, ([body], exprs, site) => {
    const names = [...fieldsRead(exprs[0]!)];
    if (names.length !== 1) {
      throw execError('spl.bad-argument', `mvfilter() must refer to exactly one field (found ${names.length === 0 ? 'none' : names.join(', ')})`, site.loc);
    }
    const name = names[0]!;
    return (row, ctx) => {
      const kept: SplScalar[] = [];
      perValue(row, ctx, name, valuesOfResult(row.get(name) ?? null), body!, (v, r) => {
        if (holds(r)) kept.push(v);
      });
      return resultOf(kept, ctx);
    };
  }),
  mvmap: fnSpec(2, 2, ([, body], exprs, site) => {
    const target = exprs[0]!;
    if (target.kind !== 'eval-field') throw execError('spl.bad-argument', 'mvmap() needs a field as its first argument', site.loc);
    const name = target.name;
    return (row, ctx) => {
      const out: SplScalar[] = [];
      perValue(row, ctx, name, valuesOfResult(row.get(name) ?? null), body!, (_v, r) => {
        for (const x of valuesOfResult(r)) out.push(x);
      });
      return resultOf(out, ctx);
    };
  }),
  mvfind: fnSpec(2, 2, (args, exprs, site) => {
    const regexOf = regexArgument(args, exprs, 1, site);
    return (row, ctx) => {
      const regex = regexOf(row, ctx);
      if (regex === null) return null;
      const values = valuesOfResult(args[0]!(row, ctx));
      const i = values.findIndex((v) => regex.test(regexInput(textOf(v), ctx)));
      return i < 0 ? null : i;
    };
  }),
  mvdedup: fnSpec(1, 1, ([a]) => (row, ctx) => {
    const seen = new Set<string>();
    const out: SplScalar[] = [];
    for (const v of valuesOfResult(a!(row, ctx))) {
      const key = typeof v + ':' + textOf(v);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(v);
    }
    return resultOf(out, ctx);
  }),
  mvappend: fnSpec(1, 100, (args) => (row, ctx) => {
    const out: SplScalar[] = [];
    for (const a of args) for (const v of valuesOfResult(a(row, ctx))) out.push(v);
    return resultOf(out, ctx);
  }),
  mvzip: fnSpec(2, 3, ([a, b, d]) => (row, ctx) => {
    const left = valuesOfResult(a!(row, ctx));
    const right = valuesOfResult(b!(row, ctx));
    const delimiter = d === undefined ? ',' : textOfResult(d(row, ctx));
    if (delimiter === null) return null;
    const n = Math.min(left.length, right.length);
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(textOf(left[i]!) + delimiter + textOf(right[i]!));
    return resultOf(out, ctx);
  }),
  mvsort: fnSpec(1, 1, ([a]) => (row, ctx) => {
    // Lexicographic by text, numbers included (Splunk sorts multivalues as strings).
    const values = [...valuesOfResult(a!(row, ctx))];
    values.sort((x, y) => {
      const tx = textOf(x);
      const ty = textOf(y);
      return tx < ty ? -1 : tx > ty ? 1 : 0;
    });
    return resultOf(values, ctx);
  }),
  mvrange: fnSpec(2, 3, ([a, b, c]) => (row, ctx) => {
    const start = numericOf(a!(row, ctx));
    const end = numericOf(b!(row, ctx));
    const step = c === undefined ? 1 : numericOf(c(row, ctx));
    if (start === null || end === null || step === null || step === 0) return null;
    const out: number[] = [];
    for (let v = start; (step > 0 ? v < end : v > end) && out.length < ctx.limits.maxMultivalue; v += step) out.push(v);
    return resultOf(out, ctx);
  }),
};
