/**
 * Numeric eval functions (spl-and-rba.md §1.3): round, floor, ceil, abs, pow, sqrt, exp, ln,
 * log, min, max, random, tonumber, pi and trigonometry. A non-numeric argument gives null, as
 * does a result that is not a finite number (sqrt(-1), ln(0), overflow).
 */
import type { SplScalar } from '../types.js';
import { compareScalars, numberOf } from '../values.js';
import { type FunctionTable, type Evaluator, finite, fnSpec, numericOf, valuesOfResult } from './coerce.js';

/** A function of one number. */
const unary = (f: (x: number) => number) =>
  fnSpec(1, 1, ([a]) => (row, ctx) => {
    const x = numericOf(a!(row, ctx));
    return x === null ? null : finite(f(x));
  });

/** A function of two numbers. */
const binary = (f: (x: number, y: number) => number) =>
  fnSpec(2, 2, ([a, b]) => (row, ctx) => {
    const x = numericOf(a!(row, ctx));
    const y = numericOf(b!(row, ctx));
    return x === null || y === null ? null : finite(f(x, y));
  });

/** Rounds half away from zero to `digits` decimals. */
export function roundTo(x: number, digits: number): number {
  const d = Math.max(0, Math.min(15, Math.trunc(digits)));
  const scale = 10 ** d;
  const scaled = Math.abs(x) * scale;
  // Nudge by the representation error so 1.005 → 1.01 like decimal arithmetic would.
  const rounded = Math.round(scaled + scaled * Number.EPSILON) / scale;
  return Math.sign(x) * rounded;
}

/** tonumber(text[, base]): decimal text, or integer text in base 2..36 (`0x` allowed in base 16). */
export function tonumber(v: SplScalar, base: number): number | null {
  if (base === 10) return numberOf(v);
  if (typeof v === 'number') return v;
  if (!Number.isInteger(base) || base < 2 || base > 36) return null;
  let text = v.trim().toLowerCase();
  let sign = 1;
  if (text.startsWith('-') || text.startsWith('+')) {
    sign = text.startsWith('-') ? -1 : 1;
    text = text.slice(1);
  }
  if (base === 16 && text.startsWith('0x')) text = text.slice(2);
  if (text === '' || text.length > 64) return null;
  const digits = '0123456789abcdefghijklmnopqrstuvwxyz'.slice(0, base);
  for (const c of text) if (!digits.includes(c)) return null;
  const n = Number.parseInt(text, base);
  return Number.isFinite(n) ? sign * n : null;
}

/** min/max over all values of all arguments: numbers numerically, numbers before text. */
function extreme(sign: 1 | -1) {
  return fnSpec(1, 100, (args: readonly Evaluator[]) => (row, ctx) => {
    let best: SplScalar | null = null;
    for (const a of args) {
      for (const v of valuesOfResult(a(row, ctx))) {
        if (best === null || sign * compareScalars(v, best) < 0) best = v;
      }
    }
    if (best === null) return null;
    // A numeric text is returned as the number it stands for.
    return numberOf(best) ?? best;
  });
}

export const MATH_FUNCTIONS: FunctionTable = {
  round: fnSpec(1, 2, ([a, d]) => (row, ctx) => {
    const x = numericOf(a!(row, ctx));
    const digits = d === undefined ? 0 : numericOf(d(row, ctx));
    return x === null || digits === null ? null : finite(roundTo(x, digits));
  }),
  floor: unary(Math.floor),
  ceil: unary(Math.ceil),
  ceiling: unary(Math.ceil),
  abs: unary(Math.abs),
  sqrt: unary(Math.sqrt),
  exp: unary(Math.exp),
  ln: unary(Math.log),
  log: fnSpec(1, 2, ([a, b]) => (row, ctx) => {
    const x = numericOf(a!(row, ctx));
    const base = b === undefined ? 10 : numericOf(b(row, ctx));
    if (x === null || base === null) return null;
    // log10/log2 are exact on powers of their base, where ln(x)/ln(b) is not (log(1000) = 3).
    return finite(base === 10 ? Math.log10(x) : base === 2 ? Math.log2(x) : Math.log(x) / Math.log(base));
  }),
  pow: binary(Math.pow),
  exact: fnSpec(1, 1, ([a]) => (row, ctx) => a!(row, ctx)),
  min: extreme(1),
  max: extreme(-1),
  // Math.random: Splunk's random() is not reproducible either; tests must not depend on it.
  random: fnSpec(0, 0, () => () => Math.floor(Math.random() * 2 ** 31)),
  tonumber: fnSpec(1, 2, ([a, b]) => (row, ctx) => {
    const v = valuesOfResult(a!(row, ctx))[0];
    const base = b === undefined ? 10 : numericOf(b(row, ctx));
    if (v === undefined || base === null) return null;
    return tonumber(v, base);
  }),
  pi: fnSpec(0, 0, () => () => Math.PI),
  acos: unary(Math.acos),
  asin: unary(Math.asin),
  atan: unary(Math.atan),
  atan2: binary(Math.atan2),
  cos: unary(Math.cos),
  sin: unary(Math.sin),
  tan: unary(Math.tan),
  cosh: unary(Math.cosh),
  sinh: unary(Math.sinh),
  tanh: unary(Math.tanh),
  hypot: binary(Math.hypot),
};

